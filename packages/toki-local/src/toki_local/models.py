"""Known local chat models: the ``LocalModelName`` Literal and per-model attributes.

Hand-curated snapshot (2026-11) of popular Hugging Face chat checkpoints, plus the embedded
``smollm2-135m-instruct``; written by hand because no network is reachable where it was made.
``toki-fetch-local-models`` will regenerate this file from the Hub's most-downloaded
text-generation models that ship a chat template; do not edit it by hand once that exists.

Fields:

* ``context_size``: the checkpoint's ``max_position_embeddings`` (``text_config`` for
  multimodal configs), i.e. the longest prompt plus reply the weights were built for.
* ``supports_tools``: the model emits Hermes/Qwen-style ``<tool_call>{...}</tool_call>``
  envelopes, which is what :class:`~toki_local.LocalModel` parses. Models with their own
  tool-call syntax (Llama 3 bare JSON, Mistral ``[TOOL_CALLS]``, Phi-4-mini) are ``False``.

There is deliberately no ``supports_thinking``: chat templates carry no reliable machine-readable
signal for it, so ``capture_thinking=True`` always warns on ``LocalModel`` (see the README).
Any other Hub id, folder or ``.gguf`` file works too; these names only add autocompletion.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Attr", "LocalModelName", "attributes_map", "list_huggingface_models", "list_local_models"]

LocalModelName = Literal[
    "HuggingFaceTB/SmolLM2-1.7B-Instruct",
    "HuggingFaceTB/SmolLM2-135M-Instruct",
    "HuggingFaceTB/SmolLM2-360M-Instruct",
    "HuggingFaceTB/SmolLM3-3B",
    "NousResearch/Hermes-3-Llama-3.1-8B",
    "Qwen/Qwen2.5-0.5B-Instruct",
    "Qwen/Qwen2.5-1.5B-Instruct",
    "Qwen/Qwen2.5-14B-Instruct",
    "Qwen/Qwen2.5-32B-Instruct",
    "Qwen/Qwen2.5-3B-Instruct",
    "Qwen/Qwen2.5-72B-Instruct",
    "Qwen/Qwen2.5-7B-Instruct",
    "Qwen/Qwen2.5-Coder-1.5B-Instruct",
    "Qwen/Qwen2.5-Coder-7B-Instruct",
    "Qwen/Qwen3-0.6B",
    "Qwen/Qwen3-1.7B",
    "Qwen/Qwen3-14B",
    "Qwen/Qwen3-30B-A3B",
    "Qwen/Qwen3-30B-A3B-Instruct-2507",
    "Qwen/Qwen3-32B",
    "Qwen/Qwen3-4B",
    "Qwen/Qwen3-4B-Instruct-2507",
    "Qwen/Qwen3-4B-Thinking-2507",
    "Qwen/Qwen3-8B",
    "deepseek-ai/DeepSeek-R1-Distill-Llama-8B",
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B",
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
    "google/gemma-3-12b-it",
    "google/gemma-3-1b-it",
    "google/gemma-3-270m-it",
    "google/gemma-3-27b-it",
    "google/gemma-3-4b-it",
    "meta-llama/Llama-3.1-8B-Instruct",
    "meta-llama/Llama-3.2-1B-Instruct",
    "meta-llama/Llama-3.2-3B-Instruct",
    "meta-llama/Llama-3.3-70B-Instruct",
    "microsoft/Phi-4-mini-instruct",
    "microsoft/phi-4",
    "mistralai/Mistral-7B-Instruct-v0.3",
    "smollm2-135m-instruct",
]


@dataclass(frozen=True)
class Attr:
    """What is known about a local model (no ``supports_thinking``: see the module docstring)."""

    context_size: int
    supports_tools: bool


attributes_map: dict[str, Attr] = {
    "HuggingFaceTB/SmolLM2-1.7B-Instruct": Attr(context_size=8192, supports_tools=False),
    "HuggingFaceTB/SmolLM2-135M-Instruct": Attr(context_size=8192, supports_tools=False),
    "HuggingFaceTB/SmolLM2-360M-Instruct": Attr(context_size=8192, supports_tools=False),
    "HuggingFaceTB/SmolLM3-3B": Attr(context_size=65536, supports_tools=True),
    "NousResearch/Hermes-3-Llama-3.1-8B": Attr(context_size=131072, supports_tools=True),
    "Qwen/Qwen2.5-0.5B-Instruct": Attr(context_size=32768, supports_tools=True),
    "Qwen/Qwen2.5-1.5B-Instruct": Attr(context_size=32768, supports_tools=True),
    "Qwen/Qwen2.5-14B-Instruct": Attr(context_size=32768, supports_tools=True),
    "Qwen/Qwen2.5-32B-Instruct": Attr(context_size=32768, supports_tools=True),
    "Qwen/Qwen2.5-3B-Instruct": Attr(context_size=32768, supports_tools=True),
    "Qwen/Qwen2.5-72B-Instruct": Attr(context_size=32768, supports_tools=True),
    "Qwen/Qwen2.5-7B-Instruct": Attr(context_size=32768, supports_tools=True),
    "Qwen/Qwen2.5-Coder-1.5B-Instruct": Attr(context_size=32768, supports_tools=True),
    "Qwen/Qwen2.5-Coder-7B-Instruct": Attr(context_size=32768, supports_tools=True),
    "Qwen/Qwen3-0.6B": Attr(context_size=40960, supports_tools=True),
    "Qwen/Qwen3-1.7B": Attr(context_size=40960, supports_tools=True),
    "Qwen/Qwen3-14B": Attr(context_size=40960, supports_tools=True),
    "Qwen/Qwen3-30B-A3B": Attr(context_size=40960, supports_tools=True),
    "Qwen/Qwen3-30B-A3B-Instruct-2507": Attr(context_size=262144, supports_tools=True),
    "Qwen/Qwen3-32B": Attr(context_size=40960, supports_tools=True),
    "Qwen/Qwen3-4B": Attr(context_size=40960, supports_tools=True),
    "Qwen/Qwen3-4B-Instruct-2507": Attr(context_size=262144, supports_tools=True),
    "Qwen/Qwen3-4B-Thinking-2507": Attr(context_size=262144, supports_tools=True),
    "Qwen/Qwen3-8B": Attr(context_size=40960, supports_tools=True),
    "deepseek-ai/DeepSeek-R1-Distill-Llama-8B": Attr(context_size=131072, supports_tools=False),
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B": Attr(context_size=131072, supports_tools=False),
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B": Attr(context_size=131072, supports_tools=False),
    "google/gemma-3-12b-it": Attr(context_size=131072, supports_tools=False),
    "google/gemma-3-1b-it": Attr(context_size=32768, supports_tools=False),
    "google/gemma-3-270m-it": Attr(context_size=32768, supports_tools=False),
    "google/gemma-3-27b-it": Attr(context_size=131072, supports_tools=False),
    "google/gemma-3-4b-it": Attr(context_size=131072, supports_tools=False),
    "meta-llama/Llama-3.1-8B-Instruct": Attr(context_size=131072, supports_tools=False),
    "meta-llama/Llama-3.2-1B-Instruct": Attr(context_size=131072, supports_tools=False),
    "meta-llama/Llama-3.2-3B-Instruct": Attr(context_size=131072, supports_tools=False),
    "meta-llama/Llama-3.3-70B-Instruct": Attr(context_size=131072, supports_tools=False),
    "microsoft/Phi-4-mini-instruct": Attr(context_size=131072, supports_tools=False),
    "microsoft/phi-4": Attr(context_size=16384, supports_tools=False),
    "mistralai/Mistral-7B-Instruct-v0.3": Attr(context_size=32768, supports_tools=False),
    "smollm2-135m-instruct": Attr(context_size=8192, supports_tools=False),
}


def list_local_models() -> list[str]:
    """Every model name in the snapshot, sorted."""
    return sorted(attributes_map)


def list_huggingface_models() -> list[str]:
    """The same list as :func:`list_local_models` (the name the spec's examples use for this backend)."""
    return list_local_models()

"""Ollama model names known to toki, with their context sizes and capabilities.

Hand-curated snapshot of the ollama.com library (https://ollama.com/library) as of 2026-11-21,
written before its generator existed; `toki-fetch-ollama-models` regenerates this file from the
library pages (do not edit it by hand once that script has run). Each entry is a library tag as
`ollama pull` takes it: a bare family name is that family's `:latest` tag. `context_size` is the
context length the library lists for the tag; `supports_tools` / `supports_thinking` are the
library's "tools" / "thinking" capability badges. Entries were cross-checked against the Ollama
source where it records them (cmd/launch/models.go for the gpt-oss, gemma4 and qwen3-coder context
sizes; model/parsers for gemma4's tool and thinking support).

The list is not exhaustive: OllamaModel takes any name the daemon knows, and for the model it
actually runs, the capabilities the daemon reports (`/api/show`) take precedence over this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Attr", "OllamaModelName", "attributes_map", "list_ollama_models"]

OllamaModelName = Literal[
    "deepseek-r1",
    "deepseek-r1:1.5b",
    "deepseek-r1:14b",
    "deepseek-r1:32b",
    "deepseek-r1:671b",
    "deepseek-r1:70b",
    "deepseek-r1:7b",
    "deepseek-r1:8b",
    "gemma3",
    "gemma3:12b",
    "gemma3:1b",
    "gemma3:270m",
    "gemma3:27b",
    "gemma3:4b",
    "gemma3n",
    "gemma3n:e2b",
    "gemma3n:e4b",
    "gemma4",
    "gemma4:26b",
    "gemma4:31b",
    "gemma4:e2b",
    "gemma4:e4b",
    "gpt-oss",
    "gpt-oss:120b",
    "gpt-oss:20b",
    "granite3.3",
    "granite3.3:2b",
    "granite3.3:8b",
    "llama3",
    "llama3.1",
    "llama3.1:405b",
    "llama3.1:70b",
    "llama3.1:8b",
    "llama3.2",
    "llama3.2:1b",
    "llama3.2:3b",
    "llama3.3",
    "llama3.3:70b",
    "llama3:70b",
    "llama3:8b",
    "mistral",
    "mistral-nemo",
    "mistral-nemo:12b",
    "mistral:7b",
    "phi4",
    "phi4-mini",
    "phi4-mini:3.8b",
    "phi4:14b",
    "qwen2.5",
    "qwen2.5-coder",
    "qwen2.5-coder:0.5b",
    "qwen2.5-coder:1.5b",
    "qwen2.5-coder:14b",
    "qwen2.5-coder:32b",
    "qwen2.5-coder:3b",
    "qwen2.5-coder:7b",
    "qwen2.5:0.5b",
    "qwen2.5:1.5b",
    "qwen2.5:14b",
    "qwen2.5:32b",
    "qwen2.5:3b",
    "qwen2.5:72b",
    "qwen2.5:7b",
    "qwen3",
    "qwen3-coder",
    "qwen3-coder:30b",
    "qwen3-coder:480b",
    "qwen3:0.6b",
    "qwen3:1.7b",
    "qwen3:14b",
    "qwen3:235b",
    "qwen3:30b",
    "qwen3:32b",
    "qwen3:4b",
    "qwen3:8b",
    "qwq",
    "qwq:32b",
    "smollm2",
    "smollm2:1.7b",
    "smollm2:135m",
    "smollm2:360m",
    "tinyllama",
    "tinyllama:1.1b",
]


@dataclass(frozen=True)
class Attr:
    """What the Ollama library says about one model tag.

    Attributes:
        context_size: the tag's context length, in tokens.
        supports_tools: whether the tag can call tools (the library's "tools" badge).
        supports_thinking: whether the tag reasons in a separate thinking channel that the daemon
            returns as `message.thinking` (the library's "thinking" badge).
    """

    context_size: int
    supports_tools: bool
    supports_thinking: bool


attributes_map: dict[str, Attr] = {
    "deepseek-r1": Attr(context_size=131072, supports_tools=True, supports_thinking=True),
    "deepseek-r1:1.5b": Attr(context_size=131072, supports_tools=True, supports_thinking=True),
    "deepseek-r1:14b": Attr(context_size=131072, supports_tools=True, supports_thinking=True),
    "deepseek-r1:32b": Attr(context_size=131072, supports_tools=True, supports_thinking=True),
    "deepseek-r1:671b": Attr(context_size=163840, supports_tools=True, supports_thinking=True),
    "deepseek-r1:70b": Attr(context_size=131072, supports_tools=True, supports_thinking=True),
    "deepseek-r1:7b": Attr(context_size=131072, supports_tools=True, supports_thinking=True),
    "deepseek-r1:8b": Attr(context_size=131072, supports_tools=True, supports_thinking=True),
    "gemma3": Attr(context_size=131072, supports_tools=False, supports_thinking=False),
    "gemma3:12b": Attr(context_size=131072, supports_tools=False, supports_thinking=False),
    "gemma3:1b": Attr(context_size=32768, supports_tools=False, supports_thinking=False),
    "gemma3:270m": Attr(context_size=32768, supports_tools=False, supports_thinking=False),
    "gemma3:27b": Attr(context_size=131072, supports_tools=False, supports_thinking=False),
    "gemma3:4b": Attr(context_size=131072, supports_tools=False, supports_thinking=False),
    "gemma3n": Attr(context_size=32768, supports_tools=False, supports_thinking=False),
    "gemma3n:e2b": Attr(context_size=32768, supports_tools=False, supports_thinking=False),
    "gemma3n:e4b": Attr(context_size=32768, supports_tools=False, supports_thinking=False),
    "gemma4": Attr(context_size=131072, supports_tools=True, supports_thinking=True),
    "gemma4:26b": Attr(context_size=262144, supports_tools=True, supports_thinking=True),
    "gemma4:31b": Attr(context_size=262144, supports_tools=True, supports_thinking=True),
    "gemma4:e2b": Attr(context_size=131072, supports_tools=True, supports_thinking=True),
    "gemma4:e4b": Attr(context_size=131072, supports_tools=True, supports_thinking=True),
    "gpt-oss": Attr(context_size=131072, supports_tools=True, supports_thinking=True),
    "gpt-oss:120b": Attr(context_size=131072, supports_tools=True, supports_thinking=True),
    "gpt-oss:20b": Attr(context_size=131072, supports_tools=True, supports_thinking=True),
    "granite3.3": Attr(context_size=131072, supports_tools=True, supports_thinking=False),
    "granite3.3:2b": Attr(context_size=131072, supports_tools=True, supports_thinking=False),
    "granite3.3:8b": Attr(context_size=131072, supports_tools=True, supports_thinking=False),
    "llama3": Attr(context_size=8192, supports_tools=False, supports_thinking=False),
    "llama3.1": Attr(context_size=131072, supports_tools=True, supports_thinking=False),
    "llama3.1:405b": Attr(context_size=131072, supports_tools=True, supports_thinking=False),
    "llama3.1:70b": Attr(context_size=131072, supports_tools=True, supports_thinking=False),
    "llama3.1:8b": Attr(context_size=131072, supports_tools=True, supports_thinking=False),
    "llama3.2": Attr(context_size=131072, supports_tools=True, supports_thinking=False),
    "llama3.2:1b": Attr(context_size=131072, supports_tools=True, supports_thinking=False),
    "llama3.2:3b": Attr(context_size=131072, supports_tools=True, supports_thinking=False),
    "llama3.3": Attr(context_size=131072, supports_tools=True, supports_thinking=False),
    "llama3.3:70b": Attr(context_size=131072, supports_tools=True, supports_thinking=False),
    "llama3:70b": Attr(context_size=8192, supports_tools=False, supports_thinking=False),
    "llama3:8b": Attr(context_size=8192, supports_tools=False, supports_thinking=False),
    "mistral": Attr(context_size=32768, supports_tools=True, supports_thinking=False),
    "mistral-nemo": Attr(context_size=1024000, supports_tools=True, supports_thinking=False),
    "mistral-nemo:12b": Attr(context_size=1024000, supports_tools=True, supports_thinking=False),
    "mistral:7b": Attr(context_size=32768, supports_tools=True, supports_thinking=False),
    "phi4": Attr(context_size=16384, supports_tools=False, supports_thinking=False),
    "phi4-mini": Attr(context_size=131072, supports_tools=True, supports_thinking=False),
    "phi4-mini:3.8b": Attr(context_size=131072, supports_tools=True, supports_thinking=False),
    "phi4:14b": Attr(context_size=16384, supports_tools=False, supports_thinking=False),
    "qwen2.5": Attr(context_size=32768, supports_tools=True, supports_thinking=False),
    "qwen2.5-coder": Attr(context_size=32768, supports_tools=True, supports_thinking=False),
    "qwen2.5-coder:0.5b": Attr(context_size=32768, supports_tools=True, supports_thinking=False),
    "qwen2.5-coder:1.5b": Attr(context_size=32768, supports_tools=True, supports_thinking=False),
    "qwen2.5-coder:14b": Attr(context_size=32768, supports_tools=True, supports_thinking=False),
    "qwen2.5-coder:32b": Attr(context_size=32768, supports_tools=True, supports_thinking=False),
    "qwen2.5-coder:3b": Attr(context_size=32768, supports_tools=True, supports_thinking=False),
    "qwen2.5-coder:7b": Attr(context_size=32768, supports_tools=True, supports_thinking=False),
    "qwen2.5:0.5b": Attr(context_size=32768, supports_tools=True, supports_thinking=False),
    "qwen2.5:1.5b": Attr(context_size=32768, supports_tools=True, supports_thinking=False),
    "qwen2.5:14b": Attr(context_size=32768, supports_tools=True, supports_thinking=False),
    "qwen2.5:32b": Attr(context_size=32768, supports_tools=True, supports_thinking=False),
    "qwen2.5:3b": Attr(context_size=32768, supports_tools=True, supports_thinking=False),
    "qwen2.5:72b": Attr(context_size=32768, supports_tools=True, supports_thinking=False),
    "qwen2.5:7b": Attr(context_size=32768, supports_tools=True, supports_thinking=False),
    "qwen3": Attr(context_size=40960, supports_tools=True, supports_thinking=True),
    "qwen3-coder": Attr(context_size=262144, supports_tools=True, supports_thinking=False),
    "qwen3-coder:30b": Attr(context_size=262144, supports_tools=True, supports_thinking=False),
    "qwen3-coder:480b": Attr(context_size=262144, supports_tools=True, supports_thinking=False),
    "qwen3:0.6b": Attr(context_size=40960, supports_tools=True, supports_thinking=True),
    "qwen3:1.7b": Attr(context_size=40960, supports_tools=True, supports_thinking=True),
    "qwen3:14b": Attr(context_size=40960, supports_tools=True, supports_thinking=True),
    "qwen3:235b": Attr(context_size=262144, supports_tools=True, supports_thinking=True),
    "qwen3:30b": Attr(context_size=262144, supports_tools=True, supports_thinking=True),
    "qwen3:32b": Attr(context_size=40960, supports_tools=True, supports_thinking=True),
    "qwen3:4b": Attr(context_size=262144, supports_tools=True, supports_thinking=True),
    "qwen3:8b": Attr(context_size=40960, supports_tools=True, supports_thinking=True),
    "qwq": Attr(context_size=40960, supports_tools=True, supports_thinking=True),
    "qwq:32b": Attr(context_size=40960, supports_tools=True, supports_thinking=True),
    "smollm2": Attr(context_size=8192, supports_tools=True, supports_thinking=False),
    "smollm2:1.7b": Attr(context_size=8192, supports_tools=True, supports_thinking=False),
    "smollm2:135m": Attr(context_size=8192, supports_tools=True, supports_thinking=False),
    "smollm2:360m": Attr(context_size=8192, supports_tools=True, supports_thinking=False),
    "tinyllama": Attr(context_size=2048, supports_tools=False, supports_thinking=False),
    "tinyllama:1.1b": Attr(context_size=2048, supports_tools=False, supports_thinking=False),
}


def list_ollama_models() -> list[str]:
    """Every model name in this snapshot, sorted."""
    return sorted(attributes_map)

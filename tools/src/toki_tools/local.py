"""``toki-fetch-local-models``: ``toki_local/models.py`` from the Hugging Face Hub.

The saved input lists checkpoints as ``{"id", "context", "capabilities"}``: ``context`` is the
config's ``max_position_embeddings`` (``text_config``'s for multimodal configs); ``capabilities``
holds ``"tools"`` when the chat template emits Hermes/Qwen-style ``<tool_call>`` envelopes, the
syntax ``LocalModel`` parses. ``curated`` entries (such as the embedded ``smollm2-135m-instruct``,
which is not a Hub id) are kept on every refresh.

The fetch step asks the Hub's API for the most-downloaded ``text-generation`` models tagged
``conversational`` (quantized and converted repositories skipped), then reads each one's
``config.json`` and chat template. Gated repositories need a token (``HF_TOKEN``); one that cannot
be read keeps its previous entry.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import cast

import httpx

from toki_tools import _http
from toki_tools._backend import Backend, add_row
from toki_tools._codegen import Field, Row, Shape
from toki_tools._json import JSON, as_list, as_object, as_str, as_strings, opt_int

__all__ = [
    "API_URL",
    "BACKEND",
    "context_from_config",
    "fetch",
    "main",
    "merge",
    "render",
    "supports_tool_call_envelopes",
]

API_URL = "https://huggingface.co/api/models"
_HUB = "https://huggingface.co"
_SKIP = re.compile(r"gguf|awq|gptq|bnb|[48]bit|fp8|mlx|onnx|exl2", re.I)

SHAPE = Shape(
    backend="local",
    literal="LocalModelName",
    title="Known local chat models: the ``LocalModelName`` Literal and per-model attributes.",
    notes=(
        "Fields: ``context_size`` is the checkpoint's ``max_position_embeddings`` (``text_config`` for "
        "multimodal configs), i.e. the longest prompt plus reply the weights were built for. "
        "``supports_tools``: the model emits Hermes/Qwen-style ``<tool_call>{...}</tool_call>`` envelopes, "
        "which is what :class:`~toki_local.LocalModel` parses. Models with their own tool-call syntax "
        "(Llama 3 bare JSON, Mistral ``[TOOL_CALLS]``, Phi-4-mini) are ``False``.",
        "There is deliberately no ``supports_thinking``: chat templates carry no reliable machine-readable "
        "signal for it, so ``capture_thinking=True`` always warns on ``LocalModel`` (see the README). "
        "Any other Hub id, folder or ``.gguf`` file works too; these names only add autocompletion.",
    ),
    literal_comment="Model names known when this snapshot was taken (Hub ids, and the embedded model).",
    attr_doc="What is known about a local model (no ``supports_thinking``: see the module docstring).",
    fields=(
        Field("context_size", "int", False, "the checkpoint's ``max_position_embeddings``, in tokens."),
        Field("supports_tools", "bool", False, "the chat template emits ``<tool_call>`` envelopes."),
    ),
    list_doc="Every model name in the snapshot, sorted.",
    aliases=(
        (
            "list_huggingface_models",
            "The same list as :func:`list_local_models` (the name the spec's examples use for this backend).",
        ),
    ),
)


def parse(section: object, where: str) -> dict[str, Row]:
    """Rows of a ``[{"id", "context", "capabilities"}]`` listing."""
    rows: dict[str, Row] = {}
    for index, item in enumerate(as_list(section, where)):
        at = f"{where}[{index}]"
        model = as_object(item, at)
        model_id = as_str(model.get("id"), f"{at}.id")
        capabilities = set(as_strings(model.get("capabilities"), f"{at}.capabilities"))
        add_row(rows, model_id, (opt_int(model.get("context"), f"{at}.context"), "tools" in capabilities), where)
    return rows


def context_from_config(config: object) -> int | None:
    """``max_position_embeddings`` of a ``config.json`` (or of its ``text_config``)."""
    if not isinstance(config, dict):
        return None
    found = as_object(config, "config.json")  # pyright: ignore[reportUnknownArgumentType]
    for source in (found, found.get("text_config")):
        if isinstance(source, dict):
            value = as_object(source, "config.json").get("max_position_embeddings")  # pyright: ignore[reportUnknownArgumentType]
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
    return None


def supports_tool_call_envelopes(template: str) -> bool:
    """Whether a chat template writes Hermes/Qwen-style ``<tool_call>`` envelopes."""
    return "<tool_call>" in template


def _chat_template(http: httpx.Client, model_id: str) -> str | None:
    text = _http.get_text(http, f"{_HUB}/{model_id}/resolve/main/tokenizer_config.json")
    if text is not None:
        try:
            template: object = json.loads(text).get("chat_template")
        except (json.JSONDecodeError, AttributeError):
            template = None
        if isinstance(template, str):
            return template
        if isinstance(template, list):  # named templates: [{"name", "template"}]
            named = as_list(cast(object, template), "chat_template")
            parts = [str(as_object(t, "chat_template").get("template", "")) for t in named]
            return "\n".join(parts)
    return _http.get_text(http, f"{_HUB}/{model_id}/resolve/main/chat_template.jinja")


def fetch(
    previous: JSON | None = None,
    *,
    client: httpx.Client | None = None,
    limit: int = 40,
    token: str | None = None,
) -> JSON:
    """The network step: the ``limit`` most-downloaded chat checkpoints with a chat template."""
    old = parse(previous["models"], "models") if previous is not None and "models" in previous else {}
    token = token if token is not None else os.environ.get("HF_TOKEN")
    http = client if client is not None else _http.client({"authorization": f"Bearer {token}"} if token else None)
    models: list[JSON] = []
    try:
        params = {
            "pipeline_tag": "text-generation",
            "filter": "conversational",
            "sort": "downloads",
            "direction": "-1",
            "limit": str(limit * 3),
        }
        listing = as_list(_http.get_json(http, API_URL, params=params), "models listing")
        ids = [as_str(as_object(item, "model").get("id"), "model.id") for item in listing]
        for model_id in [i for i in ids if not _SKIP.search(i)][:limit]:
            context = context_from_config(_http.get_json(http, f"{_HUB}/{model_id}/resolve/main/config.json"))
            template = _chat_template(http, model_id)
            if context is None or template is None:
                if model_id in old:
                    context_size, tools = old[model_id]
                    models.append({"id": model_id, "context": context_size, "capabilities": ["tools"] if tools else []})
                    sys.stderr.write(
                        f"local: {model_id}: config or chat template unreadable, kept the previous entry\n"
                    )
                else:
                    sys.stderr.write(f"local: {model_id}: config or chat template unreadable (gated?), left out\n")
                continue
            tools = supports_tool_call_envelopes(template)
            models.append({"id": model_id, "context": context, "capabilities": ["tools"] if tools else []})
    finally:
        if client is None:
            http.close()
    as_of = _http.today()
    return {
        "source": {
            "as_of": as_of,
            "provenance": [
                f"The Hugging Face Hub ({API_URL}) on {as_of}: the {limit} most-downloaded text-generation "
                "models tagged conversational (quantized and converted repositories skipped) whose config and "
                "chat template could be read.",
            ],
        },
        "models": sorted(models, key=lambda model: str(model["id"])),
        "curated": [],
    }


def to_entry(model_id: str, row: Row) -> JSON:
    """One saved-input entry for a snapshot row (the inverse of :func:`parse`)."""
    context, tools = row
    return {"id": model_id, "context": context, "capabilities": ["tools"] if tools else []}


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--limit", type=int, default=40, help="how many checkpoints to take (default 40)")


def _fetch(args: argparse.Namespace, previous: JSON | None) -> JSON:
    return fetch(previous, limit=args.limit)


BACKEND = Backend(
    shape=SHAPE,
    target="packages/toki-local/src/toki_local/models.py",
    listing_key="models",
    parse=parse,
    fetcher=_fetch,
    add_arguments=_add_arguments,
    description="Regenerate toki_local/models.py from the Hugging Face Hub's popular chat models.",
    to_entry=to_entry,
)


#: The ``models.py`` text of a saved input (pure).
render = BACKEND.render
#: ``new`` with ``old``'s hand-curated entries kept, and what changed.
merge = BACKEND.merge
#: The command line (``toki-fetch-*-models``).
main = BACKEND.main

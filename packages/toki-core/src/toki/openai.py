"""``toki.openai``: served by the separate toki-openai distribution."""

from __future__ import annotations

try:
    from toki_openai import (
        Attr,
        OpenAIModel,
        OpenAIModelName,
        attributes_map,
        list_openai_models,
    )
except ModuleNotFoundError as exc:  # pragma: no cover - exercised by the isolated-install test
    if exc.name != "toki_openai":
        raise
    raise ImportError("toki.openai needs the toki-openai package: pip install 'toki[openai]'") from exc

__all__ = [
    "Attr",
    "OpenAIModel",
    "OpenAIModelName",
    "attributes_map",
    "list_openai_models",
]

"""``toki.openrouter``: served by the separate toki-openrouter distribution."""

from __future__ import annotations

try:
    from toki_openrouter import (
        DEFAULT_BASE_URL,
        Attr,
        CacheTTL,
        OpenRouterModel,
        OpenRouterModelName,
        TokenCountKind,
        attributes_map,
        list_openrouter_models,
    )
except ModuleNotFoundError as exc:  # pragma: no cover - exercised by the isolated-install test
    if exc.name != "toki_openrouter":
        raise
    raise ImportError("toki.openrouter needs the toki-openrouter package: pip install 'toki[openrouter]'") from exc

__all__ = [
    "DEFAULT_BASE_URL",
    "Attr",
    "CacheTTL",
    "OpenRouterModel",
    "OpenRouterModelName",
    "TokenCountKind",
    "attributes_map",
    "list_openrouter_models",
]

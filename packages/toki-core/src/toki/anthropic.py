"""``toki.anthropic``: served by the separate toki-anthropic distribution."""

from __future__ import annotations

try:
    from toki_anthropic import (
        AnthropicModel,
        AnthropicModelName,
        Attr,
        CacheTTL,
        attributes_map,
        list_anthropic_models,
    )
except ModuleNotFoundError as exc:  # pragma: no cover - exercised by the isolated-install test
    if exc.name != "toki_anthropic":
        raise
    raise ImportError("toki.anthropic needs the toki-anthropic package: pip install 'toki[anthropic]'") from exc

__all__ = [
    "AnthropicModel",
    "AnthropicModelName",
    "Attr",
    "CacheTTL",
    "attributes_map",
    "list_anthropic_models",
]

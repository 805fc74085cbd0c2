"""``toki.local``: served by the separate toki-local distribution."""

from __future__ import annotations

try:
    from toki_local import (
        Attr,
        LocalModel,
        LocalModelName,
        attributes_map,
        list_huggingface_models,
        list_local_models,
    )
except ModuleNotFoundError as exc:  # pragma: no cover - exercised by the isolated-install test
    if exc.name != "toki_local":
        raise
    raise ImportError("toki.local needs the toki-local package: pip install 'toki[local]'") from exc

__all__ = [
    "Attr",
    "LocalModel",
    "LocalModelName",
    "attributes_map",
    "list_huggingface_models",
    "list_local_models",
]

"""``toki.google``: served by the separate toki-google distribution."""

from __future__ import annotations

try:
    from toki_google import (
        Attr,
        GoogleModel,
        GoogleModelName,
        attributes_map,
        list_google_models,
    )
except ModuleNotFoundError as exc:  # pragma: no cover - exercised by the isolated-install test
    if exc.name != "toki_google":
        raise
    raise ImportError("toki.google needs the toki-google package: pip install 'toki[google]'") from exc

__all__ = [
    "Attr",
    "GoogleModel",
    "GoogleModelName",
    "attributes_map",
    "list_google_models",
]

"""``toki.ollama``: served by the separate toki-ollama distribution."""

from __future__ import annotations

try:
    from toki_ollama import Attr, OllamaModel, OllamaModelName, attributes_map, list_ollama_models
except ModuleNotFoundError as exc:  # pragma: no cover - exercised by the isolated-install test
    if exc.name != "toki_ollama":
        raise
    raise ImportError("toki.ollama needs the toki-ollama package: pip install 'toki[ollama]'") from exc

__all__ = ["Attr", "OllamaModel", "OllamaModelName", "attributes_map", "list_ollama_models"]

"""``toki.litellm``: served by the separate toki-litellm distribution."""

from __future__ import annotations

try:
    from toki_litellm import (
        LiteLLMBackend,
        LiteLLMModel,
    )
except ModuleNotFoundError as exc:  # pragma: no cover - exercised by the isolated-install test
    if exc.name != "toki_litellm":
        raise
    raise ImportError("toki.litellm needs the toki-litellm package: pip install 'toki[litellm]'") from exc

__all__ = [
    "LiteLLMBackend",
    "LiteLLMModel",
]

"""Read each hosted backend's API key from its conventional environment variable."""

from __future__ import annotations

import os

from toki.errors import TokiMissingAPIKeyError

__all__ = [
    "get_anthropic_api_key",
    "get_google_api_key",
    "get_openai_api_key",
    "get_openrouter_api_key",
    "read_api_key",
]


def read_api_key(env_var: str, *, provider: str) -> str:
    """Return the non-empty value of ``env_var``; raise :class:`TokiMissingAPIKeyError` naming it otherwise."""
    value = os.environ.get(env_var, "").strip()
    if not value:
        raise TokiMissingAPIKeyError(env_var, provider=provider)
    return value


def get_openrouter_api_key() -> str:
    """Return ``OPENROUTER_API_KEY``; raise a ``ValueError`` subclass naming it if unset."""
    return read_api_key("OPENROUTER_API_KEY", provider="openrouter")


def get_openai_api_key() -> str:
    """Return ``OPENAI_API_KEY``; raise a ``ValueError`` subclass naming it if unset."""
    return read_api_key("OPENAI_API_KEY", provider="openai")


def get_anthropic_api_key() -> str:
    """Return ``ANTHROPIC_API_KEY``; raise a ``ValueError`` subclass naming it if unset."""
    return read_api_key("ANTHROPIC_API_KEY", provider="anthropic")


def get_google_api_key() -> str:
    """Return ``GEMINI_API_KEY``; raise a ``ValueError`` subclass naming it if unset."""
    return read_api_key("GEMINI_API_KEY", provider="google")

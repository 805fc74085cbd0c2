"""OpenRouter's failures mapped onto toki's error hierarchy, in one place.

Three sources, three functions:

* :func:`status_error`: an HTTP error status with OpenRouter's body,
  ``{"error": {"code": 429, "message": "...", "metadata": {...}}}`` (or whatever a proxy in
  front of it sent instead, such as an HTML page on a 502);
* :func:`payload_error`: an error object inside a 200 answer (a blocking body, or a stream
  chunk with a top-level ``error`` and ``finish_reason: "error"``), typed by its ``code``;
* :func:`transport_error`: an httpx exception (connection refused, timeouts, a connection
  dropped mid-stream), with the timeout phase the caller was in.

Every message carries the provider's own words; the original body is kept on ``body``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, cast

import httpx
from toki.errors import (
    TokiAPIError,
    TokiConfigurationError,
    TokiConnectionError,
    TokiError,
    TokiResponseError,
    TokiServerError,
    TokiTimeoutError,
    error_for_status,
)
from toki.retry import parse_retry_after

__all__ = ["PROVIDER", "payload_error", "status_error", "transport_error"]

PROVIDER = "openrouter"

# Codes some upstreams put in in-band errors instead of an HTTP status.
_CODE_STATUS = {
    "invalid_request_error": 400,
    "context_length_exceeded": 400,
    "authentication_error": 401,
    "invalid_api_key": 401,
    "insufficient_quota": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "model_not_found": 404,
    "rate_limit_exceeded": 429,
    "rate_limit_error": 429,
    "server_error": 500,
    "internal_error": 500,
    "api_error": 500,
    "overloaded_error": 529,
}

_SNIPPET = 300
_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def _status_of(code: object) -> int | None:
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        return code
    if isinstance(code, str):
        text = code.strip()
        if text.isdigit():
            return int(text)
        return _CODE_STATUS.get(text.lower())
    return None


def _error_message(error: Mapping[str, Any]) -> str:
    message = error.get("message")
    text = message if isinstance(message, str) and message else json.dumps(error, ensure_ascii=False)
    metadata = error.get("metadata")
    if isinstance(metadata, Mapping):
        details = cast(Mapping[str, Any], metadata)
        provider = details.get("provider_name")
        raw = details.get("raw")
        if isinstance(raw, str) and raw and raw not in text:
            text = f"{text}: {raw}"
        if isinstance(provider, str) and provider:
            text = f"{text} (upstream provider: {provider})"
    return text


def _text_snippet(body: bytes) -> str:
    text = body.decode("utf-8", "replace")
    return _SPACE.sub(" ", _TAGS.sub(" ", text)).strip()[:_SNIPPET]


def status_error(status: int, headers: Mapping[str, str], body: bytes, *, reason: str = "") -> TokiAPIError:
    """The typed error for an HTTP error response, with OpenRouter's message and ``Retry-After``."""
    parsed: object = None
    try:
        parsed = json.loads(body) if body.strip() else None
    except ValueError:
        parsed = None
    message: str
    if isinstance(parsed, Mapping) and isinstance(parsed.get("error"), Mapping):  # pyright: ignore[reportUnknownMemberType]
        message = _error_message(cast(Mapping[str, Any], cast(Mapping[str, Any], parsed)["error"]))
    elif isinstance(parsed, Mapping) and isinstance(parsed.get("message"), str):  # pyright: ignore[reportUnknownMemberType]
        message = cast(str, cast(Mapping[str, Any], parsed)["message"])
    else:
        snippet = _text_snippet(body)
        message = " ".join(part for part in (reason, snippet) if part) or "no error details in the response"
    retryable_status = status in (408, 409, 429) or status >= 500
    retry_after = parse_retry_after(headers) if retryable_status else None
    kept = cast(object, parsed) if parsed is not None else body.decode("utf-8", "replace")
    return error_for_status(status, message, provider=PROVIDER, body=kept, retry_after=retry_after)


def payload_error(error: object) -> TokiAPIError:
    """The typed error for an ``error`` object inside a 200 answer, chosen by its ``code``."""
    if not isinstance(error, Mapping):
        return TokiServerError(f"the provider reported an error: {error!r}", provider=PROVIDER, body=error)
    details = cast(Mapping[str, Any], error)
    message = _error_message(details)
    status = _status_of(details.get("code"))
    if status is not None and 400 <= status <= 599:
        return error_for_status(status, message, provider=PROVIDER, body=dict(details))
    # Unknown codes mid-stream are upstream failures (e.g. "Provider disconnected unexpectedly").
    return TokiServerError(message, provider=PROVIDER, body=dict(details))


def transport_error(exc: httpx.HTTPError, *, phase: str, seconds: float | None) -> TokiError:
    """Map an httpx exception; ``phase`` and ``seconds`` name the time limit that was running."""
    limit = f" after {seconds:g} s" if seconds is not None else ""
    if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
        return TokiTimeoutError(f"could not connect to OpenRouter{limit} ({exc!r})", phase="connect", provider=PROVIDER)
    if isinstance(exc, httpx.TimeoutException):
        what = {
            "first_chunk": "no answer arrived",
            "idle": "the answer stalled",
            "total": "the call ran out of time",
        }.get(phase, "timed out")
        return TokiTimeoutError(f"{what}{limit} ({phase} timeout)", phase=phase, provider=PROVIDER)
    if isinstance(exc, httpx.ConnectError):
        return TokiConnectionError(f"could not connect to OpenRouter: {exc}", provider=PROVIDER)
    if isinstance(exc, httpx.UnsupportedProtocol):
        return TokiConfigurationError(f"bad base_url: {exc}", provider=PROVIDER)
    if isinstance(exc, (httpx.NetworkError, httpx.RemoteProtocolError)):
        return TokiConnectionError(f"the connection to OpenRouter broke: {exc!r}", provider=PROVIDER)
    return TokiResponseError(f"unusable response from OpenRouter: {exc!r}", provider=PROVIDER)

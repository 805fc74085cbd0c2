"""One function that turns whatever litellm raised into toki's typed error.

litellm wraps provider failures in its own exception classes, and on the way often loses what
matters: a 529 "overloaded" becomes a 500, a 503 from Gemini becomes a 500 inside a
``MidStreamFallbackError``, a dropped connection becomes an ``APIConnectionError`` with status
500. The facts survive further down the exception chain (``original_exception``,
``__cause__``, ``__context__``), so :func:`map_error` walks the chain and decides from the
deepest evidence, in this order:

1. a status read off a real HTTP response -> :func:`~toki.errors.error_for_status`, with the
   provider's message, decoded body and retry hint (litellm calls a 504 a timeout);
2. a timeout anywhere in the chain -> :class:`~toki.errors.TokiTimeoutError` with its phase;
3. a transport failure anywhere in the chain (connect error, reset, peer closed mid-body) ->
   :class:`~toki.errors.TokiConnectionError`;
   then the provider's own status when litellm built the error from one (an in-band error event);
4. a Python error inside litellm: a :class:`~toki.errors.TokiResponseError` once the provider
   has answered (litellm could not read the answer), else a
   :class:`~toki.errors.TokiConfigurationError` (the request could not be built);
5. litellm's own refusals before any request (unsupported parameters, unknown provider, a
   missing optional package) -> :class:`~toki.errors.TokiConfigurationError`;
6. an in-band error event (the SDK keeps the provider's error object) -> the typed error for
   its status; without one, a watched stream that never reached its terminal event ->
   :class:`~toki.errors.TokiStreamTruncatedError`;
7. anything else with a status -> :func:`~toki.errors.error_for_status` on litellm's status.
"""

from __future__ import annotations

import json
import re
from typing import Any, cast

from toki.errors import (
    TokiAPIError,
    TokiConfigurationError,
    TokiConnectionError,
    TokiError,
    TokiResponseError,
    TokiStreamTruncatedError,
    TokiTimeoutError,
    error_for_status,
)
from toki.retry import parse_retry_after

from toki_litellm.transport import WireCall

__all__ = ["map_error"]

_TIMEOUT_NAMES = frozenset({"TimeoutException", "ConnectTimeout", "ReadTimeout", "WriteTimeout", "PoolTimeout"})
_CONNECT_TIMEOUT_NAMES = frozenset({"ConnectTimeout", "PoolTimeout"})
_PYTHON_ERRORS = (AttributeError, KeyError, IndexError, TypeError, ValueError, RuntimeError, UnicodeError)
_PREFIX = re.compile(r"^(?:litellm\.\w+:\s*)+(?:\w+Error:\s*)?(?:\w+Exception(?:\s+\w+Error)?\s*-\s*)?")


def _chain(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(chain) < 16:
        seen.add(id(current))
        chain.append(current)
        original = getattr(current, "original_exception", None)
        current = original if isinstance(original, BaseException) else (current.__cause__ or current.__context__)
    return chain


def _from_litellm(exc: BaseException) -> bool:
    return type(exc).__module__.startswith("litellm.exceptions")


def _names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def _is_transport(exc: BaseException) -> bool:
    names = _names(exc)
    # toki_litellm.transport reports some httpx failures under its own TransportError subclass.
    if "TransportError" in names and type(exc).__module__.startswith(("httpx", "toki_litellm")):
        return True
    if "APIConnectionError" in names and type(exc).__module__.startswith("openai"):
        return True
    # aiohttp / raw socket failures (resets, refusals) that no layer wrapped.
    return isinstance(exc, (ConnectionError, EOFError)) or "ClientConnectionError" in names


def _real_response(exc: BaseException) -> Any:
    """The provider's HTTP response carried by ``exc``, if it is a real one (not made up by litellm)."""
    response = getattr(exc, "response", None)
    if response is None or not hasattr(response, "status_code") or not hasattr(response, "headers"):
        return None
    module = type(exc).__module__
    if module.startswith(("httpx", "openai")) or "HTTPStatusError" in _names(exc):
        return response
    return None


def _decode(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _message_of(body: object) -> str | None:
    if isinstance(body, list) and body:
        body = cast(list[object], body)[0]  # Gemini sometimes wraps errors in a one-item array
    if isinstance(body, dict):
        mapping = cast(dict[str, Any], body)
        error = mapping.get("error", mapping)
        if isinstance(error, dict):
            message = cast(dict[str, Any], error).get("message")
            if isinstance(message, str) and message:
                return message
        elif isinstance(error, str) and error:
            return error
    return None


def _retry_delay(body: object) -> float | None:
    """Gemini's ``RetryInfo.retryDelay`` ("34.4s") from an error body."""
    if not isinstance(body, dict):
        return None
    error = cast(dict[str, Any], body).get("error")
    details = cast(dict[str, Any], error).get("details") if isinstance(error, dict) else None
    if not isinstance(details, list):
        return None
    for detail in cast(list[Any], details):
        if isinstance(detail, dict):
            delay = cast(dict[str, Any], detail).get("retryDelay")
            if isinstance(delay, str) and delay.endswith("s"):
                return parse_retry_after({"retry-after": delay[:-1]})
    return None


def _clean(text: str) -> str:
    text = text.strip()
    previous = None
    while previous != text:
        previous = text
        text = _PREFIX.sub("", text).strip()
    return text.split(" Original exception:", 1)[0].split(". Received Model Group=", 1)[0].strip()


def _timeout_phase(chain: list[BaseException], call: WireCall | None) -> str:
    if any(_names(e) & _CONNECT_TIMEOUT_NAMES for e in chain):
        return "connect"
    if call is not None:
        left = call.remaining()
        if left is not None and left <= 0:
            return "total"
        if call.body_started:
            return "idle"
    return "first_chunk"


def _is_timeout(exc: BaseException) -> bool:
    names = _names(exc)
    if names & _TIMEOUT_NAMES and "httpx" in type(exc).__module__:
        return True
    return "APITimeoutError" in names or isinstance(exc, TimeoutError)


def map_error(
    exc: BaseException, *, provider: str | None, call: WireCall | None = None, received: str = ""
) -> TokiError:
    """The toki error for an exception raised by litellm (or by the SDK under it).

    ``call`` is the attempt's view of the wire (for timeout phases and cut streams); ``received``
    is the answer text streamed so far (kept on a truncation error).
    """
    if isinstance(exc, TokiError):
        return exc
    if call is not None and call.guard is not None and call.guard.error is not None:
        return call.guard.error  # toki refused an event; litellm wrapped the refusal on its way up
    chain = _chain(exc)
    top_message = _clean(str(exc)) or type(exc).__name__

    # The provider's answer: the deepest status that litellm did not invent.
    status: int | None = None
    response: Any = None
    provider_exc: BaseException | None = None
    for e in chain:
        real = _real_response(e)
        if real is not None:
            response = real
            status = int(real.status_code)
            provider_exc = e
        elif not _from_litellm(e):
            code = getattr(e, "status_code", None)
            if isinstance(code, int) and code >= 400:
                status = code
                provider_exc = e

    # A status read off a real HTTP response wins (litellm calls a 504 a Timeout); otherwise a
    # timeout or transport failure anywhere in the chain explains what happened (litellm dresses
    # connection resets up as 500s).
    if response is None:
        if any(_is_timeout(e) for e in chain):
            phase = _timeout_phase(chain, call)
            return TokiTimeoutError(f"the {phase} time limit passed: {top_message}", phase=phase, provider=provider)
        if any(_is_transport(e) for e in chain):
            return TokiConnectionError(f"the connection failed: {top_message}", provider=provider)

    if status is not None:
        body: object = None
        headers: Any = None
        if response is not None:
            headers = response.headers
            try:
                body = _decode(response.text)
            except Exception:  # a streamed error body that was never read
                body = None
        if body is None and provider_exc is not None:
            raw_body = getattr(provider_exc, "body", None)
            body = raw_body if raw_body is not None else _decode(_clean(str(getattr(provider_exc, "message", ""))))
        if headers is None:
            headers = getattr(exc, "litellm_response_headers", None) or getattr(provider_exc, "headers", None)
        message = _message_of(body) or (_clean(body) if isinstance(body, str) and body else None) or top_message
        retry_after = parse_retry_after(dict(headers.items())) if headers is not None else None
        if retry_after is None:
            retry_after = _retry_delay(body)
        return error_for_status(status, message, provider=provider, body=body, retry_after=retry_after)

    python_error = next((e for e in chain if isinstance(e, _PYTHON_ERRORS) and not _from_litellm(e)), None)
    answered = call is not None and bool(call.responses)
    if python_error is not None and answered:
        return TokiResponseError(f"the provider's answer could not be read: {top_message}", provider=provider)
    if isinstance(exc, ImportError) or any(isinstance(e, ImportError) for e in chain):
        missing = next((e for e in chain if isinstance(e, ImportError)), exc)
        name = getattr(missing, "name", None)
        hint = " (tool calls need litellm's 'mcp' extra: pip install 'litellm[mcp]')" if name == "mcp" else ""
        return TokiConfigurationError(
            f"litellm could not import {name or 'a module'}{hint}: {missing}", provider=provider
        )
    if python_error is not None or "UnsupportedParamsError" in _names(exc) or "LLM Provider NOT provided" in str(exc):
        return TokiConfigurationError(f"litellm refused the request: {top_message}", provider=provider)

    # An in-band error event: the SDK keeps the provider's error object as ``body``.
    body = None
    for e in chain:
        candidate: object = getattr(e, "body", None)
        if isinstance(candidate, dict):
            body = cast(object, candidate)
            break
    # A stream litellm found cut short itself (it raises from the end of the provider's iterator).
    ended_early = any(isinstance(e, (StopIteration, StopAsyncIteration)) for e in chain)
    if body is None and (ended_early or (call is not None and call.watched and not call.terminal_seen)):
        return TokiStreamTruncatedError(
            f"the stream ended without its terminal event: {top_message}", received=received, provider=provider
        )
    code = getattr(exc, "status_code", None)
    if isinstance(code, int) and code >= 400:
        return error_for_status(code, _message_of(body) or top_message, provider=provider, body=body)
    return TokiAPIError(f"{type(exc).__name__}: {top_message}", provider=provider)

"""How failures of the daemon and of the ollama client become toki errors.

One context manager, :func:`daemon_errors`, wraps every call into the ollama client (sync or
async: it only sees the exception). What can come out of that client, and what it becomes:

=====================================================  =======================================
``ollama.ResponseError`` with an HTTP status           ``error_for_status`` (404 not found, 400
                                                       bad request, 500 server error...)
``ollama.ResponseError`` from an ``{"error": ...}``    classified by its message (the daemon's
line inside a 200 stream (status -1)                   messages are stable): not found, bad
                                                       request, else a server error
builtin ``ConnectionError`` / ``httpx.ConnectError``   TokiConnectionError: no daemon at host
``httpx.TimeoutException``                             TokiTimeoutError with the phase
other ``httpx.TransportError`` (reset, cut stream)     TokiConnectionError: the connection broke
a line that is not JSON, not an object, or not a       TokiResponseError
chat/progress object (``ValueError``,
``AttributeError``, ``TypeError`` from the client's
``json.loads`` / ``part.get`` / ``cls(**part)``)
``ollama.RequestError`` (e.g. an empty model name)     TokiConfigurationError
=====================================================  =======================================
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator

import httpx
import ollama
from toki.errors import (
    TokiAPIError,
    TokiBadRequestError,
    TokiConfigurationError,
    TokiConnectionError,
    TokiError,
    TokiNotFoundError,
    TokiResponseError,
    TokiServerError,
    TokiTimeoutError,
    error_for_status,
)

from toki_ollama.client import AttemptClock

__all__ = ["PROVIDER", "daemon_errors", "from_response_error", "total_timeout", "unreachable"]

PROVIDER = "ollama"


def unreachable(host: str) -> TokiConnectionError:
    """The error for a daemon that cannot be reached at ``host``."""
    return TokiConnectionError(
        f"no Ollama daemon is answering at {host}. Start one with `ollama serve` (or open the Ollama app), "
        "or point host=... or the OLLAMA_HOST environment variable at the daemon you want to use",
        provider=PROVIDER,
    )


def total_timeout(host: str, clock: AttemptClock) -> TokiTimeoutError:
    """The error for a call whose ``total`` deadline has passed (not retried: the time is spent)."""
    error = TokiTimeoutError(
        f"the call to the Ollama daemon at {host} did not finish within its total limit of {clock.timeouts.total} s",
        phase="total",
        provider=PROVIDER,
    )
    error.retryable = False
    return error


def _classify_in_band(message: str) -> TokiAPIError:
    lowered = message.lower()
    if "not found" in lowered or "file does not exist" in lowered:
        return TokiNotFoundError(message, provider=PROVIDER, body={"error": message})
    if "does not support" in lowered or "invalid" in lowered:
        return TokiBadRequestError(message, provider=PROVIDER, body={"error": message})
    return TokiServerError(message, provider=PROVIDER, body={"error": message})


def from_response_error(error: ollama.ResponseError, *, retry_after: float | None = None) -> TokiAPIError:
    """The typed error for a ``ResponseError`` (an HTTP error status, or an in-band error line).

    ``retry_after`` is the response's ``Retry-After`` hint, which the ``ResponseError`` does not keep.
    """
    message = str(error.error).strip()
    if error.status_code <= 0:
        return _classify_in_band(message or "the daemon reported an error without a message")
    body = {"error": message}
    if not message:
        message = f"the Ollama daemon answered HTTP {error.status_code} with an empty body"
    return error_for_status(error.status_code, message, provider=PROVIDER, body=body, retry_after=retry_after)


def _timeout(exc: httpx.TimeoutException, host: str, clock: AttemptClock | None) -> TokiTimeoutError:
    if clock is not None and clock.expired():
        return total_timeout(host, clock)
    if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
        phase, what = "connect", "connecting to"
    elif isinstance(exc, httpx.WriteTimeout):
        phase, what = "connect", "sending the request to"
    elif clock is not None and clock.headers_received:
        phase, what = "idle", "waiting for the next chunk from"
    else:
        phase, what = "first_chunk", "waiting for the first chunk from"
    limit = ""
    if clock is not None:
        value = {"connect": clock.timeouts.connect, "first_chunk": clock.timeouts.first_chunk}.get(
            phase, clock.timeouts.idle
        )
        limit = f" ({phase} limit: {value} s)"
    return TokiTimeoutError(f"timed out {what} the Ollama daemon at {host}{limit}", phase=phase, provider=PROVIDER)


@contextlib.contextmanager
def daemon_errors(host: str, clock: AttemptClock | None = None) -> Generator[None, None, None]:
    """Translate whatever the ollama client raises inside the block into a toki error.

    ``clock`` is the request's :class:`AttemptClock`, used to name the phase of a timeout.
    Toki errors raised inside the block pass through unchanged.
    """
    try:
        yield
    except TokiError:
        raise
    except ollama.ResponseError as exc:
        raise from_response_error(exc, retry_after=clock.retry_after if clock is not None else None) from exc
    except httpx.TimeoutException as exc:
        raise _timeout(exc, host, clock) from exc
    except (httpx.ConnectError, ConnectionError) as exc:
        raise unreachable(host) from exc
    except httpx.TransportError as exc:
        raise TokiConnectionError(
            f"the connection to the Ollama daemon at {host} broke: {exc}", provider=PROVIDER
        ) from exc
    except httpx.HTTPError as exc:
        raise TokiResponseError(
            f"unusable response from the Ollama daemon at {host}: {exc}", provider=PROVIDER
        ) from exc
    except ollama.RequestError as exc:
        raise TokiConfigurationError(f"invalid request for the Ollama daemon: {exc.error}", provider=PROVIDER) from exc
    except (ValueError, AttributeError, TypeError) as exc:
        raise TokiResponseError(
            f"malformed response from the Ollama daemon at {host}: {type(exc).__name__}: {exc}", provider=PROVIDER
        ) from exc

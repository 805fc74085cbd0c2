"""The official ollama clients, configured with toki's timeouts.

The ollama client has no timeout at all by default and no per-request timeout argument, so the
limits are applied here, on the httpx client it wraps, through two event hooks:

* before a request is sent, its ``connect``/``read``/``write``/``pool`` limits are set from the
  model's :class:`~toki.timeouts.Timeouts`, each capped by what is left of the call's ``total``;
* once the response headers have arrived, the read limit of the same request becomes ``idle``.

The daemon sends its headers together with its first NDJSON line, so the wait for the headers is
the ``first_chunk`` phase and every later read is the ``idle`` phase. (httpcore reads a request's
``timeout`` extension when it starts reading the body, which is after the response hooks ran.)

Which call a request belongs to travels in a context variable holding an :class:`AttemptClock`:
it is set only around the step that sends a request, never across a ``yield``.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import time
import urllib.parse
from collections.abc import Generator
from contextvars import ContextVar
from typing import Any

import httpx
import ollama
from toki.errors import TokiConfigurationError
from toki.retry import parse_retry_after
from toki.timeouts import Timeouts

__all__ = [
    "DEFAULT_HOST",
    "AttemptClock",
    "make_async_client",
    "make_sync_client",
    "resolve_host",
]

#: Where the ollama client looks when neither ``host=`` nor ``OLLAMA_HOST`` says otherwise.
DEFAULT_HOST = "http://127.0.0.1:11434"
_DEFAULT_PORT = 11434

_current_attempt: ContextVar[AttemptClock | None] = ContextVar("toki_ollama_attempt", default=None)


def resolve_host(host: str | None) -> str:
    """The daemon's base URL: ``host``, else ``OLLAMA_HOST``, else :data:`DEFAULT_HOST`.

    Accepts what the ollama CLI accepts (``"localhost"``, ``":11500"``, ``"10.0.0.5:11434"``,
    ``"https://ollama.example.com"``...): a missing scheme means ``http``, a missing port means
    11434 (80/443 when the scheme is given). The result is what error messages show as tried.
    """
    raw = (host if host is not None else os.environ.get("OLLAMA_HOST", "")).strip()
    if not raw:
        return DEFAULT_HOST
    scheme, sep, rest = raw.partition("://")
    port = _DEFAULT_PORT
    if not sep:
        scheme, rest = "http", raw
    elif scheme == "http":
        port = 80
    elif scheme == "https":
        port = 443
    split = urllib.parse.urlsplit(f"{scheme}://{rest}")
    hostname = split.hostname or "127.0.0.1"
    try:
        port = split.port or port
    except ValueError as exc:
        raise TokiConfigurationError(f"invalid Ollama host {raw!r}: {exc}", provider="ollama") from exc
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(hostname).version == 6:
            hostname = f"[{hostname}]"
    path = split.path.strip("/")
    return f"{scheme}://{hostname}:{port}" + (f"/{path}" if path else "")


class AttemptClock:
    """The time limits of one request to the daemon, and what happened to it so far.

    Attributes:
        timeouts: the per-phase limits.
        deadline: the call's ``total`` deadline (``time.monotonic()``), or ``None``.
        headers_received: whether the response headers arrived (so a read timeout is ``idle``).
        retry_after: the wait an error response asked for (``Retry-After``), in seconds. The
            ollama client keeps only the status and body of an error, so the hook records it here.
    """

    __slots__ = ("deadline", "headers_received", "retry_after", "timeouts")

    def __init__(self, timeouts: Timeouts, deadline: float | None = None) -> None:
        self.timeouts = timeouts
        self.deadline = deadline
        self.headers_received = False
        self.retry_after: float | None = None

    def remaining(self) -> float | None:
        """Seconds left before the ``total`` deadline, or ``None`` without one."""
        return None if self.deadline is None else self.deadline - time.monotonic()

    def expired(self) -> bool:
        """Whether the ``total`` deadline has passed."""
        remaining = self.remaining()
        return remaining is not None and remaining <= 0

    def _cap(self, limit: float) -> float:
        remaining = self.remaining()
        # httpx treats 0 as "no time at all", which is what an expired deadline means.
        return limit if remaining is None else max(0.0, min(limit, remaining))

    def request_limits(self) -> dict[str, float]:
        """The httpx timeout extension for sending the request and waiting for the headers."""
        t = self.timeouts
        return {
            "connect": self._cap(t.connect),
            "read": self._cap(t.first_chunk),
            "write": self._cap(max(t.connect, t.idle)),
            "pool": self._cap(t.connect),
        }

    def idle_limit(self) -> float:
        """The read limit once the response has started."""
        return self._cap(self.timeouts.idle)

    @contextlib.contextmanager
    def active(self) -> Generator[AttemptClock, None, None]:
        """Make this clock the one the hooks apply, for the requests sent inside the block."""
        token = _current_attempt.set(self)
        try:
            yield self
        finally:
            _current_attempt.reset(token)


def _on_request(request: httpx.Request) -> None:
    clock = _current_attempt.get()
    if clock is not None:
        request.extensions["timeout"] = clock.request_limits()


def _on_response(response: httpx.Response, default: Timeouts) -> None:
    clock = _current_attempt.get()
    limits: object = response.request.extensions.get("timeout")
    if isinstance(limits, dict):
        limits["read"] = clock.idle_limit() if clock is not None else default.idle
    if clock is not None:
        clock.headers_received = True
        if response.status_code >= 400:
            clock.retry_after = parse_retry_after(response.headers)


def _base_timeout(timeouts: Timeouts) -> httpx.Timeout:
    # Used for requests sent outside an AttemptClock; same limits, no total.
    return httpx.Timeout(
        connect=timeouts.connect,
        read=timeouts.first_chunk,
        write=max(timeouts.connect, timeouts.idle),
        pool=timeouts.connect,
    )


def make_sync_client(host: str, timeouts: Timeouts) -> ollama.Client:
    """An ``ollama.Client`` for ``host`` whose requests obey ``timeouts``."""

    def on_response(response: httpx.Response) -> None:
        _on_response(response, timeouts)

    hooks: dict[str, list[Any]] = {"request": [_on_request], "response": [on_response]}
    return ollama.Client(host=host, timeout=_base_timeout(timeouts), event_hooks=hooks)


def make_async_client(host: str, timeouts: Timeouts) -> ollama.AsyncClient:
    """An ``ollama.AsyncClient`` for ``host`` whose requests obey ``timeouts`` (bound to the running loop)."""

    async def on_request(request: httpx.Request) -> None:
        _on_request(request)

    async def on_response(response: httpx.Response) -> None:
        _on_response(response, timeouts)

    hooks: dict[str, list[Any]] = {"request": [on_request], "response": [on_response]}
    return ollama.AsyncClient(host=host, timeout=_base_timeout(timeouts), event_hooks=hooks)

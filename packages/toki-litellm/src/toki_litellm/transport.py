"""toki's own HTTP clients under litellm, and what they observe on the wire.

litellm accepts a client per call, which lets toki keep process-wide state alone and still
control the exchange:

* **timeouts**: every request of a call gets toki's per-phase limits (connect, and a read
  limit of ``max(first_chunk, idle)`` capped by what is left of ``total``), whatever litellm
  would have used (it ignores the timeout on some streaming paths);
* **end of stream**: a streamed body is watched for its route's terminal marker
  (``[DONE]``, ``message_stop``, ``finishReason``); litellm fills in a finish reason when a
  stream just stops, so this is how a cut stream is told from a complete one;
* **release**: every response a call opened is closed when the call ends, however it ends;
* **event loops**: async clients are kept per running loop, so a second ``asyncio.run``
  never meets a client bound to a closed loop.

The current call travels in a context variable that httpx's event hooks read; it is set only
around the litellm calls that may send a request.
"""

from __future__ import annotations

import contextvars
import functools
import threading
import time
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from toki.event_loops import bind_to_loop
from toki.timeouts import Timeouts

from toki_litellm.guards import DocumentGuard, EventGuard, Guard
from toki_litellm.lazy import load_litellm
from toki_litellm.routes import Route

if TYPE_CHECKING:
    import asyncio

__all__ = ["ClientPool", "WireCall"]

_CURRENT: contextvars.ContextVar[WireCall | None] = contextvars.ContextVar("toki_litellm_call", default=None)


class WireCall:
    """One attempt of one call, as the HTTP layer sees it.

    Args:
        timeouts: the model's time limits.
        route: the route whose terminal markers streamed bodies are watched for (``None``: none are).
        deadline: the call's ``total`` deadline (``time.monotonic()``), shared by its attempts
            (``None``: ``timeouts.total`` from now).
        provider: toki's name of the backend, for errors raised on the wire.

    Attributes:
        watched: a streamed body is being watched for its terminal marker.
        terminal_seen: a terminal marker appeared in the watched body.
        guard: the checker of the watched body's events, when it is an event stream.
        body_started: response body bytes have arrived (timeouts after this are ``idle``).
        responses: the HTTP responses this call opened.
    """

    __slots__ = (
        "_keep",
        "_tail",
        "body_started",
        "deadline",
        "guard",
        "provider",
        "read_limit",
        "responses",
        "route",
        "terminal",
        "terminal_seen",
        "timeouts",
        "watched",
    )

    def __init__(
        self,
        timeouts: Timeouts,
        route: Route | None = None,
        *,
        deadline: float | None = None,
        provider: str | None = None,
    ) -> None:
        self.timeouts = timeouts
        self.route = route
        self.provider = provider
        self.guard: Guard | None = None
        self.terminal: tuple[bytes, ...] = ()
        self.watched = False
        self.terminal_seen = False
        self.body_started = False
        self.responses: list[Any] = []
        self.read_limit = max(timeouts.first_chunk, timeouts.idle)
        if deadline is None and timeouts.total is not None:
            deadline = time.monotonic() + timeouts.total
        self.deadline = deadline
        self._tail = b""
        self._keep = 0

    def activate(self) -> contextvars.Token[WireCall | None]:
        """Make this the call whose requests the hooks see (undo with :meth:`deactivate`)."""
        return _CURRENT.set(self)

    @staticmethod
    def deactivate(token: contextvars.Token[WireCall | None]) -> None:
        """Undo :meth:`activate`."""
        _CURRENT.reset(token)

    def remaining(self) -> float | None:
        """Seconds left before the ``total`` deadline (``None``: no deadline)."""
        return None if self.deadline is None else self.deadline - time.monotonic()

    def timeout_extension(self) -> dict[str, float]:
        """httpx's per-request timeout extension for this call."""
        read = self.read_limit
        left = self.remaining()
        if left is not None:
            read = max(0.001, min(read, left))
        connect = self.timeouts.connect if left is None else max(0.001, min(self.timeouts.connect, left))
        return {"connect": connect, "read": read, "write": read, "pool": connect}

    def attach(self, response: Any) -> None:
        """Take charge of a response this call opened: watch it, and guard a successful body.

        A streamed body is watched for its terminal marker and, when it is an event stream,
        checked event by event (:class:`~toki_litellm.guards.EventGuard`); a blocking body must be
        a JSON object, whatever its declared type (:class:`~toki_litellm.guards.DocumentGuard`). Error bodies pass
        untouched, for litellm to read.
        """
        self.responses.append(response)
        content_type = response.headers.get("content-type", "")
        ok = response.status_code < 400
        if self.watch(response.request.url.path):
            self.guard = EventGuard(self.provider) if ok and content_type.startswith("text/event-stream") else None
        elif ok and self.route is None:
            self.guard = DocumentGuard(self.provider, content_type)
        else:
            self.guard = None

    def watch(self, path: str) -> bool:
        """Start watching a streamed response to ``path`` for its terminal marker (``False``: not watched)."""
        if self.route is None:
            return False
        terminal = self.route.markers_for(path)
        if not terminal:
            return False
        self.terminal = terminal
        self.watched = True
        self.terminal_seen = False
        self._tail = b""
        self._keep = max(len(marker) for marker in terminal) - 1
        return True

    def observe(self, data: bytes) -> None:
        """Look at the next piece of a response body."""
        self.body_started = True
        if self.terminal_seen or not self.watched:
            return
        window = self._tail + data
        for marker in self.terminal:
            if marker in window:
                self.terminal_seen = True
                return
        self._tail = window[-self._keep :] if self._keep else b""

    def take(self, data: bytes) -> bytes:
        """The next piece of the current response body, observed and guarded: the bytes to hand on.

        Call :meth:`check` once they are handed on.
        """
        self.observe(data)
        guard = self.guard
        return data if guard is None else guard.feed(data)

    def end(self) -> bytes:
        """The current response body has ended: the guard's last bytes to hand on (then :meth:`check`)."""
        guard = self.guard
        return b"" if guard is None or guard.error is not None else guard.finish()

    def check(self) -> None:
        """Raise the guard's error once the body has turned out bad."""
        guard = self.guard
        if guard is not None and guard.error is not None:
            raise guard.error

    def close(self) -> None:
        """Close every response this call opened (a no-op for those already closed)."""
        responses, self.responses = self.responses, []
        for response in responses:
            response.close()

    async def aclose(self) -> None:
        """Async :meth:`close`."""
        responses, self.responses = self.responses, []
        for response in responses:
            await response.aclose()


def _on_request(request: Any) -> None:
    call = _CURRENT.get()
    if call is None:
        return
    request.extensions["timeout"] = call.timeout_extension()
    if call.route is not None:
        # The terminal marker is looked for in the bytes as received: keep them uncompressed.
        request.headers["Accept-Encoding"] = "identity"


def _on_response(response: Any) -> None:
    call = _CURRENT.get()
    if call is None:
        return
    call.attach(response)
    response.stream = _httpx_classes().sync_stream(response.stream, call)


async def _aon_request(request: Any) -> None:
    _on_request(request)


async def _aon_response(response: Any) -> None:
    call = _CURRENT.get()
    if call is None:
        return
    call.attach(response)
    response.stream = _httpx_classes().async_stream(response.stream, call)


class _HttpxClasses(NamedTuple):
    sync_stream: type[Any]
    async_stream: type[Any]
    async_transport: type[Any]


@functools.cache
def _httpx_classes() -> _HttpxClasses:
    """The byte streams and transport through which toki sees litellm's HTTP traffic.

    * the streams show each piece of a body to their call first (terminal marker, guard) and
      hand on what the guard lets through;
    * httpx's ``RemoteProtocolError`` and ``ConnectError`` leave them (and the async transport)
      as :class:`ConnectionLost`: litellm's async handler quietly resends a request after those
      two, which would add attempts behind toki's retry policy.

    Built on first use so that importing this module does not import httpx; the streams must
    subclass httpx's stream types, which httpx checks when a response is closed.
    """
    import httpx

    lost_on = (httpx.RemoteProtocolError, httpx.ConnectError)

    class ConnectionLost(httpx.NetworkError):
        """A dropped or refused connection, reported under a class litellm does not resend on."""

    class SyncObserved(httpx.SyncByteStream):
        def __init__(self, inner: Any, call: WireCall) -> None:
            self._inner = inner
            self._call = call

        def __iter__(self) -> Iterator[bytes]:
            call = self._call
            try:
                for data in self._inner:
                    passed = call.take(data)
                    if passed:
                        yield passed
                    call.check()
                tail = call.end()
                if tail:
                    yield tail
                call.check()
            except lost_on as exc:
                raise ConnectionLost(str(exc)) from exc

        def close(self) -> None:
            self._inner.close()

    class AsyncObserved(httpx.AsyncByteStream):
        def __init__(self, inner: Any, call: WireCall) -> None:
            self._inner = inner
            self._call = call

        async def __aiter__(self) -> AsyncIterator[bytes]:
            call = self._call
            try:
                async for data in self._inner:
                    passed = call.take(data)
                    if passed:
                        yield passed
                    call.check()
                tail = call.end()
                if tail:
                    yield tail
                call.check()
            except lost_on as exc:
                raise ConnectionLost(str(exc)) from exc

        async def aclose(self) -> None:
            await self._inner.aclose()

    class AsyncTransport(httpx.AsyncHTTPTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            try:
                return await super().handle_async_request(request)
            except lost_on as exc:
                raise ConnectionLost(str(exc)) from exc

    return _HttpxClasses(SyncObserved, AsyncObserved, AsyncTransport)


def _httpx_timeout(timeouts: Timeouts) -> Any:
    import httpx

    read = max(timeouts.first_chunk, timeouts.idle)
    return httpx.Timeout(connect=timeouts.connect, read=read, write=read, pool=timeouts.connect)


class ClientPool:
    """The clients one model hands to litellm: one for sync calls, one per running event loop.

    ``client()`` / ``aclient()`` return ``None`` on routes where litellm keeps its own clients.
    """

    def __init__(self, route: Route, *, api_key: str | None, api_base: str | None, timeouts: Timeouts) -> None:
        self._route = route
        self._api_key = api_key
        self._api_base = api_base
        self._timeouts = timeouts
        self._lock = threading.Lock()
        self._sync: tuple[Any, Any] | None = None  # (client handed to litellm, httpx client under it)
        # id(loop) -> (the loop, the client handed to litellm, the guard that closes its httpx client)
        self._async: dict[int, tuple[weakref.ref[asyncio.AbstractEventLoop], Any, AsyncGenerator[None, None]]] = {}

    @property
    def enabled(self) -> bool:
        """Whether toki supplies the clients on this route."""
        kind = self._route.client
        return kind == "httpx" or (kind == "openai" and self._api_key is not None)

    def client(self) -> Any:
        """The sync client for litellm's ``client=`` argument (``None``: let litellm choose)."""
        if not self.enabled:
            return None
        if self._sync is None:
            with self._lock:
                if self._sync is None:
                    self._sync = self._build(sync=True)
        return self._sync[0]

    async def aclient(self) -> Any:
        """The async client of the running event loop (``None``: let litellm choose).

        Each loop gets its own, closed when that loop shuts down (``asyncio.run`` does) or by
        :meth:`aclose`.
        """
        if not self.enabled:
            return None
        import asyncio  # here, not at import time: it costs tens of milliseconds

        loop = asyncio.get_running_loop()
        entry = self._async.get(id(loop))
        if entry is not None and entry[0]() is loop:
            return entry[1]
        # Entries of loops that are gone: their clients were closed when those loops shut down.
        for key, (ref, _, _) in list(self._async.items()):
            dead = ref()
            if dead is None or dead.is_closed():
                del self._async[key]
        client, http = self._build(sync=False)
        self._async[id(loop)] = (weakref.ref(loop), client, await bind_to_loop(http.aclose))
        return client

    def _build(self, *, sync: bool) -> tuple[Any, Any]:
        """The client litellm receives, and the httpx client under it (which toki closes itself)."""
        import httpx

        load_litellm()  # its submodules must never be the first litellm import (offline cost map)

        timeout = _httpx_timeout(self._timeouts)
        if self._route.client == "openai":
            import openai

            if sync:
                http = httpx.Client(timeout=timeout, event_hooks={"request": [_on_request], "response": [_on_response]})
                client = openai.OpenAI(
                    api_key=self._api_key, base_url=self._api_base, max_retries=0, timeout=timeout, http_client=http
                )
                return client, http
            ahttp = httpx.AsyncClient(
                timeout=timeout, event_hooks={"request": [_aon_request], "response": [_aon_response]}
            )
            aclient = openai.AsyncOpenAI(
                api_key=self._api_key, base_url=self._api_base, max_retries=0, timeout=timeout, http_client=ahttp
            )
            return aclient, ahttp
        from litellm.llms.custom_httpx.http_handler import AsyncHTTPHandler, HTTPHandler

        if sync:
            http = httpx.Client(
                timeout=timeout,
                follow_redirects=True,
                event_hooks={"request": [_on_request], "response": [_on_response]},
            )
            return HTTPHandler(timeout=timeout, client=http), http
        handler = AsyncHTTPHandler(
            timeout=timeout,
            transport=_httpx_classes().async_transport(),
            event_hooks={"request": [_aon_request], "response": [_aon_response]},
        )
        return handler, handler.client  # the handler built this httpx client over toki's transport

    def close(self) -> None:
        """Close the sync client (async clients need :meth:`aclose`)."""
        with self._lock:
            entry, self._sync = self._sync, None
        if entry is not None:
            entry[1].close()

    async def aclose(self) -> None:
        """Close the sync client and the running loop's async client."""
        self.close()
        import asyncio  # here, not at import time: it costs tens of milliseconds

        loop = asyncio.get_running_loop()
        entry = self._async.pop(id(loop), None)
        if entry is not None and entry[0]() is loop:
            await entry[2].aclose()  # the loop guard: it closes the httpx client

"""One request/response with OpenRouter, without I/O: time limits, status checks, body decoding.

The sync and async shells in :mod:`toki_openrouter.model` only move bytes; every decision is
made here, once, so both behave identically::

    exchange = StreamExchange(url, headers, body, timeouts)
    with client.stream("POST", exchange.url, content=exchange.body, headers=exchange.headers,
                       timeout=exchange.request_timeout()) as response:
        if exchange.open(response):                 # an error: its body decides which
            raise exchange.failure(response.read())
        for data in response.iter_bytes():
            yield from exchange.feed(data)
        yield from exchange.end()

Time limits (:class:`toki.timeouts.Timeouts`), as enforced:

* ``connect``: httpx's connect timeout, and its pool timeout (waiting for a free connection).
* ``first_chunk``: httpx's read timeout while waiting for the response headers (and its write
  timeout while sending the request). After the headers, until the first SSE data event, it is
  also checked whenever bytes arrive, so keep-alive comments cannot stretch it.
* ``idle``: once the headers have arrived, :meth:`Exchange.open` switches the read timeout of
  the response body to ``idle`` (httpcore reads the request's timeout mapping when the body
  starts, so changing it in place applies to every later read). It bounds the silence between
  any two reads, keep-alive comments included. Consequence: a server that sends its headers
  and then stays silent before the first event is cut after ``idle``, not ``first_chunk``.
* ``total``: the call's deadline, shared by its attempts (:func:`toki.timeouts.call_deadline`):
  every limit above is capped by the time left, and the deadline is checked whenever bytes arrive.

Timeouts are reported with the phase of the limit that fired.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any, cast

import httpx
from toki.errors import TokiError, TokiResponseError, TokiTimeoutError
from toki.model import RawChunk, _RawTurn
from toki.sse import SSEDecoder
from toki.timeouts import Timeouts

from toki_openrouter.errors import PROVIDER, payload_error, status_error, transport_error
from toki_openrouter.wire import ChunkDecoder, parse_completion

__all__ = ["BlockingExchange", "Exchange", "StreamExchange"]

_NO_EVENTS: list[RawChunk] = []
_MIN_SECONDS = 0.001


class Exchange:
    """What every exchange shares: the request, the time limits and error mapping.

    Args:
        url: the absolute ``/chat/completions`` URL.
        headers: request headers (auth, content type, attribution).
        body: the encoded JSON body.
        timeouts: the model's time limits.
        deadline: the call's ``total`` deadline on ``clock``, shared by every attempt of the call
            (``None``: the exchange's own, ``timeouts.total`` from now).
        clock: monotonic time source (injectable for tests).

    Attributes:
        deadline: the ``total`` deadline in force (``None``: none).
    """

    def __init__(
        self,
        url: str,
        headers: Mapping[str, str],
        body: bytes,
        timeouts: Timeouts,
        *,
        deadline: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.headers = dict(headers)
        self.body = body
        self._timeouts = timeouts
        self._clock = clock
        self._started = clock()
        if deadline is None and timeouts.total is not None:
            deadline = self._started + timeouts.total
        self.deadline = deadline
        #: Which limit is running: ``first_chunk`` until the headers arrive, then ``idle``.
        self.phase = "first_chunk"
        self._status: tuple[int, Mapping[str, str], str] | None = None
        self._content_type = ""

    # ------------------------------------------------------------------ limits

    def _capped(self, seconds: float) -> float:
        if self.deadline is None:
            return seconds
        return max(_MIN_SECONDS, min(seconds, self.deadline - self._clock()))

    def request_timeout(self) -> httpx.Timeout:
        """The httpx timeouts to send the request with."""
        connect = self._capped(self._timeouts.connect)
        first = self._capped(self._timeouts.first_chunk)
        return httpx.Timeout(connect=connect, read=first, write=first, pool=connect)

    def _check_deadline(self, now: float) -> None:
        if self.deadline is not None and now >= self.deadline:
            raise TokiTimeoutError(
                f"the call ran out of time after {self._timeouts.total:g} s (total timeout)",
                phase="total",
                provider=PROVIDER,
            )

    # ------------------------------------------------------------------ response

    def open(self, response: httpx.Response) -> bool:
        """The headers have arrived; ``True`` means the body is an error to read whole and pass to :meth:`failure`."""
        self.phase = "idle"
        timeout = response.request.extensions.get("timeout")
        if isinstance(timeout, dict):
            cast(dict[str, Any], timeout)["read"] = self._capped(self._timeouts.idle)
        self._check_deadline(self._clock())
        self._content_type = response.headers.get("content-type", "").lower()
        if response.status_code >= 400:
            self._status = (response.status_code, response.headers, response.reason_phrase)
            return True
        return self._unexpected_body()

    def _unexpected_body(self) -> bool:
        return False

    def failure(self, body: bytes) -> TokiError:
        """The error for a response :meth:`open` flagged, from its whole body."""
        if self._status is not None:
            status, headers, reason = self._status
            return status_error(status, headers, body, reason=reason)
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and cast(dict[str, Any], parsed).get("error") is not None:
            return payload_error(cast(dict[str, Any], parsed)["error"])
        snippet = body[:200].decode("utf-8", "replace")
        return TokiResponseError(
            f"OpenRouter answered with {self._content_type or 'no content type'} where an event stream was "
            f"expected: {snippet!r}",
            provider=PROVIDER,
        )

    def transport_error(self, exc: httpx.HTTPError) -> TokiError:
        """Map an httpx exception raised during this exchange."""
        phase = self.phase
        deadline = self.deadline
        if (
            isinstance(exc, httpx.TimeoutException)
            and deadline is not None
            and self._clock() >= deadline - _MIN_SECONDS
        ):
            phase = "total"
        seconds = {
            "first_chunk": self._timeouts.first_chunk,
            "idle": self._timeouts.idle,
            "total": self._timeouts.total,
        }.get(phase)
        if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
            seconds = self._timeouts.connect
        return transport_error(exc, phase=phase, seconds=seconds)


class StreamExchange(Exchange):
    """A streamed answer: SSE bytes in, raw events out, truncation checked at the end."""

    def __init__(
        self,
        url: str,
        headers: Mapping[str, str],
        body: bytes,
        timeouts: Timeouts,
        *,
        deadline: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(url, headers, body, timeouts, deadline=deadline, clock=clock)
        self._sse = SSEDecoder()
        self._chunks = ChunkDecoder()

    def _unexpected_body(self) -> bool:
        # Tolerate a missing content type; anything else that is not SSE is an error page or JSON.
        return bool(self._content_type) and "text/event-stream" not in self._content_type

    def feed(self, data: bytes) -> list[RawChunk]:
        """Decode the next bytes of the body into raw events."""
        now = self._clock()
        if not self._chunks.events_seen and now - self._started > self._timeouts.first_chunk:
            raise TokiTimeoutError(
                f"no answer arrived within {self._timeouts.first_chunk:g} s (first_chunk timeout; "
                "keep-alive comments do not count)",
                phase="first_chunk",
                provider=PROVIDER,
            )
        self._check_deadline(now)
        events = self._sse.feed(data)
        if not events:
            return _NO_EVENTS
        chunks = self._chunks
        if len(events) == 1 and events[0].event == "message":
            return chunks.feed(events[0].data)
        out: list[RawChunk] = []
        for event in events:
            out.extend(self._event(event.event, event.data))
        return out

    def _event(self, name: str, data: str) -> list[RawChunk]:
        if name == "error":  # OpenAI-compatible servers may name their in-band errors
            try:
                parsed: object = json.loads(data)
            except ValueError:
                parsed = {"message": data}
            error: object = parsed
            if isinstance(parsed, dict) and "error" in parsed:
                error = cast(dict[str, Any], parsed)["error"]
            raise payload_error(error)
        return self._chunks.feed(data)

    def end(self) -> list[RawChunk]:
        """The body ended: the last events, or :class:`~toki.errors.TokiStreamTruncatedError`."""
        out: list[RawChunk] = []
        for event in self._sse.finish():
            out.extend(self._event(event.event, event.data))
        self._chunks.finish()
        return out


class BlockingExchange(Exchange):
    """A blocking answer: the JSON body collected, then parsed into a raw turn."""

    def __init__(
        self,
        url: str,
        headers: Mapping[str, str],
        body: bytes,
        timeouts: Timeouts,
        *,
        deadline: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(url, headers, body, timeouts, deadline=deadline, clock=clock)
        self._parts: list[bytes] = []

    def feed(self, data: bytes) -> None:
        """Collect the next bytes of the body."""
        self._check_deadline(self._clock())
        self._parts.append(data)

    def end(self) -> _RawTurn:
        """The body is complete: parse it (OpenRouter may pad it with whitespace keep-alives)."""
        return parse_completion(b"".join(self._parts))

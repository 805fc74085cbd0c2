"""A small HTTP/1.1 server on 127.0.0.1 that writes raw bytes, for exact wire faults.

`SimServer` accepts connections on a free port in a background thread and serves each connection in
its own thread (hundreds of concurrent streams are fine). It keeps connections alive between
requests so clients can pool them, records every request, and answers each with a `Reply`: a status,
headers and a list of body steps (`Data`, `Pause`, `Abort`) framed with Content-Length, chunked
transfer encoding or connection close. Nothing is buffered by a framework, so a test decides exactly
which bytes leave the socket, in which writes, and when the socket closes.

Routes are registered with `add_route`; each route has a FIFO of scripted items (`enqueue`) and an
optional default (`set_default`). What an item means is up to the route's handler (see `protocol.py`).

Follows RFC 9112 (HTTP/1.1 message syntax: request line, header fields, Content-Length, chunked
transfer coding, persistent connections).
"""

from __future__ import annotations

import contextlib
import math
import re
import select
import selectors
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from .messages import Data, Headers, Pause, RecordedRequest, Reply, Step, reason_phrase

__all__ = ["Precheck", "RouteHandler", "SimServer"]

_S = TypeVar("_S", bound="SimServer")
_MAX_HEADER_BYTES = 1 << 16
_MAX_BODY_BYTES = 1 << 30
_STOP_JOIN_SECONDS = 5.0
_POLL_SECONDS = 0.05


RouteHandler = Callable[[RecordedRequest, Any], Reply]
"""A route's handler: gets the request and the scripted item popped for it (or None)."""

Precheck = Callable[[RecordedRequest], "Reply | None"]
"""Runs before a scripted item is taken; a reply it returns is sent and the queue is left alone."""


@dataclass
class _Route:
    name: str
    method: str
    pattern: re.Pattern[str]
    handler: RouteHandler
    scripted: bool
    precheck: Precheck | None = None


class _BadRequest(Exception):
    pass


class _Reader:
    """Buffered reads from a socket; returns b"" at EOF."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = bytearray()

    def _fill(self) -> bool:
        chunk = self._sock.recv(1 << 16)
        if not chunk:
            return False
        self._buffer += chunk
        return True

    def read_until(self, marker: bytes, limit: int) -> bytes | None:
        start = 0
        while True:
            index = self._buffer.find(marker, start)
            if index >= 0:
                end = index + len(marker)
                data = bytes(self._buffer[:end])
                del self._buffer[:end]
                return data
            if len(self._buffer) > limit:
                raise _BadRequest("header section too large")
            start = max(0, len(self._buffer) - len(marker) + 1)
            if not self._fill():
                if self._buffer:
                    raise _BadRequest("connection closed in the middle of a request")
                return None

    def read_exact(self, size: int) -> bytes:
        while len(self._buffer) < size:
            if not self._fill():
                raise _BadRequest("connection closed in the middle of a request body")
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data


@dataclass
class _ParsedRequest:
    method: str
    target: str
    version: str
    headers: Headers
    body: bytes


class SimServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 that serves scripted replies per route.

    Use as a context manager, or call `start()` and `stop()`. `stop()` never hangs: it wakes every
    stall, shuts every open socket down and closes it.
    """

    #: Name of the route `enqueue` uses when no route is given.
    default_route: str = "default"

    def __init__(self) -> None:
        self._routes: list[_Route] = []
        self._queues: dict[str, deque[Any]] = {}
        self._defaults: dict[str, Any] = {}
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._request_added = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._listener: socket.socket | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._connections: dict[int, socket.socket] = {}
        self._threads: set[threading.Thread] = set()
        self._next_connection_id = 0
        self._connections_accepted = 0
        self._port = 0
        #: Descriptions of requests that found no scripted reply (each got a 500).
        self.unscripted: list[str] = []
        #: Exceptions raised by handlers while rendering a reply (each got a 500).
        self.errors: list[str] = []

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self: _S) -> _S:
        """Bind a free port on 127.0.0.1 and start accepting connections."""
        if self._listener is not None:
            return self
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1024)
        listener.setblocking(False)
        self._listener = listener
        self._port = listener.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._stopping.clear()
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"{type(self).__name__}-accept", daemon=True
        )
        self._accept_thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, wake all stalls, close every connection and join the threads."""
        if self._listener is None:
            return
        self._stopping.set()
        if self._wake_w is not None:
            with contextlib.suppress(OSError):
                self._wake_w.send(b"x")
        if self._accept_thread is not None:
            self._accept_thread.join(_STOP_JOIN_SECONDS)
        with self._lock:
            open_sockets = list(self._connections.values())
            threads = list(self._threads)
        for sock in open_sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + _STOP_JOIN_SECONDS
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            leftovers = list(self._connections.values())
            self._connections.clear()
        for sock in leftovers:
            sock.close()
        for sock in (self._listener, self._wake_r, self._wake_w):
            if sock is not None:
                sock.close()
        self._listener = self._wake_r = self._wake_w = None
        self._accept_thread = None

    def __enter__(self: _S) -> _S:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The TCP port (0 before `start()`)."""
        return self._port

    @property
    def host(self) -> str:
        """Always "127.0.0.1"."""
        return "127.0.0.1"

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT` (no trailing slash)."""
        if not self._port:
            raise RuntimeError("the simulator is not started")
        return f"http://127.0.0.1:{self._port}"

    # -- routes and scripts ------------------------------------------------------------------

    def add_route(
        self,
        name: str,
        method: str,
        pattern: str,
        handler: RouteHandler,
        *,
        scripted: bool = True,
        precheck: Precheck | None = None,
    ) -> None:
        """Register a route: `pattern` is a regular expression matched against the whole path.

        A scripted route pops the next queued item (or uses its default) and passes it to the
        handler; an unscripted route passes whatever is queued, else None, and never complains.
        `precheck` validates the request first, like a real server does before generating: a reply
        it returns (e.g. "model not found") is sent without consuming a scripted item.
        """
        self._routes.append(_Route(name, method.upper(), re.compile(pattern), handler, scripted, precheck))
        self._queues.setdefault(name, deque())

    def enqueue(self, *items: Any, route: str | None = None) -> None:
        """Append items to a route's FIFO: the next requests on that route get them in order."""
        name = route or self.default_route
        with self._lock:
            self._queue(name).extend(items)

    def set_default(self, item: Any, *, route: str | None = None) -> None:
        """What a route serves when its FIFO is empty (None removes the default)."""
        name = route or self.default_route
        with self._lock:
            self._queue(name)
            if item is None:
                self._defaults.pop(name, None)
            else:
                self._defaults[name] = item

    def pending(self, route: str | None = None) -> int:
        """How many scripted items are still queued on a route."""
        with self._lock:
            return len(self._queue(route or self.default_route))

    def clear(self) -> None:
        """Drop all queued items, defaults and recorded requests."""
        with self._lock:
            for queue in self._queues.values():
                queue.clear()
            self._defaults.clear()
            self._requests.clear()
            self.unscripted.clear()
            self.errors.clear()

    def assert_drained(self) -> None:
        """Raise AssertionError if any route still has queued items, or a request went unscripted."""
        with self._lock:
            left = {name: len(queue) for name, queue in self._queues.items() if queue}
            unscripted = list(self.unscripted)
            errors = list(self.errors)
        problems: list[str] = []
        if left:
            problems.append(f"scripted replies never requested: {left}")
        if unscripted:
            problems.append(f"requests without a scripted reply: {unscripted}")
        if errors:
            problems.append(f"handler errors: {errors}")
        if problems:
            raise AssertionError("; ".join(problems))

    def _queue(self, name: str) -> deque[Any]:
        if name not in self._queues:
            known = ", ".join(sorted(self._queues)) or "none"
            raise KeyError(f"unknown route {name!r} (routes: {known})")
        return self._queues[name]

    def _take(self, route: _Route) -> tuple[Any, bool]:
        with self._lock:
            queue = self._queues[route.name]
            if queue:
                return queue.popleft(), True
            if route.name in self._defaults:
                return self._defaults[route.name], True
        return None, False

    # -- recorded requests ---------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    def requests_for(self, route: str) -> list[RecordedRequest]:
        """The recorded requests a given route served."""
        return [r for r in self.requests if r.route == route]

    @property
    def last_request(self) -> RecordedRequest:
        """The most recent request (IndexError if there is none)."""
        with self._lock:
            return self._requests[-1]

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> list[RecordedRequest]:
        """Block until at least `count` requests arrived (TimeoutError after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        with self._request_added:
            while len(self._requests) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{len(self._requests)} of {count} requests after {timeout} s")
                self._request_added.wait(remaining)
            return list(self._requests)

    @property
    def connections_accepted(self) -> int:
        """How many TCP connections the server accepted (fewer than requests means pooling)."""
        with self._lock:
            return self._connections_accepted

    @property
    def open_connections(self) -> int:
        """How many TCP connections are open right now."""
        with self._lock:
            return len(self._connections)

    # -- error replies (protocol servers override) --------------------------------------------

    def error_reply(self, status: int, message: str) -> Reply:
        """The reply for a simulator-level problem (no route, no script, handler error)."""
        return Reply.json(status, {"error": {"message": message, "type": "simulator_error"}})

    # -- serving -------------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        listener, wake = self._listener, self._wake_r
        assert listener is not None and wake is not None
        with selectors.DefaultSelector() as selector:
            selector.register(listener, selectors.EVENT_READ)
            selector.register(wake, selectors.EVENT_READ)
            while not self._stopping.is_set():
                for key, _ in selector.select():
                    if key.fileobj is wake or self._stopping.is_set():
                        return
                    self._accept_ready(listener)

    def _accept_ready(self, listener: socket.socket) -> None:
        while True:
            try:
                sock, _ = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            sock.setblocking(True)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                if self._stopping.is_set():
                    sock.close()
                    return
                self._next_connection_id += 1
                connection_id = self._next_connection_id
                self._connections_accepted += 1
                self._connections[connection_id] = sock
                thread = threading.Thread(
                    target=self._serve_connection,
                    args=(connection_id, sock),
                    name=f"{type(self).__name__}-conn-{connection_id}",
                    daemon=True,
                )
                self._threads.add(thread)
            thread.start()

    def _serve_connection(self, connection_id: int, sock: socket.socket) -> None:
        reader = _Reader(sock)
        try:
            while not self._stopping.is_set():
                try:
                    parsed = self._read_request(reader, sock)
                except _BadRequest as exc:
                    self._write_reply(sock, self.error_reply(400, f"simulator: bad request: {exc}"), keep_alive=False)
                    return
                if parsed is None:
                    return
                keep_alive = _wants_keep_alive(parsed)
                reply = self._dispatch(parsed, connection_id)
                if not self._write_reply(sock, reply, keep_alive=keep_alive) or not keep_alive:
                    return
        except OSError:
            return
        except Exception as exc:  # never let a bug kill the thread silently: report it, close the socket
            with self._lock:
                self.errors.append(f"simulator: connection {connection_id} failed: {type(exc).__name__}: {exc}")
            return
        finally:
            with self._lock:
                self._connections.pop(connection_id, None)
                self._threads.discard(threading.current_thread())
            with contextlib.suppress(OSError):
                sock.close()

    def _read_request(self, reader: _Reader, sock: socket.socket) -> _ParsedRequest | None:
        head = reader.read_until(b"\r\n\r\n", _MAX_HEADER_BYTES)
        if head is None:
            return None
        lines = head[:-4].decode("latin-1").split("\r\n")
        while lines and not lines[0]:
            lines.pop(0)  # tolerate stray CRLF between requests
        if not lines:
            raise _BadRequest("empty request")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise _BadRequest(f"malformed request line {lines[0]!r}")
        method, target, version = parts
        fields: list[tuple[str, str]] = []
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep or not name or name != name.strip():
                raise _BadRequest(f"malformed header line {line!r}")
            fields.append((name, value.strip()))
        headers = Headers(fields)
        if headers.get("expect", "").lower() == "100-continue":
            sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = self._read_chunked(reader)
        else:
            length_text = headers.get("content-length", "0") or "0"
            if not length_text.isdigit():
                raise _BadRequest(f"bad Content-Length {length_text!r}")
            length = int(length_text)
            if length > _MAX_BODY_BYTES:
                raise _BadRequest("request body too large")
            body = reader.read_exact(length)
        return _ParsedRequest(method.upper(), target, version, headers, body)

    @staticmethod
    def _read_chunked(reader: _Reader) -> bytes:
        body = bytearray()
        while True:
            size_line = reader.read_until(b"\r\n", 1024)
            if size_line is None:
                raise _BadRequest("connection closed in a chunked body")
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while True:  # trailer section
                    trailer = reader.read_until(b"\r\n", _MAX_HEADER_BYTES)
                    if trailer in (None, b"\r\n"):
                        return bytes(body)
            body += reader.read_exact(size)
            reader.read_exact(2)
            if len(body) > _MAX_BODY_BYTES:
                raise _BadRequest("request body too large")

    def _dispatch(self, parsed: _ParsedRequest, connection_id: int) -> Reply:
        path = urlsplit(parsed.target).path
        route = next(
            (r for r in self._routes if r.method == parsed.method and r.pattern.fullmatch(path)),
            None,
        )
        request = RecordedRequest(
            method=parsed.method,
            target=parsed.target,
            headers=parsed.headers,
            body=parsed.body,
            connection_id=connection_id,
            route=route.name if route else None,
        )
        with self._request_added:
            self._requests.append(request)
            self._request_added.notify_all()
        if route is None:
            message = f"simulator: no route for {parsed.method} {path}"
            with self._lock:
                self.unscripted.append(message)
            return self.error_reply(404, message)
        try:
            early = route.precheck(request) if route.precheck else None
        except Exception as exc:
            return self._handler_failed(route, exc)
        if early is not None:
            return early
        item, found = self._take(route)
        if route.scripted and not found:
            message = (
                f"simulator: no reply scripted for {parsed.method} {path} (route {route.name!r} has an empty queue "
                f"and no default); call {type(self).__name__}.enqueue(...) before sending this request"
            )
            with self._lock:
                self.unscripted.append(message)
            return self.error_reply(500, message)
        try:
            return route.handler(request, item)
        except Exception as exc:  # a bad script must become a visible reply, not a dead connection
            return self._handler_failed(route, exc)

    def _handler_failed(self, route: _Route, exc: Exception) -> Reply:
        message = f"simulator: route {route.name!r} failed to render its reply: {type(exc).__name__}: {exc}"
        with self._lock:
            self.errors.append(message)
        return self.error_reply(500, message)

    # -- writing -------------------------------------------------------------------------------

    def _write_reply(self, sock: socket.socket, reply: Reply, *, keep_alive: bool) -> bool:
        """Write a reply; True if the connection can serve another request."""
        if reply.reset_before_headers:
            _reset(sock)
            return False
        if reply.pause_before_headers and not self._sleep(sock, reply.pause_before_headers):
            return False
        framing = reply.framing
        keep = keep_alive and framing != "close"
        steps = _rechunk(reply.steps, reply.write_sizes) if reply.write_sizes else reply.steps
        head = [f"HTTP/1.1 {reply.status} {reply.reason or reason_phrase(reply.status)}"]
        names = {name.lower() for name, _ in reply.headers}
        head.extend(f"{name}: {value}" for name, value in reply.headers)
        if framing == "length":
            length = reply.content_length
            if length is None:
                length = sum(len(s.data) for s in steps if isinstance(s, Data))
            head.append(f"Content-Length: {length}")
        elif framing == "chunked":
            head.append("Transfer-Encoding: chunked")
        if "connection" not in names:
            head.append("Connection: keep-alive" if keep else "Connection: close")
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        if reply.pause_after_headers and not self._sleep(sock, reply.pause_after_headers):
            return False
        for step in steps:
            if isinstance(step, Data):
                if not step.data:
                    continue
                if framing == "chunked":
                    sock.sendall(b"%x\r\n%b\r\n" % (len(step.data), step.data))
                else:
                    sock.sendall(step.data)
                if reply.byte_delay and not self._sleep(sock, reply.byte_delay):
                    return False
            elif isinstance(step, Pause):
                if not self._sleep(sock, step.seconds):
                    return False
            else:
                if step.reset:
                    _reset(sock)
                return False
        if framing == "chunked":
            sock.sendall(b"0\r\n\r\n")
        return keep

    def _sleep(self, sock: socket.socket, seconds: float) -> bool:
        """Wait; False if the server is stopping or the client closed the connection meanwhile."""
        deadline = math.inf if math.isinf(seconds) else time.monotonic() + seconds
        while True:
            if self._stopping.is_set():
                return False
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            readable, _, _ = select.select([sock], [], [], min(remaining, _POLL_SECONDS * 5))
            if readable:
                try:
                    peeked = sock.recv(1, socket.MSG_PEEK)
                except OSError:
                    return False
                if not peeked:
                    return False
                # The client sent more bytes (a pipelined request): just wait without polling.
                if self._stopping.wait(min(remaining, 3600.0)):
                    return False


def _wants_keep_alive(parsed: _ParsedRequest) -> bool:
    connection = parsed.headers.get("connection", "").lower()
    if parsed.version == "HTTP/1.0":
        return "keep-alive" in connection
    return "close" not in connection


def _reset(sock: socket.socket) -> None:
    """Close with SO_LINGER 0 so the peer sees a connection reset."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


def _rechunk(steps: Sequence[Step], sizes: Sequence[int]) -> list[Step]:
    """Re-split each run of consecutive Data steps into writes of the given sizes (cycled)."""
    if not sizes or any(s <= 0 for s in sizes):
        raise ValueError("write sizes must be positive")
    out: list[Step] = []
    run = bytearray()
    cursor = 0

    def flush() -> None:
        nonlocal cursor
        view = memoryview(bytes(run))
        offset = 0
        while offset < len(view):
            size = sizes[cursor % len(sizes)]
            cursor += 1
            out.append(Data(bytes(view[offset : offset + size])))
            offset += size
        run.clear()

    for step in steps:
        if isinstance(step, Data):
            run += step.data
        else:
            flush()
            out.append(step)
    flush()
    return out

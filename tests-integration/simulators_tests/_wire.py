"""Stdlib clients and parsers for testing the simulators over real sockets."""

from __future__ import annotations

import http.client
import json
import re
import socket
from dataclasses import dataclass, field
from typing import Any

from simulators import SimServer


@dataclass
class Response:
    """A response read with http.client (body de-chunked)."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


def request(
    sim: SimServer,
    path: str,
    body: object | None = None,
    *,
    method: str | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 5.0,
) -> Response:
    """One request on a fresh connection; raises what http.client raises on a broken response."""
    connection = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=timeout)
    try:
        payload = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        connection.request(method or ("GET" if body is None else "POST"), path, payload, all_headers)
        response = connection.getresponse()
        data = response.read()
        return Response(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
    finally:
        connection.close()


@dataclass
class RawResponse:
    """A response read byte for byte from a socket until the server closed it."""

    raw: bytes
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict[str, str])
    body: bytes = b""
    chunks: list[bytes] | None = None
    complete: bool = False
    error: str | None = None


def raw_request(
    sim: SimServer,
    path: str,
    body: object | None = None,
    *,
    method: str = "POST",
    timeout: float = 5.0,
    extra_headers: str = "",
) -> RawResponse:
    """Send one request with `Connection: close` and read every byte until EOF (or an error)."""
    payload = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{sim.port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n{extra_headers}\r\n"
    )
    chunks: list[bytes] = []
    error: str | None = None
    with socket.create_connection(("127.0.0.1", sim.port), timeout=timeout) as sock:
        sock.sendall(head.encode() + payload)
        while True:
            try:
                data = sock.recv(1 << 16)
            except OSError as exc:
                error = type(exc).__name__
                break
            if not data:
                break
            chunks.append(data)
    return parse_raw(b"".join(chunks), error)


def parse_raw(raw: bytes, error: str | None = None) -> RawResponse:
    """Split a raw response into status, headers and body; de-chunk and keep the chunk list."""
    result = RawResponse(raw=raw, error=error)
    head, sep, rest = raw.partition(b"\r\n\r\n")
    if not sep:
        return result
    lines = head.decode("latin-1").split("\r\n")
    result.status = int(lines[0].split(" ")[1])
    for line in lines[1:]:
        name, _, value = line.partition(":")
        result.headers[name.strip().lower()] = value.strip()
    if result.headers.get("transfer-encoding") == "chunked":
        result.chunks, result.complete = _dechunk(rest)
        result.body = b"".join(result.chunks)
    elif "content-length" in result.headers:
        length = int(result.headers["content-length"])
        result.body = rest[:length]
        result.complete = len(rest) >= length
    else:
        result.body = rest
        result.complete = error is None
    return result


def _dechunk(data: bytes) -> tuple[list[bytes], bool]:
    chunks: list[bytes] = []
    offset = 0
    while True:
        line_end = data.find(b"\r\n", offset)
        if line_end < 0:
            return chunks, False
        size = int(data[offset:line_end], 16)
        offset = line_end + 2
        if size == 0:
            return chunks, data[offset : offset + 2] == b"\r\n"
        if len(data) < offset + size + 2:
            chunks.append(data[offset:])
            return chunks, False
        chunks.append(data[offset : offset + size])
        offset += size + 2


@dataclass
class SseEvent:
    event: str
    data: str

    @property
    def json(self) -> Any:
        return json.loads(self.data)


@dataclass
class SseStream:
    events: list[SseEvent]
    comments: list[str]


def parse_sse(body: bytes) -> SseStream:
    """A spec-following SSE parser (LF, CRLF and CR line endings; comments kept aside)."""
    events: list[SseEvent] = []
    comments: list[str] = []
    event, data = "", list[str]()
    for line in re.split(r"\r\n|\r|\n", body.decode()):
        if line == "":
            if data:
                events.append(SseEvent(event or "message", "\n".join(data)))
            event, data = "", []
        elif line.startswith(":"):
            comments.append(line[1:].strip())
        else:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "event":
                event = value
            elif name == "data":
                data.append(value)
    return SseStream(events, comments)


def data_events(body: bytes) -> list[Any]:
    """The parsed JSON payloads of an SSE body, `[DONE]` excluded."""
    return [e.json for e in parse_sse(body).events if e.data != "[DONE]"]


def parse_ndjson(body: bytes) -> list[Any]:
    """One JSON value per line (every line must be a value: a blank line is an error)."""
    text = body.decode()
    assert text.endswith("\n"), "NDJSON body must end with a newline"
    return [json.loads(line) for line in text[:-1].split("\n")]

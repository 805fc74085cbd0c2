"""Recorded provider responses (`tests-integration/fixtures/recorded/`) turned back into wire bytes.

`recorded_reply(name)` follows the "Formats and how to serve them" table of the fixtures' README:
`*.chunks.txt` lines become `data: <line>\\n\\n` events plus `data: [DONE]` (OpenAI, OpenRouter),
`event: <type>\\ndata: <line>\\n\\n` (Anthropic) or `data: <line>\\r\\n\\r\\n` (Gemini); `*.sse`,
`*.json` and `*.ndjson` are served byte for byte; an `*.httprr` trace gives the de-chunked body of its
response. Streams go out one event (or NDJSON line) per write unless faults say otherwise.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .script import RawReply

__all__ = [
    "FIXTURES_DIR",
    "dechunk",
    "fixture_names",
    "httprr_exchanges",
    "read_fixture",
    "recorded_reply",
    "split_events",
]

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "recorded"

#: Statuses of the recorded error bodies (per the README table).
ERROR_STATUS = {
    "openai/error-unsupported-parameter.json": 400,
    "anthropic/error-invalid-request.json": 400,
    "gemini/error-400-api-key-invalid.json": 400,
    "gemini/error-403-permission-denied.json": 403,
    "gemini/error-429-retry-info.json": 429,
    "ollama/error-model-no-tools.json": 400,
}

_SUFFIXES = (".chunks.txt", ".sse", ".json", ".ndjson", ".httprr")


def fixture_names(provider: str | None = None) -> list[str]:
    """Names ("openai/text.json", …) of the recorded files, optionally of one provider directory."""
    base = FIXTURES_DIR / provider if provider else FIXTURES_DIR
    names = [p.relative_to(FIXTURES_DIR).as_posix() for p in base.rglob("*") if p.is_file()]
    return sorted(n for n in names if n.endswith(_SUFFIXES))


def read_fixture(name: str) -> bytes:
    """The raw bytes of a recorded file."""
    return (FIXTURES_DIR / name).read_bytes()


def split_events(data: bytes) -> list[bytes]:
    """Split an SSE body after each blank line, keeping every byte (the parts join back to `data`)."""
    parts: list[bytes] = []
    start = 0
    for match in re.finditer(rb"\r\n\r\n|\n\n|\r\r", data):
        parts.append(data[start : match.end()])
        start = match.end()
    if start < len(data):
        parts.append(data[start:])
    return parts


def dechunk(body: bytes) -> bytes:
    """Decode an HTTP/1.1 chunked body."""
    out = bytearray()
    offset = 0
    while True:
        line_end = body.index(b"\r\n", offset)
        size = int(body[offset:line_end].split(b";")[0], 16)
        offset = line_end + 2
        if size == 0:
            return bytes(out)
        out += body[offset : offset + size]
        offset += size + 2


def httprr_exchanges(data: bytes) -> list[tuple[bytes, bytes]]:
    """The (request dump, response dump) pairs of a langchaingo `httprr trace v1` file."""
    header = b"httprr trace v1\n"
    if not data.startswith(header):
        raise ValueError("not an httprr trace")
    offset = len(header)
    exchanges: list[tuple[bytes, bytes]] = []
    while offset < len(data):
        line_end = data.index(b"\n", offset)
        request_size, response_size = (int(x) for x in data[offset:line_end].split())
        offset = line_end + 1
        request = data[offset : offset + request_size]
        offset += request_size
        response = data[offset : offset + response_size]
        offset += response_size
        exchanges.append((request, response))
    return exchanges


def _lines(data: bytes) -> list[bytes]:
    return [line for line in data.split(b"\n") if line.strip()]


def recorded_reply(name: str) -> RawReply:
    """The recorded file as a `RawReply`, per the README's "how to serve" table."""
    provider = name.split("/", 1)[0]
    data = read_fixture(name)
    if name.endswith(".chunks.txt"):
        if provider in ("openai", "openrouter"):
            parts = [b"data: " + line + b"\n\n" for line in _lines(data)] + [b"data: [DONE]\n\n"]
        elif provider == "anthropic":
            parts = [
                b"event: " + str(json.loads(line)["type"]).encode() + b"\ndata: " + line + b"\n\n"
                for line in _lines(data)
            ]
        elif provider == "gemini":
            parts = [b"data: " + line + b"\r\n\r\n" for line in _lines(data)]
        else:
            raise ValueError(f"no chunks.txt rendering for provider {provider!r}")
        return RawReply(tuple(parts), content_type="text/event-stream", framing="chunked", source=name)
    if name.endswith(".sse"):
        return RawReply(tuple(split_events(data)), content_type="text/event-stream", framing="chunked", source=name)
    if name.endswith(".json"):
        status = ERROR_STATUS.get(name, 200)
        content_type = "application/json; charset=utf-8"
        return RawReply((data,), status=status, content_type=content_type, framing="length", source=name)
    if name.endswith(".ndjson"):
        return RawReply(
            tuple(data.splitlines(keepends=True)), content_type="application/x-ndjson", framing="chunked", source=name
        )
    if name.endswith(".httprr"):
        _, response = httprr_exchanges(data)[-1]
        head, _, body = response.partition(b"\r\n\r\n")
        if b"transfer-encoding: chunked" in head.lower():
            body = dechunk(body)
        return RawReply(
            tuple(body.splitlines(keepends=True)), content_type="application/x-ndjson", framing="chunked", source=name
        )
    raise ValueError(f"unknown fixture format: {name}")

"""Event encoders (SSE, NDJSON) and the provider-neutral application of faults to a body.

A protocol module renders a turn into `Frame`s, one encoded event each; `stream_steps` then weaves
the faults in (keep-alives, malformed or non-object events, in-band errors, stalls, cuts) and
`reply_options` turns the wire-level faults (stall before headers, reset, drip, write sizes,
close-delimited framing) into `Reply` settings.

SSE framing follows the WHATWG HTML Living Standard, "Server-sent events" (event stream format:
`event:`/`data:` fields, comment lines starting with ":", events ended by a blank line, and LF, CRLF
or CR as line terminators). NDJSON is one JSON text per line, each ended by "\n".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .messages import Abort, Data, Framing, Pause, Reply, Step
from .script import Fault, LineEnding

__all__ = [
    "EOL",
    "Frame",
    "InsertedFrames",
    "compact",
    "ndjson_line",
    "reply_options",
    "sse_comment",
    "sse_event",
    "stream_steps",
]

EOL: dict[LineEnding, str] = {"lf": "\n", "crlf": "\r\n", "cr": "\r"}


@dataclass(frozen=True)
class Frame:
    """One encoded event; `terminal` marks the end-of-stream marker that `no_terminal_event` drops."""

    data: bytes
    terminal: bool = False


def compact(value: object) -> str:
    """JSON without spaces, as OpenAI, Anthropic and Ollama send it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def sse_event(data: str, *, event: str | None = None, eol: str = "\n") -> bytes:
    """Encode one SSE event: optional `event:` line, one `data:` line per line of data, blank line."""
    lines = [f"event: {event}"] if event is not None else []
    lines.extend(f"data: {line}" for line in data.split("\n"))
    return (eol.join(lines) + eol + eol).encode()


def sse_comment(text: str, *, eol: str = "\n") -> bytes:
    """Encode an SSE comment line followed by a blank line (how OpenRouter sends its keep-alives)."""
    return f": {text}{eol}{eol}".encode()


def ndjson_line(value: object) -> bytes:
    """One NDJSON line."""
    return (compact(value) + "\n").encode()


@dataclass(frozen=True)
class InsertedFrames:
    """How a protocol encodes the events that faults insert into its streams."""

    keepalive: Callable[[str | None], bytes]
    malformed: Callable[[], bytes]
    non_object: Callable[[str], bytes]
    in_band_error: Callable[[Fault], Sequence[bytes]]


_POSITIONAL = ("keepalives", "malformed", "non_object", "in_band_error", "stall", "cut")


def stream_steps(frames: Sequence[Frame], faults: Sequence[Fault], inserted: InsertedFrames) -> list[Step]:
    """The body steps for a sequence of events with the positional faults applied.

    Every event is one write. Positions beyond the last event mean "after the last event".
    """
    if any(f.kind == "no_terminal" for f in faults):
        frames = [f for f in frames if not f.terminal]
    for patch in (f for f in faults if f.kind == "patch_bytes"):
        old, new = (patch.text or "").encode("latin-1"), patch.body or b""
        frames = [Frame(f.data.replace(old, new), f.terminal) for f in frames]
    count = len(frames)
    at: dict[int, list[Fault]] = {}
    for fault in faults:
        if fault.kind not in _POSITIONAL:
            continue
        if fault.kind == "stall" and fault.after == 0 and not fault.headers_sent:
            continue  # handled before the status line by reply_options
        at.setdefault(min(fault.after, count), []).append(fault)
    steps: list[Step] = []
    for index in range(count + 1):
        for fault in at.get(index, ()):
            if fault.kind == "keepalives":
                if fault.count > 0:
                    steps.append(Data(inserted.keepalive(fault.text) * fault.count))
            elif fault.kind == "malformed":
                steps.append(Data(inserted.malformed()))
            elif fault.kind == "non_object":
                steps.append(Data(inserted.non_object(fault.text or "[1, 2, 3]")))
            elif fault.kind == "in_band_error":
                steps.extend(Data(part) for part in inserted.in_band_error(fault))
                return steps
            elif fault.kind == "stall":
                steps.append(Pause(fault.seconds))
            elif fault.kind == "cut":
                missing = sum(len(f.data) for f in frames[index:])
                if fault.mid_event and index < count:
                    data = frames[index].data
                    half = max(1, len(data) // 2)
                    steps.append(Data(data[:half]))
                    missing -= half
                steps.append(Abort(missing=missing))
                return steps
        if index < count:
            steps.append(Data(frames[index].data))
    return steps


def reply_options(reply: Reply, faults: Sequence[Fault], *, default_framing: Framing) -> Reply:
    """Apply the wire-level faults (reset, stall before headers, drip, write sizes, framing) to a reply.

    A cut body under Content-Length framing still declares its full length, so the client sees a
    body that ends short of what was promised.
    """
    reply.framing = default_framing
    if any(f.kind == "cut" for f in faults):
        reply.content_length = _uncut_length(reply.steps)
    for fault in faults:
        if fault.kind == "reset_before_headers":
            reply.reset_before_headers = True
        elif fault.kind == "stall" and fault.after == 0 and not fault.headers_sent:
            reply.pause_before_headers += fault.seconds
        elif fault.kind == "drip":
            reply.write_sizes = (1,)
            reply.byte_delay = fault.seconds
        elif fault.kind == "write_sizes":
            reply.write_sizes = fault.sizes
        elif fault.kind == "close_delimited":
            reply.framing = "close"
    return reply


def _uncut_length(steps: Sequence[Step]) -> int:
    """The length the body would have had: what was sent, plus the rest of a half-sent event."""
    sent = sum(len(s.data) for s in steps if isinstance(s, Data))
    return sent + sum(s.missing for s in steps if isinstance(s, Abort))

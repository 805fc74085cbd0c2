"""Provider-neutral scripts: what the simulated model answers, and what goes wrong on the wire.

One `Turn` can be rendered by every protocol module (OpenAI chat, OpenRouter, Anthropic, Gemini,
Ollama), streaming or blocking, chosen by the request. `Fault`s attach to a turn (or are enqueued on
their own) and are applied by the protocol module at the exact byte where they belong. `RawReply`
serves fixed bytes, e.g. a recorded provider response.

Token semantics of `Usage` are provider-neutral: `prompt` counts every input token including cache
reads and writes, `completion` counts every output token including reasoning. Each protocol splits
them the way its provider reports them (e.g. Anthropic's `input_tokens` excludes cached tokens,
Gemini's `candidatesTokenCount` excludes thoughts).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeAlias

from .messages import Framing, RecordedRequest

__all__ = [
    "Fault",
    "FaultKind",
    "Finish",
    "LineEnding",
    "RawReply",
    "Script",
    "ToolCallScript",
    "Turn",
    "Usage",
]

Finish = Literal["stop", "tool_calls", "length", "content_filter"]
"""Why the model stopped; each protocol maps it to its own stop reason."""

LineEnding = Literal["lf", "crlf", "cr"]
"""SSE line terminator: LF, CRLF or a lone CR (all three are valid per the SSE specification)."""

FaultKind = Literal[
    "status",
    "reset_before_headers",
    "stall",
    "cut",
    "malformed",
    "non_object",
    "in_band_error",
    "drip",
    "write_sizes",
    "no_terminal",
    "keepalives",
    "huge",
    "line_ending",
    "close_delimited",
    "patch_bytes",
]


def _fragments(value: Sequence[str] | str) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


@dataclass(frozen=True)
class Usage:
    """Token counts for a turn (see the module docstring for what each count includes)."""

    prompt: int = 0
    completion: int = 0
    cached_read: int = 0
    cache_write: int = 0
    reasoning: int = 0
    cost: float | None = None

    @property
    def total(self) -> int:
        """prompt + completion."""
        return self.prompt + self.completion

    @property
    def uncached_prompt(self) -> int:
        """Prompt tokens that were neither read from nor written to a cache."""
        return max(0, self.prompt - self.cached_read - self.cache_write)


@dataclass(frozen=True)
class ToolCallScript:
    """One tool call. `arguments` is the JSON text, given as the fragments to stream it in.

    `index` defaults to the call's position in the turn; giving two calls the same index with
    different ids reproduces servers that reuse an index for a new call. Protocols that send whole
    calls (Gemini, Ollama) join the fragments and parse them (empty text means `{}`).
    """

    name: str
    arguments: Sequence[str] | str = ()
    id: str | None = None
    index: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "arguments", _fragments(self.arguments))

    @property
    def fragments(self) -> tuple[str, ...]:
        """The argument fragments in order."""
        return _fragments(self.arguments)

    @property
    def arguments_text(self) -> str:
        """The joined argument text."""
        return "".join(self.fragments)

    def parsed_arguments(self) -> Any:
        """The joined arguments parsed as JSON (`{}` when empty); ValueError if they are not JSON."""
        text = self.arguments_text
        return json.loads(text) if text.strip() else {}


@dataclass(frozen=True)
class Fault:
    """Something that goes wrong (or just differs) on the wire. Build one with the class methods.

    Positions: `after=n` counts the protocol's events from the start of the body as rendered
    (keep-alives and inserted fault events not counted); a blocking JSON body is one event.
    """

    kind: FaultKind
    after: int = 0
    seconds: float = 0.0
    status_code: int = 0
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    content_type: str | None = None
    message: str | None = None
    error_type: str | None = None
    code: str | int | None = None
    mid_event: bool = False
    headers_sent: bool = False
    count: int = 0
    size: int = 0
    sizes: tuple[int, ...] = ()
    text: str | None = None

    @classmethod
    def status(
        cls,
        status: int,
        *,
        headers: Mapping[str, str] | None = None,
        body: str | bytes | None = None,
        content_type: str | None = None,
        message: str | None = None,
        error_type: str | None = None,
        code: str | int | None = None,
    ) -> Fault:
        """Answer with this HTTP status instead of the turn.

        `body=None` renders the provider's real error body for that status (`message`, `error_type`
        and `code` override its fields); a str/bytes body is sent as is (content type: HTML if it
        starts with "<", else text/plain, unless `content_type` says otherwise; "" sends no body).
        """
        raw = body.encode() if isinstance(body, str) else body
        return cls(
            "status",
            status_code=status,
            headers=tuple((headers or {}).items()),
            body=raw,
            content_type=content_type,
            message=message,
            error_type=error_type,
            code=code,
        )

    @classmethod
    def reset_before_headers(cls) -> Fault:
        """Close the connection with a TCP reset before sending any byte."""
        return cls("reset_before_headers")

    @classmethod
    def stall(cls, seconds: float, *, after: int = 0, headers_sent: bool = False) -> Fault:
        """Go silent for `seconds` (`math.inf`: until the client leaves or the server stops).

        `after=0` stalls before the status line, or right after the headers with `headers_sent=True`;
        `after=n` stalls after the n-th event. Stalls end at once when the simulator stops.
        """
        return cls("stall", seconds=seconds, after=after, headers_sent=headers_sent)

    @classmethod
    def cut_after(cls, n_events: int, *, mid_event: bool = False) -> Fault:
        """Close the socket after `n_events` events (with `mid_event`, after half of the next one)."""
        return cls("cut", after=n_events, mid_event=mid_event)

    @classmethod
    def malformed_event(cls, *, after: int = 0) -> Fault:
        """Insert an event whose payload is truncated, invalid JSON after `after` events."""
        return cls("malformed", after=after)

    @classmethod
    def non_object_event(cls, *, after: int = 0, value: str = "[1, 2, 3]") -> Fault:
        """Insert an event whose payload is valid JSON but not an object (`value` is its JSON text)."""
        return cls("non_object", after=after, text=value)

    @classmethod
    def in_band_error(
        cls,
        *,
        after: int = 0,
        message: str | None = None,
        error_type: str | None = None,
        code: str | int | None = None,
    ) -> Fault:
        """After `after` events, send the provider's in-stream error event and end the stream."""
        return cls("in_band_error", after=after, message=message, error_type=error_type, code=code)

    @classmethod
    def drip(cls, delay_per_byte: float = 0.0) -> Fault:
        """Write the body one byte per write, waiting `delay_per_byte` seconds after each."""
        return cls("drip", seconds=delay_per_byte)

    @classmethod
    def write_sizes(cls, *sizes: int) -> Fault:
        """Re-split the body into writes of these sizes (cycled), ignoring event boundaries."""
        if not sizes or min(sizes) <= 0:
            raise ValueError("write sizes must be positive")
        return cls("write_sizes", sizes=tuple(sizes))

    @classmethod
    def no_terminal_event(cls) -> Fault:
        """End the body without the terminal event ([DONE], message_stop, done:true, finishReason)."""
        return cls("no_terminal")

    @classmethod
    def keepalives(cls, n: int, *, after: int = 0, text: str | None = None) -> Fault:
        """Send `n` keep-alives (SSE comments, Anthropic pings, empty Ollama lines) after `after` events.

        `text` overrides the SSE comment text (default: the provider's own, e.g. OPENROUTER PROCESSING).
        """
        return cls("keepalives", count=n, after=after, text=text)

    @classmethod
    def huge_event(cls, size: int, *, char: str = "x") -> Fault:
        """Put one content delta of `size` characters of `char` (bytes, for ASCII) before the scripted content."""
        return cls("huge", size=size, text=char)

    @classmethod
    def patch_bytes(cls, old: bytes, new: bytes) -> Fault:
        """Replace `old` with `new` in every rendered event (e.g. a marker word with invalid UTF-8)."""
        return cls("patch_bytes", body=new, text=old.decode("latin-1"))

    @classmethod
    def line_ending(cls, ending: LineEnding) -> Fault:
        """Terminate SSE lines with LF, CRLF or CR (default: the provider's own)."""
        return cls("line_ending", text=ending)

    @classmethod
    def close_delimited(cls) -> Fault:
        """Send the stream without chunked encoding, ending it by closing the connection."""
        return cls("close_delimited")


@dataclass(frozen=True)
class Turn:
    """One scripted model reply, rendered by whichever protocol serves the request.

    `content`, `thinking` and tool-call `arguments` are the fragments to stream, in order (a plain
    string is one fragment); the blocking reply joins them. `finish` defaults to "tool_calls" when
    there are tool calls, else "stop". `usage` defaults to counts derived from the request and the
    fragments. `thinking_signature` is Anthropic's signature_delta, OpenRouter's reasoning.text
    signature and Gemini's thoughtSignature; `redacted_thinking` is Anthropic's redacted_thinking
    data and OpenRouter's reasoning.encrypted data. `reasoning_detail_type` picks OpenRouter's
    reasoning_details item type for thinking fragments. `model`/`id` override the echoed model and
    the generated response id; `headers` are extra response headers; `faults` change how this reply
    goes over the wire (see `Fault`).
    """

    content: Sequence[str] = ()
    thinking: Sequence[str] = ()
    tool_calls: Sequence[ToolCallScript] = ()
    usage: Usage | None = None
    finish: Finish | None = None
    faults: Sequence[Fault] = ()
    thinking_signature: str | None = None
    redacted_thinking: str | None = None
    reasoning_detail_type: Literal["reasoning.text", "reasoning.summary"] = "reasoning.text"
    model: str | None = None
    id: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict[str, str])

    def __post_init__(self) -> None:
        object.__setattr__(self, "content", _fragments(self.content))
        object.__setattr__(self, "thinking", _fragments(self.thinking))
        object.__setattr__(self, "tool_calls", tuple(self.tool_calls))
        object.__setattr__(self, "faults", tuple(self.faults))

    @property
    def text(self) -> str:
        """The joined content."""
        return "".join(self.content)

    @property
    def thinking_text(self) -> str:
        """The joined thinking."""
        return "".join(self.thinking)

    @property
    def finish_reason(self) -> Finish:
        """`finish`, or the default derived from the tool calls."""
        if self.finish is not None:
            return self.finish
        return "tool_calls" if self.tool_calls else "stop"

    def with_faults(self, *faults: Fault) -> Turn:
        """A copy of this turn with more faults."""
        return replace(self, faults=(*self.faults, *faults))

    def fault(self, kind: FaultKind) -> Fault | None:
        """The first fault of a kind, if any."""
        return next((f for f in self.faults if f.kind == kind), None)


@dataclass(frozen=True)
class RawReply:
    """Fixed bytes to serve as they are (e.g. a recorded provider response).

    `parts` are the natural writes (one per event for a recorded stream); the body is their join.
    Wire faults (stall, cut_after, drip, write_sizes, reset, close_delimited, keepalives, malformed
    and non-object events, in-band errors, status) apply with each part counted as one event.
    """

    parts: tuple[bytes, ...]
    status: int = 200
    content_type: str | None = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict[str, str])
    framing: Framing = "length"
    faults: Sequence[Fault] = ()
    source: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "faults", tuple(self.faults))

    @classmethod
    def of(
        cls,
        body: bytes | str,
        *,
        status: int = 200,
        content_type: str | None = "application/json",
        headers: Mapping[str, str] | None = None,
        framing: Framing = "length",
    ) -> RawReply:
        """One body sent in a single write."""
        raw = body.encode() if isinstance(body, str) else body
        return cls((raw,), status=status, content_type=content_type, headers=dict(headers or {}), framing=framing)

    @property
    def body(self) -> bytes:
        """All parts joined."""
        return b"".join(self.parts)

    def with_faults(self, *faults: Fault) -> RawReply:
        """A copy of this reply with more faults."""
        return replace(self, faults=(*self.faults, *faults))

    def rechunked(self, *sizes: int) -> RawReply:
        """A copy whose body goes out in writes of these sizes (cycled)."""
        return self.with_faults(Fault.write_sizes(*sizes))


Script: TypeAlias = "Turn | Fault | RawReply | Callable[[RecordedRequest], Script]"
"""What can be enqueued on a model route: a turn, a lone fault, raw bytes, or a function of the request."""

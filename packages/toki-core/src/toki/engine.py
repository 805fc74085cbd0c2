"""The stream engine: raw backend events in, public chunks and the final turn out.

The engine does no I/O. A front (see :mod:`toki.drivers`) pulls raw events from a backend,
``feed``s them here, and hands the queued ``outputs`` to the caller. Blocking calls go
through the same engine: a ``_RawTurn`` is replayed as events, so streaming and blocking
cannot disagree.
"""

from __future__ import annotations

import json
import os
import warnings
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn, cast

from toki.errors import TokiToolArgumentsError, TokiToolCallTruncatedError
from toki.raw_events import (
    RawChunk,
    _RawContentChunk,
    _RawFinish,
    _RawThoughtChunk,
    _RawToolCallChunk,
    _RawTurn,
    _RawUsage,
)
from toki.tool_args import ArgumentSplitter, ArgumentSyntaxError
from toki.tool_schemas import ToolSet
from toki.types import FinishReason, TokiThinking, TokiToolCall, TokiToolFunction, TokiUsageMetadata
from toki.warnings import TokiToolMismatchWarning

__all__ = ["ArgBuffer", "CallState", "StreamEngine", "TurnResult", "raw_turn_events"]


def _is_high_surrogate(char: str) -> bool:
    return "\ud800" <= char <= "\udbff"


def _join_surrogates(high: str, text: str) -> str:
    # Python never merges two surrogate code points by concatenation, so a pair split across
    # two events has to be combined explicitly.
    low = text[0]
    if "\udc00" <= low <= "\udfff":
        return chr(0x10000 + ((ord(high) - 0xD800) << 10) + (ord(low) - 0xDC00)) + text[1:]
    return high + text


class _SurrogateJoiner:
    """Holds back a trailing high surrogate until the next piece of the same text arrives."""

    __slots__ = ("held",)

    def __init__(self) -> None:
        self.held = ""

    def push(self, text: str) -> str:
        if self.held:
            text = _join_surrogates(self.held, text) if text else text
            self.held = "" if text else self.held
        if text and _is_high_surrogate(text[-1]):
            self.held = text[-1]
            return text[:-1]
        return text

    def flush(self) -> str:
        held, self.held = self.held, ""
        return held


class ArgBuffer:
    """Everything received for one argument of a streaming tool call (kept for replay)."""

    __slots__ = ("claimed", "done", "is_string", "name", "pieces")

    def __init__(self, name: str, is_string: bool) -> None:
        self.name = name
        self.is_string = is_string
        self.pieces: list[str] = []
        self.done = False
        self.claimed = False


class CallState:
    """One tool call being assembled; also the sink the argument splitter reports to."""

    __slots__ = (
        "announced",
        "args",
        "args_in_order",
        "current",
        "error",
        "finished",
        "id",
        "index",
        "joiner",
        "name",
        "parsed",
        "public",
        "seen_arguments",
        "splitter",
        "streaming",
    )

    def __init__(self, index: int | None) -> None:
        self.index = index
        self.id: str | None = None
        self.name: str | None = None
        self.splitter = ArgumentSplitter(self)
        self.joiner = _SurrogateJoiner()
        self.args: dict[str, ArgBuffer] = {}
        self.args_in_order: list[ArgBuffer] = []
        self.current: ArgBuffer | None = None
        self.seen_arguments = False
        self.announced = False
        self.streaming = False
        self.finished = False
        self.error: Exception | None = None
        self.public: object = None  # the TokiToolCall or tool-call stream handed out
        self.parsed: dict[str, Any] | None = None

    # ArgumentSink
    def arg_start(self, name: str, is_string: bool) -> None:
        buffer = ArgBuffer(name, is_string)
        if name in self.args:  # a duplicate key: like json.loads, the last one wins
            self.args_in_order.remove(self.args[name])
        self.args[name] = buffer
        self.args_in_order.append(buffer)
        self.current = buffer

    def arg_piece(self, text: str) -> None:
        # Until the call is announced we do not know whether it streams, so keep the pieces.
        if text and (self.streaming or not self.announced):
            self.current.pieces.append(text)  # type: ignore[union-attr]

    def arg_end(self) -> None:
        self.current.done = True  # type: ignore[union-attr]
        self.current = None

    def parsed_arguments(self, provider: str | None) -> dict[str, Any]:
        """The complete arguments as a dict (``{}`` for empty arguments), parsed once."""
        if self.parsed is None:
            self.parsed = self._parse(provider)
        return self.parsed

    def _parse(self, provider: str | None) -> dict[str, Any]:
        text = self.splitter.text
        if not text.strip():
            return {}
        try:
            value = json.loads(text, strict=False)
        except ValueError as exc:
            raise TokiToolArgumentsError(
                f"tool call {self.name!r} has invalid JSON arguments: {exc}",
                tool_name=self.name,
                raw_arguments=text,
                provider=provider,
            ) from exc
        if not isinstance(value, dict):
            raise TokiToolArgumentsError(
                f"tool call {self.name!r} arguments are a JSON {type(value).__name__}, not an object",
                tool_name=self.name,
                raw_arguments=text,
                provider=provider,
            )
        return cast(dict[str, Any], value)


@dataclass(slots=True)
class TurnResult:
    """The complete assistant turn, once the stream has ended."""

    content: str
    thought: str
    tool_calls: list[TokiToolCall]
    usage: TokiUsageMetadata | None
    finish_reason: FinishReason | None


def _new_call_id() -> str:
    return "call_" + os.urandom(9).hex()


class StreamEngine:
    """Turns raw events into public chunks (``outputs``) and the final :class:`TurnResult`.

    Args:
        tools: the call's validated tools (``None`` for no tools).
        capture_thinking: whether thinking text is surfaced or dropped.
        allow_parallel_tool_calls: warn when more than one call arrives and this is false.
        make_tool_stream: builds the public streaming-tool object for a call (sync or async flavour).
        provider: backend name, for error messages.
    """

    def __init__(
        self,
        *,
        tools: ToolSet | None,
        capture_thinking: bool,
        allow_parallel_tool_calls: bool,
        make_tool_stream: Callable[[CallState], object],
        provider: str | None = None,
    ) -> None:
        self.outputs: deque[object] = deque()
        self._tools = tools
        self._capture_thinking = capture_thinking
        self._allow_parallel = allow_parallel_tool_calls
        self._make_tool_stream = make_tool_stream
        self._provider = provider
        self._content: list[str] = []
        self._thought: list[str] = []
        self._content_joiner = _SurrogateJoiner()
        self._thought_joiner = _SurrogateJoiner()
        self._calls: list[CallState] = []
        self._by_index: dict[int, CallState] = {}
        self._by_id: dict[str, CallState] = {}
        self._usage: TokiUsageMetadata | None = None
        self.finish_reason: FinishReason | None = None
        self.ended = False

    @property
    def content_so_far(self) -> str:
        """The answer text received so far."""
        return "".join(self._content)

    def feed(self, event: RawChunk) -> None:
        """Process one raw event; public chunks it produces are appended to ``outputs``."""
        # isinstance narrows for the type checker at no run-time cost (typing.cast is a call).
        if isinstance(event, _RawToolCallChunk):
            index = event.index
            call = self._by_index.get(index) if index is not None else None
            if call is not None and call.announced and event.id is None and event.name is None:
                # A plain continuation of a known call: the common case while arguments stream,
                # kept free of helper calls because it runs once per fragment.
                fragment = event.arguments_fragment
                if fragment:
                    joiner = call.joiner
                    if joiner.held or "\ud800" <= fragment[-1] <= "\udbff":
                        fragment = joiner.push(fragment)
                    if fragment:
                        try:
                            call.splitter.feed(fragment)
                        except ArgumentSyntaxError as exc:
                            self._bad_arguments(call, exc)
                    if not call.streaming and not call.finished and call.splitter.closed:
                        self._emit_static(call)
            else:
                self._on_tool_chunk(event)
            return
        kind = type(event)
        if kind is _RawContentChunk:
            text = self._content_joiner.push(cast(_RawContentChunk, event).text)
            if text:
                self._content.append(text)
                self.outputs.append(text)
        elif kind is _RawThoughtChunk:
            text = self._thought_joiner.push(cast(_RawThoughtChunk, event).text)
            if text and self._capture_thinking:
                self._thought.append(text)
                self.outputs.append(TokiThinking(text))
        elif kind is _RawUsage:
            usage = cast(_RawUsage, event).to_metadata()
            # Merge even the first report (into an empty one) so that total_tokens is filled in
            # the same way whether the provider sent its usage in one report or in several.
            self._usage = (self._usage or TokiUsageMetadata()).merged_with(usage)
        elif kind is _RawFinish:
            reason = cast(_RawFinish, event).reason
            self.finish_reason = reason
            if reason == "length":
                # A call still open when the token limit hit is cut off, even one that has no
                # argument text yet: its arguments may never have been written.
                for call in self._calls:
                    if not call.finished and not call.splitter.closed:
                        self._truncate(call, "the token limit was reached")
        else:
            raise TypeError(f"backend yielded {event!r}, which is not a raw toki event")

    def _on_tool_chunk(self, event: _RawToolCallChunk) -> None:
        call: CallState | None = None
        if event.index is not None:
            call = self._by_index.get(event.index)
            if call is not None and event.id and call.id and event.id != call.id:
                # A new id on a used index is a new call; the old one must be complete by now.
                self._finish_call(call)
                call = None
        elif event.id is not None:
            call = self._by_id.get(event.id)
        elif event.name is None and self._calls:
            call = self._calls[-1]
        if call is None:
            call = CallState(event.index)
            self._calls.append(call)
            if event.index is not None:
                self._by_index[event.index] = call
        if event.id and not call.id:
            call.id = event.id
            self._by_id[event.id] = call
        # Names may arrive in pieces, but a provider repeating the full name must not double it.
        if (
            event.name
            and event.name != call.name
            and (call.name is None or not (call.announced or call.seen_arguments))
        ):
            call.name = (call.name or "") + event.name
        fragment = event.arguments_fragment
        if fragment is not None:
            call.seen_arguments = True
            fragment = call.joiner.push(fragment)
            if fragment:
                self._feed_arguments(call, fragment)
        if not call.announced and call.name is not None and call.seen_arguments:
            self._announce(call)
        if call.announced and not call.finished and not call.streaming and call.splitter.closed:
            self._emit_static(call)

    def _feed_arguments(self, call: CallState, fragment: str) -> None:
        try:
            call.splitter.feed(fragment)
        except ArgumentSyntaxError as exc:
            self._bad_arguments(call, exc)

    def _bad_arguments(self, call: CallState, exc: ArgumentSyntaxError) -> NoReturn:
        error = TokiToolArgumentsError(
            f"tool call {call.name!r} has invalid JSON arguments: {exc}",
            tool_name=call.name,
            raw_arguments=call.splitter.text,
            provider=self._provider,
        )
        call.error = error
        call.finished = True
        raise error from exc

    def _announce(self, call: CallState) -> None:
        call.announced = True
        if call.id is None:
            call.id = _new_call_id()
            self._by_id[call.id] = call
        name = cast(str, call.name)
        tools = self._tools
        if tools is None:
            warnings.warn(
                f"the model called tool {name!r} but no tools were given to this call",
                TokiToolMismatchWarning,
                stacklevel=2,
            )
        elif name not in tools.names:
            warnings.warn(
                f"the model called tool {name!r}, which is not among the given tools {sorted(tools.names)}",
                TokiToolMismatchWarning,
                stacklevel=2,
            )
        announced = sum(1 for other in self._calls if other.announced)
        if announced > 1 and not self._allow_parallel:
            warnings.warn(
                f"the model made {announced} tool calls although allow_parallel_tool_calls is False",
                TokiToolMismatchWarning,
                stacklevel=2,
            )
        call.streaming = tools is not None and name in tools.streaming_names
        if not call.streaming:
            for buffer in call.args_in_order:
                buffer.pieces.clear()
        else:
            call.public = self._make_tool_stream(call)
            self.outputs.append(call.public)

    def _emit_static(self, call: CallState) -> None:
        call.finished = True
        arguments = call.parsed_arguments(self._provider)
        tool_call = TokiToolCall(
            id=cast(str, call.id), function=TokiToolFunction(name=cast(str, call.name), arguments=arguments)
        )
        call.public = tool_call
        self.outputs.append(tool_call)

    def _finish_call(self, call: CallState) -> None:
        """Close a call for good: it must be complete, or it is reported truncated."""
        if call.finished:
            return
        held = call.joiner.flush()
        if held:
            self._feed_arguments(call, held)
        if call.name is None:
            self._truncate(call, "the tool call never received a name")
        if not call.announced:
            self._announce(call)
            if call.finished:
                return
        splitter = call.splitter
        if not splitter.closed:
            if splitter.started:
                self._truncate(call, "the stream ended inside the arguments")
            # No arguments at all means an empty arguments object.
            if call.streaming:
                call.finished = True
                return
        if call.streaming:
            call.parsed_arguments(self._provider)  # validates the text; raises on bad JSON
            call.finished = True
        else:
            self._emit_static(call)

    def _truncate(self, call: CallState, why: str) -> None:
        error = TokiToolCallTruncatedError(
            f"tool call {call.name!r} is incomplete: {why}; it must not be executed",
            tool_name=call.name,
            tool_call_id=call.id or "",
            partial_arguments=call.splitter.text,
            provider=self._provider,
        )
        call.error = error
        call.finished = True
        for buffer in call.args_in_order:
            buffer.done = True
        raise error

    def finish(self) -> None:
        """The stream has ended normally: close every call and flush held characters."""
        if self.ended:
            return
        self.ended = True
        tail = self._content_joiner.flush()
        if tail:
            self._content.append(tail)
            self.outputs.append(tail)
        tail = self._thought_joiner.flush()
        if tail and self._capture_thinking:
            self._thought.append(tail)
            self.outputs.append(TokiThinking(tail))
        for call in self._calls:
            self._finish_call(call)

    def fail_open_calls(self, error: BaseException) -> None:
        """The stream broke: mark every unfinished call so its readers raise instead of waiting."""
        for call in self._calls:
            if not call.finished:
                call.finished = True
                call.error = error if isinstance(error, Exception) else RuntimeError("stream closed")
                for buffer in call.args_in_order:
                    buffer.done = True

    def public_calls(self) -> list[Any]:
        """The calls handed out (``TokiToolCall`` or tool-call streams), in order, excluding failed ones."""
        return [call.public for call in self._calls if call.error is None and call.public is not None]

    def result(self) -> TurnResult:
        """The assembled turn; call after :meth:`finish`."""
        calls: list[TokiToolCall] = []
        for call in self._calls:
            if call.error is not None:
                continue
            if isinstance(call.public, TokiToolCall):
                calls.append(call.public)
                continue
            arguments = call.parsed_arguments(self._provider)
            calls.append(
                TokiToolCall(
                    id=cast(str, call.id), function=TokiToolFunction(name=cast(str, call.name), arguments=arguments)
                )
            )
        finish_reason = self.finish_reason
        if finish_reason is None:
            finish_reason = "tool_calls" if calls else "stop"
        return TurnResult(
            content="".join(self._content),
            thought="".join(self._thought),
            tool_calls=calls,
            usage=self._usage,
            finish_reason=finish_reason,
        )


def raw_turn_events(turn: _RawTurn) -> list[RawChunk]:
    """Replay a blocking ``_RawTurn`` as the events a stream would have carried."""
    events: list[RawChunk] = []
    if turn.thought:
        events.append(_RawThoughtChunk(turn.thought))
    if turn.content:
        events.append(_RawContentChunk(turn.content))
    for index, call in enumerate(turn.tool_calls):
        arguments = call.arguments
        if isinstance(arguments, dict):
            arguments = json.dumps(arguments, ensure_ascii=False)
        events.append(_RawToolCallChunk(index=index, id=call.id, name=call.name, arguments_fragment=arguments or ""))
    if turn.usage is not None:
        events.append(turn.usage)
    if turn.finish_reason is not None:
        events.append(_RawFinish(turn.finish_reason))
    return events

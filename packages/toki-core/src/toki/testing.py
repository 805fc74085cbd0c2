"""A scripted model for testing agent code offline.

:class:`ScriptedModel` replays turns you script (text, thinking, tool calls with arguments in
fragments, usage, finish reasons, errors) through toki's real engine, sync and async,
blocking and streaming, and records every request it received::

    from toki import Agent
    from toki.testing import ScriptedModel, ScriptedToolCall, ScriptedTurn

    model = ScriptedModel([
        ScriptedTurn(tool_calls=[ScriptedToolCall("get_weather", {"city": "Paris"})]),
        "It is sunny in Paris.",
    ])
    agent = Agent(model, tools=[GET_WEATHER])

:func:`call_in_mode` makes one call on the sync or the async path, so a backend's tests can
assert each behaviour on both with the same code.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from toki.errors import TokiError
from toki.messages import normalize_messages
from toki.model import BaseModel, Messages, MixedTools, WireTools
from toki.raw_events import (
    RawChunk,
    _RawContentChunk,
    _RawFinish,
    _RawThoughtChunk,
    _RawToolCall,
    _RawToolCallChunk,
    _RawTurn,
    _RawUsage,
)
from toki.retry import RetryPolicy
from toki.types import FinishReason, TokiMessage, TokiUsageMetadata

__all__ = [
    "ScriptExhaustedError",
    "ScriptedModel",
    "ScriptedRequest",
    "ScriptedToolCall",
    "CallMode",
    "ScriptedTurn",
    "call_in_mode",
]


class ScriptExhaustedError(TokiError):
    """The scripted model was called more often than turns were scripted."""


@dataclass(frozen=True)
class ScriptedToolCall:
    """A tool call the scripted model will make.

    ``arguments`` may be a dict or raw JSON text (to script malformed or truncated arguments);
    when streaming, the text is sent in pieces of ``fragment_size`` characters.
    """

    name: str
    arguments: Mapping[str, Any] | str = field(default_factory=lambda: dict[str, Any]())
    id: str | None = None
    fragment_size: int = 8

    def arguments_text(self) -> str:
        """The arguments as JSON text."""
        return self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments, ensure_ascii=False)


@dataclass(frozen=True)
class ScriptedTurn:
    """One scripted assistant turn.

    Attributes:
        content: the answer text.
        thinking: reasoning text, sent before the answer.
        tool_calls: tool calls, sent after the answer text.
        usage: the usage to report; by default a word count of prompt and reply.
        finish_reason: the finish reason to report; by default ``tool_calls`` or ``stop``.
        chunk_size: characters per streamed text chunk.
        error: raised instead of completing (streaming: after ``error_after`` events).
        error_after: how many raw events to stream before raising ``error``.
        events: explicit raw events to stream; overrides everything above except ``error``.
    """

    content: str = ""
    thinking: str = ""
    tool_calls: Sequence[ScriptedToolCall] = ()
    usage: TokiUsageMetadata | None = None
    finish_reason: FinishReason | None = None
    chunk_size: int = 4
    error: Exception | None = None
    error_after: int = 0
    events: Sequence[RawChunk] | None = None


@dataclass(frozen=True)
class ScriptedRequest:
    """What one call to the scripted model received."""

    messages: list[TokiMessage]
    tools: WireTools | None
    stream: bool
    capture_thinking: bool
    kwargs: dict[str, Any]


def _pieces(text: str, size: int) -> Iterator[str]:
    size = max(1, size)
    for start in range(0, len(text), size):
        yield text[start : start + size]


def _words(messages: Iterable[TokiMessage]) -> int:
    return sum(len((message.content or "").split()) for message in messages)


class ScriptedModel(BaseModel):
    """A model that replays scripted turns, one per call, through toki's real engine.

    Args:
        turns: the turns to play, in order; a plain string is a text-only turn.
        model: the model id it reports.
        allow_parallel_tool_calls: as on every backend.
        supports_thinking: what it claims about thinking support (``None`` means unknown).
        supports_tools: what it claims about tool support (``None`` means unknown).
        max_retries: retries of retryable scripted errors (0 by default); retries are immediate.

    Attributes:
        requests: every request received, in order.
    """

    provider = "scripted"

    def __init__(
        self,
        turns: Iterable[ScriptedTurn | str] = (),
        *,
        model: str = "scripted",
        allow_parallel_tool_calls: bool = False,
        supports_thinking: bool | None = True,
        supports_tools: bool | None = True,
        max_retries: int = 0,
    ) -> None:
        super().__init__(model, allow_parallel_tool_calls=allow_parallel_tool_calls)
        # No retries by default: a scripted error should surface as scripted. Set max_retries
        # to exercise your code against toki's retry policy (each retry plays the next turn).
        self.retry_policy = RetryPolicy(max_retries=max_retries, initial_delay=0.0, max_delay=0.0)
        self._turns: list[ScriptedTurn] = [ScriptedTurn(content=t) if isinstance(t, str) else t for t in turns]
        self._thinking = supports_thinking
        self._tools = supports_tools
        self.requests: list[ScriptedRequest] = []

    def add_turn(self, turn: ScriptedTurn | str) -> None:
        """Script one more turn."""
        self._turns.append(ScriptedTurn(content=turn) if isinstance(turn, str) else turn)

    @property
    def remaining_turns(self) -> int:
        """How many scripted turns have not been played yet."""
        return len(self._turns)

    def _supports_thinking(self) -> bool | None:
        return self._thinking

    def _supports_tools(self) -> bool | None:
        return self._tools

    def _next_turn(
        self,
        messages: list[TokiMessage],
        tools: WireTools | None,
        stream: bool,
        capture_thinking: bool,
        kwargs: dict[str, Any],
    ) -> ScriptedTurn:
        self.requests.append(ScriptedRequest(list(messages), tools, stream, capture_thinking, dict(kwargs)))
        if not self._turns:
            raise ScriptExhaustedError(
                f"ScriptedModel was called {len(self.requests)} times but only "
                f"{len(self.requests) - 1} turns were scripted; add more with add_turn()",
                provider=self.provider,
            )
        return self._turns.pop(0)

    def _usage(self, messages: list[TokiMessage], turn: ScriptedTurn) -> _RawUsage:
        if turn.usage is not None:
            u = turn.usage
            return _RawUsage(
                u.prompt_tokens,
                u.completion_tokens,
                u.total_tokens,
                u.cache_read_tokens,
                u.cache_write_tokens,
                u.reasoning_tokens,
            )
        prompt = _words(messages)
        completion = len(turn.content.split()) + len(turn.thinking.split())
        return _RawUsage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)

    def _events(self, messages: list[TokiMessage], turn: ScriptedTurn) -> list[RawChunk]:
        if turn.events is not None:
            return list(turn.events)
        events: list[RawChunk] = [_RawThoughtChunk(p) for p in _pieces(turn.thinking, turn.chunk_size)]
        events.extend(_RawContentChunk(p) for p in _pieces(turn.content, turn.chunk_size))
        for index, call in enumerate(turn.tool_calls):
            text = call.arguments_text()
            fragments = list(_pieces(text, call.fragment_size)) or [""]
            events.append(_RawToolCallChunk(index=index, id=call.id, name=call.name, arguments_fragment=fragments[0]))
            events.extend(_RawToolCallChunk(index=index, arguments_fragment=f) for f in fragments[1:])
        events.append(self._usage(messages, turn))
        events.append(_RawFinish(turn.finish_reason or ("tool_calls" if turn.tool_calls else "stop")))
        return events

    def _blocking_turn(self, messages: list[TokiMessage], turn: ScriptedTurn) -> _RawTurn:
        if turn.error is not None:
            raise turn.error
        if turn.events is not None:
            raise TokiError("a ScriptedTurn with explicit events can only be streamed", provider=self.provider)
        return _RawTurn(
            content=turn.content,
            tool_calls=[_RawToolCall(id=c.id, name=c.name, arguments=c.arguments_text()) for c in turn.tool_calls],
            thought=turn.thinking or None,
            usage=self._usage(messages, turn),
            finish_reason=turn.finish_reason or ("tool_calls" if turn.tool_calls else "stop"),
        )

    def _stream(self, messages: list[TokiMessage], turn: ScriptedTurn) -> Iterator[RawChunk]:
        for position, event in enumerate(self._events(messages, turn)):
            if turn.error is not None and position == turn.error_after:
                raise turn.error
            yield event
        if turn.error is not None:
            raise turn.error

    def _raw_blocking(
        self, messages: list[TokiMessage], tools: WireTools | None, *, capture_thinking: bool, **kwargs: Any
    ) -> _RawTurn:
        turn = self._next_turn(messages, tools, False, capture_thinking, kwargs)
        return self._blocking_turn(messages, turn)

    def _raw_streaming(
        self, messages: list[TokiMessage], tools: WireTools | None, *, capture_thinking: bool, **kwargs: Any
    ) -> Iterator[RawChunk]:
        turn = self._next_turn(messages, tools, True, capture_thinking, kwargs)
        return self._stream(messages, turn)

    async def _araw_blocking(
        self, messages: list[TokiMessage], tools: WireTools | None, *, capture_thinking: bool, **kwargs: Any
    ) -> _RawTurn:
        return self._raw_blocking(messages, tools, capture_thinking=capture_thinking, **kwargs)

    async def _araw_streaming(
        self, messages: list[TokiMessage], tools: WireTools | None, *, capture_thinking: bool, **kwargs: Any
    ) -> AsyncIterator[RawChunk]:
        for event in self._raw_streaming(messages, tools, capture_thinking=capture_thinking, **kwargs):
            yield event

    def count_tokens(
        self, messages: Messages, *, tools: MixedTools | None = None, kind: Literal["exact"] = "exact"
    ) -> int:
        """Count prompt "tokens" as whitespace-separated words (deterministic, for tests)."""
        if kind != "exact":
            raise ValueError(f"kind={kind!r} is not supported by ScriptedModel; use 'exact'")
        del tools
        return _words(normalize_messages(messages))

    async def acount_tokens(
        self, messages: Messages, *, tools: MixedTools | None = None, kind: Literal["exact"] = "exact"
    ) -> int:
        """Async :meth:`count_tokens`."""
        return self.count_tokens(messages, tools=tools, kind=kind)


#: The path :func:`call_in_mode` takes.
CallMode = Literal["sync", "async"]


def call_in_mode(
    mode: CallMode,
    model: BaseModel,
    messages: Messages,
    tools: MixedTools | None = None,
    *,
    stream: bool = False,
    **kwargs: Any,
) -> Any:
    """Make one ``complete`` call on the sync or the async path and return what it gave.

    A stream comes back as the list of its chunks. The async path runs in a fresh event loop
    (``asyncio.run``) and, before that loop ends, awaits the model's ``aclose()`` if it has one,
    so no connection outlives its loop.
    """
    if mode == "sync":
        result: Any = model.complete(messages, tools, stream=stream, **kwargs)
        return list(result) if stream else result
    if mode != "async":
        raise ValueError(f"mode must be 'sync' or 'async', got {mode!r}")
    import asyncio  # here: importing toki.testing must stay cheap

    async def call() -> Any:
        try:
            if stream:
                chunks: Any = model.acomplete(messages, tools, stream=True, **kwargs)
                return [chunk async for chunk in chunks]
            pending: Any = model.acomplete(messages, tools, **kwargs)
            return await pending
        finally:
            aclose = getattr(model, "aclose", None)
            if aclose is not None:
                await aclose()

    return asyncio.run(call())

"""``BaseModel``: the interface every backend implements, and the backend contract behind it.

A backend subclasses :class:`BaseModel` and implements two methods:

* ``_raw_blocking(messages, tools, *, capture_thinking, **kwargs) -> _RawTurn``
* ``_raw_streaming(messages, tools, *, capture_thinking, **kwargs) -> Iterator[RawChunk]``

``messages`` arrive validated (a list of :class:`~toki.types.TokiMessage`), ``tools`` as
wire-ready OpenAI-style schema dicts (or ``None``). Everything else (the public overloads,
typed responses, the tool-call assembly, streaming tool arguments, warnings, usage) is done
here and in :mod:`toki.engine`. For ``acomplete`` a backend may also implement the native
async pair ``_araw_blocking`` / ``_araw_streaming``; if it does not, toki runs the sync methods
in a worker thread (``asyncio.to_thread``), which is correct but holds a thread per call.
"""

from __future__ import annotations

import contextlib
import warnings
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Coroutine, Generator, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal, overload

from toki.drivers import drive_async, drive_sync, new_async_pump, new_sync_pump
from toki.engine import StreamEngine, TurnResult, raw_turn_events
from toki.errors import TokiResponseError
from toki.messages import MessageLike, normalize_messages
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
from toki.retry import RetryPolicy, acall_with_retries, astream_with_retries, call_with_retries, stream_with_retries
from toki.timeouts import Timeouts, start_call_deadline
from toki.tool_schemas import ToolSet
from toki.tool_streams import AsyncTokiToolCallStream, TokiToolCallStream
from toki.types import (
    FinishReason,
    StreamingToolSchema,
    TokenCountEstimate,
    TokiMessage,
    TokiThinking,
    TokiThoughtResponse,
    TokiToolCall,
    TokiToolsResponse,
    TokiToolsThoughtResponse,
    TokiUsageMetadata,
    ToolSchema,
)
from toki.warnings import TokiThinkingSupportWarning

if TYPE_CHECKING:
    from toki.engine import CallState

__all__ = [
    "BaseModel",
    "Messages",
    "MixedTools",
    "RawChunk",
    "StaticTools",
    "StreamingTools",
    "_RawContentChunk",
    "_RawFinish",
    "_RawThoughtChunk",
    "_RawToolCall",
    "_RawToolCallChunk",
    "_RawTurn",
    "_RawUsage",
]

#: A conversation: ``TokiMessage`` objects or OpenAI-style dicts.
Messages = Sequence[MessageLike]
#: Tools whose calls arrive whole.
StaticTools = Sequence[ToolSchema | Mapping[str, Any]]
#: Tools whose calls stream their arguments.
StreamingTools = Sequence[StreamingToolSchema]
#: Any mix of the two.
MixedTools = Sequence[ToolSchema | Mapping[str, Any] | StreamingToolSchema]

WireTools = list[dict[str, Any]]


class BaseModel(ABC):
    """A language model behind one provider; stateless: each call gets the whole conversation.

    Attributes:
        model: the provider's model id.
        allow_parallel_tool_calls: whether the model may request several tools at once.
        last_usage: token usage of the most recent completed call on this instance.
        last_finish_reason: why the most recent completed call ended.
    """

    #: Short backend name used in errors and warnings (``"openrouter"``...).
    provider: ClassVar[str | None] = None

    # Class-level defaults keep subclasses working even if they skip ``super().__init__``.
    model: str = ""
    allow_parallel_tool_calls: bool = False
    last_usage: TokiUsageMetadata | None = None
    last_finish_reason: FinishReason | None = None
    #: Retries of transient failures (see :mod:`toki.retry`); backends set it from ``max_retries``.
    retry_policy: RetryPolicy = RetryPolicy()
    #: Time limits of each call (see :mod:`toki.timeouts`); backends set it from ``timeout``.
    timeouts: Timeouts = Timeouts()
    _thinking_warned: bool = False
    # Set by Agent once it has warned that this model does not support tools (the spec makes
    # agent-construction checks one-shot; they used to warn on every Agent(...)).
    _tools_warned: bool = False

    def __init__(self, model: str, *, allow_parallel_tool_calls: bool = False) -> None:
        self.model = model
        self.allow_parallel_tool_calls = allow_parallel_tool_calls

    # ------------------------------------------------------------------ backend contract

    @abstractmethod
    def _raw_blocking(
        self, messages: list[TokiMessage], tools: WireTools | None, *, capture_thinking: bool, **kwargs: Any
    ) -> _RawTurn:
        """Make one non-streaming call and return the whole turn."""

    @abstractmethod
    def _raw_streaming(
        self, messages: list[TokiMessage], tools: WireTools | None, *, capture_thinking: bool, **kwargs: Any
    ) -> Iterator[RawChunk]:
        """Make one streaming call and yield raw events as they arrive.

        Release the provider's response in a ``finally`` (toki closes the iterator whenever the
        caller stops early).
        """

    async def _araw_blocking(
        self, messages: list[TokiMessage], tools: WireTools | None, *, capture_thinking: bool, **kwargs: Any
    ) -> _RawTurn:
        """Async twin of ``_raw_blocking``; the default runs the sync method in a worker thread."""
        import asyncio

        return await asyncio.to_thread(
            lambda: self._raw_blocking(messages, tools, capture_thinking=capture_thinking, **kwargs)
        )

    def _araw_streaming(
        self, messages: list[TokiMessage], tools: WireTools | None, *, capture_thinking: bool, **kwargs: Any
    ) -> AsyncIterator[RawChunk]:
        """Async twin of ``_raw_streaming``; the default pulls the sync iterator from a worker thread."""
        return _iterate_in_thread(
            lambda: iter(self._raw_streaming(messages, tools, capture_thinking=capture_thinking, **kwargs))
        )

    def _supports_thinking(self) -> bool | None:
        """Whether this model surfaces thinking: ``True``, ``False``, or ``None`` when unknown."""
        return None

    def _supports_tools(self) -> bool | None:
        """Whether this model can call tools: ``True``, ``False``, or ``None`` when unknown."""
        return None

    def _before_call(self, tools: ToolSet | None, *, stream: bool, capture_thinking: bool) -> None:
        """Hook run before every call (after validation); the default emits the thinking-support warning."""
        del tools, stream
        if capture_thinking and not self._thinking_warned:
            support = self._supports_thinking()
            if support is not True:
                self._thinking_warned = True
                why = (
                    "does not produce thinking text"
                    if support is False
                    else "has no verified thinking support, so it may or may not produce thinking text"
                )
                warnings.warn(
                    f"capture_thinking=True, but {type(self).__name__}({self.model!r}) {why}",
                    TokiThinkingSupportWarning,
                    # user -> complete/execute/acomplete/aexecute -> _complete/_acomplete ->
                    # _prepare -> here: 5 points at the caller's line (4 pointed into toki).
                    stacklevel=5,
                )

    # ------------------------------------------------------------------ public API

    @overload
    def complete(
        self,
        messages: Messages,
        tools: None = None,
        *,
        stream: Literal[False] = False,
        capture_thinking: Literal[False] = False,
        **kwargs: Any,
    ) -> str: ...
    @overload
    def complete(
        self,
        messages: Messages,
        tools: None = None,
        *,
        stream: Literal[False] = False,
        capture_thinking: Literal[True],
        **kwargs: Any,
    ) -> TokiThoughtResponse: ...
    @overload
    def complete(
        self,
        messages: Messages,
        tools: None = None,
        *,
        stream: Literal[True],
        capture_thinking: Literal[False] = False,
        **kwargs: Any,
    ) -> Generator[str, None, None]: ...
    @overload
    def complete(
        self,
        messages: Messages,
        tools: None = None,
        *,
        stream: Literal[True],
        capture_thinking: Literal[True],
        **kwargs: Any,
    ) -> Generator[str | TokiThinking, None, None]: ...
    @overload
    def complete(  # pyright: ignore[reportOverlappingOverload]  # narrower first, on purpose
        self,
        messages: Messages,
        tools: StreamingTools,
        *,
        stream: Literal[False] = False,
        capture_thinking: Literal[False] = False,
        **kwargs: Any,
    ) -> str | TokiToolsResponse[TokiToolCallStream]: ...
    @overload
    def complete(  # pyright: ignore[reportOverlappingOverload]  # narrower first, on purpose
        self,
        messages: Messages,
        tools: StreamingTools,
        *,
        stream: Literal[False] = False,
        capture_thinking: Literal[True],
        **kwargs: Any,
    ) -> TokiThoughtResponse | TokiToolsThoughtResponse[TokiToolCallStream]: ...
    @overload
    def complete(
        self,
        messages: Messages,
        tools: StreamingTools,
        *,
        stream: Literal[True],
        capture_thinking: Literal[False] = False,
        **kwargs: Any,
    ) -> Generator[str | TokiToolCallStream, None, None]: ...
    @overload
    def complete(
        self,
        messages: Messages,
        tools: StreamingTools,
        *,
        stream: Literal[True],
        capture_thinking: Literal[True],
        **kwargs: Any,
    ) -> Generator[str | TokiThinking | TokiToolCallStream, None, None]: ...
    @overload
    def complete(
        self,
        messages: Messages,
        tools: StaticTools,
        *,
        stream: Literal[False] = False,
        capture_thinking: Literal[False] = False,
        **kwargs: Any,
    ) -> str | TokiToolsResponse[TokiToolCall]: ...
    @overload
    def complete(
        self,
        messages: Messages,
        tools: StaticTools,
        *,
        stream: Literal[False] = False,
        capture_thinking: Literal[True],
        **kwargs: Any,
    ) -> TokiThoughtResponse | TokiToolsThoughtResponse[TokiToolCall]: ...
    @overload
    def complete(
        self,
        messages: Messages,
        tools: StaticTools,
        *,
        stream: Literal[True],
        capture_thinking: Literal[False] = False,
        **kwargs: Any,
    ) -> Generator[str | TokiToolCall, None, None]: ...
    @overload
    def complete(
        self,
        messages: Messages,
        tools: StaticTools,
        *,
        stream: Literal[True],
        capture_thinking: Literal[True],
        **kwargs: Any,
    ) -> Generator[str | TokiThinking | TokiToolCall, None, None]: ...
    @overload
    def complete(
        self,
        messages: Messages,
        tools: MixedTools,
        *,
        stream: Literal[False] = False,
        capture_thinking: Literal[False] = False,
        **kwargs: Any,
    ) -> str | TokiToolsResponse[TokiToolCall | TokiToolCallStream]: ...
    @overload
    def complete(
        self,
        messages: Messages,
        tools: MixedTools,
        *,
        stream: Literal[False] = False,
        capture_thinking: Literal[True],
        **kwargs: Any,
    ) -> TokiThoughtResponse | TokiToolsThoughtResponse[TokiToolCall | TokiToolCallStream]: ...
    @overload
    def complete(
        self,
        messages: Messages,
        tools: MixedTools,
        *,
        stream: Literal[True],
        capture_thinking: Literal[False] = False,
        **kwargs: Any,
    ) -> Generator[str | TokiToolCall | TokiToolCallStream, None, None]: ...
    @overload
    def complete(
        self,
        messages: Messages,
        tools: MixedTools,
        *,
        stream: Literal[True],
        capture_thinking: Literal[True],
        **kwargs: Any,
    ) -> Generator[str | TokiThinking | TokiToolCall | TokiToolCallStream, None, None]: ...
    @overload
    def complete(
        self,
        messages: Messages,
        tools: MixedTools | None = None,
        *,
        stream: bool = False,
        capture_thinking: bool = False,
        **kwargs: Any,
    ) -> (
        str
        | TokiThoughtResponse
        | TokiToolsResponse[TokiToolCall | TokiToolCallStream]
        | Generator[str | TokiThinking | TokiToolCall | TokiToolCallStream, None, None]
    ): ...
    def complete(
        self,
        messages: Messages,
        tools: MixedTools | None = None,
        *,
        stream: bool = False,
        capture_thinking: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Produce the next assistant turn for ``messages``.

        Blocking (``stream=False``) returns the turn as one value; streaming returns a generator
        of chunks. The types depend on ``tools`` and ``capture_thinking`` (see the README's
        return-type tables). ``kwargs`` (``temperature``, ``max_tokens``...) go to the backend.
        """
        return self._complete(messages, tools, stream=stream, capture_thinking=capture_thinking, kwargs=kwargs)

    @overload
    def acomplete(
        self,
        messages: Messages,
        tools: None = None,
        *,
        stream: Literal[False] = False,
        capture_thinking: Literal[False] = False,
        **kwargs: Any,
    ) -> Coroutine[Any, Any, str]: ...
    @overload
    def acomplete(
        self,
        messages: Messages,
        tools: None = None,
        *,
        stream: Literal[False] = False,
        capture_thinking: Literal[True],
        **kwargs: Any,
    ) -> Coroutine[Any, Any, TokiThoughtResponse]: ...
    @overload
    def acomplete(
        self,
        messages: Messages,
        tools: None = None,
        *,
        stream: Literal[True],
        capture_thinking: Literal[False] = False,
        **kwargs: Any,
    ) -> AsyncGenerator[str, None]: ...
    @overload
    def acomplete(
        self,
        messages: Messages,
        tools: None = None,
        *,
        stream: Literal[True],
        capture_thinking: Literal[True],
        **kwargs: Any,
    ) -> AsyncGenerator[str | TokiThinking, None]: ...
    @overload
    def acomplete(  # pyright: ignore[reportOverlappingOverload]  # narrower first, on purpose
        self,
        messages: Messages,
        tools: StreamingTools,
        *,
        stream: Literal[False] = False,
        capture_thinking: Literal[False] = False,
        **kwargs: Any,
    ) -> Coroutine[Any, Any, str | TokiToolsResponse[AsyncTokiToolCallStream]]: ...
    @overload
    def acomplete(  # pyright: ignore[reportOverlappingOverload]  # narrower first, on purpose
        self,
        messages: Messages,
        tools: StreamingTools,
        *,
        stream: Literal[False] = False,
        capture_thinking: Literal[True],
        **kwargs: Any,
    ) -> Coroutine[Any, Any, TokiThoughtResponse | TokiToolsThoughtResponse[AsyncTokiToolCallStream]]: ...
    @overload
    def acomplete(
        self,
        messages: Messages,
        tools: StreamingTools,
        *,
        stream: Literal[True],
        capture_thinking: Literal[False] = False,
        **kwargs: Any,
    ) -> AsyncGenerator[str | AsyncTokiToolCallStream, None]: ...
    @overload
    def acomplete(
        self,
        messages: Messages,
        tools: StreamingTools,
        *,
        stream: Literal[True],
        capture_thinking: Literal[True],
        **kwargs: Any,
    ) -> AsyncGenerator[str | TokiThinking | AsyncTokiToolCallStream, None]: ...
    @overload
    def acomplete(
        self,
        messages: Messages,
        tools: StaticTools,
        *,
        stream: Literal[False] = False,
        capture_thinking: Literal[False] = False,
        **kwargs: Any,
    ) -> Coroutine[Any, Any, str | TokiToolsResponse[TokiToolCall]]: ...
    @overload
    def acomplete(
        self,
        messages: Messages,
        tools: StaticTools,
        *,
        stream: Literal[False] = False,
        capture_thinking: Literal[True],
        **kwargs: Any,
    ) -> Coroutine[Any, Any, TokiThoughtResponse | TokiToolsThoughtResponse[TokiToolCall]]: ...
    @overload
    def acomplete(
        self,
        messages: Messages,
        tools: StaticTools,
        *,
        stream: Literal[True],
        capture_thinking: Literal[False] = False,
        **kwargs: Any,
    ) -> AsyncGenerator[str | TokiToolCall, None]: ...
    @overload
    def acomplete(
        self,
        messages: Messages,
        tools: StaticTools,
        *,
        stream: Literal[True],
        capture_thinking: Literal[True],
        **kwargs: Any,
    ) -> AsyncGenerator[str | TokiThinking | TokiToolCall, None]: ...
    @overload
    def acomplete(
        self,
        messages: Messages,
        tools: MixedTools,
        *,
        stream: Literal[False] = False,
        capture_thinking: Literal[False] = False,
        **kwargs: Any,
    ) -> Coroutine[Any, Any, str | TokiToolsResponse[TokiToolCall | AsyncTokiToolCallStream]]: ...
    @overload
    def acomplete(
        self,
        messages: Messages,
        tools: MixedTools,
        *,
        stream: Literal[False] = False,
        capture_thinking: Literal[True],
        **kwargs: Any,
    ) -> Coroutine[
        Any, Any, TokiThoughtResponse | TokiToolsThoughtResponse[TokiToolCall | AsyncTokiToolCallStream]
    ]: ...
    @overload
    def acomplete(
        self,
        messages: Messages,
        tools: MixedTools,
        *,
        stream: Literal[True],
        capture_thinking: Literal[False] = False,
        **kwargs: Any,
    ) -> AsyncGenerator[str | TokiToolCall | AsyncTokiToolCallStream, None]: ...
    @overload
    def acomplete(
        self,
        messages: Messages,
        tools: MixedTools,
        *,
        stream: Literal[True],
        capture_thinking: Literal[True],
        **kwargs: Any,
    ) -> AsyncGenerator[str | TokiThinking | TokiToolCall | AsyncTokiToolCallStream, None]: ...
    @overload
    def acomplete(
        self,
        messages: Messages,
        tools: MixedTools | None = None,
        *,
        stream: bool = False,
        capture_thinking: bool = False,
        **kwargs: Any,
    ) -> (
        Coroutine[Any, Any, str | TokiThoughtResponse | TokiToolsResponse[TokiToolCall | AsyncTokiToolCallStream]]
        | AsyncGenerator[str | TokiThinking | TokiToolCall | AsyncTokiToolCallStream, None]
    ): ...
    def acomplete(
        self,
        messages: Messages,
        tools: MixedTools | None = None,
        *,
        stream: bool = False,
        capture_thinking: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Async :meth:`complete`: a coroutine when blocking, an async generator when streaming."""
        return self._acomplete(messages, tools, stream=stream, capture_thinking=capture_thinking, kwargs=kwargs)

    def count_tokens(
        self, messages: Messages, *, tools: MixedTools | None = None, kind: Literal["exact"] = "exact"
    ) -> int | TokenCountEstimate:
        """Count the prompt tokens ``messages`` (and ``tools``) would cost.

        The default, for custom backends, makes a ``max_tokens=1`` blocking call and reads the
        prompt tokens from its usage; backends override it with their best method.
        """
        _check_kind(kind, ("exact",))
        normalized = normalize_messages(messages)
        toolset = ToolSet.from_tools(tools)
        start_call_deadline(self.timeouts)
        turn = self._raw_blocking(normalized, _wire(toolset), capture_thinking=False, max_tokens=1)
        return _prompt_tokens(turn, self)

    async def acount_tokens(
        self, messages: Messages, *, tools: MixedTools | None = None, kind: Literal["exact"] = "exact"
    ) -> int | TokenCountEstimate:
        """Async :meth:`count_tokens`; the default runs it in a worker thread."""
        import asyncio

        return await asyncio.to_thread(lambda: self.count_tokens(messages, tools=tools, kind=kind))

    # ------------------------------------------------------------------ shared machinery

    def _prepare(
        self, messages: Messages, tools: MixedTools | None, *, stream: bool, capture_thinking: bool
    ) -> tuple[list[TokiMessage], ToolSet | None]:
        normalized = normalize_messages(messages)
        toolset = ToolSet.from_tools(tools)
        self._before_call(toolset, stream=stream, capture_thinking=capture_thinking)
        return normalized, toolset

    def _finisher(self, on_complete: Callable[[TurnResult], None] | None) -> Callable[[TurnResult], None]:
        def finish(result: TurnResult) -> None:
            self.last_usage = result.usage
            self.last_finish_reason = result.finish_reason
            if on_complete is not None:
                on_complete(result)

        return finish

    def _complete(
        self,
        messages: Messages,
        tools: MixedTools | None,
        *,
        stream: bool,
        capture_thinking: bool,
        kwargs: dict[str, Any],
        on_complete: Callable[[TurnResult], None] | None = None,
    ) -> Any:
        normalized, toolset = self._prepare(messages, tools, stream=stream, capture_thinking=capture_thinking)
        # Once per call, before the first attempt: every attempt and retry shares the deadline.
        deadline = start_call_deadline(self.timeouts)
        finish = self._finisher(on_complete)
        if stream:
            wire = _wire(toolset)
            source = stream_with_retries(
                self.retry_policy,
                lambda: iter(self._raw_streaming(normalized, wire, capture_thinking=capture_thinking, **kwargs)),
                deadline=deadline,
            )
            pump = new_sync_pump(
                source,
                tools=toolset,
                capture_thinking=capture_thinking,
                allow_parallel_tool_calls=self.allow_parallel_tool_calls,
                provider=self.provider,
            )
            return drive_sync(pump, finish)
        wire = _wire(toolset)
        turn = call_with_retries(
            self.retry_policy,
            lambda: self._raw_blocking(normalized, wire, capture_thinking=capture_thinking, **kwargs),
            deadline=deadline,
        )
        return self._respond(turn, toolset, capture_thinking, finish, lambda call: TokiToolCallStream(call, _no_more))

    def _acomplete(
        self,
        messages: Messages,
        tools: MixedTools | None,
        *,
        stream: bool,
        capture_thinking: bool,
        kwargs: dict[str, Any],
        on_complete: Callable[[TurnResult], None] | None = None,
    ) -> Any:
        normalized, toolset = self._prepare(messages, tools, stream=stream, capture_thinking=capture_thinking)
        # Once per call, before the first attempt: every attempt and retry shares the deadline.
        deadline = start_call_deadline(self.timeouts)
        finish = self._finisher(on_complete)
        if stream:
            wire = _wire(toolset)
            source = astream_with_retries(
                self.retry_policy,
                lambda: aiter(self._araw_streaming(normalized, wire, capture_thinking=capture_thinking, **kwargs)),
                deadline=deadline,
            )
            pump = new_async_pump(
                source,
                tools=toolset,
                capture_thinking=capture_thinking,
                allow_parallel_tool_calls=self.allow_parallel_tool_calls,
                provider=self.provider,
            )
            return drive_async(pump, finish)

        async def blocking() -> Any:
            wire = _wire(toolset)
            turn = await acall_with_retries(
                self.retry_policy,
                lambda: self._araw_blocking(normalized, wire, capture_thinking=capture_thinking, **kwargs),
                deadline=deadline,
            )
            return self._respond(
                turn, toolset, capture_thinking, finish, lambda call: AsyncTokiToolCallStream(call, _ano_more)
            )

        return blocking()

    def _respond(
        self,
        turn: _RawTurn,
        toolset: ToolSet | None,
        capture_thinking: bool,
        finish: Callable[[TurnResult], None],
        make_tool_stream: Callable[[CallState], object],
    ) -> Any:
        """Build a blocking response by running the turn through the same engine as a stream."""
        engine = StreamEngine(
            tools=toolset,
            capture_thinking=capture_thinking,
            allow_parallel_tool_calls=self.allow_parallel_tool_calls,
            make_tool_stream=make_tool_stream,
            provider=self.provider,
        )
        for event in raw_turn_events(turn):
            engine.feed(event)
        engine.finish()
        result = engine.result()
        calls = engine.public_calls()
        finish(result)
        if calls:
            if capture_thinking:
                return TokiToolsThoughtResponse(content=result.content, tool_calls=calls, thought=result.thought)
            return TokiToolsResponse(content=result.content, tool_calls=calls)
        if capture_thinking:
            return TokiThoughtResponse(content=result.content, thought=result.thought)
        return result.content


def _wire(toolset: ToolSet | None) -> WireTools | None:
    return [dict(schema) for schema in toolset.schemas] if toolset is not None else None


def _no_more() -> bool:
    return False


async def _ano_more() -> bool:
    return False


def _check_kind(kind: str, supported: Sequence[str]) -> None:
    if kind not in supported:
        raise ValueError(f"kind={kind!r} is not supported by this backend; use one of {list(supported)}")


def _prompt_tokens(turn: _RawTurn, model: BaseModel) -> int:
    if turn.usage is None or turn.usage.prompt_tokens is None:
        raise TokiResponseError(
            f"{type(model).__name__} did not report prompt tokens; override count_tokens() for this backend",
            provider=model.provider,
        )
    return turn.usage.prompt_tokens


async def _iterate_in_thread(make_iterator: Callable[[], Iterator[RawChunk]]) -> AsyncIterator[RawChunk]:
    """Drive a blocking iterator from worker threads, one ``next`` per hop (the documented fallback)."""
    import asyncio

    done = object()
    iterator = await asyncio.to_thread(make_iterator)
    try:
        while True:
            item = await asyncio.to_thread(next, iterator, done)
            if item is done:
                return
            yield item  # type: ignore[misc]
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            # ValueError: the generator is still running in the worker thread after a cancellation.
            with contextlib.suppress(ValueError):
                close()

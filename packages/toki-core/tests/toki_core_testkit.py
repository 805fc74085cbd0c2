"""Helpers shared by toki-core's test modules (a plain module: pytest does not collect it).

* tool schemas used throughout (``WEATHER``/``LOOKUP`` static, ``PATCH``/``NOTE`` streaming);
* runners that drive an ``Agent`` or a ``BaseModel`` through the sync or the async API and
  return plain lists, so one test body covers both (see the ``mode`` fixture in conftest);
* :class:`EventModel`, a custom backend implementing *only* ``_raw_blocking`` and
  ``_raw_streaming``, which plays scripted raw events and records how far it was pulled and
  whether its generator was finalised;
* :func:`run_engine`, which drives a bare :class:`~toki.engine.StreamEngine`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Coroutine, Generator, Iterator, Sequence
from typing import Any, Literal, cast

from toki.agent import Agent
from toki.engine import StreamEngine, TurnResult
from toki.model import BaseModel, Messages, MixedTools, WireTools
from toki.raw_events import RawChunk, _RawTurn
from toki.tool_schemas import ToolSet
from toki.tool_streams import AsyncTokiArgStream, AsyncTokiToolCallStream, TokiArgStream, TokiToolCallStream
from toki.types import (
    StreamingToolSchema,
    TokiMessage,
    TokiThoughtResponse,
    TokiToolsResponse,
    TokiToolsThoughtResponse,
    ToolSchema,
)

Mode = Literal["sync", "async"]
ToolStream = TokiToolCallStream | AsyncTokiToolCallStream
ArgStream = TokiArgStream | AsyncTokiArgStream
OnToolStream = Callable[[ToolStream], Awaitable[None]]


def schema(name: str, **properties: str) -> dict[str, Any]:
    """An OpenAI-style function schema whose parameters are ``properties`` (name -> JSON type)."""
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": f"the {name} tool",
            "parameters": {
                "type": "object",
                "properties": {key: {"type": kind} for key, kind in properties.items()},
                "required": list(properties),
            },
        },
    }


WEATHER = ToolSchema(schema("get_weather", city="string"))
LOOKUP = ToolSchema(schema("lookup", query="string"))
PATCH = StreamingToolSchema(schema("propose_patch", target="string", replacement="string"))
NOTE = StreamingToolSchema(schema("take_note", text="string", tags="array", priority="integer"))

USER: list[TokiMessage] = [TokiMessage(role="user", content="hello there")]


# ---------------------------------------------------------------------- running either way


async def _collect(
    mode: Mode,
    sync_call: Callable[[], object],
    async_call: Callable[[], object],
    on_tool_stream: OnToolStream | None,
    on_chunk: Callable[[object], None] | None = None,
) -> list[object]:
    chunks: list[object] = []
    if mode == "sync":
        generator = sync_call()
        assert isinstance(generator, Generator), f"stream=True returned {generator!r}"
        for chunk in cast(Generator[object, None, None], generator):
            chunks.append(chunk)
            if on_chunk is not None:
                on_chunk(chunk)
            if on_tool_stream is not None and isinstance(chunk, TokiToolCallStream):
                await on_tool_stream(chunk)
    else:
        agen = async_call()
        assert isinstance(agen, AsyncGenerator), f"stream=True returned {agen!r}"
        async for chunk in cast(AsyncGenerator[object, None], agen):
            chunks.append(chunk)
            if on_chunk is not None:
                on_chunk(chunk)
            if on_tool_stream is not None and isinstance(chunk, AsyncTokiToolCallStream):
                await on_tool_stream(chunk)
    return chunks


async def agent_stream(
    agent: Agent[Any],
    mode: Mode,
    *,
    capture_thinking: bool = False,
    on_tool_stream: OnToolStream | None = None,
    **kwargs: Any,
) -> list[object]:
    """All chunks of ``agent.execute(stream=True)`` (or ``aexecute``)."""
    return await _collect(
        mode,
        lambda: agent.execute(stream=True, capture_thinking=capture_thinking, **kwargs),
        lambda: agent.aexecute(stream=True, capture_thinking=capture_thinking, **kwargs),
        on_tool_stream,
    )


async def agent_blocking(agent: Agent[Any], mode: Mode, *, capture_thinking: bool = False, **kwargs: Any) -> object:
    """The value of ``agent.execute()`` (or ``await agent.aexecute()``)."""
    if mode == "sync":
        return agent.execute(capture_thinking=capture_thinking, **kwargs)
    coroutine = agent.aexecute(capture_thinking=capture_thinking, **kwargs)
    assert isinstance(coroutine, Coroutine), f"stream=False returned {coroutine!r}"
    return await cast(Coroutine[Any, Any, object], coroutine)


async def model_stream(
    model: BaseModel,
    mode: Mode,
    messages: Messages = USER,
    tools: MixedTools | None = None,
    *,
    capture_thinking: bool = False,
    on_tool_stream: OnToolStream | None = None,
    on_chunk: Callable[[object], None] | None = None,
    **kwargs: Any,
) -> list[object]:
    """All chunks of ``model.complete(stream=True)`` (or ``acomplete``); ``on_chunk`` sees each as it comes."""
    return await _collect(
        mode,
        lambda: model.complete(messages, tools, stream=True, capture_thinking=capture_thinking, **kwargs),
        lambda: model.acomplete(messages, tools, stream=True, capture_thinking=capture_thinking, **kwargs),
        on_tool_stream,
        on_chunk,
    )


async def model_blocking(
    model: BaseModel,
    mode: Mode,
    messages: Messages = USER,
    tools: MixedTools | None = None,
    *,
    capture_thinking: bool = False,
    **kwargs: Any,
) -> object:
    """The value of ``model.complete()`` (or ``await model.acomplete()``)."""
    if mode == "sync":
        return model.complete(messages, tools, capture_thinking=capture_thinking, **kwargs)
    coroutine = model.acomplete(messages, tools, capture_thinking=capture_thinking, **kwargs)
    assert isinstance(coroutine, Coroutine), f"stream=False returned {coroutine!r}"
    return await cast(Coroutine[Any, Any, object], coroutine)


# ---------------------------------------------------------------------- sync/async-neutral tool-stream ops


def expect(stream: ToolStream, name: str) -> ArgStream:
    return stream.expect_arg(name)


async def pieces(arg: ArgStream) -> list[str]:
    """Every piece an argument stream yields (from where it stands)."""
    if isinstance(arg, TokiArgStream):
        return list(arg)
    return [piece async for piece in arg]


async def first_pieces(arg: ArgStream, count: int) -> list[str]:
    """Read just ``count`` pieces, leaving the rest unread."""
    out: list[str] = []
    if isinstance(arg, TokiArgStream):
        iterator = iter(arg)
        for _ in range(count):
            out.append(next(iterator))
    else:
        aiterator = aiter(arg)
        for _ in range(count):
            out.append(await anext(aiterator))
    return out


async def value(arg: ArgStream) -> Any:
    if isinstance(arg, TokiArgStream):
        return arg.value
    return await arg.value()


async def arguments(stream: ToolStream) -> dict[str, Any]:
    if isinstance(stream, TokiToolCallStream):
        return stream.arguments
    return await stream.arguments()


async def items(stream: ToolStream) -> AsyncIterator[tuple[str, ArgStream]]:
    if isinstance(stream, TokiToolCallStream):
        for pair in stream.items():
            yield pair
    else:
        async for pair in stream.items():
            yield pair


# ---------------------------------------------------------------------- comparing results


def describe(chunk: object) -> object:
    """A chunk in a form comparable across sync and async (tool-call streams differ in class)."""
    if isinstance(chunk, (TokiToolCallStream, AsyncTokiToolCallStream)):
        return ("tool_stream", chunk.id, chunk.name)
    return chunk


def describe_response(response: object) -> object:
    """A blocking response in a form comparable across sync and async."""
    if isinstance(response, TokiToolsResponse):
        tools_response = cast(TokiToolsResponse[object], response)
        calls = [describe(call) for call in tools_response.tool_calls]
        thought = tools_response.thought if isinstance(tools_response, TokiToolsThoughtResponse) else None
        return (type(tools_response).__name__, tools_response.content, calls, thought)
    if isinstance(response, TokiThoughtResponse):
        return ("TokiThoughtResponse", response.content, response.thought)
    return response


def tool_calls_of(response: object) -> list[object]:
    """The ``tool_calls`` of a blocking response, which must be a ``TokiToolsResponse``."""
    assert isinstance(response, TokiToolsResponse), f"expected a tools response, got {response!r}"
    return list(cast(TokiToolsResponse[object], response).tool_calls)


# ---------------------------------------------------------------------- a custom backend

#: Put in an event list: the async-native source waits forever there (until cancelled).
HANG = object()


class EventModel(BaseModel):
    """A custom backend implementing only the two abstract methods: it plays scripted raw events.

    Each turn is a ``_RawTurn`` (for blocking calls) or a list of raw events (for streaming
    calls); an exception instance in the list is raised when reached.

    Attributes:
        pulled: how many events the current stream has handed out.
        finalized: how many stream generators have run their ``finally`` (closed or exhausted).
        requests: ``(messages, tools, capture_thinking, kwargs)`` per call.
        threads: the thread each call's work ran in.
    """

    provider = "events"

    def __init__(
        self,
        *turns: _RawTurn | Sequence[object],
        allow_parallel_tool_calls: bool = True,
        supports_thinking: bool | None = True,
    ) -> None:
        super().__init__("event-model", allow_parallel_tool_calls=allow_parallel_tool_calls)
        self.turns: list[_RawTurn | Sequence[object]] = list(turns)
        self.pulled = 0
        self.finalized = 0
        self.requests: list[tuple[list[TokiMessage], WireTools | None, bool, dict[str, Any]]] = []
        self.threads: list[int] = []
        self._thinking = supports_thinking

    def _supports_thinking(self) -> bool | None:
        return self._thinking

    def _next(
        self, messages: list[TokiMessage], tools: WireTools | None, capture_thinking: bool, kwargs: dict[str, Any]
    ) -> _RawTurn | Sequence[object]:
        self.requests.append((messages, tools, capture_thinking, kwargs))
        return self.turns.pop(0)

    def _raw_blocking(
        self, messages: list[TokiMessage], tools: WireTools | None, *, capture_thinking: bool, **kwargs: Any
    ) -> _RawTurn:
        self.threads.append(threading.get_ident())
        turn = self._next(messages, tools, capture_thinking, kwargs)
        assert isinstance(turn, _RawTurn), "this turn was scripted for streaming"
        return turn

    def _raw_streaming(
        self, messages: list[TokiMessage], tools: WireTools | None, *, capture_thinking: bool, **kwargs: Any
    ) -> Iterator[RawChunk]:
        turn = self._next(messages, tools, capture_thinking, kwargs)
        assert not isinstance(turn, _RawTurn), "this turn was scripted for blocking"
        self.pulled = 0
        return self._play(list(turn))

    def _play(self, events: list[object]) -> Iterator[RawChunk]:
        self.threads.append(threading.get_ident())
        try:
            for event in events:
                if isinstance(event, BaseException):
                    raise event
                self.pulled += 1
                yield cast(RawChunk, event)
        finally:
            self.finalized += 1


class AsyncEventModel(EventModel):
    """:class:`EventModel` with a native async stream; :data:`HANG` in the events waits forever.

    Like a network source, it suspends (``await asyncio.sleep(0)``) before every event, so
    concurrent readers really interleave.
    """

    def _araw_streaming(
        self, messages: list[TokiMessage], tools: WireTools | None, *, capture_thinking: bool, **kwargs: Any
    ) -> AsyncIterator[RawChunk]:
        turn = self._next(messages, tools, capture_thinking, kwargs)
        assert not isinstance(turn, _RawTurn)
        self.pulled = 0
        return self._aplay(list(turn))

    async def _aplay(self, events: list[object]) -> AsyncIterator[RawChunk]:
        try:
            for event in events:
                await asyncio.sleep(0)
                if event is HANG:
                    await asyncio.Event().wait()
                if isinstance(event, BaseException):
                    raise event
                self.pulled += 1
                yield cast(RawChunk, event)
        finally:
            self.finalized += 1


# ---------------------------------------------------------------------- the bare engine


def run_engine(
    events: Sequence[RawChunk],
    *,
    tools: MixedTools | None = None,
    capture_thinking: bool = False,
    allow_parallel_tool_calls: bool = True,
) -> tuple[list[object], TurnResult]:
    """Feed ``events`` to a fresh engine, then finish it; returns (outputs in order, result)."""
    engine = StreamEngine(
        tools=ToolSet.from_tools(tools),
        capture_thinking=capture_thinking,
        allow_parallel_tool_calls=allow_parallel_tool_calls,
        make_tool_stream=lambda call: TokiToolCallStream(call, lambda: False),
        provider="test",
    )
    outputs: list[object] = []
    for event in events:
        engine.feed(event)
        outputs.extend(engine.outputs)
        engine.outputs.clear()
    engine.finish()
    outputs.extend(engine.outputs)
    return outputs, engine.result()

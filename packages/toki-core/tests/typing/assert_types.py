"""Static checks of the return-type tables in the spec ("Return types of complete() and execute()").

Not a test module: nothing here runs. ``pyright`` (strict, configured in the workspace's
pyproject) proves each ``assert_type`` line, so a wrong overload fails the type check::

    uv run pyright packages/toki-core/tests/typing

One function per entry point; inside each, one block per tools shape (none, ``ToolSchema``
only, ``StreamingToolSchema`` only, mixed) covering both ``stream`` values and both
``capture_thinking`` values: every cell of both tables.
"""

# Nothing here runs: the coroutines assert_type inspects are never awaited on purpose.
# pyright: reportUnusedCoroutine=false

from __future__ import annotations

from collections.abc import AsyncGenerator, Coroutine, Generator
from typing import Any

from toki import (
    Agent,
    AsyncTokiToolCallStream,
    BaseModel,
    StreamingToolSchema,
    TokiMessage,
    TokiThinking,
    TokiThoughtResponse,
    TokiToolCall,
    TokiToolCallStream,
    TokiToolsResponse,
    TokiToolsThoughtResponse,
    ToolSchema,
    WithMixedTools,
    WithoutTools,
    WithStaticTools,
    WithStreamingTools,
)
from typing_extensions import assert_type

STATIC = ToolSchema({"type": "function", "function": {"name": "get_weather"}})
STREAMING = StreamingToolSchema({"type": "function", "function": {"name": "propose_patch"}})

# Static = ToolSchema or raw dicts; streaming = StreamingToolSchema; mixed = both.
T = TokiToolCall
S = TokiToolCallStream
A = AsyncTokiToolCallStream


def complete_rows(model: BaseModel, messages: list[TokiMessage], flag: bool) -> None:
    # none
    assert_type(model.complete(messages), str)
    assert_type(model.complete(messages, None), str)
    assert_type(model.complete(messages, capture_thinking=True), TokiThoughtResponse)
    assert_type(model.complete(messages, stream=True), Generator[str, None, None])
    assert_type(model.complete(messages, stream=True, capture_thinking=True), Generator[str | TokiThinking, None, None])
    # ToolSchema only
    static = [STATIC]
    assert_type(model.complete(messages, static), str | TokiToolsResponse[T])
    assert_type(
        model.complete(messages, static, capture_thinking=True), TokiThoughtResponse | TokiToolsThoughtResponse[T]
    )
    assert_type(model.complete(messages, static, stream=True), Generator[str | T, None, None])
    assert_type(
        model.complete(messages, static, stream=True, capture_thinking=True),
        Generator[str | TokiThinking | T, None, None],
    )
    # raw dicts are static tools too
    raw = [{"type": "function", "function": {"name": "f"}}]
    assert_type(model.complete(messages, raw), str | TokiToolsResponse[T])
    # StreamingToolSchema only
    streaming = [STREAMING]
    assert_type(model.complete(messages, streaming), str | TokiToolsResponse[S])
    assert_type(
        model.complete(messages, streaming, capture_thinking=True), TokiThoughtResponse | TokiToolsThoughtResponse[S]
    )
    assert_type(model.complete(messages, streaming, stream=True), Generator[str | S, None, None])
    assert_type(
        model.complete(messages, streaming, stream=True, capture_thinking=True),
        Generator[str | TokiThinking | S, None, None],
    )
    # mixed
    mixed = [STATIC, STREAMING]
    assert_type(model.complete(messages, mixed), str | TokiToolsResponse[T | S])
    assert_type(
        model.complete(messages, mixed, capture_thinking=True), TokiThoughtResponse | TokiToolsThoughtResponse[T | S]
    )
    assert_type(model.complete(messages, mixed, stream=True), Generator[str | T | S, None, None])
    assert_type(
        model.complete(messages, mixed, stream=True, capture_thinking=True),
        Generator[str | TokiThinking | T | S, None, None],
    )
    # flags only known at run time: the full union
    assert_type(
        model.complete(messages, mixed, stream=flag, capture_thinking=flag),
        str | TokiThoughtResponse | TokiToolsResponse[T | S] | Generator[str | TokiThinking | T | S, None, None],
    )


def acomplete_rows(model: BaseModel, messages: list[TokiMessage]) -> None:
    # none
    assert_type(model.acomplete(messages), Coroutine[Any, Any, str])
    assert_type(model.acomplete(messages, capture_thinking=True), Coroutine[Any, Any, TokiThoughtResponse])
    assert_type(model.acomplete(messages, stream=True), AsyncGenerator[str, None])
    assert_type(model.acomplete(messages, stream=True, capture_thinking=True), AsyncGenerator[str | TokiThinking, None])
    # ToolSchema only
    static = [STATIC]
    assert_type(model.acomplete(messages, static), Coroutine[Any, Any, str | TokiToolsResponse[T]])
    assert_type(
        model.acomplete(messages, static, capture_thinking=True),
        Coroutine[Any, Any, TokiThoughtResponse | TokiToolsThoughtResponse[T]],
    )
    assert_type(model.acomplete(messages, static, stream=True), AsyncGenerator[str | T, None])
    assert_type(
        model.acomplete(messages, static, stream=True, capture_thinking=True),
        AsyncGenerator[str | TokiThinking | T, None],
    )
    # StreamingToolSchema only (async paths hand out AsyncTokiToolCallStream)
    streaming = [STREAMING]
    assert_type(model.acomplete(messages, streaming), Coroutine[Any, Any, str | TokiToolsResponse[A]])
    assert_type(
        model.acomplete(messages, streaming, capture_thinking=True),
        Coroutine[Any, Any, TokiThoughtResponse | TokiToolsThoughtResponse[A]],
    )
    assert_type(model.acomplete(messages, streaming, stream=True), AsyncGenerator[str | A, None])
    assert_type(
        model.acomplete(messages, streaming, stream=True, capture_thinking=True),
        AsyncGenerator[str | TokiThinking | A, None],
    )
    # mixed
    mixed = [STATIC, STREAMING]
    assert_type(model.acomplete(messages, mixed), Coroutine[Any, Any, str | TokiToolsResponse[T | A]])
    assert_type(
        model.acomplete(messages, mixed, capture_thinking=True),
        Coroutine[Any, Any, TokiThoughtResponse | TokiToolsThoughtResponse[T | A]],
    )
    assert_type(model.acomplete(messages, mixed, stream=True), AsyncGenerator[str | T | A, None])
    assert_type(
        model.acomplete(messages, mixed, stream=True, capture_thinking=True),
        AsyncGenerator[str | TokiThinking | T | A, None],
    )


async def awaited_values(model: BaseModel, messages: list[TokiMessage]) -> None:
    # What ``await`` / ``async for`` produce, as a user writes it.
    assert_type(await model.acomplete(messages), str)
    assert_type(await model.acomplete(messages, [STREAMING]), str | TokiToolsResponse[A])
    async for chunk in model.acomplete(messages, [STATIC, STREAMING], stream=True, capture_thinking=True):
        assert_type(chunk, str | TokiThinking | T | A)


def agent_shapes_are_inferred(model: BaseModel) -> None:
    assert_type(Agent(model), Agent[WithoutTools])
    assert_type(Agent(model, tools=None), Agent[WithoutTools])
    assert_type(Agent(model, tools=[STATIC]), Agent[WithStaticTools])
    assert_type(Agent(model, tools=[{"type": "function", "function": {"name": "f"}}]), Agent[WithStaticTools])
    assert_type(Agent(model, tools=[STREAMING]), Agent[WithStreamingTools])
    assert_type(Agent(model, tools=[STATIC, STREAMING]), Agent[WithMixedTools])


def execute_rows(model: BaseModel) -> None:
    none = Agent(model)
    assert_type(none.execute(), str)
    assert_type(none.execute(capture_thinking=True), TokiThoughtResponse)
    assert_type(none.execute(stream=True), Generator[str, None, None])
    assert_type(none.execute(stream=True, capture_thinking=True), Generator[str | TokiThinking, None, None])

    static = Agent(model, tools=[STATIC])
    assert_type(static.execute(), str | TokiToolsResponse[T])
    assert_type(static.execute(capture_thinking=True), TokiThoughtResponse | TokiToolsThoughtResponse[T])
    assert_type(static.execute(stream=True), Generator[str | T, None, None])
    assert_type(static.execute(stream=True, capture_thinking=True), Generator[str | TokiThinking | T, None, None])

    streaming = Agent(model, tools=[STREAMING])
    assert_type(streaming.execute(), str | TokiToolsResponse[S])
    assert_type(streaming.execute(capture_thinking=True), TokiThoughtResponse | TokiToolsThoughtResponse[S])
    assert_type(streaming.execute(stream=True), Generator[str | S, None, None])
    assert_type(streaming.execute(stream=True, capture_thinking=True), Generator[str | TokiThinking | S, None, None])

    mixed = Agent(model, tools=[STATIC, STREAMING])
    assert_type(mixed.execute(), str | TokiToolsResponse[T | S])
    assert_type(mixed.execute(capture_thinking=True), TokiThoughtResponse | TokiToolsThoughtResponse[T | S])
    assert_type(mixed.execute(stream=True), Generator[str | T | S, None, None])
    assert_type(mixed.execute(stream=True, capture_thinking=True), Generator[str | TokiThinking | T | S, None, None])


def aexecute_rows(model: BaseModel) -> None:
    none = Agent(model)
    assert_type(none.aexecute(), Coroutine[Any, Any, str])
    assert_type(none.aexecute(capture_thinking=True), Coroutine[Any, Any, TokiThoughtResponse])
    assert_type(none.aexecute(stream=True), AsyncGenerator[str, None])
    assert_type(none.aexecute(stream=True, capture_thinking=True), AsyncGenerator[str | TokiThinking, None])

    static = Agent(model, tools=[STATIC])
    assert_type(static.aexecute(), Coroutine[Any, Any, str | TokiToolsResponse[T]])
    assert_type(
        static.aexecute(capture_thinking=True), Coroutine[Any, Any, TokiThoughtResponse | TokiToolsThoughtResponse[T]]
    )
    assert_type(static.aexecute(stream=True), AsyncGenerator[str | T, None])
    assert_type(static.aexecute(stream=True, capture_thinking=True), AsyncGenerator[str | TokiThinking | T, None])

    streaming = Agent(model, tools=[STREAMING])
    assert_type(streaming.aexecute(), Coroutine[Any, Any, str | TokiToolsResponse[A]])
    assert_type(
        streaming.aexecute(capture_thinking=True),
        Coroutine[Any, Any, TokiThoughtResponse | TokiToolsThoughtResponse[A]],
    )
    assert_type(streaming.aexecute(stream=True), AsyncGenerator[str | A, None])
    assert_type(streaming.aexecute(stream=True, capture_thinking=True), AsyncGenerator[str | TokiThinking | A, None])

    mixed = Agent(model, tools=[STATIC, STREAMING])
    assert_type(mixed.aexecute(), Coroutine[Any, Any, str | TokiToolsResponse[T | A]])
    assert_type(
        mixed.aexecute(capture_thinking=True),
        Coroutine[Any, Any, TokiThoughtResponse | TokiToolsThoughtResponse[T | A]],
    )
    assert_type(mixed.aexecute(stream=True), AsyncGenerator[str | T | A, None])
    assert_type(mixed.aexecute(stream=True, capture_thinking=True), AsyncGenerator[str | TokiThinking | T | A, None])


def explicit_specialisation(
    none: Agent[WithoutTools],
    static: Agent[WithStaticTools],
    streaming: Agent[WithStreamingTools],
    mixed: Agent[WithMixedTools],
) -> None:
    # Annotated agents (e.g. attributes, parameters) narrow the same way as inferred ones.
    assert_type(none.execute(), str)
    assert_type(static.execute(), str | TokiToolsResponse[T])
    assert_type(streaming.execute(stream=True), Generator[str | S, None, None])
    assert_type(mixed.aexecute(stream=True), AsyncGenerator[str | T | A, None])


async def stream_api(stream: TokiToolCallStream, astream: AsyncTokiToolCallStream) -> None:
    assert_type(stream.arguments, dict[str, Any])
    assert_type(await astream.arguments(), dict[str, Any])
    async for apiece in astream.expect_arg("x"):
        assert_type(apiece, str)
    for piece in stream.expect_arg("x"):
        assert_type(piece, str)
    for name, arg in stream.items():
        assert_type(name, str)
        assert_type(arg.value, Any)

"""``toki.BaseModel``: return types, warnings, the custom-backend contract, token counting."""

from __future__ import annotations

import inspect
import threading
import warnings
from collections.abc import AsyncGenerator, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from toki.errors import TokiInputError, TokiResponseError
from toki.model import BaseModel, MixedTools, WireTools
from toki.raw_events import (
    RawChunk,
    _RawContentChunk,
    _RawThoughtChunk,
    _RawToolCall,
    _RawToolCallChunk,
    _RawTurn,
    _RawUsage,
)
from toki.testing import ScriptedModel, ScriptedToolCall, ScriptedTurn
from toki.tool_streams import AsyncTokiToolCallStream, TokiToolCallStream
from toki.types import (
    TokiMessage,
    TokiThinking,
    TokiThoughtResponse,
    TokiToolCall,
    TokiToolFunction,
    TokiToolsResponse,
    TokiToolsThoughtResponse,
    TokiUsageMetadata,
)
from toki.warnings import TokiThinkingSupportWarning
from toki_core_testkit import (
    PATCH,
    USER,
    WEATHER,
    EventModel,
    Mode,
    model_blocking,
    model_stream,
    schema,
    tool_calls_of,
)

WORKSPACE = Path(__file__).resolve().parents[3]

SHAPES: dict[str, MixedTools | None] = {
    "none": None,
    "static": [WEATHER],
    "streaming": [PATCH],
    "mixed": [WEATHER, PATCH],
}

WEATHER_CALL = ScriptedToolCall("get_weather", {"city": "Paris"}, id="w")
PATCH_CALL = ScriptedToolCall("propose_patch", {"target": "a", "replacement": "b"}, id="p")


def tool_turn(tools: MixedTools | None) -> ScriptedTurn:
    """A turn calling every tool of the shape, with text and thinking."""
    calls = {"static": [WEATHER_CALL], "streaming": [PATCH_CALL], "mixed": [WEATHER_CALL, PATCH_CALL]}
    shape = next(name for name, value in SHAPES.items() if value == tools)
    return ScriptedTurn(content="Calling.", thinking="plan", tool_calls=calls[shape])


def stream_class(mode: Mode) -> type:
    return TokiToolCallStream if mode == "sync" else AsyncTokiToolCallStream


# ---------------------------------------------------------------------- blocking return types (spec table)


@pytest.mark.parametrize("tools", list(SHAPES.values()), ids=list(SHAPES))
async def test_a_plain_answer_is_a_str_or_a_thought_response(mode: Mode, tools: MixedTools | None) -> None:
    model = ScriptedModel([ScriptedTurn(content="answer", thinking="hmm")] * 2)
    plain = await model_blocking(model, mode, tools=tools)
    assert type(plain) is str
    assert plain == "answer"
    thought = await model_blocking(model, mode, tools=tools, capture_thinking=True)
    assert type(thought) is TokiThoughtResponse
    assert (thought.content, thought.thought, str(thought)) == ("answer", "hmm", "answer")


@pytest.mark.parametrize("tools", [v for v in SHAPES.values() if v is not None], ids=list(SHAPES)[1:])
async def test_a_tool_calling_answer_is_a_tools_response(mode: Mode, tools: MixedTools) -> None:
    model = ScriptedModel([tool_turn(tools)], allow_parallel_tool_calls=True)
    response = await model_blocking(model, mode, tools=tools)
    calls = tool_calls_of(response)
    assert str(response) == "Calling."
    assert type(response) is TokiToolsResponse  # not the thought variant
    assert response.content == "Calling."
    expected = {"get_weather": TokiToolCall, "propose_patch": stream_class(mode)}
    for call in calls:
        assert isinstance(call, (TokiToolCall, TokiToolCallStream, AsyncTokiToolCallStream))
        name = call.function.name if isinstance(call, TokiToolCall) else call.name
        assert type(call) is expected[name]


@pytest.mark.parametrize("tools", [v for v in SHAPES.values() if v is not None], ids=list(SHAPES)[1:])
async def test_a_tool_calling_answer_with_thinking_is_a_tools_thought_response(mode: Mode, tools: MixedTools) -> None:
    model = ScriptedModel([tool_turn(tools)], allow_parallel_tool_calls=True)
    response = await model_blocking(model, mode, tools=tools, capture_thinking=True)
    calls = tool_calls_of(response)
    assert type(response) is TokiToolsThoughtResponse
    assert (response.content, response.thought) == ("Calling.", "plan")
    assert len(calls) == len(tools)


async def test_a_tool_calling_answer_without_text_has_empty_content(mode: Mode) -> None:
    model = ScriptedModel([ScriptedTurn(tool_calls=[WEATHER_CALL])])
    response = await model_blocking(model, mode, tools=[WEATHER])
    assert response == TokiToolsResponse(
        content="", tool_calls=[TokiToolCall("w", TokiToolFunction("get_weather", {"city": "Paris"}))]
    )


# ---------------------------------------------------------------------- streaming chunk types (spec table)


@pytest.mark.parametrize("capture_thinking", [False, True])
@pytest.mark.parametrize("tools", list(SHAPES.values()), ids=list(SHAPES))
async def test_streaming_chunk_types(mode: Mode, tools: MixedTools | None, capture_thinking: bool) -> None:
    turn = tool_turn(tools) if tools else ScriptedTurn(content="answer", thinking="plan")
    model = ScriptedModel([turn], allow_parallel_tool_calls=True)
    chunks = await model_stream(model, mode, tools=tools, capture_thinking=capture_thinking)
    allowed: set[type] = {str}
    if capture_thinking:
        allowed.add(TokiThinking)
    if tools is not None and WEATHER in tools:
        allowed.add(TokiToolCall)
    if tools is not None and PATCH in tools:
        allowed.add(stream_class(mode))
    assert {type(c) for c in chunks} == allowed  # every allowed kind appears, nothing else
    if capture_thinking:
        assert "".join(c.text for c in chunks if isinstance(c, TokiThinking)) == "plan"


async def test_acomplete_returns_a_coroutine_or_an_async_generator() -> None:
    model = ScriptedModel(["a", "b"])
    blocking = model.acomplete(USER)
    assert isinstance(blocking, Coroutine)
    assert await blocking == "a"
    streaming = model.acomplete(USER, stream=True)
    assert isinstance(streaming, AsyncGenerator)  # no await needed first
    assert [c async for c in streaming] == ["b"]


def test_complete_returns_a_value_or_a_generator() -> None:
    model = ScriptedModel(["a", "b"])
    assert model.complete(USER) == "a"
    streaming = model.complete(USER, stream=True)
    assert inspect.isgenerator(streaming)
    assert list(streaming) == ["b"]


async def test_complete_accepts_dicts_and_message_objects(mode: Mode) -> None:
    model = ScriptedModel(["ok"])
    messages: list[Any] = [{"role": "system", "content": "sys"}, TokiMessage("user", "hi")]
    assert await model_blocking(model, mode, messages) == "ok"
    assert model.requests[0].messages == [TokiMessage("system", "sys"), TokiMessage("user", "hi")]


@pytest.mark.parametrize("stream", [False, True], ids=["blocking", "stream"])
async def test_bad_input_raises_at_call_time(mode: Mode, stream: bool) -> None:
    model = ScriptedModel(["never"])
    call = model.complete if mode == "sync" else model.acomplete
    with pytest.raises(TokiInputError):
        call([{"role": "user"}], stream=stream)  # no content: raised before anything is awaited or iterated
    with pytest.raises(TokiInputError):
        call(USER, [{"function": {}}], stream=stream)
    assert model.requests == []


async def test_last_usage_and_finish_reason_are_set_on_the_model(mode: Mode) -> None:
    model = ScriptedModel(
        [
            ScriptedTurn(content="a", usage=TokiUsageMetadata(3, 4, 7)),
            ScriptedTurn(content="b", usage=TokiUsageMetadata(5, 6, 11), finish_reason="content_filter"),
        ]
    )
    await model_blocking(model, mode)
    assert (model.last_usage, model.last_finish_reason) == (TokiUsageMetadata(3, 4, 7), "stop")
    await model_stream(model, mode)
    assert (model.last_usage, model.last_finish_reason) == (TokiUsageMetadata(5, 6, 11), "content_filter")


# ---------------------------------------------------------------------- thinking-support warning


@pytest.mark.parametrize(
    ("support", "message"),
    [(None, "no verified thinking support"), (False, "does not produce thinking text")],
    ids=["unknown", "unsupported"],
)
async def test_thinking_warning_is_one_shot_per_model_instance(mode: Mode, support: bool | None, message: str) -> None:
    model = ScriptedModel(["a", "b", "c"], supports_thinking=support, model="mini-1")
    with pytest.warns(TokiThinkingSupportWarning, match=message) as record:
        await model_stream(model, mode, capture_thinking=True)
    assert len(record) == 1
    assert "ScriptedModel('mini-1')" in str(record[0].message)
    await model_blocking(model, mode, capture_thinking=True)  # silent now (filterwarnings=error)
    await model_stream(model, mode, capture_thinking=True)
    with pytest.warns(TokiThinkingSupportWarning):
        await model_blocking(ScriptedModel(["x"], supports_thinking=support), mode, capture_thinking=True)


def test_thinking_warning_points_at_the_callers_line() -> None:
    with pytest.warns(TokiThinkingSupportWarning) as record:
        ScriptedModel(["x"], supports_thinking=None).complete(USER, capture_thinking=True)
    assert record[0].filename == __file__


async def test_no_thinking_warning_when_supported_or_not_requested(mode: Mode) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        await model_blocking(ScriptedModel(["a"], supports_thinking=True), mode, capture_thinking=True)
        await model_blocking(ScriptedModel(["a"], supports_thinking=False), mode, capture_thinking=False)
        await model_stream(ScriptedModel(["a"], supports_thinking=None), mode)


# ---------------------------------------------------------------------- writing your own backend


async def test_a_backend_with_only_the_two_sync_methods_works_everywhere(mode: Mode) -> None:
    model = EventModel(
        _RawTurn(content="blocking answer", usage=_RawUsage(prompt_tokens=2, completion_tokens=2)),
        [_RawThoughtChunk("th"), _RawContentChunk("stream"), _RawContentChunk("ed")],
    )
    assert await model_blocking(model, mode, temperature=0.5) == "blocking answer"
    assert model.last_usage == TokiUsageMetadata(2, 2, 4)
    assert await model_stream(model, mode, capture_thinking=True) == [TokiThinking("th"), "stream", "ed"]
    assert [request[3] for request in model.requests] == [{"temperature": 0.5}, {}]
    assert [request[2] for request in model.requests] == [False, True]
    main = threading.get_ident()
    if mode == "async":  # the async API falls back to worker threads for sync-only backends
        assert all(thread != main for thread in model.threads)
    else:
        assert model.threads == [main, main]
    assert model.finalized == 1


async def test_a_custom_backend_gets_validated_messages_and_wire_tools(mode: Mode) -> None:
    raw_tool = schema("lookup", query="string")
    model = EventModel(_RawTurn(content="ok"), [_RawContentChunk("ok")])
    await model_blocking(model, mode, [{"role": "user", "content": "q"}], [WEATHER, PATCH, raw_tool])
    await model_stream(model, mode, [{"role": "user", "content": "q"}])
    (messages, tools, _, _), (_, no_tools, _, _) = model.requests
    assert messages == [TokiMessage("user", "q")]
    assert tools == [dict(WEATHER), PATCH.schema, raw_tool]
    assert tools is not None
    assert all(type(tool) is dict for tool in tools)  # plain dicts, wrappers removed
    assert no_tools is None


async def test_a_custom_backend_with_tool_calls(mode: Mode) -> None:
    model = EventModel(
        _RawTurn(tool_calls=[_RawToolCall(id=None, name="get_weather", arguments={"city": "Bern"})]),
        [_RawToolCallChunk(index=0, id="s1", name="propose_patch", arguments_fragment='{"target": "x"}')],
    )
    (call,) = tool_calls_of(await model_blocking(model, mode, tools=[WEATHER]))
    assert isinstance(call, TokiToolCall)
    assert call.id  # generated when the backend has none
    assert call.function == TokiToolFunction("get_weather", {"city": "Bern"})
    (stream,) = await model_stream(model, mode, tools=[PATCH])
    assert isinstance(stream, stream_class(mode))


def test_a_backend_yielding_something_else_fails_loudly() -> None:
    model = EventModel(["not an event"])
    with pytest.raises(TypeError, match="not a raw toki event"):
        list(model.complete(USER, stream=True))


def test_a_backend_must_implement_both_methods() -> None:
    class Half(BaseModel):
        def _raw_blocking(
            self, messages: list[TokiMessage], tools: WireTools | None, *, capture_thinking: bool, **kwargs: Any
        ) -> _RawTurn:
            return _RawTurn()

    with pytest.raises(TypeError, match="_raw_streaming"):
        Half("x")  # type: ignore[abstract]  # pyright: ignore[reportAbstractUsage]  # on purpose


def test_a_backend_that_skips_super_init_still_works() -> None:
    class Bare(BaseModel):
        def __init__(self) -> None:  # no super().__init__(): class-level defaults apply
            pass

        def _raw_blocking(
            self, messages: list[TokiMessage], tools: WireTools | None, *, capture_thinking: bool, **kwargs: Any
        ) -> _RawTurn:
            return _RawTurn(content="fine")

        def _raw_streaming(
            self, messages: list[TokiMessage], tools: WireTools | None, *, capture_thinking: bool, **kwargs: Any
        ) -> Iterator[RawChunk]:
            yield _RawContentChunk("fine")

    bare = Bare()
    assert bare.complete(USER) == "fine"
    assert list(bare.complete(USER, stream=True)) == ["fine"]
    assert (bare.model, bare.allow_parallel_tool_calls, bare.last_usage) == ("", False, None)


# ---------------------------------------------------------------------- default token counting


def test_default_count_tokens_makes_a_one_token_call_and_reads_prompt_tokens() -> None:
    model = EventModel(_RawTurn(content="x", usage=_RawUsage(prompt_tokens=17, completion_tokens=1)))
    assert model.count_tokens([{"role": "user", "content": "count me"}], tools=[WEATHER]) == 17
    ((messages, tools, capture_thinking, kwargs),) = model.requests
    assert kwargs == {"max_tokens": 1}
    assert capture_thinking is False
    assert messages == [TokiMessage("user", "count me")]
    assert tools == [dict(WEATHER)]
    assert model.last_usage is None  # counting is not a completion


async def test_default_acount_tokens() -> None:
    model = EventModel(_RawTurn(usage=_RawUsage(prompt_tokens=9)))
    assert await model.acount_tokens(USER) == 9
    assert model.requests[0][3] == {"max_tokens": 1}


@pytest.mark.parametrize("usage", [None, _RawUsage(completion_tokens=1)], ids=["no usage", "no prompt tokens"])
def test_default_count_tokens_needs_reported_usage(usage: _RawUsage | None) -> None:
    model = EventModel(_RawTurn(usage=usage))
    with pytest.raises(TokiResponseError, match="override count_tokens") as info:
        model.count_tokens(USER)
    assert info.value.provider == "events"


def test_count_tokens_rejects_an_unsupported_kind() -> None:
    model = EventModel()
    with pytest.raises(ValueError, match="offline"):
        model.count_tokens(USER, kind="offline")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    with pytest.raises(TokiInputError):
        model.count_tokens([{"role": "nobody", "content": "x"}])
    assert model.requests == []


# The return-type tables are proven statically by tests/typing/assert_types.py, which the strict
# `uv run pyright` step of .ci/run checks (pyright is not installed in the per-package environments).

"""``toki.testing.ScriptedModel``: the public test double, itself under test."""

from __future__ import annotations

import pytest
from toki.agent import Agent
from toki.errors import TokiError, TokiServerError
from toki.raw_events import _RawContentChunk, _RawFinish, _RawUsage
from toki.testing import (
    ScriptedModel,
    ScriptedRequest,
    ScriptedToolCall,
    ScriptedTurn,
    ScriptExhaustedError,
    call_in_mode,
)
from toki.types import TokiMessage, TokiThinking, TokiToolCall, TokiToolFunction, TokiToolsResponse, TokiUsageMetadata
from toki.warnings import TokiToolMismatchWarning
from toki_core_testkit import PATCH, USER, WEATHER, Mode, ToolStream, expect, model_blocking, model_stream, pieces


async def test_plain_strings_are_text_turns_played_in_order(mode: Mode) -> None:
    model = ScriptedModel(["first", "second"])
    assert model.remaining_turns == 2
    assert await model_blocking(model, mode) == "first"
    assert await model_stream(model, mode) == ["seco", "nd"]  # chunk_size 4
    assert model.remaining_turns == 0


async def test_every_request_is_recorded(mode: Mode) -> None:
    model = ScriptedModel(["a", "b"])
    await model_blocking(model, mode, tools=[WEATHER], temperature=0)
    await model_stream(model, mode, capture_thinking=True)
    assert model.requests == [
        ScriptedRequest(list(USER), [dict(WEATHER)], False, False, {"temperature": 0}),
        ScriptedRequest(list(USER), None, True, True, {}),
    ]


@pytest.mark.parametrize("stream", [False, True], ids=["blocking", "stream"])
async def test_calling_more_often_than_scripted_raises(mode: Mode, stream: bool) -> None:
    model = ScriptedModel(["only"])
    await model_blocking(model, mode)
    with pytest.raises(ScriptExhaustedError, match="called 2 times but only 1 turns were scripted") as info:
        if stream:
            await model_stream(model, mode)
        else:
            await model_blocking(model, mode)
    assert isinstance(info.value, TokiError)
    model.add_turn("more")
    model.add_turn(ScriptedTurn(content="and more"))
    assert model.remaining_turns == 2
    assert await model_blocking(model, mode) == "more"


async def test_the_default_usage_counts_words(mode: Mode) -> None:
    model = ScriptedModel([ScriptedTurn(content="three word answer", thinking="two words")] * 2)
    messages = [TokiMessage("system", "be nice"), TokiMessage("user", "hello there friend")]
    await model_blocking(model, mode, messages)
    assert model.last_usage == TokiUsageMetadata(prompt_tokens=5, completion_tokens=5, total_tokens=10)
    await model_stream(model, mode, messages)
    assert model.last_usage == TokiUsageMetadata(prompt_tokens=5, completion_tokens=5, total_tokens=10)


async def test_scripted_usage_and_finish_reason(mode: Mode) -> None:
    usage = TokiUsageMetadata(1, 2, 3, cache_read_tokens=4, cache_write_tokens=5, reasoning_tokens=6)
    model = ScriptedModel([ScriptedTurn(content="x", usage=usage, finish_reason="length")] * 2)
    await model_blocking(model, mode)
    assert (model.last_usage, model.last_finish_reason) == (usage, "length")
    await model_stream(model, mode)
    assert (model.last_usage, model.last_finish_reason) == (usage, "length")


async def test_thinking_comes_before_text_and_tool_calls_after(mode: Mode) -> None:
    turn = ScriptedTurn(content="text", thinking="think", tool_calls=[ScriptedToolCall("get_weather", id="w")])
    chunks = await model_stream(ScriptedModel([turn]), mode, tools=[WEATHER], capture_thinking=True, chunk_size=2)
    assert chunks == [
        TokiThinking("thin"),
        TokiThinking("k"),
        "text",
        TokiToolCall("w", TokiToolFunction("get_weather", {})),
    ]


async def test_chunk_size_and_fragment_size(mode: Mode) -> None:
    turn = ScriptedTurn(
        content="abcdef",
        chunk_size=1,
        tool_calls=[ScriptedToolCall("propose_patch", {"target": "xyz", "replacement": ""}, id="p", fragment_size=1)],
    )
    read: list[list[str]] = []

    async def handle(stream: ToolStream) -> None:
        read.append(await pieces(expect(stream, "target")))

    chunks = await model_stream(ScriptedModel([turn]), mode, tools=[PATCH], on_tool_stream=handle)
    assert chunks[:6] == list("abcdef")
    assert read == [["x", "y", "z"]]  # one argument character per fragment


def test_arguments_text() -> None:
    assert ScriptedToolCall("f", {"é": 1}).arguments_text() == '{"é": 1}'
    assert ScriptedToolCall("f", '{"raw": tru').arguments_text() == '{"raw": tru'
    assert ScriptedToolCall("f").arguments_text() == "{}"


async def test_an_error_turn_raises_after_error_after_events(mode: Mode) -> None:
    failure = TokiServerError("boom", status_code=503)
    model = ScriptedModel([ScriptedTurn(content="aaaabbbbcccc", error=failure, error_after=2)] * 2)
    chunks: list[object] = []
    with pytest.raises(TokiServerError) as info:
        await model_stream(model, mode, on_chunk=chunks.append)
    assert info.value is failure
    assert chunks == ["aaaa", "bbbb"]
    with pytest.raises(TokiServerError):
        await model_blocking(model, mode)


async def test_an_error_after_every_event_still_raises(mode: Mode) -> None:
    model = ScriptedModel([ScriptedTurn(content="ab", error=TokiServerError("late"), error_after=100)])
    chunks: list[object] = []
    with pytest.raises(TokiServerError):
        await model_stream(model, mode, on_chunk=chunks.append)
    assert chunks == ["ab"]
    assert model.last_usage is None


async def test_explicit_events_are_streamed_as_given(mode: Mode) -> None:
    events = [_RawContentChunk("raw "), _RawUsage(prompt_tokens=9, completion_tokens=1), _RawFinish("content_filter")]
    model = ScriptedModel([ScriptedTurn(content="ignored", events=events), ScriptedTurn(events=events)])
    assert await model_stream(model, mode) == ["raw "]
    assert model.last_usage == TokiUsageMetadata(9, 1, 10)
    assert model.last_finish_reason == "content_filter"
    with pytest.raises(TokiError, match="can only be streamed"):
        await model_blocking(model, mode)


async def test_raw_argument_text_scripts_malformed_calls(mode: Mode) -> None:
    from toki.errors import TokiToolArgumentsError

    model = ScriptedModel([ScriptedTurn(tool_calls=[ScriptedToolCall("get_weather", "{'city': 1}")])])
    with pytest.raises(TokiToolArgumentsError):
        await model_blocking(model, mode, tools=[WEATHER])


def test_capability_claims() -> None:
    assert ScriptedModel()._supports_thinking() is True  # pyright: ignore[reportPrivateUsage]  # the backend hook
    assert ScriptedModel(supports_thinking=None)._supports_thinking() is None  # pyright: ignore[reportPrivateUsage]
    assert ScriptedModel(supports_tools=False)._supports_tools() is False  # pyright: ignore[reportPrivateUsage]
    assert ScriptedModel(model="gpt-fake").model == "gpt-fake"
    assert ScriptedModel.provider == "scripted"


async def test_count_tokens_counts_words(mode: Mode) -> None:
    model = ScriptedModel()
    messages = [{"role": "user", "content": "one two three"}, {"role": "assistant", "content": "four"}]
    assert model.count_tokens(messages) == 4
    assert await model.acount_tokens(messages, tools=[WEATHER]) == 4
    with pytest.raises(ValueError, match="not supported"):
        model.count_tokens(messages, kind="offline")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    assert model.requests == []  # counting does not consume turns


def test_parallel_calls_warn_unless_allowed() -> None:
    turn = ScriptedTurn(tool_calls=[ScriptedToolCall("get_weather", id="a"), ScriptedToolCall("get_weather", id="b")])
    with pytest.warns(TokiToolMismatchWarning):
        ScriptedModel([turn]).complete(USER, [WEATHER])
    response = ScriptedModel([turn], allow_parallel_tool_calls=True).complete(USER, [WEATHER])
    assert isinstance(response, TokiToolsResponse)
    assert [c.id for c in response.tool_calls] == ["a", "b"]


def test_the_module_docstring_example() -> None:
    model = ScriptedModel(
        [
            ScriptedTurn(tool_calls=[ScriptedToolCall("get_weather", {"city": "Paris"})]),
            "It is sunny in Paris.",
        ]
    )
    agent = Agent(model, tools=[WEATHER])
    agent.add_user_message("Weather in Paris?")
    result = agent.execute()
    assert isinstance(result, TokiToolsResponse)
    (call,) = result.tool_calls
    assert call.function.arguments == {"city": "Paris"}
    agent.add_tool_message(call.id, "sunny")
    assert agent.execute() == "It is sunny in Paris."


# ---------------------------------------------------------------------- call_in_mode


class _ClosableScriptedModel(ScriptedModel):
    """Records when ``aclose()`` runs, and whether its event loop was still running then."""

    closed_in_loop: list[bool]

    async def aclose(self) -> None:
        import asyncio

        self.closed_in_loop.append(asyncio.get_running_loop().is_running())


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_call_in_mode_blocking_and_streaming(mode: Mode) -> None:
    model = ScriptedModel(["Hello there", ScriptedTurn("Hello there", chunk_size=3)])
    assert call_in_mode(mode, model, USER) == "Hello there"
    assert call_in_mode(mode, model, USER, stream=True) == ["Hel", "lo ", "the", "re"]
    assert len(model.requests) == 2


def test_call_in_mode_closes_the_async_model_inside_its_loop() -> None:
    model = _ClosableScriptedModel(["a", "b"])
    model.closed_in_loop = []
    call_in_mode("sync", model, USER)
    assert model.closed_in_loop == []
    call_in_mode("async", model, USER)
    assert model.closed_in_loop == [True]


def test_call_in_mode_refuses_an_unknown_mode() -> None:
    with pytest.raises(ValueError, match="mode must be 'sync' or 'async', got 'threaded'"):
        call_in_mode("threaded", ScriptedModel(["x"]), USER)  # type: ignore[arg-type]

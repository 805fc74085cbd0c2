"""``toki.Agent``: history bookkeeping, sync/async parity, streaming/blocking agreement, usage."""

from __future__ import annotations

import asyncio
import gc
import warnings
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from toki.agent import Agent
from toki.errors import TokiInputError, TokiServerError, TokiToolCallTruncatedError
from toki.model import MixedTools
from toki.raw_events import _RawContentChunk, _RawToolCallChunk, _RawUsage
from toki.testing import ScriptedModel, ScriptedToolCall, ScriptedTurn
from toki.types import (
    TokiMessage,
    TokiThinking,
    TokiThoughtResponse,
    TokiToolCall,
    TokiToolFunction,
    TokiUsageMetadata,
)
from toki.warnings import TokiThinkingSupportWarning, TokiToolMismatchWarning
from toki_core_testkit import (
    HANG,
    LOOKUP,
    PATCH,
    WEATHER,
    AsyncEventModel,
    EventModel,
    Mode,
    ToolStream,
    agent_blocking,
    agent_stream,
    arguments,
    describe,
    describe_response,
)


def weather_call(call_id: str = "w1", city: str = "Paris") -> TokiToolCall:
    return TokiToolCall(call_id, TokiToolFunction("get_weather", {"city": city}))


# ---------------------------------------------------------------------- scenarios, run either way


@dataclass
class Scenario:
    turns: list[ScriptedTurn | str]
    tools: MixedTools | None = None
    capture_thinking: bool = False
    parallel: bool = True
    history: list[TokiMessage] = field(default_factory=lambda: [TokiMessage("user", "hello")])


SCENARIOS: dict[str, Scenario] = {
    "text": Scenario(["Hello! How can I help you today?"]),
    "unicode text in 1-char chunks": Scenario([ScriptedTurn(content="héllo 😀 wörld", chunk_size=1)]),
    "empty answer": Scenario([""]),
    "thinking captured": Scenario([ScriptedTurn(content="42", thinking="six times seven")], capture_thinking=True),
    "thinking not captured": Scenario([ScriptedTurn(content="42", thinking="six times seven")]),
    "text but tools offered": Scenario(["no tool needed"], tools=[WEATHER]),
    "static tool call": Scenario(
        [ScriptedTurn(content="Checking.", tool_calls=[ScriptedToolCall("get_weather", {"city": "Paris"}, id="w1")])],
        tools=[WEATHER],
    ),
    "static tool call only": Scenario(
        [ScriptedTurn(tool_calls=[ScriptedToolCall("get_weather", {"city": "Oslo"}, id="w1")])], tools=[WEATHER]
    ),
    "two static calls": Scenario(
        [
            ScriptedTurn(
                tool_calls=[
                    ScriptedToolCall("get_weather", {"city": "A"}, id="w1"),
                    ScriptedToolCall("lookup", {"query": "B"}, id="l1", fragment_size=2),
                ]
            )
        ],
        tools=[WEATHER, LOOKUP],
    ),
    "streaming tool call": Scenario(
        [
            ScriptedTurn(
                content="Patch:",
                tool_calls=[ScriptedToolCall("propose_patch", {"target": "a", "replacement": "b" * 40}, id="p1")],
            )
        ],
        tools=[PATCH],
    ),
    "mixed tools with thinking": Scenario(
        [
            ScriptedTurn(
                content="Both.",
                thinking="I should call both",
                tool_calls=[
                    ScriptedToolCall("propose_patch", {"target": "x", "replacement": "y"}, id="p1"),
                    ScriptedToolCall("get_weather", {"city": "Rome"}, id="w1"),
                ],
            )
        ],
        tools=[WEATHER, PATCH],
        capture_thinking=True,
    ),
}


@dataclass
class Outcome:
    chunks: list[object]
    result: object
    messages: list[TokiMessage]
    streamed_arguments: list[dict[str, Any]]
    requests: int


async def run(scenario: Scenario, mode: Mode, *, stream: bool) -> Outcome:
    """Run a scenario's first turn through a fresh agent; tool-call streams are read fully."""
    model = ScriptedModel(scenario.turns, allow_parallel_tool_calls=scenario.parallel)
    agent = Agent(model, tools=scenario.tools)
    agent.messages.extend(scenario.history)
    streamed: list[dict[str, Any]] = []

    async def read(tool_stream: ToolStream) -> None:
        streamed.append(await arguments(tool_stream))

    if stream:
        chunks = await agent_stream(agent, mode, capture_thinking=scenario.capture_thinking, on_tool_stream=read)
        result: object = None
    else:
        chunks = []
        result = await agent_blocking(agent, mode, capture_thinking=scenario.capture_thinking)
    return Outcome(
        [describe(c) for c in chunks], describe_response(result), agent.messages, streamed, len(model.requests)
    )


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "blocking"])
@pytest.mark.parametrize("scenario", list(SCENARIOS.values()), ids=list(SCENARIOS))
async def test_sync_and_async_give_the_same_chunks_result_and_history(scenario: Scenario, stream: bool) -> None:
    sync = await run(scenario, "sync", stream=stream)
    async_ = await run(scenario, "async", stream=stream)
    assert sync == async_
    assert sync.requests == 1
    assert len(sync.messages) == len(scenario.history) + 1


@pytest.mark.parametrize("scenario", list(SCENARIOS.values()), ids=list(SCENARIOS))
async def test_streaming_and_blocking_agree(scenario: Scenario, mode: Mode) -> None:
    streamed = await run(scenario, mode, stream=True)
    blocking = await run(scenario, mode, stream=False)

    assert streamed.messages == blocking.messages  # the same history either way
    text = "".join(c for c in streamed.chunks if isinstance(c, str))
    thought = "".join(c.text for c in streamed.chunks if isinstance(c, TokiThinking))
    calls = [c for c in streamed.chunks if not isinstance(c, (str, TokiThinking))]
    final = streamed.messages[-1]
    assert final.content == (text if text or not final.tool_calls else None)
    if isinstance(blocking.result, str):
        assert blocking.result == text
        assert calls == []
    else:
        kind, *rest = cast(tuple[Any, ...], blocking.result)  # describe_response's shape
        assert rest[0] == text
        if kind == "TokiThoughtResponse":
            assert rest[1] == thought
        else:
            assert rest[1] == calls  # the same calls (streams compared by id and name)
            assert rest[2] == (thought if scenario.capture_thinking else None)
    # Streamed tool arguments are exactly the recorded final arguments.
    recorded = {c.id: c.function.arguments for c in final.tool_calls or []}
    stream_ids = [cast(tuple[str, str, str], c)[1] for c in calls if isinstance(c, tuple)]
    assert [recorded[i] for i in stream_ids] == streamed.streamed_arguments


# ---------------------------------------------------------------------- history after a completed turn


async def test_a_completed_text_turn_is_appended(mode: Mode) -> None:
    agent = Agent(ScriptedModel(["Hi there."]))
    agent.add_system_message("be brief")
    agent.add_user_message("hello")
    assert await agent_blocking(agent, mode) == "Hi there."
    assert agent.messages == [
        TokiMessage("system", "be brief"),
        TokiMessage("user", "hello"),
        TokiMessage("assistant", "Hi there."),
    ]


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "blocking"])
async def test_a_tool_only_turn_is_recorded_with_content_none(mode: Mode, stream: bool) -> None:
    agent = Agent(
        ScriptedModel([ScriptedTurn(tool_calls=[ScriptedToolCall("get_weather", {"city": "Paris"}, id="w1")])]),
        tools=[WEATHER],
    )
    agent.add_user_message("weather?")
    if stream:
        await agent_stream(agent, mode)
    else:
        await agent_blocking(agent, mode)
    assert agent.messages[-1] == TokiMessage("assistant", None, tool_calls=[weather_call()])
    assert agent.messages[-1].to_dict() == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "w1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
        ],
    }


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "blocking"])
async def test_thinking_is_never_recorded(mode: Mode, stream: bool) -> None:
    agent = Agent(ScriptedModel([ScriptedTurn(content="answer", thinking="SECRET reasoning")]))
    agent.add_user_message("q")
    if stream:
        chunks = await agent_stream(agent, mode, capture_thinking=True)
        assert TokiThinking("SECRET reasoning"[:4]) in chunks
    else:
        result = await agent_blocking(agent, mode, capture_thinking=True)
        assert result == TokiThoughtResponse("answer", "SECRET reasoning")
    assert agent.messages[-1] == TokiMessage("assistant", "answer")
    assert all("SECRET" not in str(m.to_dict()) for m in agent.messages)


def test_history_is_unchanged_while_streaming_sync() -> None:
    agent = Agent(ScriptedModel([ScriptedTurn(content="a b c", chunk_size=1)]))
    agent.add_user_message("q")
    for _ in agent.execute(stream=True):
        assert len(agent.messages) == 1
    assert len(agent.messages) == 2


async def test_history_is_unchanged_while_streaming_async() -> None:
    agent = Agent(ScriptedModel([ScriptedTurn(content="a b c", chunk_size=1)]))
    agent.add_user_message("q")
    async for _ in agent.aexecute(stream=True):
        assert len(agent.messages) == 1
    assert len(agent.messages) == 2


# ---------------------------------------------------------------------- history when a call does not complete


@pytest.mark.parametrize("error_after", [0, 3], ids=["before the stream", "mid-stream"])
async def test_a_call_that_raises_leaves_the_history_unchanged(mode: Mode, error_after: int) -> None:
    failure = TokiServerError("overloaded", status_code=529, provider="scripted")
    agent = Agent(ScriptedModel([ScriptedTurn(content="partial answer text", error=failure, error_after=error_after)]))
    agent.add_user_message("q")
    before = list(agent.messages)
    chunks: list[object] = []

    async def consume() -> None:
        if mode == "sync":
            for chunk in agent.execute(stream=True):
                chunks.append(chunk)
        else:
            async for chunk in agent.aexecute(stream=True):
                chunks.append(chunk)

    with pytest.raises(TokiServerError) as info:
        await consume()
    assert info.value is failure
    assert len(chunks) == error_after  # what arrived before the failure was delivered
    assert agent.messages == before
    assert agent.last_usage is None
    assert agent.usage == TokiUsageMetadata()


async def test_a_blocking_call_that_raises_leaves_the_history_unchanged(mode: Mode) -> None:
    agent = Agent(ScriptedModel([ScriptedTurn(error=TokiServerError("boom", status_code=500))]))
    agent.add_user_message("q")
    with pytest.raises(TokiServerError):
        await agent_blocking(agent, mode)
    assert agent.messages == [TokiMessage("user", "q")]


async def test_a_truncated_tool_call_leaves_the_history_unchanged(mode: Mode) -> None:
    turn = ScriptedTurn(content="x", tool_calls=[ScriptedToolCall("get_weather", '{"city": "Pa', id="w")])
    agent = Agent(ScriptedModel([turn, "recovered"]), tools=[WEATHER])
    agent.add_user_message("q")
    with pytest.raises(TokiToolCallTruncatedError):
        await agent_stream(agent, mode)
    assert agent.messages == [TokiMessage("user", "q")]
    assert await agent_blocking(agent, mode) == "recovered"  # the agent is still usable
    assert agent.messages[-1] == TokiMessage("assistant", "recovered")


def _events() -> list[object]:
    return [_RawContentChunk("one "), _RawContentChunk("two "), _RawContentChunk("three"), _RawUsage(3, 3)]


def test_breaking_out_of_a_stream_keeps_the_history_and_closes_the_source() -> None:
    model = EventModel(_events())
    agent = Agent(model)
    agent.add_user_message("q")
    for chunk in agent.execute(stream=True):
        assert chunk == "one "
        break
    assert model.finalized == 1  # the backend's generator ran its finally (its response is released)
    assert model.pulled == 1
    assert agent.messages == [TokiMessage("user", "q")]
    assert agent.last_usage is None
    assert model.last_usage is None


def test_closing_a_stream_keeps_the_history_and_closes_the_source() -> None:
    model = EventModel(_events())
    agent = Agent(model)
    agent.add_user_message("q")
    stream = agent.execute(stream=True)
    assert next(stream) == "one "
    assert next(stream) == "two "
    stream.close()
    assert model.finalized == 1
    assert agent.messages == [TokiMessage("user", "q")]


def test_an_exhausted_stream_closes_the_source_once() -> None:
    model = EventModel(_events())
    agent = Agent(model)
    agent.add_user_message("q")
    assert list(agent.execute(stream=True)) == ["one ", "two ", "three"]
    assert model.finalized == 1
    assert agent.messages[-1] == TokiMessage("assistant", "one two three")


@pytest.mark.parametrize("model_class", [EventModel, AsyncEventModel], ids=["thread fallback", "native async"])
async def test_acloseing_a_stream_keeps_the_history_and_closes_the_source(model_class: type[EventModel]) -> None:
    model = model_class(_events())
    agent = Agent(model)
    agent.add_user_message("q")
    stream = agent.aexecute(stream=True)
    assert await anext(stream) == "one "
    await stream.aclose()
    assert model.finalized == 1
    assert agent.messages == [TokiMessage("user", "q")]


async def test_breaking_out_of_an_async_stream_keeps_the_history_and_closes_the_source() -> None:
    model = AsyncEventModel(_events())
    agent = Agent(model)
    agent.add_user_message("q")
    stream = agent.aexecute(stream=True)
    async for _ in stream:
        break
    assert agent.messages == [TokiMessage("user", "q")]
    # An abandoned async generator is closed by the event loop once it is garbage collected.
    del stream
    gc.collect()
    for _ in range(20):
        if model.finalized:
            break
        await asyncio.sleep(0)
    assert model.finalized == 1
    assert agent.messages == [TokiMessage("user", "q")]


async def test_cancelling_the_consuming_task_keeps_the_history_and_closes_the_source() -> None:
    model = AsyncEventModel([_RawContentChunk("first"), HANG, _RawContentChunk("never")])
    agent = Agent(model)
    agent.add_user_message("q")
    got_first = asyncio.Event()
    chunks: list[object] = []

    async def consume() -> None:
        async for chunk in agent.aexecute(stream=True):
            chunks.append(chunk)
            got_first.set()

    task = asyncio.create_task(consume())
    await got_first.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert chunks == ["first"]
    assert model.finalized == 1
    assert agent.messages == [TokiMessage("user", "q")]


# ---------------------------------------------------------------------- tool results


def test_add_tool_message_records_the_tool_name_and_encodes_content() -> None:
    turn = ScriptedTurn(
        tool_calls=[
            ScriptedToolCall("get_weather", {"city": "Paris"}, id="w1"),
            ScriptedToolCall("lookup", {"query": "q"}, id="l1"),
        ]
    )
    model = ScriptedModel([turn, "It is sunny."], allow_parallel_tool_calls=True)
    agent = Agent(model, tools=[WEATHER, LOOKUP])
    agent.add_user_message("weather?")
    agent.execute()
    agent.add_tool_message("w1", {"temp": 25, "sky": "☀"})
    agent.add_tool_message("l1", "plain text")
    assert agent.messages[-2:] == [
        TokiMessage("tool", '{"temp": 25, "sky": "☀"}', tool_call_id="w1", name="get_weather"),
        TokiMessage("tool", "plain text", tool_call_id="l1", name="lookup"),
    ]
    assert agent.execute() == "It is sunny."
    sent = model.requests[-1].messages
    assert [m.role for m in sent] == ["user", "assistant", "tool", "tool"]
    assert sent[2].to_dict() == {
        "role": "tool",
        "content": '{"temp": 25, "sky": "☀"}',
        "tool_call_id": "w1",
        "name": "get_weather",
    }


@pytest.mark.parametrize(
    ("content", "expected"),
    [(42, "42"), ([1, "a"], '[1, "a"]'), (None, "null"), (True, "true"), ({"when": object}, None)],
    ids=["int", "list", "None", "bool", "not JSON-able"],
)
def test_add_tool_message_json_encodes_non_string_content(content: object, expected: str | None) -> None:
    agent = Agent(ScriptedModel([ScriptedTurn(tool_calls=[ScriptedToolCall("get_weather", id="w1")])]), tools=[WEATHER])
    agent.add_user_message("q")
    agent.execute()
    agent.add_tool_message("w1", content)
    recorded = agent.messages[-1].content
    assert isinstance(recorded, str)
    if expected is not None:
        assert recorded == expected
    else:
        assert recorded.startswith('{"when": "<class')  # falls back to str() rather than failing


def test_add_tool_message_with_an_unknown_id_warns() -> None:
    agent = Agent(ScriptedModel([ScriptedTurn(tool_calls=[ScriptedToolCall("get_weather", id="w1")])]), tools=[WEATHER])
    agent.add_user_message("q")
    agent.execute()
    with pytest.warns(TokiToolMismatchWarning, match="'nope'") as record:
        agent.add_tool_message("nope", "result")
    assert record[0].filename == __file__  # points at the caller
    assert agent.messages[-1] == TokiMessage("tool", "result", tool_call_id="nope", name=None)


def test_add_tool_message_only_matches_the_latest_assistant_turn() -> None:
    model = ScriptedModel(
        [
            ScriptedTurn(tool_calls=[ScriptedToolCall("get_weather", id="old")]),
            ScriptedTurn(tool_calls=[ScriptedToolCall("get_weather", id="new")]),
        ]
    )
    agent = Agent(model, tools=[WEATHER])
    agent.add_user_message("q")
    agent.execute()
    agent.add_tool_message("old", "r1")
    agent.execute()
    agent.add_tool_message("new", "r2")
    with pytest.warns(TokiToolMismatchWarning):
        agent.add_tool_message("old", "r3")


def test_add_tool_message_with_no_assistant_turn_warns() -> None:
    agent = Agent(ScriptedModel())
    with pytest.warns(TokiToolMismatchWarning):
        agent.add_tool_message("x", "r")


# ---------------------------------------------------------------------- arguments reach the model


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "blocking"])
async def test_execute_forwards_kwargs_and_flags_to_the_model(mode: Mode, stream: bool) -> None:
    model = ScriptedModel([ScriptedTurn(content="ok", thinking="t")])
    agent = Agent(model, tools=[WEATHER])
    agent.add_user_message("q")
    if stream:
        await agent_stream(agent, mode, capture_thinking=True, temperature=0.2, max_tokens=10)
    else:
        await agent_blocking(agent, mode, capture_thinking=True, temperature=0.2, max_tokens=10)
    (request,) = model.requests
    assert request.kwargs == {"temperature": 0.2, "max_tokens": 10}
    assert request.stream is stream
    assert request.capture_thinking is True
    assert request.messages == [TokiMessage("user", "q")]
    assert request.tools == [dict(WEATHER)]


async def test_the_model_gets_a_snapshot_of_the_history(mode: Mode) -> None:
    model = ScriptedModel(["one", "two"])
    agent = Agent(model)
    agent.add_user_message("q1")
    await agent_blocking(agent, mode)
    agent.add_user_message("q2")
    await agent_blocking(agent, mode)
    first, second = model.requests
    assert [m.content for m in first.messages] == ["q1"]
    assert [m.content for m in second.messages] == ["q1", "one", "q2"]
    assert first.messages is not agent.messages


# ---------------------------------------------------------------------- usage


async def test_usage_is_summed_across_calls_and_the_last_one_kept(mode: Mode) -> None:
    model = ScriptedModel(
        [
            ScriptedTurn(content="a", usage=TokiUsageMetadata(10, 2, 12, cache_read_tokens=4)),
            ScriptedTurn(content="b", usage=TokiUsageMetadata(20, 3, 23), finish_reason="length"),
        ]
    )
    agent = Agent(model)
    agent.add_user_message("q")
    await agent_blocking(agent, mode)
    assert agent.last_usage == TokiUsageMetadata(10, 2, 12, cache_read_tokens=4)
    assert agent.last_finish_reason == "stop"
    await agent_stream(agent, mode)
    assert agent.usage == TokiUsageMetadata(30, 5, 35, cache_read_tokens=4)
    assert agent.last_usage == TokiUsageMetadata(20, 3, 23)
    assert agent.last_finish_reason == "length"
    assert model.last_usage == agent.last_usage
    assert model.last_finish_reason == "length"


async def test_a_failed_call_does_not_count_usage(mode: Mode) -> None:
    model = ScriptedModel(
        [
            ScriptedTurn(content="a", usage=TokiUsageMetadata(1, 1, 2)),
            ScriptedTurn(content="b", error=TokiServerError("x"), error_after=2),
        ]
    )
    agent = Agent(model)
    agent.add_user_message("q")
    await agent_stream(agent, mode)
    with pytest.raises(TokiServerError):
        await agent_stream(agent, mode)
    assert agent.usage == TokiUsageMetadata(1, 1, 2)
    assert agent.last_usage == TokiUsageMetadata(1, 1, 2)


def test_reset_forgets_messages_but_keeps_usage() -> None:
    agent = Agent(ScriptedModel([ScriptedTurn(content="a", usage=TokiUsageMetadata(1, 1, 2))]))
    agent.add_user_message("q")
    agent.execute()
    agent.reset()
    assert agent.messages == []
    assert agent.usage == TokiUsageMetadata(1, 1, 2)


# ---------------------------------------------------------------------- construction and messages


def test_tools_unsupported_by_the_model_warn_once_per_model() -> None:
    model = ScriptedModel(supports_tools=False)
    with pytest.warns(TokiToolMismatchWarning, match="does not support tools") as record:
        Agent(model, tools=[WEATHER])
    assert record[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Agent(model, tools=[WEATHER])  # one-shot: the same model does not warn again
    with pytest.warns(TokiToolMismatchWarning):
        Agent(ScriptedModel(supports_tools=False), tools=[WEATHER])  # another model does


@pytest.mark.parametrize("supports_tools", [True, None])
def test_tools_on_a_capable_or_unknown_model_do_not_warn(supports_tools: bool | None) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Agent(ScriptedModel(supports_tools=supports_tools), tools=[WEATHER])


def test_no_tools_on_a_model_without_tool_support_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Agent(ScriptedModel(supports_tools=False))
        Agent(ScriptedModel(supports_tools=False), tools=[])


def test_bad_tools_fail_at_construction() -> None:
    with pytest.raises(TokiInputError):
        Agent(ScriptedModel(), tools=[{"type": "function", "function": {"description": "no name"}}])


def test_the_agent_keeps_its_own_copy_of_the_tools() -> None:
    tools: list[Any] = [WEATHER]
    agent = Agent(ScriptedModel(), tools=tools)
    tools.append(LOOKUP)
    assert agent.tools == [WEATHER]
    assert Agent(ScriptedModel(), tools=[]).tools is None


def test_messages_are_validated_when_added() -> None:
    agent = Agent(ScriptedModel())
    agent.add_message({"role": "user", "content": "dict message"})
    agent.add_assistant_message("prefill")
    assert agent.messages == [TokiMessage("user", "dict message"), TokiMessage("assistant", "prefill")]
    with pytest.raises(TokiInputError, match="message 2"):
        agent.add_message({"role": "wizard", "content": "x"})
    with pytest.raises(TokiInputError):
        agent.add_message({"role": "tool", "content": "no id"})
    assert len(agent.messages) == 2


async def test_thinking_on_an_unverified_model_warns_once_per_model(mode: Mode) -> None:
    model = ScriptedModel(["a", "b", "c"], supports_thinking=None)
    agent = Agent(model)
    agent.add_user_message("q")
    with pytest.warns(TokiThinkingSupportWarning, match="no verified thinking support"):
        await agent_blocking(agent, mode, capture_thinking=True)
    await agent_stream(agent, mode, capture_thinking=True)  # no second warning (filterwarnings=error)
    await agent_blocking(agent, mode, capture_thinking=True)


async def test_a_full_tool_loop(mode: Mode) -> None:
    model = ScriptedModel(
        [
            ScriptedTurn(tool_calls=[ScriptedToolCall("get_weather", {"city": "Paris"}, id="w1")]),
            "It is sunny in Paris.",
        ]
    )
    agent = Agent(model, tools=[WEATHER])
    agent.add_user_message("What's the weather in Paris?")
    chunks = await agent_stream(agent, mode)
    (call,) = chunks
    assert call == weather_call()
    assert isinstance(call, TokiToolCall)
    agent.add_tool_message(call.id, f"Weather in {call.function.arguments['city']}: sunny")
    assert await agent_blocking(agent, mode) == "It is sunny in Paris."
    assert [m.role for m in agent.messages] == ["user", "assistant", "tool", "assistant"]
    assert model.remaining_turns == 0


def test_tool_call_chunks_without_a_tools_argument_warn_through_the_agent() -> None:
    model = EventModel([_RawToolCallChunk(index=0, id="x", name="get_weather", arguments_fragment="{}")])
    agent = Agent(model)
    agent.add_user_message("q")
    with pytest.warns(TokiToolMismatchWarning, match="no tools"):
        chunks = list(agent.execute(stream=True))
    assert chunks == [TokiToolCall("x", TokiToolFunction("get_weather", {}))]
    assert agent.messages[-1].tool_calls == chunks

"""OllamaModel end to end: the official client over a real socket to the simulated daemon, sync and async."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from typing import Any, cast

import pytest
from simulators import Fault, OllamaSim, ToolCallScript, Turn, Usage
from simulators import OllamaModel as SimModel
from toki import (
    Agent,
    AsyncTokiToolCallStream,
    StreamingToolSchema,
    TokiThinking,
    TokiThoughtResponse,
    TokiToolCall,
    TokiToolCallStream,
    TokiToolsResponse,
    TokiUsageMetadata,
)
from toki.errors import TokiConfigurationError, TokiResponseError
from toki.warnings import TokiBackendQuirkWarning, TokiThinkingSupportWarning, TokiToolMismatchWarning
from toki_ollama import OllamaModel

from .conftest import MakeModel, Runner

USER = [{"role": "user", "content": "Hello there"}]
GET_WEATHER: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather of a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "city name"}},
            "required": ["city"],
        },
    },
}
Bodies = Callable[[], list[dict[str, Any]]]


# -- text -----------------------------------------------------------------------------------------


def test_blocking_text(sim: OllamaSim, make_model: MakeModel, run: Runner, chat_bodies: Bodies) -> None:
    model = make_model()
    sim.enqueue(Turn(content=["Hel", "lo"], usage=Usage(prompt=11, completion=2)))
    assert run.complete(model, USER) == "Hello"
    assert model.last_usage == TokiUsageMetadata(prompt_tokens=11, completion_tokens=2, total_tokens=13)
    assert model.last_finish_reason == "stop"
    (body,) = chat_bodies()
    assert body["model"] == "qwen3:0.6b"
    assert body["messages"] == USER
    assert body["think"] is False  # a thinking model must not think for nothing
    # Blocking calls stream on the wire too (see OllamaModel._raw_blocking).
    assert body["stream"] is True


def test_streaming_text(sim: OllamaSim, make_model: MakeModel, run: Runner) -> None:
    model = make_model()
    sim.enqueue(Turn(content=["Hel", "lo", " world"], usage=Usage(prompt=3, completion=3)))
    assert run.complete(model, USER, stream=True) == ["Hel", "lo", " world"]
    assert model.last_usage == TokiUsageMetadata(prompt_tokens=3, completion_tokens=3, total_tokens=6)
    assert model.last_finish_reason == "stop"


def test_keepalive_lines_are_harmless(sim: OllamaSim, make_model: MakeModel, run: Runner) -> None:
    sim.enqueue(Turn(content=["a", "b"], faults=[Fault.keepalives(5, after=0), Fault.keepalives(3, after=1)]))
    assert run.complete(make_model(), USER, stream=True) == ["a", "b"]


def test_sync_and_async_agree(sim: OllamaSim, make_model: MakeModel) -> None:
    model = make_model()
    turn = Turn(content=["x", "y"], thinking=["t1", "t2"])
    sim.enqueue(turn, turn)
    sync = Runner(False).complete(model, USER, stream=True, capture_thinking=True)
    aio = Runner(True).complete(model, USER, stream=True, capture_thinking=True)
    assert sync == aio == [TokiThinking("t1"), TokiThinking("t2"), "x", "y"]


def test_system_and_history_reach_the_daemon(sim: OllamaSim, make_model: MakeModel, chat_bodies: Bodies) -> None:
    sim.enqueue(Turn(content="ok"))
    history = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "bye"},
    ]
    make_model().complete(history)
    assert chat_bodies()[0]["messages"] == history


def test_length_finish(sim: OllamaSim, make_model: MakeModel, run: Runner) -> None:
    model = make_model()
    sim.enqueue(Turn(content=["cut"], finish="length"))
    assert run.complete(model, USER, stream=True, max_tokens=1) == ["cut"]
    assert model.last_finish_reason == "length"


# -- thinking -------------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
def test_thinking_captured(
    sim: OllamaSim, make_model: MakeModel, run: Runner, chat_bodies: Bodies, stream: bool
) -> None:
    sim.enqueue(Turn(thinking=["Let me", " think"], content=["4", "2"]))
    result = run.complete(make_model(), USER, stream=stream, capture_thinking=True)
    if stream:
        assert result == [TokiThinking("Let me"), TokiThinking(" think"), "4", "2"]
    else:
        assert result == TokiThoughtResponse(content="42", thought="Let me think")
    assert chat_bodies()[0]["think"] is True


def test_thinking_not_captured_is_not_asked_for(
    sim: OllamaSim, make_model: MakeModel, run: Runner, chat_bodies: Bodies
) -> None:
    sim.enqueue(Turn(thinking=["hidden"], content="answer"))
    assert run.complete(make_model(), USER, stream=True) == ["answer"]
    assert chat_bodies()[0]["think"] is False


def test_reasoning_effort_picks_a_level_on_gpt_oss(sim: OllamaSim, make_model: MakeModel, chat_bodies: Bodies) -> None:
    sim.enqueue(Turn(thinking=["t"], content="a"), Turn(thinking=["t"], content="a"))
    model = make_model("gpt-oss:20b", reasoning_effort="high")
    assert model.complete(USER, capture_thinking=True) == TokiThoughtResponse(content="a", thought="t")
    assert model.complete(USER) == "a"  # thinking engaged, not surfaced
    assert [body["think"] for body in chat_bodies()] == ["high", "high"]


def test_reasoning_effort_on_a_model_without_levels_turns_thinking_on(
    sim: OllamaSim, make_model: MakeModel, chat_bodies: Bodies
) -> None:
    sim.enqueue(Turn(content="a"))
    make_model("qwen3:0.6b", reasoning_effort="xhigh").complete(USER)
    assert chat_bodies()[0]["think"] is True


def test_capture_on_a_model_that_cannot_think_warns_and_does_not_ask(
    sim: OllamaSim, make_model: MakeModel, run: Runner, chat_bodies: Bodies
) -> None:
    model = make_model("gemma3:1b", pull=True)  # the daemon says: completion only
    assert model.capabilities == frozenset({"completion"})
    sim.enqueue(Turn(content="plain"), Turn(content="plain"))
    with pytest.warns(TokiThinkingSupportWarning, match="does not produce thinking text"):
        assert run.complete(model, USER, capture_thinking=True) == TokiThoughtResponse(content="plain", thought="")
    assert run.complete(model, USER, capture_thinking=True).content == "plain"  # one-shot warning
    assert [body["think"] for body in chat_bodies()] == [False, False]  # think=True would be a 400


def test_capture_on_an_unknown_model_warns_unverified_and_asks(
    sim: OllamaSim, make_model: MakeModel, chat_bodies: Bodies
) -> None:
    sim.install(SimModel("my-thinker:7b", capabilities=("completion", "thinking")))
    sim.enqueue(Turn(thinking=["hm"], content="ok"))
    model = make_model("my-thinker:7b")  # pull=False: nothing known about it
    with pytest.warns(TokiThinkingSupportWarning, match="no verified thinking support"):
        result = model.complete(USER, capture_thinking=True)
    assert result == TokiThoughtResponse(content="ok", thought="hm")
    assert chat_bodies()[0]["think"] is True


def test_daemon_capabilities_take_precedence_over_the_snapshot(sim: OllamaSim, make_model: MakeModel) -> None:
    # The snapshot says qwen3 thinks; a daemon serving a non-thinking build of the tag knows better.
    sim.installed["qwen3:0.6b"].capabilities = ("completion",)
    model = make_model("qwen3:0.6b", pull=True)
    assert model._supports_thinking() is False  # pyright: ignore[reportPrivateUsage]
    assert model._supports_tools() is False  # pyright: ignore[reportPrivateUsage]
    assert make_model("qwen3:0.6b")._supports_thinking() is True  # pyright: ignore[reportPrivateUsage]
    assert make_model("qwen3:latest")._supports_thinking() is True  # pyright: ignore[reportPrivateUsage]
    assert make_model("nobody-knows:1b")._supports_thinking() is None  # pyright: ignore[reportPrivateUsage]


# -- tools ----------------------------------------------------------------------------------------


def test_tool_round_trip(sim: OllamaSim, make_model: MakeModel, run: Runner, chat_bodies: Bodies) -> None:
    model = make_model()
    sim.enqueue(
        Turn(tool_calls=[ToolCallScript("get_weather", '{"city": "Paris"}')], usage=Usage(prompt=20, completion=8)),
        Turn(content="Sunny in Paris."),
    )
    agent = Agent(model, tools=[GET_WEATHER])
    agent.add_user_message("Weather in Paris?")
    result = run.execute(agent)
    assert isinstance(result, TokiToolsResponse)
    (call,) = cast("TokiToolsResponse[TokiToolCall]", result).tool_calls
    assert call.function.name == "get_weather"
    assert call.function.arguments == {"city": "Paris"}
    assert call.id.startswith("call_")  # the client drops the daemon's ids: toki makes its own
    assert model.last_finish_reason == "tool_calls"
    agent.add_tool_message(call.id, "sunny, 25C")
    assert run.execute(agent) == "Sunny in Paris."

    first, second = chat_bodies()
    assert first["tools"][0]["function"]["name"] == "get_weather"
    assert first["tools"][0]["function"]["parameters"]["properties"]["city"] == {
        "type": "string",
        "description": "city name",
    }
    assert second["messages"][1:] == [
        {"role": "assistant", "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
        {"role": "tool", "content": "sunny, 25C", "tool_name": "get_weather"},
    ]


def test_streamed_tool_call_arrives_whole(sim: OllamaSim, make_model: MakeModel, run: Runner) -> None:
    sim.enqueue(Turn(content=["Let me check. "], tool_calls=[ToolCallScript("get_weather", ['{"city":', ' "Oslo"}'])]))
    chunks = run.complete(make_model(), USER, [GET_WEATHER], stream=True)
    assert chunks[0] == "Let me check. "
    assert isinstance(chunks[1], TokiToolCall)
    assert chunks[1].function.arguments == {"city": "Oslo"}
    assert len(chunks) == 2


def test_parallel_calls_get_distinct_ids(sim: OllamaSim, make_model: MakeModel, run: Runner) -> None:
    calls = [ToolCallScript("get_weather", '{"city": "Oslo"}'), ToolCallScript("get_weather", '{"city": "Rome"}')]
    sim.enqueue(Turn(tool_calls=calls))
    result = run.complete(make_model(allow_parallel_tool_calls=True), USER, [GET_WEATHER])
    assert [c.function.arguments["city"] for c in result.tool_calls] == ["Oslo", "Rome"]
    assert len({c.id for c in result.tool_calls}) == 2


def test_several_calls_without_parallel_calls_warn(sim: OllamaSim, make_model: MakeModel) -> None:
    calls = [ToolCallScript("get_weather", '{"city": "Oslo"}'), ToolCallScript("get_weather", '{"city": "Rome"}')]
    sim.enqueue(Turn(tool_calls=calls))
    with pytest.warns(TokiToolMismatchWarning, match="allow_parallel_tool_calls"):
        make_model().complete(USER, [GET_WEATHER])


def test_streaming_tool_schema_warns_once_and_yields_each_argument_whole(sim: OllamaSim, make_model: MakeModel) -> None:
    model = make_model()
    tool = StreamingToolSchema(GET_WEATHER)
    turn = Turn(tool_calls=[ToolCallScript("get_weather", '{"city": "Buenos Aires"}')])
    sim.enqueue(turn, turn, turn)
    with pytest.warns(TokiBackendQuirkWarning, match="each argument arrives in a single chunk") as record:
        stream = model.complete(USER, [tool], stream=True)
    assert len(record) == 1
    assert record[0].filename == __file__  # points at the caller
    (call,) = [chunk for chunk in stream if isinstance(chunk, TokiToolCallStream)]
    assert list(call.expect_arg("city")) == ["Buenos Aires"]
    # One-shot per model instance: the next streamed call is silent (warnings are errors here).
    second = [c for c in model.complete(USER, [tool], stream=True) if isinstance(c, TokiToolCallStream)]
    assert second[0].arguments == {"city": "Buenos Aires"}
    # Blocking calls never warn: nothing streams there anyway.
    blocking = make_model().complete(USER, [tool])
    assert isinstance(blocking, TokiToolsResponse)
    assert blocking.tool_calls[0].arguments == {"city": "Buenos Aires"}


async def test_streaming_tool_schema_async(sim: OllamaSim, make_model: MakeModel) -> None:
    model = make_model()
    sim.enqueue(Turn(tool_calls=[ToolCallScript("get_weather", '{"city": "Lima"}')]))
    with pytest.warns(TokiBackendQuirkWarning):
        stream = model.acomplete(USER, [StreamingToolSchema(GET_WEATHER)], stream=True)
    calls = [chunk async for chunk in stream if isinstance(chunk, AsyncTokiToolCallStream)]
    assert [piece async for piece in calls[0].expect_arg("city")] == ["Lima"]
    await model.aclose()


# -- options --------------------------------------------------------------------------------------


def test_options_and_keep_alive_reach_the_daemon(
    sim: OllamaSim, make_model: MakeModel, run: Runner, chat_bodies: Bodies
) -> None:
    model = make_model(options={"num_ctx": 4096, "temperature": 0.5}, keep_alive="10m")
    sim.enqueue(Turn(content="a"), Turn(content="b"))
    run.complete(model, USER)
    run.complete(model, USER, temperature=0.1, max_tokens=20, stop="END", keep_alive=0, format="json")
    first, second = chat_bodies()
    assert first["options"] == {"num_ctx": 4096, "temperature": 0.5}
    assert first["keep_alive"] == "10m"
    assert "format" not in first
    assert second["options"] == {"num_ctx": 4096, "temperature": 0.1, "num_predict": 20, "stop": ["END"]}
    assert second["keep_alive"] == 0
    assert second["format"] == "json"


def test_an_unknown_keyword_fails_before_any_request(sim: OllamaSim, make_model: MakeModel, run: Runner) -> None:
    with pytest.raises(TokiConfigurationError, match="max_output_tokens"):
        run.complete(make_model(), USER, stream=True, max_output_tokens=3)
    assert sim.requests_for("chat") == []


# -- token counting -------------------------------------------------------------------------------


def test_count_tokens_reads_prompt_eval_count(
    sim: OllamaSim, make_model: MakeModel, run: Runner, chat_bodies: Bodies
) -> None:
    sim.enqueue(Turn(content="x", usage=Usage(prompt=42, completion=1)))
    count = run.count_tokens(make_model(), USER, tools=[GET_WEATHER])
    assert count == 42
    assert type(count) is int
    (body,) = chat_bodies()
    assert body["options"] == {"num_predict": 1}  # 0 would mean "no limit" to the daemon's runners
    assert body["think"] is False
    assert body["tools"][0]["function"]["name"] == "get_weather"
    assert body["messages"] == USER


def test_count_tokens_keeps_the_model_options(sim: OllamaSim, make_model: MakeModel, chat_bodies: Bodies) -> None:
    sim.enqueue(Turn(content="x", usage=Usage(prompt=7, completion=1)))
    assert make_model(options={"num_ctx": 2048, "num_predict": 500}).count_tokens(USER) == 7
    assert chat_bodies()[0]["options"] == {"num_ctx": 2048, "num_predict": 1}


def test_count_tokens_other_kinds_are_rejected(make_model: MakeModel, run: Runner, sim: OllamaSim) -> None:
    for kind in ("offline", "online"):
        with pytest.raises(ValueError, match="kind="):
            run.count_tokens(make_model(), USER, kind=kind)
    assert sim.requests_for("chat") == []


def test_count_tokens_without_prompt_eval_count_is_an_error(sim: OllamaSim, make_model: MakeModel, run: Runner) -> None:
    sim.enqueue(Turn(content="x", usage=Usage(prompt=0, completion=1)))  # the field is then omitted
    with pytest.raises(TokiResponseError, match="prompt_eval_count"):
        run.count_tokens(make_model(), USER)


# -- lifetime -------------------------------------------------------------------------------------


def test_context_manager_closes_the_pool(sim: OllamaSim) -> None:
    sim.enqueue(Turn(content="a"))
    with OllamaModel("qwen3:0.6b", host=sim.base_url, pull=False) as model:
        assert model.complete(USER) == "a"
        assert model._sync_client is not None  # pyright: ignore[reportPrivateUsage]
    assert model._sync_client is None  # pyright: ignore[reportPrivateUsage]
    sim.enqueue(Turn(content="b"))
    assert model.complete(USER) == "b"  # a closed model reopens lazily
    model.close()
    model.close()  # idempotent


async def test_async_context_manager(sim: OllamaSim) -> None:
    sim.enqueue(Turn(content="a"))
    async with await OllamaModel.acreate("qwen3:0.6b", host=sim.base_url) as model:
        assert await model.acomplete(USER) == "a"
    assert [r.route for r in sim.requests] == ["tags", "show", "chat"]


def test_a_dropped_model_releases_its_connections(sim: OllamaSim) -> None:
    sim.enqueue(Turn(content="a"))
    model = OllamaModel("qwen3:0.6b", host=sim.base_url, pull=False)
    assert model.complete(USER) == "a"
    del model
    gc.collect()  # an unclosed socket would be a ResourceWarning, i.e. an error here


def test_asyncio_run_twice_with_one_model(sim: OllamaSim, make_model: MakeModel) -> None:
    model = make_model()
    sim.enqueue(Turn(content="a"), Turn(content="b"))

    async def once() -> str:
        return await model.acomplete(USER)

    assert asyncio.run(once()) == "a"
    assert asyncio.run(once()) == "b"  # a client bound to the first (closed) loop would fail here
    gc.collect()


def test_breaking_out_of_a_stream_releases_the_connection(sim: OllamaSim, make_model: MakeModel) -> None:
    model = make_model()
    sim.enqueue(Turn(content=[f"{i} " for i in range(50)], faults=[Fault.stall(30, after=3)]))
    stream = model.complete(USER, stream=True)
    assert next(stream) == "0 "
    stream.close()
    model.close()
    assert sim.wait_for_requests(1)
    for _ in range(100):
        if sim.open_connections == 0:
            break
        asyncio.run(asyncio.sleep(0.02))
    assert sim.open_connections == 0


def test_repr(make_model: MakeModel, sim: OllamaSim) -> None:
    assert repr(make_model("qwen3:0.6b")) == f"OllamaModel('qwen3:0.6b', host='{sim.base_url}')"

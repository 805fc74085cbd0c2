"""Real daemon responses (tests-integration/fixtures/recorded/ollama), replayed byte for byte and parsed."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest
from simulators import OllamaSim, fixture_names, read_fixture, recorded_reply
from toki import TokiThinking, TokiThoughtResponse, TokiToolCall, TokiToolsResponse, TokiUsageMetadata
from toki.errors import TokiBadRequestError

from .conftest import MakeModel, Runner

USER = [{"role": "user", "content": "Count from 1 to 5"}]
GET_WEATHER: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "getWeather",
        "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]},
    },
}


def recorded_lines(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in read_fixture(name).splitlines() if line.strip()]


def test_every_ollama_recording_is_covered() -> None:
    assert fixture_names("ollama") == [
        "ollama/error-model-no-tools.json",
        "ollama/length-stop.httprr",
        "ollama/thinking-text.json",
        "ollama/thinking-text.ndjson",
        "ollama/thinking-tool-call.json",
    ]


@pytest.mark.parametrize("capture", [True, False])
def test_streamed_thinking_text(sim: OllamaSim, make_model: MakeModel, run: Runner, capture: bool) -> None:
    lines = recorded_lines("ollama/thinking-text.ndjson")
    thought = "".join(line["message"].get("thinking", "") for line in lines)
    content = "".join(line["message"]["content"] for line in lines)
    sim.replay("ollama/thinking-text.ndjson")
    model = make_model("gpt-oss:20b")
    chunks = run.complete(model, USER, stream=True, capture_thinking=capture)
    thinking = "".join(c.text for c in chunks if isinstance(c, TokiThinking))
    assert "".join(c for c in chunks if isinstance(c, str)) == content == "1  \n2  \n3  \n4  \n5"
    # gpt-oss thinks whatever `think` says; uncaptured thinking is dropped.
    assert thinking == (thought if capture else "")
    assert thought.startswith("User asks")
    assert model.last_usage == TokiUsageMetadata(prompt_tokens=74, completion_tokens=57, total_tokens=131)
    assert model.last_finish_reason == "stop"


def test_blocking_thinking_text(sim: OllamaSim, make_model: MakeModel, run: Runner) -> None:
    recorded = json.loads(read_fixture("ollama/thinking-text.json"))
    sim.replay("ollama/thinking-text.json")  # one JSON object: the streaming client reads it as one line
    model = make_model("gpt-oss:20b")
    result = run.complete(model, USER, capture_thinking=True)
    assert result == TokiThoughtResponse(
        content=recorded["message"]["content"], thought=recorded["message"]["thinking"]
    )
    assert result.content == "The capital of France is **Paris**."
    assert model.last_usage == TokiUsageMetadata(prompt_tokens=74, completion_tokens=40, total_tokens=114)


def test_blocking_thinking_tool_call(sim: OllamaSim, make_model: MakeModel, run: Runner) -> None:
    recorded = json.loads(read_fixture("ollama/thinking-tool-call.json"))
    sim.replay("ollama/thinking-tool-call.json")
    model = make_model("gpt-oss:20b")
    result = run.complete(model, USER, [GET_WEATHER], capture_thinking=True)
    assert isinstance(result, TokiToolsResponse)
    (call,) = cast("TokiToolsResponse[TokiToolCall]", result).tool_calls
    assert call.function.name == "getWeather"
    assert call.function.arguments == {"location": "San Francisco, CA"}
    # The daemon sent an id, which the official client drops; toki's id is its own.
    assert recorded["message"]["tool_calls"][0]["id"] == "call_mo1wm122"
    assert call.id.startswith("call_") and call.id != "call_mo1wm122"
    assert result.thought == "User asks about weather in San Francisco. Use function getWeather."  # type: ignore[attr-defined]
    assert model.last_finish_reason == "tool_calls"  # the recording says "stop"


def test_recorded_no_tools_error(sim: OllamaSim, make_model: MakeModel, run: Runner) -> None:
    sim.replay("ollama/error-model-no-tools.json")
    with pytest.raises(TokiBadRequestError) as caught:
        run.complete(make_model("gemma3:1b"), USER, [GET_WEATHER])
    assert caught.value.status_code == 400
    assert str(caught.value).endswith("registry.ollama.ai/library/gemma3:1b does not support tools")
    assert caught.value.body == {"error": "registry.ollama.ai/library/gemma3:1b does not support tools"}
    assert len(sim.requests_for("chat")) == 1


def test_recorded_length_stop(sim: OllamaSim, make_model: MakeModel, run: Runner) -> None:
    reply = recorded_reply("ollama/length-stop.httprr")
    expected = "".join(json.loads(part)["message"]["content"] for part in reply.parts)
    sim.replay("ollama/length-stop.httprr")
    model = make_model("gemma3:1b")
    chunks = run.complete(model, USER, stream=True, max_tokens=50)
    assert "".join(chunks) == expected
    assert expected.startswith("Hello there!")
    assert model.last_finish_reason == "length"
    assert model.last_usage == TokiUsageMetadata(prompt_tokens=15, completion_tokens=50, total_tokens=65)


def test_recordings_survive_any_chunking(sim: OllamaSim, make_model: MakeModel) -> None:
    model = make_model("gpt-oss:20b")
    expected: list[Any] | None = None
    for sizes in [(1,), (7,), (3, 50, 2), (4096,)]:
        sim.enqueue(recorded_reply("ollama/thinking-text.ndjson").rechunked(*sizes))
        chunks = list(model.complete(USER, stream=True, capture_thinking=True))
        expected = expected or chunks
        assert chunks == expected

"""AnthropicModel end to end: real sockets, through litellm, against the Anthropic Messages simulator."""

from __future__ import annotations

import json
from typing import Any

import pytest
from simulators import AnthropicSim, Fault, ToolCallScript, Turn, Usage, read_fixture
from toki import (
    StreamingToolSchema,
    TokenCountEstimate,
    TokiThinking,
    TokiThoughtResponse,
    TokiToolCall,
    TokiToolCallStream,
    TokiToolFunction,
    TokiToolsResponse,
)
from toki.errors import (
    TokiAPIError,
    TokiAuthenticationError,
    TokiBadRequestError,
    TokiConfigurationError,
    TokiConnectionError,
    TokiInsufficientCreditsError,
    TokiMissingAPIKeyError,
    TokiNotFoundError,
    TokiPermissionDeniedError,
    TokiRateLimitError,
    TokiResponseError,
    TokiServerError,
    TokiStreamTruncatedError,
)
from toki.warnings import TokiBackendQuirkWarning, TokiToolMismatchWarning
from toki_anthropic import AnthropicModel

from .conftest import MakeModel, Run

HI = [{"role": "user", "content": "hi"}]
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def _body(sim: AnthropicSim, index: int = -1) -> dict[str, Any]:
    return sim.requests_for("messages")[index].json_object()


def _events(name: str) -> list[dict[str, Any]]:
    text = read_fixture(name).decode()
    if name.endswith(".sse"):
        return [json.loads(line[5:]) for line in text.splitlines() if line.startswith("data:")]
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# ---------------------------------------------------------------------------- construction


def test_api_key_falls_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-env")
    with AnthropicModel("claude-haiku-4-5") as model:
        assert model._api_key == "sk-ant-env"  # pyright: ignore[reportPrivateUsage]


def test_missing_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(TokiMissingAPIKeyError, match="ANTHROPIC_API_KEY"):
        AnthropicModel("claude-haiku-4-5")


def test_a_trailing_v1_is_dropped_from_the_base_url(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Turn(content="ok"))
    assert run(make_model(base_url=sim.base_url + "/v1/"), HI) == "ok"
    assert sim.requests[-1].path == "/v1/messages"


def test_bad_cache_arguments() -> None:
    with pytest.raises(TokiConfigurationError, match="cache must be"):
        AnthropicModel("claude-sonnet-4-5", api_key="k", cache="always")  # type: ignore[arg-type]
    with pytest.raises(TokiConfigurationError, match="cache_ttl"):
        AnthropicModel("claude-sonnet-4-5", api_key="k", cache_ttl="10m")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- text and usage


def test_text_usage_and_headers(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    model = make_model(api_key="sk-ant-secret")
    sim.enqueue(Turn(content=["Hel", "lo"], usage=Usage(prompt=100, completion=7, cached_read=60, cache_write=30)))
    assert run(model, HI) == "Hello"
    usage = model.last_usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens) == (100, 7)
    assert (usage.cache_read_tokens, usage.cache_write_tokens) == (60, 30)
    request = sim.requests[-1]
    assert request.headers["x-api-key"] == "sk-ant-secret"
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert _body(sim)["messages"] == [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]


def test_streamed_usage_includes_cache_fields(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    model = make_model()
    sim.enqueue(Turn(content=["a", "b"], usage=Usage(prompt=500, completion=2, cached_read=400, cache_write=50)))
    assert run(model, HI, stream=True) == ["a", "b"]
    assert model.last_usage is not None
    assert (model.last_usage.cache_read_tokens, model.last_usage.cache_write_tokens) == (400, 50)
    assert model.last_usage.prompt_tokens == 500


@pytest.mark.parametrize(
    ("finish", "expected"), [("stop", "stop"), ("length", "length"), ("content_filter", "content_filter")]
)
@pytest.mark.parametrize("stream", [False, True])
def test_finish_reasons(
    sim: AnthropicSim, make_model: MakeModel, run: Run, finish: Any, expected: str, stream: bool
) -> None:
    model = make_model()
    sim.enqueue(Turn(content="x", finish=finish))
    run(model, HI, stream=stream)
    assert model.last_finish_reason == expected


def test_system_messages_become_the_system_field(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Turn(content="ok"))
    run(make_model(), [{"role": "system", "content": "be brief"}, *HI])
    body = _body(sim)
    assert body["system"] == [{"type": "text", "text": "be brief"}]
    assert [m["role"] for m in body["messages"]] == ["user"]


# ---------------------------------------------------------------------------- thinking


def test_thinking_deltas_are_captured(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    model = make_model()
    sim.enqueue(Turn(thinking=["Let me", " think."], content=["4", "2"]))
    chunks = run(model, HI, stream=True, capture_thinking=True)
    assert chunks == [TokiThinking("Let me"), TokiThinking(" think."), "4", "2"]
    sim.enqueue(Turn(thinking="Hmm.", content="42"))
    assert run(model, HI, capture_thinking=True) == TokiThoughtResponse(content="42", thought="Hmm.")


def test_thinking_is_dropped_unless_captured(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Turn(thinking="secret", content="42"))
    assert run(make_model(reasoning_effort="low"), HI, stream=True) == ["42"]


@pytest.mark.parametrize(("effort", "budget"), [(None, 2048), ("low", 1024), ("high", 4096)])
def test_reasoning_engagement_on_the_wire(
    sim: AnthropicSim, make_model: MakeModel, run: Run, effort: Any, budget: int
) -> None:
    sim.enqueue(Turn(content="ok"))
    run(make_model(reasoning_effort=effort), HI, capture_thinking=True)
    body = _body(sim)
    assert body["thinking"] == {"type": "enabled", "budget_tokens": budget}
    assert body["max_tokens"] > budget


def test_explicit_thinking_kwarg_overrides_the_effort(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Turn(content="ok"))
    run(
        make_model(reasoning_effort="high"),
        HI,
        capture_thinking=True,
        thinking={"type": "enabled", "budget_tokens": 1500},
    )
    assert _body(sim)["thinking"] == {"type": "enabled", "budget_tokens": 1500}


def test_no_thinking_by_default(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Turn(content="ok"))
    run(make_model(), HI)
    assert "thinking" not in _body(sim)


def test_tool_result_turn_is_sent_without_thinking(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    # Anthropic wants the tool call's thinking block replayed there; toki keeps no thinking.
    model = make_model(reasoning_effort="medium")
    history = [
        *HI,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "t1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "t1", "name": "get_weather", "content": "sunny"},
    ]
    sim.enqueue(Turn(content="It is sunny."), Turn(content="ok"))
    with pytest.warns(TokiBackendQuirkWarning, match="without extended thinking"):
        assert run(model, history, [WEATHER]) == "It is sunny."
    assert "thinking" not in _body(sim)
    run(model, [*history, {"role": "assistant", "content": "It is sunny."}, {"role": "user", "content": "and?"}])
    assert _body(sim)["thinking"]["type"] == "enabled"


# ---------------------------------------------------------------------------- tools


def test_streamed_tool_call(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    model = make_model()
    sim.enqueue(
        Turn(content="Checking.", tool_calls=[ToolCallScript("get_weather", ['{"city"', ': "Paris"}'], id="toolu_1")])
    )
    chunks = run(model, HI, [WEATHER], stream=True)
    assert chunks == ["Checking.", TokiToolCall("toolu_1", TokiToolFunction("get_weather", {"city": "Paris"}))]
    assert model.last_finish_reason == "tool_calls"
    body = _body(sim)
    assert body["tools"][0]["name"] == "get_weather"
    assert body["tools"][0]["input_schema"]["required"] == ["city"]
    assert body["tool_choice"]["disable_parallel_tool_use"] is True


def test_blocking_tool_call(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Turn(tool_calls=[ToolCallScript("get_weather", '{"city": "Oslo"}', id="toolu_2")]))
    result: TokiToolsResponse[TokiToolCall] = run(make_model(), HI, [WEATHER])
    assert result.tool_calls == [TokiToolCall("toolu_2", TokiToolFunction("get_weather", {"city": "Oslo"}))]


def test_tool_results_go_back_as_tool_result_blocks(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Turn(content="done"))
    history = [
        *HI,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "t1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "A"}'}}
            ],
        },
        {"role": "tool", "tool_call_id": "t1", "name": "get_weather", "content": "sunny"},
    ]
    run(make_model(), history, [WEATHER])
    sent = _body(sim)["messages"]
    assert sent[1]["content"][0] == {"type": "tool_use", "id": "t1", "name": "get_weather", "input": {"city": "A"}}
    assert sent[2]["role"] == "user" and sent[2]["content"][0]["type"] == "tool_result"
    assert sent[2]["content"][0]["tool_use_id"] == "t1"


def test_parallel_calls(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    calls = [
        ToolCallScript("get_weather", '{"city": "A"}', id="t1"),
        ToolCallScript("get_weather", '{"city": "B"}', id="t2"),
    ]
    sim.enqueue(Turn(tool_calls=calls), Turn(tool_calls=calls))
    allowed = run(make_model(allow_parallel_tool_calls=True), HI, [WEATHER], stream=True)
    assert [c.id for c in allowed] == ["t1", "t2"]
    assert "disable_parallel_tool_use" not in _body(sim).get("tool_choice", {})
    with pytest.warns(TokiToolMismatchWarning):
        run(make_model(), HI, [WEATHER], stream=True)


def test_streaming_tool_arguments(sim: AnthropicSim, make_model: MakeModel) -> None:
    sim.enqueue(Turn(tool_calls=[ToolCallScript("get_weather", ['{"city": "Pa', "ri", 's"}'])]))
    pieces: list[str] = []
    for chunk in make_model().complete(HI, [StreamingToolSchema(WEATHER)], stream=True):
        assert isinstance(chunk, TokiToolCallStream)
        pieces.extend(chunk.expect_arg("city"))
    assert "".join(pieces) == "Paris"


# ---------------------------------------------------------------------------- recorded provider bytes


def test_recorded_text_stream(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    model = make_model()
    sim.replay("anthropic/text.chunks.txt")
    events = _events("anthropic/text.chunks.txt")
    expected = "".join(e["delta"].get("text", "") for e in events if e["type"] == "content_block_delta")
    assert "".join(run(model, HI, stream=True)) == expected
    assert model.last_finish_reason == "stop"


def test_recorded_blocking_text(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    model = make_model()
    sim.replay("anthropic/text.json")
    recorded = json.loads(read_fixture("anthropic/text.json"))
    assert run(model, HI) == recorded["content"][0]["text"]
    assert model.last_usage is not None and model.last_usage.completion_tokens == recorded["usage"]["output_tokens"]


@pytest.mark.parametrize(
    "name", ["anthropic/text-then-tool-args.chunks.txt", "anthropic/text-then-no-arg-tool.chunks.txt"]
)
def test_recorded_text_then_tool(sim: AnthropicSim, make_model: MakeModel, run: Run, name: str) -> None:
    sim.replay(name)
    events = _events(name)
    tool = next(
        e["content_block"]
        for e in events
        if e["type"] == "content_block_start" and e["content_block"]["type"] == "tool_use"
    )
    arguments = "".join(
        e["delta"].get("partial_json", "")
        for e in events
        if e["type"] == "content_block_delta" and e["delta"]["type"] == "input_json_delta"
    )
    schema = {"type": "function", "function": {"name": tool["name"], "parameters": {"type": "object"}}}
    chunks = run(make_model(), HI, [schema], stream=True)
    call = chunks[-1]
    assert isinstance(call, TokiToolCall) and call.id == tool["id"]
    assert call.function.arguments == (json.loads(arguments) if arguments else {})
    assert isinstance(chunks[0], str) and chunks[0]


def test_recorded_blocking_no_arg_tool(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    sim.replay("anthropic/text-then-no-arg-tool.json")
    recorded = json.loads(read_fixture("anthropic/text-then-no-arg-tool.json"))
    tool = next(block for block in recorded["content"] if block["type"] == "tool_use")
    schema = {"type": "function", "function": {"name": tool["name"], "parameters": {"type": "object"}}}
    result: TokiToolsResponse[TokiToolCall] = run(make_model(), HI, [schema])
    assert result.tool_calls == [TokiToolCall(tool["id"], TokiToolFunction(tool["name"], tool["input"]))]


def test_recorded_parallel_no_arg_tools(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    sim.replay("anthropic/parallel-no-arg-tools.sse")
    schema = {"type": "function", "function": {"name": "pelican_name_generator", "parameters": {"type": "object"}}}
    calls = run(make_model(allow_parallel_tool_calls=True), HI, [schema], stream=True)
    assert [(c.function.name, c.function.arguments) for c in calls] == [("pelican_name_generator", {})] * 2
    assert calls[0].id != calls[1].id


@pytest.mark.parametrize("name", ["anthropic/thinking-text.sse", "anthropic/thinking-then-no-arg-tool.sse"])
def test_recorded_thinking(sim: AnthropicSim, make_model: MakeModel, run: Run, name: str) -> None:
    sim.replay(name)
    events = _events(name)
    thought = "".join(e["delta"].get("thinking", "") for e in events if e.get("type") == "content_block_delta")
    tools = [
        {"type": "function", "function": {"name": e["content_block"]["name"], "parameters": {"type": "object"}}}
        for e in events
        if e.get("type") == "content_block_start" and e["content_block"]["type"] == "tool_use"
    ]
    chunks = run(make_model(), HI, tools or None, stream=True, capture_thinking=True)
    assert "".join(c.text for c in chunks if isinstance(c, TokiThinking)) == thought
    assert thought


def test_recorded_redacted_thinking(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    sim.replay("anthropic/redacted-thinking-text.sse")
    chunks = run(make_model(), HI, stream=True, capture_thinking=True)
    assert all(isinstance(c, str) for c in chunks)
    assert "".join(chunks).startswith("I notice")


def test_recorded_stop_sequence(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    model = make_model()
    sim.replay("anthropic/stop-sequence.sse")
    assert "".join(run(model, HI, stream=True))
    assert model.last_finish_reason == "stop"


@pytest.mark.parametrize(
    ("name", "read", "write"),
    [
        ("anthropic/cache-read-max-tokens.chunks.txt", True, False),
        ("anthropic/cache-write-max-tokens.chunks.txt", False, True),
    ],
)
def test_recorded_cache_usage(
    sim: AnthropicSim, make_model: MakeModel, run: Run, name: str, read: bool, write: bool
) -> None:
    model = make_model()
    sim.replay(name)
    start = next(e for e in _events(name) if e["type"] == "message_start")["message"]["usage"]
    run(model, HI, stream=True)
    usage = model.last_usage
    assert usage is not None and model.last_finish_reason == "length"
    assert usage.cache_read_tokens == start["cache_read_input_tokens"]
    assert usage.cache_write_tokens == start["cache_creation_input_tokens"]
    assert (usage.cache_read_tokens or 0) > 0 if read else (usage.cache_write_tokens or 0) > 0
    assert write or read
    total_input = start["input_tokens"] + start["cache_read_input_tokens"] + start["cache_creation_input_tokens"]
    assert usage.prompt_tokens == total_input


def test_recorded_error_body(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    sim.replay("anthropic/error-invalid-request.json")
    recorded = json.loads(read_fixture("anthropic/error-invalid-request.json"))
    with pytest.raises(TokiBadRequestError) as caught:
        run(make_model(max_retries=0), HI)
    assert caught.value.message == recorded["error"]["message"]
    assert caught.value.body == recorded


# ---------------------------------------------------------------------------- errors and retries


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, TokiBadRequestError),
        (401, TokiAuthenticationError),
        (402, TokiInsufficientCreditsError),
        (403, TokiPermissionDeniedError),
        (404, TokiNotFoundError),
        (413, TokiAPIError),  # request_too_large: no narrower toki class
        (429, TokiRateLimitError),
        (500, TokiServerError),
        (529, TokiServerError),
    ],
)
@pytest.mark.parametrize("stream", [False, True])
def test_status_errors(
    sim: AnthropicSim, make_model: MakeModel, run: Run, status: int, error: type[Exception], stream: bool
) -> None:
    sim.enqueue(Fault.status(status))
    with pytest.raises(error) as caught:
        run(make_model(max_retries=0), HI, stream=stream)
    value: Any = caught.value
    body: Any = sim.error_body(status, None, None)
    assert value.status_code == status
    assert value.message == body["error"]["message"].replace("claude-sonnet-4-5", "claude-sonnet-4-5")
    assert value.body["error"]["type"] == body["error"]["type"]


@pytest.mark.parametrize(("status", "attempts"), [(529, 3), (500, 3), (429, 3), (400, 1), (401, 1)])
def test_wire_attempts(sim: AnthropicSim, make_model: MakeModel, run: Run, status: int, attempts: int) -> None:
    sim.set_default(Fault.status(status, headers={"retry-after": "0"}))
    with pytest.raises(Exception) as caught:
        run(make_model(max_retries=2), HI, stream=True)
    assert len(sim.requests) == attempts
    assert getattr(caught.value, "attempts", None) == attempts


def test_in_band_error_mid_stream(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Turn(content=["a", "b", "c"]).with_faults(Fault.in_band_error(after=4)))
    with pytest.raises(TokiServerError, match="Overloaded"):
        run(make_model(max_retries=2), HI, stream=True)
    assert len(sim.requests) == 1


def test_in_band_error_before_output_is_retried(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Turn(content="x").with_faults(Fault.in_band_error(after=1)), Turn(content="fine"))
    assert run(make_model(max_retries=1), HI, stream=True) == ["fine"]
    assert len(sim.requests) == 2


def test_missing_message_stop_is_truncation(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Turn(content=["par", "tial"]).with_faults(Fault.no_terminal_event()))
    with pytest.raises(TokiStreamTruncatedError) as caught:
        run(make_model(max_retries=0), HI, stream=True)
    assert caught.value.received == "partial"


def test_undecodable_event_is_never_a_silent_success(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    # litellm would skip an Anthropic event it cannot decode and carry on without it.
    sim.enqueue(*[Turn(content=["a", "b", "c"]).with_faults(Fault.malformed_event(after=3))] * 2)
    with pytest.raises(
        TokiResponseError, match="malformed 'content_block_delta' event: its data is not valid JSON"
    ) as caught:
        run(make_model(max_retries=1), HI, stream=True)
    assert type(caught.value) is TokiResponseError and caught.value.attempts == 1
    assert len(sim.requests) == 1


def test_connection_cut_mid_stream(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Turn(content=["a", "b", "c"]).with_faults(Fault.cut_after(4)))
    with pytest.raises(TokiConnectionError):
        run(make_model(max_retries=0), HI, stream=True)


# ---------------------------------------------------------------------------- token counting


@pytest.mark.parametrize("kind", ["exact", "online"])
def test_count_tokens_by_round_trip(sim: AnthropicSim, make_model: MakeModel, kind: Any) -> None:
    model = make_model(reasoning_effort="high", cache="static")
    sim.enqueue(Turn(content="x", usage=Usage(prompt=1234, completion=1)))
    assert model.count_tokens(HI, tools=[WEATHER], kind=kind) == 1234
    body = _body(sim)
    assert body["max_tokens"] == 1 and "thinking" not in body
    assert body["tools"][0]["name"] == "get_weather"


async def test_acount_tokens_by_round_trip(sim: AnthropicSim, make_model: MakeModel) -> None:
    model = make_model()
    sim.enqueue(Turn(content="x", usage=Usage(prompt=77, completion=1)))
    try:
        assert await model.acount_tokens(HI) == 77
    finally:
        await model.aclose()


def test_count_tokens_offline(sim: AnthropicSim, make_model: MakeModel) -> None:
    model = make_model()
    estimate = model.count_tokens([{"role": "user", "content": "Tell me a joke about token counting."}], kind="offline")
    assert isinstance(estimate, TokenCountEstimate)
    assert estimate.safety_factor == 1.15
    assert estimate.prompt_tokens == -(-estimate.raw_prompt_tokens * 115 // 100)
    assert sim.requests == []
    with pytest.raises(ValueError, match="kind"):
        model.count_tokens(HI, kind="approximate")  # type: ignore[call-overload]

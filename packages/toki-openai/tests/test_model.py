"""OpenAIModel end to end: real sockets, through litellm and the openai SDK, against the OpenAI simulator."""

from __future__ import annotations

import json
from typing import Any

import pytest
from simulators import Fault, OpenAIChatSim, ToolCallScript, Turn, Usage
from toki import (
    StreamingToolSchema,
    TokiThinking,
    TokiThoughtResponse,
    TokiToolCall,
    TokiToolCallStream,
    TokiToolsResponse,
)
from toki.errors import (
    TokiAuthenticationError,
    TokiBadRequestError,
    TokiConfigurationError,
    TokiConnectionError,
    TokiMissingAPIKeyError,
    TokiNotFoundError,
    TokiPermissionDeniedError,
    TokiRateLimitError,
    TokiResponseError,
    TokiServerError,
    TokiStreamTruncatedError,
    TokiTimeoutError,
)
from toki.timeouts import Timeouts
from toki.warnings import TokiThinkingSupportWarning, TokiToolMismatchWarning
from toki_openai import OpenAIModel

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


def _body(sim: OpenAIChatSim, index: int = -1) -> dict[str, Any]:
    return sim.requests[index].json_object()


# ---------------------------------------------------------------------------- construction


def test_api_key_falls_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    with OpenAIModel("gpt-5.4-mini") as model:
        assert model._api_key == "sk-env"  # pyright: ignore[reportPrivateUsage]


def test_missing_api_key_raises_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(TokiMissingAPIKeyError, match="OPENAI_API_KEY"):
        OpenAIModel("gpt-5.4-mini")


def test_cache_is_not_an_argument() -> None:
    with pytest.raises(TypeError, match="cache"):
        OpenAIModel("gpt-5.4-mini", api_key="k", cache="static")  # type: ignore[call-arg]


def test_base_url_and_api_base_are_aliases() -> None:
    with OpenAIModel("gpt-4o-mini", api_key="k", api_base="http://h/v1") as model:
        assert model._api_base == "http://h/v1"  # pyright: ignore[reportPrivateUsage]
    with pytest.raises(TypeError, match="not both"):
        OpenAIModel("gpt-4o-mini", api_key="k", api_base="http://a/v1", base_url="http://b/v1")


def test_litellm_model_string_has_the_provider_prefix() -> None:
    with OpenAIModel("gpt-5.4", api_key="k") as model:
        assert model.litellm_model == "openai/gpt-5.4"
        assert model.model == "gpt-5.4"


# ---------------------------------------------------------------------------- text


def test_blocking_text_and_usage(sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    model = make_model()
    sim.enqueue(Turn(content=["Hel", "lo"], usage=Usage(prompt=20, completion=5, cached_read=8, reasoning=3)))
    assert run(model, HI) == "Hello"
    usage = model.last_usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (20, 5, 25)
    assert (usage.cache_read_tokens, usage.reasoning_tokens) == (8, 3)
    assert model.last_finish_reason == "stop"
    body = _body(sim)
    assert body["model"] == "gpt-5.4-mini" and body["messages"] == HI
    assert "stream" not in body or body["stream"] is False


def test_streaming_text_asks_for_usage(sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    model = make_model()
    sim.enqueue(Turn(content=["Hel", "lo", " there"], usage=Usage(prompt=11, completion=3, cached_read=4)))
    assert run(model, HI, stream=True) == ["Hel", "lo", " there"]
    assert _body(sim)["stream_options"] == {"include_usage": True}
    assert model.last_usage is not None and model.last_usage.cache_read_tokens == 4
    assert model.last_usage.prompt_tokens == 11


def test_request_headers_and_path(sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Turn(content="ok"))
    run(make_model(api_key="sk-secret"), HI)
    request = sim.requests[-1]
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-secret"
    assert request.headers["x-stainless-retry-count"] == "0"


@pytest.mark.parametrize(("finish", "expected"), [("length", "length"), ("content_filter", "content_filter")])
def test_finish_reasons(sim: OpenAIChatSim, make_model: MakeModel, run: Run, finish: Any, expected: str) -> None:
    model = make_model()
    sim.enqueue(Turn(content="cut", finish=finish))
    assert run(model, HI, stream=True) == ["cut"]
    assert model.last_finish_reason == expected


def test_system_and_history_go_out_in_the_openai_shape(sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Turn(content="ok"))
    messages = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "weather?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "c1", "name": "get_weather", "content": "sunny"},
    ]
    run(make_model(), messages, [WEATHER])
    sent = _body(sim)["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "tool"]
    assert sent[2]["tool_calls"][0]["id"] == "c1"
    assert sent[3] == {"role": "tool", "tool_call_id": "c1", "name": "get_weather", "content": "sunny"}


# ---------------------------------------------------------------------------- thinking


def test_reasoning_content_is_captured_with_a_warning(sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    model = make_model()
    sim.enqueue(Turn(thinking=["let me ", "think"], content="42"))
    with pytest.warns(TokiThinkingSupportWarning, match="unreliable"):
        chunks = run(model, HI, stream=True, capture_thinking=True)
    assert chunks == [TokiThinking("let me "), TokiThinking("think"), "42"]
    sim.enqueue(Turn(thinking="hmm", content="42"))
    result = run(model, HI, capture_thinking=True)  # one-shot: no second warning
    assert result == TokiThoughtResponse(content="42", thought="hmm")


def test_capture_thinking_alone_engages_medium_effort(sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Turn(content="ok"))
    with pytest.warns(TokiThinkingSupportWarning):
        run(make_model(), HI, capture_thinking=True)
    assert _body(sim)["reasoning_effort"] == "medium"


def test_ctor_effort_overrides_and_is_sent_without_capture(sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    model = make_model(reasoning_effort="high")
    sim.enqueue(Turn(content="ok"), Turn(content="ok"))
    run(model, HI)
    assert _body(sim)["reasoning_effort"] == "high"
    with pytest.warns(TokiThinkingSupportWarning):
        run(model, HI, capture_thinking=True)
    assert _body(sim)["reasoning_effort"] == "high"


def test_no_reasoning_parameter_by_default(sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Turn(content="ok"))
    run(make_model(), HI)
    assert "reasoning_effort" not in _body(sim)


def test_capture_on_a_non_reasoning_model_sends_no_effort(sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Turn(content="ok"))
    with pytest.warns(TokiThinkingSupportWarning, match="not a reasoning model"):
        run(make_model("gpt-4o-mini"), HI, capture_thinking=True)
    assert "reasoning_effort" not in _body(sim)


def test_explicit_reasoning_effort_kwarg_wins(sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Turn(content="ok"))
    run(make_model(reasoning_effort="high"), HI, reasoning_effort="low")
    assert _body(sim)["reasoning_effort"] == "low"


def test_thinking_kwarg_is_refused_by_litellm_for_openai(sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    with pytest.raises(TokiConfigurationError, match="thinking"):
        run(make_model(), HI, thinking={"type": "enabled", "budget_tokens": 1024})
    assert sim.requests == []


# ---------------------------------------------------------------------------- tools


def test_streamed_tool_call(sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    model = make_model()
    sim.enqueue(Turn(tool_calls=[ToolCallScript("get_weather", ['{"ci', 'ty": ', '"Paris"}'], id="call_1")]))
    chunks = run(model, HI, [WEATHER], stream=True)
    assert chunks == [TokiToolCall("call_1", _fn("get_weather", {"city": "Paris"}))]
    assert model.last_finish_reason == "tool_calls"
    body = _body(sim)
    assert body["tools"][0]["function"]["name"] == "get_weather"
    assert body["parallel_tool_calls"] is False


def test_blocking_tool_call(sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Turn(content="Checking.", tool_calls=[ToolCallScript("get_weather", '{"city": "Oslo"}', id="c9")]))
    result: TokiToolsResponse[TokiToolCall] = run(make_model(), HI, [WEATHER])
    assert isinstance(result, TokiToolsResponse)
    assert result.content == "Checking."
    assert result.tool_calls == [TokiToolCall("c9", _fn("get_weather", {"city": "Oslo"}))]


def test_parallel_calls_allowed(sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    model = make_model(allow_parallel_tool_calls=True)
    calls = [
        ToolCallScript("get_weather", '{"city": "Paris"}', id="a"),
        ToolCallScript("get_weather", ['{"city"', ': "Rome"}'], id="b"),
    ]
    sim.enqueue(Turn(tool_calls=calls))
    chunks = run(model, HI, [WEATHER], stream=True)
    assert [c.function.arguments["city"] for c in chunks] == ["Paris", "Rome"]
    assert "parallel_tool_calls" not in _body(sim)


def test_parallel_calls_not_allowed_warn(sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    calls = [ToolCallScript("get_weather", "{}", id="a"), ToolCallScript("get_weather", "{}", id="b")]
    sim.enqueue(Turn(tool_calls=calls))
    with pytest.warns(TokiToolMismatchWarning, match="allow_parallel_tool_calls"):
        run(make_model(), HI, [WEATHER], stream=True)


def test_streaming_tool_arguments(sim: OpenAIChatSim, make_model: MakeModel) -> None:
    model = make_model()
    sim.enqueue(Turn(tool_calls=[ToolCallScript("get_weather", ['{"city": "Pa', "ri", 's"}'])]))
    seen: list[str] = []
    for chunk in model.complete(HI, [StreamingToolSchema(WEATHER)], stream=True):
        assert isinstance(chunk, TokiToolCallStream)
        seen.extend(chunk.expect_arg("city"))
    assert "".join(seen) == "Paris"


# ---------------------------------------------------------------------------- recorded provider bytes


def test_recorded_text_stream(sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    model = make_model("gpt-4.1-nano")
    sim.replay("openai/text.chunks.txt")
    text = "".join(run(model, HI, stream=True))
    recorded = [json.loads(line) for line in sim_fixture("openai/text.chunks.txt").splitlines() if line.strip()]
    expected = "".join(c["choices"][0]["delta"].get("content") or "" for c in recorded if c["choices"])
    assert text == expected and len(text) > 100
    assert model.last_finish_reason == "stop"
    assert model.last_usage is not None and model.last_usage.prompt_tokens == recorded[-1]["usage"]["prompt_tokens"]


def test_recorded_blocking_text(sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    sim.replay("openai/text.json")
    recorded = json.loads(sim_fixture("openai/text.json"))
    assert run(make_model("gpt-4.1-nano"), HI) == recorded["choices"][0]["message"]["content"]


def test_recorded_tool_call_stream(sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    sim.replay("openai/tool-call-args.sse")
    tool = {"type": "function", "function": {"name": "get_capital", "parameters": {"type": "object"}}}
    (call,) = run(make_model("gpt-4o-mini"), HI, [tool], stream=True)
    raw = sim_fixture("openai/tool-call-args.sse")
    fragments = [json.loads(line[6:]) for line in raw.splitlines() if line.startswith("data: {")]
    arguments = "".join(
        c["choices"][0]["delta"]["tool_calls"][0]["function"].get("arguments", "")
        for c in fragments
        if c["choices"] and c["choices"][0]["delta"].get("tool_calls")
    )
    assert call.function.name == "get_capital" and call.function.arguments == json.loads(arguments)


def test_recorded_parallel_no_argument_calls(sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    sim.replay("openai/parallel-no-arg-tools.sse")
    tools = [
        {"type": "function", "function": {"name": name, "parameters": {"type": "object"}}}
        for name in ("get_country", "get_product_name")
    ]
    calls = run(make_model("gpt-4o", allow_parallel_tool_calls=True), HI, tools, stream=True)
    assert [(c.function.name, c.function.arguments) for c in calls] == [("get_country", {}), ("get_product_name", {})]


def test_recorded_blocking_tool_call(sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    sim.replay("openai/tool-call.json")
    recorded = json.loads(sim_fixture("openai/tool-call.json"))["choices"][0]["message"]["tool_calls"][0]
    tool = {"type": "function", "function": {"name": recorded["function"]["name"], "parameters": {"type": "object"}}}
    result: TokiToolsResponse[TokiToolCall] = run(make_model("gpt-3.5-turbo"), HI, [tool])
    assert isinstance(result, TokiToolsResponse)
    assert result.tool_calls[0].id == recorded["id"]
    assert result.tool_calls[0].function.arguments == json.loads(recorded["function"]["arguments"])


def test_recorded_deepseek_reasoning_and_cache_reads(sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    # An OpenAI-compatible stream with reasoning_content and cached prompt tokens.
    model = make_model("o4-mini", allow_parallel_tool_calls=True)
    sim.replay("openai/compat-deepseek-reasoning-tool-cached.chunks.txt")
    tool = {"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}
    with pytest.warns(TokiThinkingSupportWarning):
        chunks = run(model, HI, [tool], stream=True, capture_thinking=True)
    thought = "".join(c.text for c in chunks if isinstance(c, TokiThinking))
    calls = [c for c in chunks if isinstance(c, TokiToolCall)]
    assert len(thought) > 50 and len(calls) == 1
    assert model.last_usage is not None
    assert (model.last_usage.cache_read_tokens, model.last_usage.reasoning_tokens) == (320, 39)


def test_recorded_error_body(sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    sim.replay("openai/error-unsupported-parameter.json")
    with pytest.raises(TokiBadRequestError) as caught:
        run(make_model(max_retries=0), HI)
    assert caught.value.status_code == 400
    assert "max_tokens" in caught.value.message
    assert isinstance(caught.value.body, dict)


# ---------------------------------------------------------------------------- errors and retries


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, TokiBadRequestError),
        (401, TokiAuthenticationError),
        (403, TokiPermissionDeniedError),
        (404, TokiNotFoundError),
        (422, TokiBadRequestError),
        (429, TokiRateLimitError),
        (500, TokiServerError),
        (502, TokiServerError),
        (503, TokiServerError),
        (529, TokiServerError),
    ],
)
@pytest.mark.parametrize("stream", [False, True])
def test_status_errors_are_typed_with_the_provider_message(
    sim: OpenAIChatSim, make_model: MakeModel, run: Run, status: int, error: type[Exception], stream: bool
) -> None:
    sim.enqueue(Fault.status(status))
    with pytest.raises(error) as caught:
        run(make_model(max_retries=0), HI, stream=stream)
    assert getattr(caught.value, "status_code", None) == status
    expected = sim.error_body(status, None, None)["error"]["message"]  # type: ignore[index]
    assert caught.value.message == expected.replace("gpt-4o-mini", "gpt-5.4-mini")  # type: ignore[attr-defined]
    assert len(sim.requests) == 1


@pytest.mark.parametrize(("status", "attempts"), [(500, 3), (503, 3), (429, 3), (400, 1), (401, 1), (404, 1)])
def test_wire_attempts_equal_toki_attempts(
    sim: OpenAIChatSim, make_model: MakeModel, run: Run, status: int, attempts: int
) -> None:
    sim.set_default(Fault.status(status, headers={"Retry-After": "0"}))
    with pytest.raises(Exception) as caught:
        run(make_model(max_retries=2), HI, stream=True)
    assert len(sim.requests) == attempts
    assert caught.value.attempts == attempts  # type: ignore[attr-defined]


def test_retry_then_success(sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Fault.status(503), Fault.status(500), Turn(content="finally"))
    assert run(make_model(max_retries=2), HI, stream=True) == ["finally"]
    assert len(sim.requests) == 3


def test_retry_after_is_read(sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Fault.status(429, headers={"Retry-After": "7"}))
    with pytest.raises(TokiRateLimitError) as caught:
        run(make_model(max_retries=0), HI)
    assert caught.value.retry_after == 7.0


def test_html_gateway_error(sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Fault.status(502, body="<html><body>Bad gateway</body></html>"))
    with pytest.raises(TokiServerError) as caught:
        run(make_model(max_retries=0), HI, stream=True)
    assert caught.value.status_code == 502 and "Bad gateway" in caught.value.message


def test_in_band_error_mid_stream(sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Turn(content=["a", "b", "c"]).with_faults(Fault.in_band_error(after=2, message="The server broke")))
    with pytest.raises(TokiServerError, match="The server broke"):
        run(make_model(max_retries=2), HI, stream=True)
    assert len(sim.requests) == 1  # output had been delivered: never retried


def test_stream_without_done_is_truncated(sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Turn(content=["par", "tial"]).with_faults(Fault.no_terminal_event()))
    with pytest.raises(TokiStreamTruncatedError) as caught:
        run(make_model(max_retries=0), HI, stream=True)
    assert caught.value.received == "partial"


def test_connection_cut_mid_stream(sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Turn(content=["a", "b", "c", "d"]).with_faults(Fault.cut_after(3, mid_event=True)))
    with pytest.raises(TokiConnectionError):
        run(make_model(max_retries=0), HI, stream=True)


def test_connection_reset_is_retried(sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Fault.reset_before_headers(), Turn(content="ok"))
    assert run(make_model(max_retries=1), HI) == "ok"
    assert len(sim.requests) == 2


def test_malformed_event_is_an_error(sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Turn(content=["a", "b"]).with_faults(Fault.malformed_event(after=2)))
    with pytest.raises(TokiResponseError):
        run(make_model(max_retries=0), HI, stream=True)


def test_first_chunk_timeout(sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Turn(content="late").with_faults(Fault.stall(30)))
    model = make_model(max_retries=0, timeout=Timeouts(connect=1.0, first_chunk=0.3, idle=0.3))
    with pytest.raises(TokiTimeoutError) as caught:
        run(model, HI, stream=True)
    assert caught.value.phase == "first_chunk"


def test_idle_timeout_after_first_chunk(sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Turn(content=["a", "b", "c"]).with_faults(Fault.stall(30, after=2)))
    model = make_model(max_retries=0, timeout=Timeouts(connect=1.0, first_chunk=0.3, idle=0.3))
    with pytest.raises(TokiTimeoutError) as caught:
        run(model, HI, stream=True)
    assert caught.value.phase == "idle"


def test_connection_refused(make_model: MakeModel, run: Run) -> None:
    model = make_model(base_url="http://127.0.0.1:9/v1", max_retries=0)
    with pytest.raises(TokiConnectionError):
        run(model, HI)


# ---------------------------------------------------------------------------- token counting


def test_count_tokens_is_exact_and_local(sim: OpenAIChatSim, make_model: MakeModel) -> None:
    model = make_model("gpt-4o-mini")
    messages = [{"role": "user", "content": "Tell me a joke about token counting."}]
    count = model.count_tokens(messages)
    assert isinstance(count, int) and 10 <= count <= 20
    assert model.count_tokens(messages, tools=[WEATHER]) > count
    assert sim.requests == []
    with pytest.raises(ValueError, match="offline"):
        model.count_tokens(messages, kind="offline")  # type: ignore[arg-type]


async def test_acount_tokens(make_model: MakeModel) -> None:
    model = make_model("gpt-4o-mini")
    assert await model.acount_tokens(HI) == model.count_tokens(HI)


def _fn(name: str, arguments: dict[str, Any]) -> Any:
    from toki import TokiToolFunction

    return TokiToolFunction(name, arguments)


def sim_fixture(name: str) -> str:
    from simulators import read_fixture

    return read_fixture(name).decode()


# ---------------------------------------------------------------------------- the Responses API bridge


def _responses_stream(*, complete: bool = True) -> Any:
    """A Responses API stream (per OpenAI's streaming events reference): reasoning summary, one call."""
    from simulators import RawReply

    call = {"id": "fc_1", "type": "function_call", "call_id": "call_Kx7sdW2", "name": "get_weather"}
    done_call = {**call, "status": "completed", "arguments": '{"city": "Paris"}'}
    usage = {
        "input_tokens": 50,
        "input_tokens_details": {"cached_tokens": 10},
        "output_tokens": 20,
        "output_tokens_details": {"reasoning_tokens": 12},
        "total_tokens": 70,
    }
    shell = {"id": "resp_1", "object": "response", "created_at": 1, "model": "gpt-5.4-mini"}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": {**shell, "status": "in_progress", "output": []}},
        {"type": "response.output_item.added", "output_index": 0, "item": {"id": "rs_1", "type": "reasoning"}},
        {
            "type": "response.reasoning_summary_text.delta",
            "item_id": "rs_1",
            "output_index": 0,
            "summary_index": 0,
            "delta": "Need the weather.",
        },
        {"type": "response.output_item.done", "output_index": 0, "item": {"id": "rs_1", "type": "reasoning"}},
        {
            "type": "response.output_item.added",
            "output_index": 1,
            "item": {**call, "status": "in_progress", "arguments": ""},
        },
        {"type": "response.function_call_arguments.delta", "item_id": "fc_1", "output_index": 1, "delta": '{"city":'},
        {"type": "response.function_call_arguments.delta", "item_id": "fc_1", "output_index": 1, "delta": ' "Paris"}'},
        {"type": "response.output_item.done", "output_index": 1, "item": done_call},
        {
            "type": "response.completed",
            "response": {**shell, "status": "completed", "output": [done_call], "usage": usage},
        },
    ]
    if not complete:
        events = events[:-1]
    parts = tuple(
        f"event: {e['type']}\ndata: {json.dumps({**e, 'sequence_number': n}, separators=(',', ':'))}\n\n".encode()
        for n, e in enumerate(events)
    )
    return RawReply(parts, content_type="text/event-stream", framing="chunked")


def _add_responses_route(sim: OpenAIChatSim) -> None:
    sim.add_route(
        "responses",
        "POST",
        r"/v1/responses",
        lambda request, item: sim.serve(request, item, stream=True, model="gpt-5.4-mini"),
    )


def test_gpt54_tools_with_reasoning_go_through_the_responses_api(
    sim: OpenAIChatSim, make_model: MakeModel, run: Run
) -> None:
    # Chat Completions rejects function tools with reasoning on gpt-5.4+; litellm bridges to /v1/responses.
    _add_responses_route(sim)
    sim.enqueue(_responses_stream(), route="responses")
    model = make_model("gpt-5.4-mini")
    with pytest.warns(TokiThinkingSupportWarning):
        chunks = run(model, HI, [WEATHER], stream=True, capture_thinking=True)
    assert [c for c in chunks if isinstance(c, TokiToolCall)] == [
        TokiToolCall("call_Kx7sdW2", _fn("get_weather", {"city": "Paris"}))
    ]
    request = sim.requests[-1]
    assert request.path == "/v1/responses"
    assert request.json_object()["reasoning"]["effort"] == "medium"
    assert model.last_usage is not None and model.last_usage.prompt_tokens == 50
    assert model.last_finish_reason == "tool_calls"


def test_responses_api_stream_without_completion_is_truncated(
    sim: OpenAIChatSim, make_model: MakeModel, run: Run
) -> None:
    _add_responses_route(sim)
    sim.enqueue(_responses_stream(complete=False), route="responses")
    with pytest.raises(TokiStreamTruncatedError):
        run(make_model("gpt-5.4-mini", reasoning_effort="low", max_retries=0), HI, [WEATHER], stream=True)

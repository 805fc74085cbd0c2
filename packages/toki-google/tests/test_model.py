"""GoogleModel end to end: real sockets, through litellm, against the Gemini API simulator."""

from __future__ import annotations

import json
from typing import Any

import pytest
from simulators import Fault, GeminiSim, ToolCallScript, Turn, Usage, read_fixture
from toki import (
    TokenCountEstimate,
    TokiThinking,
    TokiThoughtResponse,
    TokiToolCall,
    TokiToolFunction,
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
)
from toki_google import GoogleModel

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


def _generate(sim: GeminiSim, index: int = -1) -> Any:
    return sim.requests_for("generate")[index]


def _events(name: str) -> list[dict[str, Any]]:
    text = read_fixture(name).decode()
    return [json.loads(line[5:]) for line in text.splitlines() if line.startswith("data:")]


# ---------------------------------------------------------------------------- construction


def test_api_key_from_gemini_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "g-env")
    with GoogleModel("gemini-2.5-flash") as model:
        assert model._api_key == "g-env"  # pyright: ignore[reportPrivateUsage]
    monkeypatch.delenv("GEMINI_API_KEY")
    with pytest.raises(TokiMissingAPIKeyError, match="GEMINI_API_KEY"):
        GoogleModel("gemini-2.5-flash")


@pytest.mark.parametrize("suffix", ["", "/", "/v1beta", "/v1beta/"])
def test_base_url_with_or_without_the_version(sim: GeminiSim, make_model: MakeModel, run: Run, suffix: str) -> None:
    sim.enqueue(Turn(content="ok"))
    assert run(make_model(base_url=sim.base_url + suffix), HI) == "ok"
    assert sim.requests[-1].path == "/v1beta/models/gemini-2.5-flash:generateContent"


def test_bad_cache_settings() -> None:
    with pytest.raises(TokiConfigurationError, match="cache must be"):
        GoogleModel("gemini-2.5-flash", api_key="k", cache="sometimes")  # type: ignore[arg-type]
    with pytest.raises(TokiConfigurationError, match="cache_ttl"):
        GoogleModel("gemini-2.5-flash", api_key="k", cache_ttl="soon")
    with pytest.raises(TokiConfigurationError, match="negative"):
        GoogleModel("gemini-2.5-flash", api_key="k", cache_min_tokens=-1)


# ---------------------------------------------------------------------------- text, usage, finish


def test_text_usage_and_key_header(sim: GeminiSim, make_model: MakeModel, run: Run) -> None:
    model = make_model(api_key="g-secret")
    sim.enqueue(Turn(content=["Hel", "lo"], usage=Usage(prompt=40, completion=9, cached_read=12, reasoning=4)))
    assert run(model, HI) == "Hello"
    usage = model.last_usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.cache_read_tokens, usage.reasoning_tokens) == (40, 12, 4)
    assert usage.completion_tokens == 9
    request = _generate(sim)
    assert request.headers["x-goog-api-key"] == "g-secret"
    assert request.json_object()["contents"] == [{"role": "user", "parts": [{"text": "hi"}]}]


def test_streaming_uses_sse(sim: GeminiSim, make_model: MakeModel, run: Run) -> None:
    model = make_model()
    sim.enqueue(Turn(content=["a", "b", "c"], usage=Usage(prompt=10, completion=3, cached_read=5)))
    assert run(model, HI, stream=True) == ["a", "b", "c"]
    request = _generate(sim)
    assert request.path.endswith(":streamGenerateContent") and request.query["alt"] == "sse"
    assert model.last_usage is not None and model.last_usage.cache_read_tokens == 5


@pytest.mark.parametrize(("finish", "expected"), [("length", "length"), ("content_filter", "content_filter")])
@pytest.mark.parametrize("stream", [False, True])
def test_finish_reasons(
    sim: GeminiSim, make_model: MakeModel, run: Run, finish: Any, expected: str, stream: bool
) -> None:
    model = make_model()
    sim.enqueue(Turn(content="x", finish=finish))
    run(model, HI, stream=stream)
    assert model.last_finish_reason == expected


def test_system_instruction(sim: GeminiSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Turn(content="ok"))
    run(make_model(), [{"role": "system", "content": "be brief"}, *HI])
    body = _generate(sim).json_object()
    assert body["system_instruction"] == {"parts": [{"text": "be brief"}]}
    assert [c["role"] for c in body["contents"]] == ["user"]


# ---------------------------------------------------------------------------- thinking


def test_thought_parts_are_captured(sim: GeminiSim, make_model: MakeModel, run: Run) -> None:
    model = make_model()
    sim.enqueue(Turn(thinking=["Considering", " it."], content=["4", "2"]))
    assert run(model, HI, stream=True, capture_thinking=True) == [
        TokiThinking("Considering"),
        TokiThinking(" it."),
        "4",
        "2",
    ]
    sim.enqueue(Turn(thinking="Hmm.", content="42"))
    assert run(model, HI, capture_thinking=True) == TokiThoughtResponse(content="42", thought="Hmm.")


@pytest.mark.parametrize(("effort", "budget"), [(None, 2048), ("low", 1024), ("high", 4096)])
def test_reasoning_engagement_on_the_wire(
    sim: GeminiSim, make_model: MakeModel, run: Run, effort: Any, budget: int
) -> None:
    sim.enqueue(Turn(content="ok"))
    run(make_model(reasoning_effort=effort), HI, capture_thinking=True)
    config = _generate(sim).json_object()["generationConfig"]["thinkingConfig"]
    assert config == {"thinkingBudget": budget, "includeThoughts": True}


def test_thinking_kwarg_overrides(sim: GeminiSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Turn(content="ok"))
    run(
        make_model(reasoning_effort="high"),
        HI,
        capture_thinking=True,
        thinking={"type": "enabled", "budget_tokens": 700},
    )
    assert _generate(sim).json_object()["generationConfig"]["thinkingConfig"]["thinkingBudget"] == 700


def test_no_thinking_config_by_default(sim: GeminiSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Turn(content="ok"))
    run(make_model(), HI)
    assert "thinkingConfig" not in _generate(sim).json_object().get("generationConfig", {})


# ---------------------------------------------------------------------------- tools


def test_whole_function_calls(sim: GeminiSim, make_model: MakeModel, run: Run) -> None:
    model = make_model()
    sim.enqueue(Turn(tool_calls=[ToolCallScript("get_weather", '{"city": "Paris"}')]))
    (call,) = run(model, HI, [WEATHER], stream=True)
    assert isinstance(call, TokiToolCall)
    assert call.function == TokiToolFunction("get_weather", {"city": "Paris"})
    assert model.last_finish_reason == "tool_calls"
    body = _generate(sim).json_object()
    assert body["tools"][0]["function_declarations"][0]["name"] == "get_weather"


def test_blocking_parallel_calls(sim: GeminiSim, make_model: MakeModel, run: Run) -> None:
    calls = [ToolCallScript("get_weather", '{"city": "A"}'), ToolCallScript("get_weather", '{"city": "B"}')]
    sim.enqueue(Turn(tool_calls=calls))
    result: TokiToolsResponse[TokiToolCall] = run(make_model(allow_parallel_tool_calls=True), HI, [WEATHER])
    assert [c.function.arguments["city"] for c in result.tool_calls] == ["A", "B"]
    assert result.tool_calls[0].id != result.tool_calls[1].id


def test_function_responses_carry_the_function_name(sim: GeminiSim, make_model: MakeModel, run: Run) -> None:
    # Two tool rounds: litellm alone finds names only in the latest turn with calls; toki fills them in.
    sim.enqueue(Turn(content="done"))
    call = {"type": "function", "function": {"name": "get_weather", "arguments": '{"city": "A"}'}}
    history = [
        *HI,
        {"role": "assistant", "content": None, "tool_calls": [{**call, "id": "c1"}]},
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
        {"role": "assistant", "content": None, "tool_calls": [{**call, "id": "c2"}]},
        {"role": "tool", "tool_call_id": "c2", "content": '{"temp": 21}'},
    ]
    run(make_model(), history, [WEATHER])
    contents = _generate(sim).json_object()["contents"]
    responses = [p["function_response"] for c in contents for p in c["parts"] if "function_response" in p]
    assert [r["name"] for r in responses] == ["get_weather", "get_weather"]
    assert responses[1]["response"] == {"temp": 21}


# ---------------------------------------------------------------------------- recorded provider bytes


def test_recorded_text_stream(sim: GeminiSim, make_model: MakeModel, run: Run) -> None:
    model = make_model()
    sim.replay("gemini/text.chunks.txt")
    lines = [json.loads(line) for line in read_fixture("gemini/text.chunks.txt").decode().splitlines() if line.strip()]
    expected = "".join(p.get("text", "") for e in lines for p in e["candidates"][0]["content"]["parts"])
    assert "".join(run(model, HI, stream=True)) == expected


def test_recorded_blocking_text(sim: GeminiSim, make_model: MakeModel, run: Run) -> None:
    model = make_model()
    sim.replay("gemini/text.json")
    recorded = json.loads(read_fixture("gemini/text.json"))
    assert run(model, HI) == recorded["candidates"][0]["content"]["parts"][0]["text"]
    assert model.last_usage is not None
    assert model.last_usage.reasoning_tokens == recorded["usageMetadata"]["thoughtsTokenCount"]


def test_recorded_max_tokens_stream(sim: GeminiSim, make_model: MakeModel, run: Run) -> None:
    model = make_model()
    sim.replay("gemini/text-max-tokens.chunks.txt")
    assert "".join(run(model, HI, stream=True))
    assert model.last_finish_reason == "length"


def test_recorded_thought_parts(sim: GeminiSim, make_model: MakeModel, run: Run) -> None:
    sim.replay("gemini/thought-parts.sse")
    events = _events("gemini/thought-parts.sse")
    parts = [p for e in events for p in e["candidates"][0]["content"]["parts"]]
    chunks = run(make_model("gemini-2.5-pro"), HI, stream=True, capture_thinking=True)
    thought = "".join(c.text for c in chunks if isinstance(c, TokiThinking))
    assert thought == "".join(p["text"] for p in parts if p.get("thought"))
    assert "".join(c for c in chunks if isinstance(c, str)) == "".join(p["text"] for p in parts if not p.get("thought"))


@pytest.mark.parametrize(
    ("name", "tool", "arguments"),
    [
        ("gemini/tool-call-args.sse", "get_capital", {"country": "France"}),
        ("gemini/no-arg-tool-thought-signature.sse", "get_country", {}),
    ],
)
def test_recorded_function_calls(
    sim: GeminiSim, make_model: MakeModel, run: Run, name: str, tool: str, arguments: dict[str, Any]
) -> None:
    sim.replay(name)
    schema = {"type": "function", "function": {"name": tool, "parameters": {"type": "object"}}}
    (call,) = run(make_model(), HI, [schema], stream=True)
    assert call.function == TokiToolFunction(tool, arguments)


def test_recorded_vertex_partial_args_stream_is_an_error(sim: GeminiSim, make_model: MakeModel, run: Run) -> None:
    # Vertex's streamed partialArgs are not part of the Gemini API; litellm cannot read them.
    sim.replay("gemini/vertex-thoughts-parallel-partial-args.chunks.txt")
    schemas = [
        {"type": "function", "function": {"name": n, "parameters": {"type": "object"}}}
        for n in ("read_theme", "read_screen")
    ]
    with pytest.raises(TokiResponseError):
        run(make_model(max_retries=0), HI, schemas, stream=True)


@pytest.mark.parametrize(
    ("name", "error", "status"),
    [
        ("gemini/error-400-api-key-invalid.json", TokiBadRequestError, 400),
        ("gemini/error-403-permission-denied.json", TokiPermissionDeniedError, 403),
        ("gemini/error-429-retry-info.json", TokiRateLimitError, 429),
    ],
)
def test_recorded_errors(
    sim: GeminiSim, make_model: MakeModel, run: Run, name: str, error: type[Exception], status: int
) -> None:
    sim.replay(name)
    recorded = json.loads(read_fixture(name))
    with pytest.raises(error) as caught:
        run(make_model(max_retries=0), HI)
    value: Any = caught.value
    assert value.status_code == status
    assert value.message == recorded["error"]["message"]
    if status == 429:
        assert value.retry_after == 34.4


# ---------------------------------------------------------------------------- errors and retries


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, TokiBadRequestError),
        (401, TokiAuthenticationError),
        (403, TokiPermissionDeniedError),
        (404, TokiNotFoundError),
        (429, TokiRateLimitError),
        (500, TokiServerError),
        (503, TokiServerError),
        (504, TokiServerError),
    ],
)
@pytest.mark.parametrize("stream", [False, True])
def test_status_errors(
    sim: GeminiSim, make_model: MakeModel, run: Run, status: int, error: type[Exception], stream: bool
) -> None:
    sim.enqueue(Fault.status(status))
    with pytest.raises(error) as caught:
        run(make_model(max_retries=0), HI, stream=stream)
    value: Any = caught.value
    body: Any = sim.error_body(status, None, None)
    assert value.status_code == status
    assert value.message == body["error"]["message"]
    assert value.body["error"]["status"] == body["error"]["status"]


@pytest.mark.parametrize(("status", "attempts"), [(503, 3), (500, 3), (400, 1), (404, 1)])
def test_wire_attempts(sim: GeminiSim, make_model: MakeModel, run: Run, status: int, attempts: int) -> None:
    sim.set_default(Fault.status(status))
    with pytest.raises(Exception) as caught:
        run(make_model(max_retries=2), HI, stream=True)
    assert len(sim.requests) == attempts
    assert getattr(caught.value, "attempts", None) == attempts


def test_in_band_error(sim: GeminiSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Turn(content=["a", "b", "c"]).with_faults(Fault.in_band_error(after=2)))
    with pytest.raises(TokiServerError) as caught:
        run(make_model(max_retries=2), HI, stream=True)
    assert caught.value.status_code == 503
    assert len(sim.requests) == 1


def test_stream_without_finish_reason_is_truncated(sim: GeminiSim, make_model: MakeModel, run: Run) -> None:
    # litellm reports "stop" on every Gemini chunk; only the wire shows the final one never came.
    sim.enqueue(Turn(content=["par", "tial"]).with_faults(Fault.no_terminal_event()))
    with pytest.raises(TokiStreamTruncatedError) as caught:
        run(make_model(max_retries=0), HI, stream=True)
    assert caught.value.received == "partial"


def test_undecodable_event_is_never_a_silent_success(sim: GeminiSim, make_model: MakeModel, run: Run) -> None:
    # litellm's Gemini parser would buffer the bad event and silently drop the rest of the stream.
    sim.enqueue(*[Turn(content=["a", "b", "c", "d"]).with_faults(Fault.malformed_event(after=2))] * 2)
    with pytest.raises(TokiResponseError, match="malformed 'message' event: its data is not valid JSON") as caught:
        run(make_model(max_retries=1), HI, stream=True)
    assert type(caught.value) is TokiResponseError and caught.value.attempts == 1
    assert len(sim.requests) == 1


def test_connection_cut(sim: GeminiSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Turn(content=["a", "b", "c"]).with_faults(Fault.cut_after(2, mid_event=True)))
    with pytest.raises(TokiConnectionError):
        run(make_model(max_retries=0), HI, stream=True)


# ---------------------------------------------------------------------------- token counting


@pytest.mark.parametrize("kind", ["exact", "online"])
def test_count_tokens_by_round_trip(sim: GeminiSim, make_model: MakeModel, kind: Any) -> None:
    model = make_model(reasoning_effort="high")
    sim.enqueue(Turn(content="x", usage=Usage(prompt=321, completion=1)))
    assert model.count_tokens(HI, kind=kind) == 321
    config = _generate(sim).json_object()["generationConfig"]
    assert config.get("maxOutputTokens", config.get("max_output_tokens")) == 1  # litellm sends proto field names
    assert "thinkingConfig" not in config


async def test_acount_tokens(sim: GeminiSim, make_model: MakeModel) -> None:
    model = make_model()
    sim.enqueue(Turn(content="x", usage=Usage(prompt=55, completion=1)))
    try:
        assert await model.acount_tokens(HI) == 55
    finally:
        await model.aclose()


def test_count_tokens_offline(sim: GeminiSim, make_model: MakeModel) -> None:
    estimate = make_model().count_tokens(HI, kind="offline", safety_factor=1.5)
    assert isinstance(estimate, TokenCountEstimate)
    assert estimate.prompt_tokens >= estimate.raw_prompt_tokens * 1.5
    assert sim.requests == []


def test_count_tokens_names_tool_results(sim: GeminiSim, make_model: MakeModel) -> None:
    call = {"type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
    history = [
        *HI,
        {"role": "assistant", "content": None, "tool_calls": [{**call, "id": "c1"}]},
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
        {"role": "assistant", "content": None, "tool_calls": [{**call, "id": "c2"}]},
        {"role": "tool", "tool_call_id": "c2", "content": "rain"},
    ]
    sim.enqueue(Turn(content="x", usage=Usage(prompt=99, completion=1)))
    assert make_model().count_tokens(history, tools=[WEATHER]) == 99

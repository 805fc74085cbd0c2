"""OpenRouterModel end to end over real sockets against the OpenRouter simulator, in all four modes."""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
import time
from typing import Any

import httpx
import pytest
from simulators import Fault, OpenRouterSim, RawReply, ToolCallScript, Turn, Usage
from toki import (
    Agent,
    StreamingToolSchema,
    TokiAuthenticationError,
    TokiBadRequestError,
    TokiConnectionError,
    TokiInputError,
    TokiInsufficientCreditsError,
    TokiMissingAPIKeyError,
    TokiNotFoundError,
    TokiRateLimitError,
    TokiResponseError,
    TokiServerError,
    TokiStreamTruncatedError,
    TokiThinkingSupportWarning,
    TokiTimeoutError,
    TokiToolCallStream,
)
from toki.timeouts import Timeouts
from toki_openrouter import OpenRouterModel
from toki_openrouter_testkit import MODES, USER, MakeModel, Mode, run

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
TIME: dict[str, Any] = {
    "type": "function",
    "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}},
}
PATCH = StreamingToolSchema(
    {
        "type": "function",
        "function": {
            "name": "propose_patch",
            "parameters": {
                "type": "object",
                "properties": {"target": {"type": "string"}, "replacement": {"type": "string"}},
            },
        },
    }
)

# ---------------------------------------------------------------------- happy paths


@pytest.mark.parametrize("mode", MODES)
def test_text_and_usage(make_model: MakeModel, sim: OpenRouterSim, mode: Mode) -> None:
    model = make_model()
    usage = Usage(prompt=120, completion=30, cached_read=100, cache_write=20, reasoning=7)
    sim.enqueue(Turn(content=["Hel", "lo ", "wörld 😀"], usage=usage))
    result = run(model, mode)
    assert result.content == "Hello wörld 😀"
    assert model.last_finish_reason == "stop"
    assert model.last_usage is not None
    assert (model.last_usage.prompt_tokens, model.last_usage.completion_tokens) == (120, 30)
    assert model.last_usage.total_tokens == 150
    assert (model.last_usage.cache_read_tokens, model.last_usage.cache_write_tokens) == (100, 20)
    assert model.last_usage.reasoning_tokens == 7
    body = sim.last_request.json
    assert body["model"] == "google/gemini-2.5-flash"
    assert body["messages"] == USER
    assert body["usage"] == {"include": True}
    if mode.endswith("stream"):
        assert body["stream"] is True
        assert body["stream_options"] == {"include_usage": True}
        assert result.chunks == 3
    else:
        assert "stream" not in body and "stream_options" not in body
    assert sim.last_request.path == "/api/v1/chat/completions"


@pytest.mark.parametrize("mode", MODES)
def test_thinking_captured(make_model: MakeModel, sim: OpenRouterSim, mode: Mode) -> None:
    model = make_model("anthropic/claude-sonnet-4.5")
    sim.enqueue(Turn(content=["4"], thinking=["2+2", " is 4"], thinking_signature="sig", redacted_thinking="opaque"))
    result = run(model, mode, capture_thinking=True)
    assert (result.content, result.thought) == ("4", "2+2 is 4")
    assert sim.last_request.json["reasoning"] == {"enabled": True}


@pytest.mark.parametrize("mode", MODES)
def test_thinking_not_captured_is_dropped(make_model: MakeModel, sim: OpenRouterSim, mode: Mode) -> None:
    model = make_model("anthropic/claude-sonnet-4.5", reasoning_effort="low")
    sim.enqueue(Turn(content=["4"], thinking=["secret ", "thoughts"]))
    result = run(model, mode)
    assert (result.content, result.thought) == ("4", "")
    assert sim.last_request.json["reasoning"] == {"effort": "low"}


@pytest.mark.parametrize("mode", MODES)
def test_reasoning_summaries_surface_as_thinking(make_model: MakeModel, sim: OpenRouterSim, mode: Mode) -> None:
    model = make_model("openai/gpt-5")
    sim.enqueue(Turn(content=["ok"], thinking=["summary"], reasoning_detail_type="reasoning.summary"))
    with pytest.warns(TokiThinkingSupportWarning, match="OpenAI models"):
        result = run(model, mode, capture_thinking=True)
    assert (result.content, result.thought) == ("ok", "summary")


@pytest.mark.parametrize("mode", MODES)
def test_static_tool_call(make_model: MakeModel, sim: OpenRouterSim, mode: Mode) -> None:
    model = make_model()
    sim.enqueue(
        Turn(content=["Let me check. "], tool_calls=[ToolCallScript("get_weather", ['{"ci', 'ty": "Pa', 'ris"}'])])
    )
    result = run(model, mode, tools=[WEATHER])
    assert result.content == "Let me check. "
    assert result.calls == [("get_weather", {"city": "Paris"})]
    assert model.last_finish_reason == "tool_calls"
    body = sim.last_request.json
    assert body["tools"] == [WEATHER]
    assert body["parallel_tool_calls"] is False


@pytest.mark.parametrize("mode", MODES)
def test_parallel_tool_calls(make_model: MakeModel, sim: OpenRouterSim, mode: Mode) -> None:
    model = make_model(allow_parallel_tool_calls=True)
    sim.enqueue(
        Turn(
            tool_calls=[
                ToolCallScript("get_weather", ['{"city": ', '"Oslo"}'], id="call_a"),
                ToolCallScript("get_time", [], id="call_b"),
            ]
        )
    )
    result = run(model, mode, tools=[WEATHER, TIME])
    assert result.calls == [("get_weather", {"city": "Oslo"}), ("get_time", {})]
    assert sim.last_request.json["parallel_tool_calls"] is True


@pytest.mark.parametrize("mode", MODES)
def test_streaming_tool_schema_blocking_and_streaming(make_model: MakeModel, sim: OpenRouterSim, mode: Mode) -> None:
    model = make_model()
    sim.enqueue(Turn(tool_calls=[ToolCallScript("propose_patch", ['{"target": "a', '", "replacement": "b', 'c"}'])]))
    result = run(model, mode, tools=[PATCH])
    assert result.calls == [("propose_patch", {"target": "a", "replacement": "bc"})]


def test_streaming_tool_expect_arg_sync(make_model: MakeModel, sim: OpenRouterSim) -> None:
    model = make_model()
    sim.enqueue(
        Turn(tool_calls=[ToolCallScript("propose_patch", ['{"replacement": "new ', "line", '", "target": "old"}'])])
    )
    pieces: list[str] = []
    target = ""
    for chunk in model.complete(USER, [PATCH], stream=True):
        assert isinstance(chunk, TokiToolCallStream)
        target = "".join(chunk.expect_arg("target"))
        pieces = list(chunk.expect_arg("replacement"))
    assert target == "old"
    assert "".join(pieces) == "new line"


async def test_streaming_tool_expect_arg_async(make_model: MakeModel, sim: OpenRouterSim) -> None:
    model = make_model()
    sim.enqueue(Turn(tool_calls=[ToolCallScript("propose_patch", ['{"target": "x', "y", '", "replacement": "z"}'])]))
    try:
        async for chunk in model.acomplete(USER, [PATCH], stream=True):
            assert not isinstance(chunk, str)
            target = "".join([piece async for piece in chunk.expect_arg("target")])
            assert target == "xy"
            assert await chunk.expect_arg("replacement").value() == "z"
    finally:
        await model.aclose()


@pytest.mark.parametrize(("finish", "expected"), [("length", "length"), ("content_filter", "content_filter")])
@pytest.mark.parametrize("mode", MODES)
def test_finish_reasons(make_model: MakeModel, sim: OpenRouterSim, mode: Mode, finish: Any, expected: str) -> None:
    model = make_model()
    sim.enqueue(Turn(content=["cut"], finish=finish))
    assert run(model, mode).content == "cut"
    assert model.last_finish_reason == expected


def test_agent_round_trip_with_a_tool(make_model: MakeModel, sim: OpenRouterSim) -> None:
    model = make_model()
    agent = Agent(model, tools=[WEATHER])
    agent.add_user_message("Weather in Paris?")
    sim.enqueue(Turn(tool_calls=[ToolCallScript("get_weather", '{"city": "Paris"}', id="call_1")]))
    first = agent.execute()
    assert not isinstance(first, str)
    agent.add_tool_message("call_1", "sunny")
    sim.enqueue(Turn(content=["It is sunny."]))
    assert agent.execute() == "It is sunny."
    sent = sim.last_request.json["messages"]
    assert sent[1]["tool_calls"][0]["function"] == {"name": "get_weather", "arguments": '{"city": "Paris"}'}
    assert sent[2] == {"role": "tool", "content": "sunny", "tool_call_id": "call_1", "name": "get_weather"}


# ---------------------------------------------------------------------- request shape


@pytest.mark.parametrize(
    ("ctor", "call", "expected"),
    [
        ({}, {}, None),
        ({}, {"capture_thinking": True}, {"enabled": True}),
        ({"reasoning_effort": "high"}, {}, {"effort": "high"}),
        ({"reasoning_effort": "high"}, {"capture_thinking": True}, {"effort": "high"}),
        (
            {"reasoning_effort": "high"},
            {"capture_thinking": True, "reasoning": {"max_tokens": 2000}},
            {"max_tokens": 2000},
        ),
        ({}, {"reasoning": {"exclude": True}}, {"exclude": True}),
    ],
)
@pytest.mark.parametrize("mode", MODES)
def test_reasoning_precedence_on_the_wire(
    make_model: MakeModel, sim: OpenRouterSim, mode: Mode, ctor: dict[str, Any], call: dict[str, Any], expected: Any
) -> None:
    model = make_model("anthropic/claude-sonnet-4.5", **ctor)
    sim.enqueue(Turn(content=["ok"]))
    run(model, mode, **call)
    body = sim.last_request.json
    assert body.get("reasoning") == expected
    if expected is None:
        assert "reasoning" not in body


def test_options_pass_through_and_reserved_names_are_refused(make_model: MakeModel, sim: OpenRouterSim) -> None:
    model = make_model()
    sim.enqueue(Turn(content=["ok"]))
    model.complete(USER, temperature=0.2, max_tokens=50, top_p=0.9, provider={"order": ["Google"]})
    body = sim.last_request.json
    assert (body["temperature"], body["max_tokens"], body["top_p"]) == (0.2, 50, 0.9)
    assert body["provider"] == {"order": ["Google"]}
    with pytest.raises(TokiInputError, match="model"):
        model.complete(USER, model="other/model")
    assert len(sim.requests) == 1


def test_headers(make_model: MakeModel, sim: OpenRouterSim) -> None:
    model = make_model(
        api_key="sk-or-secret", http_referer="https://example.org", x_title="Toki Tests", extra_headers={"X-Extra": "1"}
    )
    sim.enqueue(Turn(content=["ok"]))
    model.complete(USER)
    headers = sim.last_request.headers
    assert headers["authorization"] == "Bearer sk-or-secret"
    assert headers["http-referer"] == "https://example.org"
    assert headers["x-title"] == "Toki Tests"
    assert headers["x-extra"] == "1"
    assert headers["content-type"] == "application/json"


def test_api_key_from_environment_and_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-env")
    assert OpenRouterModel("x/y")._api_key == "sk-or-env"  # pyright: ignore[reportPrivateUsage]
    assert OpenRouterModel("x/y", api_key="sk-or-arg")._api_key == "sk-or-arg"  # pyright: ignore[reportPrivateUsage]
    monkeypatch.delenv("OPENROUTER_API_KEY")
    with pytest.raises(TokiMissingAPIKeyError, match="OPENROUTER_API_KEY") as info:
        OpenRouterModel("x/y")
    assert info.value.provider == "openrouter"
    monkeypatch.setenv("OPENROUTER_API_KEY", "  ")
    with pytest.raises(TokiMissingAPIKeyError):
        OpenRouterModel("x/y")


def test_constructor_validates_its_options() -> None:
    from toki import TokiConfigurationError

    with pytest.raises(TokiConfigurationError, match="reasoning_effort"):
        OpenRouterModel("x/y", api_key="k", reasoning_effort="max")  # type: ignore[arg-type]
    with pytest.raises(TokiConfigurationError, match="cache"):
        OpenRouterModel("x/y", api_key="k", cache="always")  # type: ignore[arg-type]
    with pytest.raises(TokiConfigurationError, match="cache_ttl"):
        OpenRouterModel("x/y", api_key="k", cache_ttl="10m")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_retries"):
        OpenRouterModel("x/y", api_key="k", max_retries=-1)


def test_construction_does_no_io(sim: OpenRouterSim) -> None:
    model = OpenRouterModel("google/gemini-2.5-flash", api_key="k", base_url=sim.base_url + "/api/v1")
    assert model._client is None and not model._async_pools  # pyright: ignore[reportPrivateUsage]
    assert sim.connections_accepted == 0
    model.close()


def test_import_does_not_load_litellm_or_open_sockets() -> None:
    code = (
        "import sys, socket\n"
        "socket.socket.connect = lambda *a: (_ for _ in ()).throw(AssertionError('connect at import'))\n"
        "import toki_openrouter, toki.openrouter\n"
        "from toki import OpenRouterModel\n"
        "OpenRouterModel('google/gemini-2.5-flash', api_key='k')\n"
        "assert 'litellm' not in sys.modules, 'litellm imported'\n"
        "assert 'requests' not in sys.modules, 'requests imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# ---------------------------------------------------------------------- recorded fixtures


def _stream(model: OpenRouterModel) -> tuple[str, str]:
    content = thought = ""
    for chunk in model.complete(USER, stream=True, capture_thinking=True):
        if isinstance(chunk, str):
            content += chunk
        else:
            thought += str(chunk)
    return content, thought


def test_recorded_reasoning_text_signature_is_not_doubled(make_model: MakeModel, sim: OpenRouterSim) -> None:
    model = make_model("anthropic/claude-sonnet-4.5")
    sim.replay("openrouter/reasoning-text-signature.sse")
    content, thought = _stream(model)
    assert thought == "This is a simple arithmetic question. 2+2 equals 4."
    assert content == "2 + 2 = 4"
    assert "Et0BCkgI" not in thought + content  # the signature never surfaces
    assert model.last_usage is not None and model.last_usage.reasoning_tokens == 13


def test_recorded_encrypted_reasoning_and_cache_reads(make_model: MakeModel, sim: OpenRouterSim) -> None:
    model = make_model("x-ai/grok-4")
    sim.replay("openrouter/reasoning-encrypted-cached.sse")
    content, thought = _stream(model)
    assert thought == ""
    assert content.startswith("I'm Grok, an AI built by")
    assert model.last_usage is not None
    assert (model.last_usage.cache_read_tokens, model.last_usage.reasoning_tokens) == (679, 118)


def test_recorded_no_arg_tool_without_finish_reason_succeeds(make_model: MakeModel, sim: OpenRouterSim) -> None:
    model = make_model()
    sim.replay("openrouter/no-arg-tool.sse")
    llm_version = {"type": "function", "function": {"name": "llm_version", "parameters": {"type": "object"}}}
    chunks = list(model.complete(USER, [llm_version], stream=True))
    assert len(chunks) == 1
    call = chunks[0]
    assert not isinstance(call, str)
    assert (call.id, call.function.name, call.function.arguments) == ("0", "llm_version", {})
    assert model.last_usage is not None and model.last_usage.prompt_tokens == 57


def test_recorded_in_stream_error_after_length(make_model: MakeModel, sim: OpenRouterSim) -> None:
    model = make_model("minimax/minimax-m2:free")
    sim.replay("openrouter/error-in-stream-length.sse")
    with (
        pytest.warns(TokiThinkingSupportWarning),
        pytest.raises(TokiBadRequestError, match="Token limit reached") as info,
    ):
        _stream(model)
    assert info.value.status_code == 400
    assert info.value.attempts == 1  # thinking had already been delivered: no retry
    assert len(sim.requests) == 1


def test_recorded_cache_usage_fields(make_model: MakeModel, sim: OpenRouterSim) -> None:
    model = make_model("anthropic/claude-sonnet-4.5")
    sim.replay("openrouter/cache-usage-fields.sse")
    assert _stream(model) == ("Hello!", "")
    assert model.last_usage is not None
    assert (model.last_usage.cache_read_tokens, model.last_usage.cache_write_tokens) == (0, 0)
    assert model.last_usage.prompt_tokens == 254


def _openai_fixture_cases() -> list[tuple[str, str, Any]]:
    return [
        ("openai/text.chunks.txt", "stream", None),
        ("openai/tool-call-args.sse", "stream", "get_capital"),
        ("openai/parallel-no-arg-tools.sse", "stream", "get_country"),
        ("openai/compat-deepseek-reasoning-tool-cached.chunks.txt", "stream", "*"),
        ("openai/compat-anthropic-text-then-tool.sse", "stream", "*"),
        ("openai/text.json", "block", None),
        ("openai/tool-call.json", "block", "*"),
    ]


@pytest.mark.parametrize(("name", "how", "tool"), _openai_fixture_cases())
def test_recorded_openai_wire_format_fixtures(
    make_model: MakeModel, sim: OpenRouterSim, name: str, how: str, tool: Any
) -> None:
    model = make_model("openai/gpt-4o-mini", allow_parallel_tool_calls=True)
    sim.replay(name)
    tools = None
    if tool is not None:
        # Accept whatever tool the recording calls: name the schema after it.
        from simulators import read_fixture

        text = read_fixture(name).decode()
        names = sorted(
            {part.split('"')[0] for part in text.split('"name":"')[1:]}
            | {part.split('"')[0] for part in text.split('"name": "')[1:]}
        )
        tools = [{"type": "function", "function": {"name": n, "parameters": {"type": "object"}}} for n in names]
    complete: Any = model.complete
    chunks: list[Any] = list(complete(USER, tools, stream=True)) if how == "stream" else [complete(USER, tools)]
    assert chunks
    assert model.last_finish_reason in ("stop", "tool_calls")
    if tool is not None:
        assert model.last_finish_reason == "tool_calls"


def test_recorded_openai_error_body(make_model: MakeModel, sim: OpenRouterSim) -> None:
    model = make_model("openai/gpt-5")
    sim.replay("openai/error-unsupported-parameter.json")
    with pytest.raises(TokiBadRequestError, match="max_tokens") as info:
        model.complete(USER)
    assert info.value.status_code == 400


# ---------------------------------------------------------------------- provider errors


@pytest.mark.parametrize(
    ("status", "error", "text"),
    [
        (400, TokiBadRequestError, "Invalid request"),
        (401, TokiAuthenticationError, "No auth credentials found"),
        (402, TokiInsufficientCreditsError, "Insufficient credits"),
        (404, TokiNotFoundError, "No endpoints found for google/gemini-2.5-flash"),
        (429, TokiRateLimitError, "Rate limit exceeded"),
        (500, TokiServerError, "Internal Server Error"),
        (503, TokiServerError, "No available model provider"),
    ],
)
@pytest.mark.parametrize("mode", MODES)
def test_status_errors_are_typed_with_the_providers_message(
    make_model: MakeModel, sim: OpenRouterSim, mode: Mode, status: int, error: type[Exception], text: str
) -> None:
    model = make_model(max_retries=0)
    sim.enqueue(Fault.status(status))
    with pytest.raises(error, match=text) as info:
        run(model, mode)
    assert getattr(info.value, "status_code", None) == status
    assert getattr(info.value, "provider", None) == "openrouter"
    assert len(sim.requests) == 1


def test_503_names_the_upstream_provider(make_model: MakeModel, sim: OpenRouterSim) -> None:
    model = make_model(max_retries=0)
    sim.enqueue(Fault.status(502))
    with pytest.raises(TokiServerError, match="upstream provider: OpenAI"):
        model.complete(USER)


def test_html_error_page_from_a_proxy(make_model: MakeModel, sim: OpenRouterSim) -> None:
    model = make_model(max_retries=0)
    sim.enqueue(Fault.status(502, body="<html><body><h1>502 Bad Gateway</h1></body></html>"))
    with pytest.raises(TokiServerError, match="502 Bad Gateway") as info:
        list(model.complete(USER, stream=True))
    assert "<h1>" not in str(info.value)


def test_rate_limit_retry_after_is_read(make_model: MakeModel, sim: OpenRouterSim) -> None:
    model = make_model(max_retries=0)
    sim.enqueue(Fault.status(429, headers={"Retry-After": "7"}))
    with pytest.raises(TokiRateLimitError) as info:
        model.complete(USER)
    assert info.value.retry_after == 7.0


def test_retry_after_zero_is_honoured_and_the_retry_succeeds(make_model: MakeModel, sim: OpenRouterSim) -> None:
    model = make_model(instant_retries=False)
    sim.enqueue(Fault.status(429, headers={"Retry-After": "0"}), Turn(content=["ok"]))
    started = time.monotonic()
    assert model.complete(USER) == "ok"
    assert time.monotonic() - started < 0.4  # the 0.5 s backoff was replaced by the hint
    assert len(sim.requests) == 2


# ---------------------------------------------------------------------- retries


@pytest.mark.parametrize("mode", MODES)
def test_default_retries_make_three_attempts(make_model: MakeModel, sim: OpenRouterSim, mode: Mode) -> None:
    model = make_model()
    assert model.retry_policy.max_retries == 2
    sim.enqueue(Fault.status(503), Fault.status(503), Fault.status(503), Turn(content=["never"]))
    with pytest.raises(TokiServerError) as info:
        run(model, mode)
    assert info.value.attempts == 3
    assert len(sim.requests) == 3


@pytest.mark.parametrize("mode", MODES)
def test_transient_failures_then_success(make_model: MakeModel, sim: OpenRouterSim, mode: Mode) -> None:
    model = make_model()
    sim.enqueue(Fault.status(500), Fault.reset_before_headers(), Turn(content=["fine"]))
    assert run(model, mode).content == "fine"
    assert len(sim.requests) == 3


@pytest.mark.parametrize("mode", MODES)
def test_zero_retries_disables_retrying(make_model: MakeModel, sim: OpenRouterSim, mode: Mode) -> None:
    model = make_model(max_retries=0)
    sim.enqueue(Fault.status(503), Turn(content=["never"]))
    with pytest.raises(TokiServerError) as info:
        run(model, mode)
    assert info.value.attempts == 1
    assert len(sim.requests) == 1


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 422])
def test_client_errors_are_never_retried(make_model: MakeModel, sim: OpenRouterSim, status: int) -> None:
    model = make_model()
    sim.enqueue(Fault.status(status), Turn(content=["never"]))
    with pytest.raises(Exception) as info:
        model.complete(USER)
    assert getattr(info.value, "status_code", None) == status
    assert len(sim.requests) == 1


@pytest.mark.parametrize("mode", ["sync-stream", "async-stream"])
def test_no_retry_after_the_first_event(make_model: MakeModel, sim: OpenRouterSim, mode: Mode) -> None:
    model = make_model()
    sim.enqueue(Turn(content=["one ", "two ", "three"], faults=[Fault.cut_after(3)]), Turn(content=["never"]))
    with pytest.raises(TokiConnectionError) as info:
        run(model, mode)
    assert info.value.attempts == 1
    assert len(sim.requests) == 1


def test_connection_refused_is_retried_then_typed(make_model: MakeModel) -> None:
    model = make_model(base_url="http://127.0.0.1:9/api/v1")
    with pytest.raises(TokiConnectionError) as info:
        model.complete(USER)
    assert info.value.attempts == 3


# ---------------------------------------------------------------------- broken streams


@pytest.mark.parametrize("mode", MODES)
def test_in_band_error_is_typed_by_its_code(make_model: MakeModel, sim: OpenRouterSim, mode: Mode) -> None:
    model = make_model(max_retries=0)
    sim.enqueue(Turn(content=["partial"], faults=[Fault.in_band_error(after=2, code=429, message="slow down")]))
    with pytest.raises(TokiRateLimitError, match="slow down"):
        run(model, mode if mode.endswith("stream") else "sync-stream")


def test_in_band_error_with_a_string_code_is_a_server_error(make_model: MakeModel, sim: OpenRouterSim) -> None:
    model = make_model(max_retries=0)
    sim.enqueue(Turn(content=["partial"], faults=[Fault.in_band_error(after=2)]))
    with pytest.raises(TokiServerError, match="Provider disconnected unexpectedly"):
        list(model.complete(USER, stream=True))


@pytest.mark.parametrize("mode", ["sync-stream", "async-stream"])
def test_stream_ending_without_done_or_finish_is_truncated(
    make_model: MakeModel, sim: OpenRouterSim, mode: Mode
) -> None:
    model = make_model(max_retries=0)
    sim.enqueue(Turn(content=["Hello ", "wor", "ld"], faults=[Fault.close_delimited(), Fault.cut_after(3)]))
    with pytest.raises(TokiStreamTruncatedError) as info:
        run(model, mode)
    assert info.value.received == "Hello wor"


def test_recorded_stream_cut_before_done_is_truncated(make_model: MakeModel, sim: OpenRouterSim) -> None:
    model = make_model(max_retries=0)
    sim.replay("openrouter/no-arg-tool.sse", Fault.close_delimited(), Fault.cut_after(4))
    llm_version = {"type": "function", "function": {"name": "llm_version", "parameters": {"type": "object"}}}
    with pytest.raises(TokiStreamTruncatedError):
        list(model.complete(USER, [llm_version], stream=True))


@pytest.mark.parametrize("mode", ["sync-stream", "async-stream"])
def test_finish_reason_without_done_is_truncated(make_model: MakeModel, sim: OpenRouterSim, mode: Mode) -> None:
    model = make_model()
    sim.enqueue(Turn(content=["done"], faults=[Fault.no_terminal_event()]))
    with pytest.raises(TokiStreamTruncatedError, match="after a finish reason") as info:
        run(model, mode)
    assert info.value.received == "done"
    assert len(sim.requests) == 1


@pytest.mark.parametrize(
    "fault", [Fault.malformed_event(after=2), Fault.non_object_event(after=2)], ids=["malformed", "non-object"]
)
def test_bad_events_are_response_errors(make_model: MakeModel, sim: OpenRouterSim, fault: Fault) -> None:
    model = make_model(max_retries=0)
    sim.enqueue(Turn(content=["a", "b"], faults=[fault]))
    with pytest.raises(TokiResponseError, match="JSON"):
        list(model.complete(USER, stream=True))


@pytest.mark.parametrize("fault", [Fault.malformed_event(), Fault.non_object_event()], ids=["malformed", "non-object"])
def test_bad_blocking_bodies_are_response_errors(make_model: MakeModel, sim: OpenRouterSim, fault: Fault) -> None:
    model = make_model(max_retries=0)
    sim.enqueue(Turn(content=["a"], faults=[fault]))
    with pytest.raises(TokiResponseError):
        model.complete(USER)


def test_html_on_a_200_stream_is_a_response_error(make_model: MakeModel, sim: OpenRouterSim) -> None:
    model = make_model(max_retries=0)
    sim.enqueue(RawReply.of("<html>captive portal</html>", content_type="text/html"))
    with pytest.raises(TokiResponseError, match="text/html"):
        list(model.complete(USER, stream=True))


@pytest.mark.parametrize("ending", ["crlf", "cr"])
def test_line_endings_keepalives_and_odd_write_sizes(make_model: MakeModel, sim: OpenRouterSim, ending: Any) -> None:
    model = make_model()
    faults = [Fault.line_ending(ending), Fault.keepalives(500, after=1), Fault.write_sizes(1, 7, 3)]
    sim.enqueue(Turn(content=["α", "β", "γ😀"], faults=faults))
    assert "".join(model.complete(USER, stream=True)) == "αβγ😀"


def test_huge_content_event(make_model: MakeModel, sim: OpenRouterSim) -> None:
    model = make_model()
    sim.enqueue(Turn(content=["!"], faults=[Fault.huge_event(2_000_000)]))
    assert "".join(model.complete(USER, stream=True)) == "x" * 2_000_000 + "!"


# ---------------------------------------------------------------------- timeouts


def _timed(
    make_model: MakeModel, sim: OpenRouterSim, timeouts: Timeouts, *faults: Fault
) -> tuple[TokiTimeoutError, float]:
    model = make_model(timeout=timeouts, max_retries=0)
    sim.enqueue(Turn(content=["a", "b", "c"], faults=list(faults)))
    started = time.monotonic()
    with pytest.raises(TokiTimeoutError) as info:
        list(model.complete(USER, stream=True))
    return info.value, time.monotonic() - started


def test_first_chunk_timeout_before_headers(make_model: MakeModel, sim: OpenRouterSim) -> None:
    error, elapsed = _timed(make_model, sim, Timeouts(first_chunk=0.3, idle=30), Fault.stall(30))
    assert error.phase == "first_chunk"
    assert elapsed < 2.0


def test_idle_timeout_applies_once_headers_arrived(make_model: MakeModel, sim: OpenRouterSim) -> None:
    error, elapsed = _timed(make_model, sim, Timeouts(first_chunk=30, idle=0.3), Fault.stall(30, headers_sent=True))
    assert error.phase == "idle"
    assert elapsed < 2.0


def test_idle_timeout_mid_stream(make_model: MakeModel, sim: OpenRouterSim) -> None:
    error, elapsed = _timed(make_model, sim, Timeouts(first_chunk=30, idle=0.3), Fault.stall(30, after=2))
    assert error.phase == "idle"
    assert elapsed < 2.0


def test_keepalives_do_not_stretch_the_first_chunk_limit(make_model: MakeModel, sim: OpenRouterSim) -> None:
    # ~25 bytes per comment dripped at 2 ms/byte: comments keep arriving long past first_chunk.
    error, elapsed = _timed(
        make_model, sim, Timeouts(first_chunk=0.4, idle=5), Fault.keepalives(200), Fault.drip(0.002)
    )
    assert error.phase == "first_chunk"
    assert elapsed < 3.0


def test_total_deadline(make_model: MakeModel, sim: OpenRouterSim) -> None:
    error, elapsed = _timed(make_model, sim, Timeouts(first_chunk=5, idle=5, total=0.4), Fault.drip(0.005))
    assert error.phase == "total"
    assert elapsed < 2.0


def test_slow_drip_under_the_idle_limit_succeeds(make_model: MakeModel, sim: OpenRouterSim) -> None:
    model = make_model(timeout=Timeouts(first_chunk=2, idle=0.5))
    sim.enqueue(Turn(content=["slow"], faults=[Fault.drip(0.0002)]))
    assert "".join(model.complete(USER, stream=True)) == "slow"


async def test_async_timeouts(make_model: MakeModel, sim: OpenRouterSim) -> None:
    model = make_model(timeout=Timeouts(first_chunk=0.3, idle=30), max_retries=0)
    sim.enqueue(Fault.stall(30))
    try:
        with pytest.raises(TokiTimeoutError) as info:
            await model.acomplete(USER)
        assert info.value.phase == "first_chunk"
    finally:
        await model.aclose()


@pytest.mark.parametrize("exc", [httpx.ConnectTimeout("slow"), httpx.PoolTimeout("full")])
def test_connect_and_pool_timeouts(exc: Exception) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        model = OpenRouterModel("x/y", api_key="k", http_client=client, max_retries=0)
        with pytest.raises(TokiTimeoutError) as info:
            model.complete(USER)
        assert info.value.phase == "connect"


# ---------------------------------------------------------------------- connections


def test_one_pooled_connection_is_reused(make_model: MakeModel, sim: OpenRouterSim) -> None:
    model = make_model()
    for _ in range(3):
        sim.enqueue(Turn(content=["ok"]))
    model.complete(USER)
    list(model.complete(USER, stream=True))
    model.complete(USER)
    assert {r.connection_id for r in sim.requests} == {sim.requests[0].connection_id}
    assert sim.connections_accepted == 1


async def test_async_pool_is_reused_within_a_loop(make_model: MakeModel, sim: OpenRouterSim) -> None:
    model = make_model()
    for _ in range(3):
        sim.enqueue(Turn(content=["ok"]))
    async with model:
        await model.acomplete(USER)
        [c async for c in model.acomplete(USER, stream=True)]
        await model.acomplete(USER)
    assert sim.connections_accepted == 1
    assert not model._async_pools  # pyright: ignore[reportPrivateUsage]


def test_asyncio_run_twice_without_aclose(make_model: MakeModel, sim: OpenRouterSim) -> None:
    model = make_model()

    async def once() -> str:
        sim.enqueue(Turn(content=["ok"]))
        return await model.acomplete(USER)

    # No aclose(): asyncio.run's shutdown of async generators closes the pool (a leaked socket
    # would surface as a ResourceWarning, an error here).
    assert asyncio.run(once()) == "ok"
    assert asyncio.run(once()) == "ok"
    gc.collect()
    assert sim.connections_accepted == 2
    deadline = time.monotonic() + 2
    while sim.open_connections and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sim.open_connections == 0
    assert len(model._async_pools) <= 1  # pyright: ignore[reportPrivateUsage]


def test_close_and_context_manager(make_model: MakeModel, sim: OpenRouterSim) -> None:
    model = make_model()
    sim.enqueue(Turn(content=["a"]), Turn(content=["b"]))
    with model:
        assert model.complete(USER) == "a"
    assert model._client is None  # pyright: ignore[reportPrivateUsage]
    assert model.complete(USER) == "b"  # usable again: a new pool is opened lazily
    assert sim.connections_accepted == 2


def test_a_callers_client_is_used_and_left_open(sim: OpenRouterSim) -> None:
    with httpx.Client() as client:
        model = OpenRouterModel("x/y", api_key="k", base_url=sim.base_url + "/api/v1", http_client=client)
        sim.enqueue(Turn(content=["ok"]))
        with model:
            assert model.complete(USER) == "ok"
        assert not client.is_closed
        sim.enqueue(Turn(content=["again"]))
        assert model.complete(USER) == "again"


async def test_a_callers_async_client_is_used_and_left_open(sim: OpenRouterSim) -> None:
    async with httpx.AsyncClient() as client:
        model = OpenRouterModel("x/y", api_key="k", base_url=sim.base_url + "/api/v1", async_http_client=client)
        sim.enqueue(Turn(content=["ok"]))
        async with model:
            assert await model.acomplete(USER) == "ok"
        assert not client.is_closed


def test_break_releases_the_connection(make_model: MakeModel, sim: OpenRouterSim) -> None:
    model = make_model()
    sim.enqueue(Turn(content=[f"{i} " for i in range(50)], faults=[Fault.stall(30, after=5)]), Turn(content=["next"]))
    started = time.monotonic()
    for chunk in model.complete(USER, stream=True):
        assert chunk == "0 "
        break
    assert model.complete(USER) == "next"
    assert time.monotonic() - started < 2.0


async def test_cancellation_releases_the_connection(make_model: MakeModel, sim: OpenRouterSim) -> None:
    model = make_model()
    sim.enqueue(Turn(content=["a", "b"], faults=[Fault.stall(30, after=2)]), Turn(content=["after"]))

    async def consume() -> None:
        async for _ in model.acomplete(USER, stream=True):
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    try:
        assert await model.acomplete(USER) == "after"
    finally:
        await model.aclose()


# ---------------------------------------------------------------------- token counting


@pytest.mark.parametrize("kind", ["exact", "online"])
def test_count_tokens_round_trip(make_model: MakeModel, sim: OpenRouterSim, kind: Any) -> None:
    model = make_model("anthropic/claude-sonnet-4.5", reasoning_effort="high", cache="static")
    sim.enqueue(Turn(content=["x"], usage=Usage(prompt=321, completion=1)))
    assert model.count_tokens(USER, tools=[WEATHER], kind=kind) == 321
    body = sim.last_request.json
    assert body["max_tokens"] == 1
    assert "stream" not in body and "reasoning" not in body and "cache_control" not in body
    assert body["tools"] == [WEATHER]
    assert model._cache_state.entries == ()  # pyright: ignore[reportPrivateUsage]


async def test_acount_tokens_round_trip(make_model: MakeModel, sim: OpenRouterSim) -> None:
    model = make_model()
    sim.enqueue(Turn(content=["x"], usage=Usage(prompt=42, completion=1)))
    try:
        assert await model.acount_tokens(USER, kind="online") == 42
    finally:
        await model.aclose()


def test_count_tokens_without_usage_is_a_response_error(make_model: MakeModel, sim: OpenRouterSim) -> None:
    model = make_model()
    body = {
        "id": "x",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "x"}, "finish_reason": "length"}],
    }
    sim.enqueue(RawReply.of(json.dumps(body)))
    with pytest.raises(TokiResponseError, match="prompt_tokens"):
        model.count_tokens(USER)


def test_count_tokens_rejects_unknown_kinds(make_model: MakeModel) -> None:
    with pytest.raises(ValueError, match="kind='approximate'"):
        make_model().count_tokens(USER, kind="approximate")  # type: ignore[arg-type]


def test_base_url_falls_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from toki_openrouter import OpenRouterModel

    monkeypatch.setenv("OPENROUTER_BASE_URL", "http://127.0.0.1:9/proxy/v1/")
    assert OpenRouterModel("x", api_key="k")._url == "http://127.0.0.1:9/proxy/v1/chat/completions"  # pyright: ignore[reportPrivateUsage]
    assert OpenRouterModel("x", api_key="k", base_url="http://h/v1")._url == "http://h/v1/chat/completions"  # pyright: ignore[reportPrivateUsage]
    monkeypatch.delenv("OPENROUTER_BASE_URL")
    assert OpenRouterModel("x", api_key="k")._url == "https://openrouter.ai/api/v1/chat/completions"  # pyright: ignore[reportPrivateUsage]

"""LiteLLMModel end to end on every route, and what all litellm-backed models share (release, loops, counting)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from typing import Any

import pytest
from simulators import AnthropicSim, Fault, GeminiSim, OpenAIChatSim, ToolCallScript, Turn, Usage
from toki import TokenCountEstimate, TokiThinking, TokiToolCall, TokiToolFunction
from toki.errors import TokiConfigurationError, TokiServerError, TokiStreamTruncatedError, TokiTimeoutError
from toki.testing import CallMode, call_in_mode
from toki.timeouts import Timeouts
from toki.warnings import TokiThinkingSupportWarning
from toki_litellm import LiteLLMModel

from .conftest import MakeModel, Run

HI = [{"role": "user", "content": "hi"}]
TOOL: dict[str, Any] = {
    "type": "function",
    "function": {"name": "f", "parameters": {"type": "object", "properties": {}}},
}


@pytest.fixture(params=["openai", "anthropic", "gemini"])
def routed(
    request: pytest.FixtureRequest,
    openai_sim: OpenAIChatSim,
    anthropic_sim: AnthropicSim,
    gemini_sim: GeminiSim,
    make_model: MakeModel,
) -> tuple[Any, Callable[..., LiteLLMModel]]:
    """(simulator, model factory) for each known route."""
    sim, model_id, base = {
        "openai": (openai_sim, "openai/o4-mini", openai_sim.base_url + "/v1"),
        "anthropic": (anthropic_sim, "anthropic/claude-sonnet-4-5", anthropic_sim.base_url),
        "gemini": (gemini_sim, "gemini/gemini-2.5-flash", gemini_sim.base_url),
    }[request.param]

    def make(**kwargs: Any) -> LiteLLMModel:
        return make_model(model_id, base, **kwargs)

    return sim, make


def test_text_thinking_and_tools_on_every_route(routed: tuple[Any, Callable[..., LiteLLMModel]], run: Run) -> None:
    sim, make = routed
    model = make()
    sim.enqueue(Turn(thinking="hm", content=["a", "b"], tool_calls=[ToolCallScript("f", "{}", id="c1")]))
    chunks = run(model, HI, [TOOL], stream=True, capture_thinking=True)
    assert chunks[:3] == [TokiThinking("hm"), "a", "b"]
    assert isinstance(chunks[3], TokiToolCall) and chunks[3].function == TokiToolFunction("f", {})
    assert model.last_finish_reason == "tool_calls"


def test_truncation_on_every_route(routed: tuple[Any, Callable[..., LiteLLMModel]], run: Run) -> None:
    sim, make = routed
    model = make()
    sim.enqueue(Turn(content=["a", "b"]).with_faults(Fault.no_terminal_event()))
    with pytest.raises(TokiStreamTruncatedError):
        run(model, HI, stream=True)


@pytest.mark.parametrize(("fault", "phase"), [(Fault.stall(30), "first_chunk"), (Fault.stall(30, after=2), "idle")])
def test_time_limits_on_every_route(
    routed: tuple[Any, Callable[..., LiteLLMModel]], mode: CallMode, fault: Fault, phase: str
) -> None:
    sim, make = routed
    model = make(timeout=Timeouts(connect=1.0, first_chunk=0.4, idle=0.4), max_retries=0)
    sim.enqueue(Turn(content=["a", "b", "c"]).with_faults(fault))
    from toki_litellm.lazy import load_litellm

    load_litellm()  # its import alone can take seconds on a busy machine
    started = time.monotonic()
    with pytest.raises(TokiTimeoutError) as caught:
        call_in_mode(mode, model, HI, stream=True)
    assert caught.value.phase == phase
    assert time.monotonic() - started < 5


def test_generic_provider_on_litellm_clients(openai_sim: OpenAIChatSim, make_model: MakeModel, run: Run) -> None:
    # DeepSeek is served by litellm's own OpenAI-compatible handler: toki supplies no client there.
    model = make_model("deepseek/deepseek-chat", openai_sim.base_url + "/v1")
    openai_sim.replay("openai/compat-deepseek-reasoning-tool-cached.chunks.txt")
    schema = {"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}
    with pytest.warns(TokiThinkingSupportWarning, match="does not produce thinking"):  # per litellm's metadata
        chunks = run(model, HI, [schema], stream=True, capture_thinking=True)
    assert any(isinstance(c, TokiThinking) for c in chunks)
    assert model.last_usage is not None and model.last_usage.cache_read_tokens == 320
    openai_sim.enqueue(Turn(content=["a"]).with_faults(Fault.no_terminal_event()))
    assert run(model, HI, stream=True) == ["a"]  # [DONE] is not checked on litellm's clients, a finish reason is


def test_generic_provider_stream_without_finish_reason(
    openai_sim: OpenAIChatSim, make_model: MakeModel, run: Run
) -> None:
    model = make_model("deepseek/deepseek-chat", openai_sim.base_url + "/v1", max_retries=0)
    body = (
        b'data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"deepseek-chat",'
        b'"choices":[{"index":0,"delta":{"role":"assistant","content":"par"},"finish_reason":null}]}\n\n'
    )
    from simulators import RawReply

    openai_sim.enqueue(RawReply((body,), content_type="text/event-stream", framing="chunked"))
    with pytest.raises(TokiStreamTruncatedError) as caught:
        run(model, HI, stream=True)
    assert caught.value.received == "par"


def test_breaking_early_releases_the_connection(openai_sim: OpenAIChatSim, make_model: MakeModel) -> None:
    model = make_model("openai/gpt-4o-mini", openai_sim.base_url + "/v1")
    openai_sim.enqueue(Turn(content=["a", "b", "c", "d"]).with_faults(Fault.stall(30, after=3)))
    stream = model.complete(HI, stream=True)
    assert next(stream) == "a"
    stream.close()  # would otherwise hang in the stall until the read limit
    openai_sim.enqueue(Turn(content="next"))
    assert model.complete(HI) == "next"


def test_total_time_limit(openai_sim: OpenAIChatSim, make_model: MakeModel) -> None:
    openai_sim.enqueue(Turn(content=[str(n) for n in range(40)]).with_faults(Fault.drip(0.002)))
    model = make_model(
        "openai/gpt-4o-mini",
        openai_sim.base_url + "/v1",
        timeout=Timeouts(first_chunk=5, idle=5, total=0.3),
        max_retries=0,
    )
    with pytest.raises(TokiTimeoutError) as caught:
        list(model.complete(HI, stream=True))
    assert caught.value.phase == "total"


def test_two_event_loops_and_cancellation(anthropic_sim: AnthropicSim, make_model: MakeModel) -> None:
    model = make_model("anthropic/claude-sonnet-4-5", anthropic_sim.base_url)
    anthropic_sim.set_default(Turn(content=["x", "y"]))

    async def once() -> list[Any]:
        try:
            return [c async for c in model.acomplete(HI, stream=True)]
        finally:
            await model.aclose()

    async def cancelled() -> None:
        anthropic_sim.enqueue(Turn(content=["a", "b"]).with_faults(Fault.stall(30, after=2)))

        async def consume() -> None:
            async for _ in model.acomplete(HI, stream=True):
                pass

        task = asyncio.create_task(consume())
        await asyncio.sleep(0.5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await model.aclose()

    assert asyncio.run(once()) == ["x", "y"]
    assert asyncio.run(once()) == ["x", "y"]  # no client bound to the first, closed loop
    asyncio.run(cancelled())


def test_unsupported_parameter_is_a_configuration_error(openai_sim: OpenAIChatSim, make_model: MakeModel) -> None:
    model = make_model("openai/gpt-5.4-mini", openai_sim.base_url + "/v1", reasoning_effort="minimal")
    with pytest.raises(TokiConfigurationError, match="minimal"):
        model.complete(HI)
    assert openai_sim.requests == []


def test_base_url_aliases() -> None:
    with pytest.raises(TypeError, match="not both"):
        LiteLLMModel("openai/x", base_url="http://a", api_base="http://b")
    with LiteLLMModel("gemini/gemini-2.5-flash", api_base="http://h:1", api_key="k") as model:
        assert model._api_base == "http://h:1/v1beta"  # pyright: ignore[reportPrivateUsage]


def test_capture_thinking_support_comes_from_litellm() -> None:
    with LiteLLMModel("anthropic/claude-sonnet-4-5", api_key="k") as model:
        assert model._supports_thinking() is True  # pyright: ignore[reportPrivateUsage]
    with LiteLLMModel("openai/gpt-4o-mini", api_key="k") as model:
        assert model._supports_thinking() is False  # pyright: ignore[reportPrivateUsage]
    with LiteLLMModel("someprovider/unknown-model", api_key="k") as model:
        assert model._supports_thinking() is None  # pyright: ignore[reportPrivateUsage]


def test_count_tokens_kinds(anthropic_sim: AnthropicSim, make_model: MakeModel) -> None:
    model = make_model("anthropic/claude-sonnet-4-5", anthropic_sim.base_url)
    anthropic_sim.enqueue(Turn(content="x", usage=Usage(prompt=42, completion=1)))
    assert model.count_tokens(HI) == 42
    estimate = model.count_tokens(HI, kind="offline")
    assert isinstance(estimate, TokenCountEstimate)
    with pytest.raises(ValueError, match="safety_factor"):
        model.count_tokens(HI, kind="offline", safety_factor=0.5)
    with pytest.raises(ValueError, match="kind"):
        model.count_tokens(HI, kind="guess")  # type: ignore[call-overload]


def test_server_error_before_output_is_retried(gemini_sim: GeminiSim, make_model: MakeModel, run: Run) -> None:
    model = make_model("gemini/gemini-2.5-flash", gemini_sim.base_url, max_retries=1)
    gemini_sim.enqueue(Fault.status(503), Turn(content="ok"))
    assert run(model, HI, stream=True) == ["ok"]
    gemini_sim.enqueue(Fault.status(500), Fault.status(500))
    with pytest.raises(TokiServerError):
        run(model, HI)


def test_importing_the_adapter_does_not_import_litellm() -> None:
    code = textwrap.dedent(
        """
        import os, sys
        import toki_litellm
        from toki.litellm import LiteLLMModel
        model = LiteLLMModel("anthropic/claude-sonnet-4-5", api_key="k")
        print("litellm" in sys.modules, "LITELLM_LOCAL_MODEL_COST_MAP" in os.environ)
        from toki_litellm.lazy import load_litellm
        load_litellm()
        print(os.environ["LITELLM_LOCAL_MODEL_COST_MAP"])
        """
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != "LITELLM_LOCAL_MODEL_COST_MAP"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=180, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False", "True"]
    assert "model cost map" not in result.stderr  # nothing was fetched over the network

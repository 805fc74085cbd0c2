"""LocalModel end to end on the tiny deterministic model: the real transformers generate/stream path.

Every behaviour is checked through the sync and the async API (the ``mode`` fixture), blocking
and streaming: text, thinking captured or stripped, tool round trips, streamed tool arguments,
usage and finish reasons, cancellation (the worker thread exits), and errors inside ``generate``.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any, Literal

import pytest
import torch
from toki import Agent, StreamingToolSchema, TokiThinking, TokiToolCall, TokiToolCallStream
from toki.errors import (
    TokiConfigurationError,
    TokiError,
    TokiInputError,
    TokiResponseError,
    TokiToolCallTruncatedError,
)
from toki.tool_streams import AsyncTokiToolCallStream
from toki.types import TokiThoughtResponse, TokiToolsResponse
from toki.warnings import TokiThinkingSupportWarning
from toki_local import LocalModel
from toki_local_tiny_model import GET_WEATHER, PROPOSE_PATCH, SCRIPT, Scenario

Mode = Literal["sync", "async"]
S: dict[str, Scenario] = {scenario.name: scenario for scenario in SCRIPT}
PATCH_ARGUMENTS = {"target": "print('hi')", "replacement": "print('HI!')  # louder, with a } and a \"</tool_call>\""}
LONG = 4000  # max_tokens and min_new_tokens for a generation of several seconds at least


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> Mode:
    """Run a scenario through ``complete`` or ``acomplete``."""
    return request.param


def complete(model: LocalModel, mode: Mode, messages: Any, **kwargs: Any) -> Any:
    """Blocking call through the chosen API."""
    # Any: the overloads cannot be resolved for **kwargs, and these helpers serve every shape.
    if mode == "sync":
        run_sync: Any = model.complete
        return run_sync(messages, **kwargs)
    run_async: Any = model.acomplete
    return asyncio.run(run_async(messages, **kwargs))


def stream(model: LocalModel, mode: Mode, messages: Any, **kwargs: Any) -> list[Any]:
    """Streaming call through the chosen API, drained into a list."""
    if mode == "sync":
        run_sync: Any = model.complete
        return list(run_sync(messages, stream=True, **kwargs))

    async def drain() -> list[Any]:
        run_async: Any = model.acomplete
        return [chunk async for chunk in run_async(messages, stream=True, **kwargs)]

    return asyncio.run(drain())


# ---------------------------------------------------------------------- answers


def test_plain_text(tiny: LocalModel, mode: Mode) -> None:
    assert complete(tiny, mode, S["text"].messages) == S["text"].reply
    chunks = stream(tiny, mode, S["text"].messages)
    assert len(chunks) > 1 and all(isinstance(chunk, str) for chunk in chunks)
    assert "".join(chunks) == S["text"].reply
    assert tiny.last_finish_reason == "stop"


def test_usage_and_count_tokens_match_the_generation_input(tiny: LocalModel, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    original = tiny.hf_model.generate

    def recording(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs["input_ids"].shape[1])
        return original(*args, **kwargs)

    monkeypatch.setattr(tiny.hf_model, "generate", recording)
    scenario = S["tool_result"]
    tiny.complete(scenario.messages, tools=[GET_WEATHER])
    assert tiny.count_tokens(scenario.messages, tools=[GET_WEATHER]) == seen[0]
    assert asyncio.run(tiny.acount_tokens(scenario.messages, tools=[GET_WEATHER])) == seen[0]
    reply_tokens = len(tiny.tokenizer(scenario.reply, add_special_tokens=False)["input_ids"]) + 1  # + end of turn
    assert tiny.last_usage is not None
    assert tiny.last_usage.prompt_tokens == seen[0]
    assert tiny.last_usage.completion_tokens == reply_tokens
    assert tiny.last_usage.total_tokens == seen[0] + reply_tokens


def test_count_tokens_supports_only_exact(tiny: LocalModel) -> None:
    with pytest.raises(ValueError, match="offline"):
        tiny.count_tokens(S["text"].messages, kind="offline")  # type: ignore[arg-type]


def test_the_token_limit_ends_with_length(tiny: LocalModel, mode: Mode) -> None:
    answer = complete(tiny, mode, S["text"].messages, max_tokens=3)
    assert S["text"].reply.startswith(answer) and 0 < len(answer) < len(S["text"].reply)
    assert tiny.last_finish_reason == "length"
    assert tiny.last_usage is not None and tiny.last_usage.completion_tokens == 3


def test_the_constructor_token_limit_applies(tiny_model_dir: Any) -> None:
    model = LocalModel(str(tiny_model_dir), temperature=0, max_new_tokens=2)
    model.complete(S["text"].messages)
    assert model.last_finish_reason == "length"


# ---------------------------------------------------------------------- thinking


def test_thinking_is_stripped_by_default(tiny: LocalModel, mode: Mode) -> None:
    assert complete(tiny, mode, S["thinking"].messages) == "The answer is 4."
    assert "".join(stream(tiny, mode, S["thinking"].messages)) == "The answer is 4."


def test_thinking_is_captured_with_the_always_on_warning(tiny: LocalModel, mode: Mode) -> None:
    with pytest.warns(TokiThinkingSupportWarning, match="no verified thinking support"):
        result = complete(tiny, mode, S["thinking"].messages, capture_thinking=True)
    assert result == TokiThoughtResponse(content="The answer is 4.", thought="Two plus two makes four.")
    chunks = stream(tiny, mode, S["thinking"].messages, capture_thinking=True)  # one-shot: no second warning
    thought = "".join(chunk.text for chunk in chunks if isinstance(chunk, TokiThinking))
    answer = "".join(chunk for chunk in chunks if isinstance(chunk, str))
    assert (thought, answer) == ("Two plus two makes four.", "The answer is 4.")
    first_answer = next(i for i, chunk in enumerate(chunks) if isinstance(chunk, str))
    assert all(isinstance(chunk, TokiThinking) for chunk in chunks[:first_answer]), "thinking streams first"


def test_a_template_that_opens_think_in_the_prompt(tiny: LocalModel, mode: Mode) -> None:
    scenario = S["thinking_in_prompt"]
    with pytest.warns(TokiThinkingSupportWarning):
        result = complete(
            tiny, mode, scenario.messages, capture_thinking=True, chat_template_kwargs={"think_in_prompt": True}
        )
    assert result == TokiThoughtResponse(content="The answer is 6.", thought="Three plus three makes six.")
    assert complete(tiny, mode, scenario.messages, chat_template_kwargs={"think_in_prompt": True}) == "The answer is 6."


def test_constructor_template_kwargs(tiny_model_dir: Any) -> None:
    model = LocalModel(str(tiny_model_dir), temperature=0, chat_template_kwargs={"enable_thinking": False})
    assert model.complete(S["no_thinking"].messages) == "The answer is 4."
    # A call's template kwargs are merged over the constructor's.
    scenario = S["thinking_in_prompt"]
    assert model.complete(
        scenario.messages, chat_template_kwargs={"enable_thinking": True, "think_in_prompt": True}
    ) == ("The answer is 6.")


# ---------------------------------------------------------------------- tools


def test_tool_round_trip_with_an_agent(tiny: LocalModel, mode: Mode) -> None:
    agent = Agent(tiny, tools=[GET_WEATHER])
    agent.add_user_message("What is the weather in Paris?")
    result = agent.execute() if mode == "sync" else asyncio.run(agent.aexecute())
    assert isinstance(result, TokiToolsResponse)
    assert [(c.function.name, c.function.arguments) for c in result.tool_calls] == [("get_weather", {"city": "Paris"})]
    assert tiny.last_finish_reason == "tool_calls"
    agent.add_tool_message(result.tool_calls[0].id, "sunny, 25C")
    answer = agent.execute() if mode == "sync" else asyncio.run(agent.aexecute())
    assert answer == "It is sunny and 25C in Paris."


def test_a_streamed_static_tool_call(tiny: LocalModel, mode: Mode) -> None:
    chunks = stream(tiny, mode, S["tool_call"].messages, tools=[GET_WEATHER])
    assert len(chunks) == 1 and isinstance(chunks[0], TokiToolCall)
    assert chunks[0].function.arguments == {"city": "Paris"}


def test_streaming_tool_arguments_with_expect_arg_sync(tiny: LocalModel) -> None:
    chunks: list[Any] = []
    pieces: dict[str, list[str]] = {}
    for chunk in tiny.complete(
        S["streaming_tool_call"].messages, tools=[StreamingToolSchema(PROPOSE_PATCH)], stream=True
    ):
        if isinstance(chunk, TokiToolCallStream):
            pieces["replacement"] = list(chunk.expect_arg("replacement"))  # claimed out of order
            pieces["target"] = list(chunk.expect_arg("target"))
            assert chunk.arguments == PATCH_ARGUMENTS
        chunks.append(chunk)
    assert "".join(c for c in chunks if isinstance(c, str)) == "Here is a patch."
    assert {name: "".join(parts) for name, parts in pieces.items()} == PATCH_ARGUMENTS
    assert len(pieces["replacement"]) > 3, "the argument streamed as it was generated"


def test_streaming_tool_arguments_with_expect_arg_async(tiny: LocalModel) -> None:
    async def run() -> dict[str, list[str]]:
        pieces: dict[str, list[str]] = {}
        tools = [StreamingToolSchema(PROPOSE_PATCH)]
        async for chunk in tiny.acomplete(S["streaming_tool_call"].messages, tools=tools, stream=True):
            if isinstance(chunk, AsyncTokiToolCallStream):
                pieces["target"] = [p async for p in chunk.expect_arg("target")]
                pieces["replacement"] = [p async for p in chunk.expect_arg("replacement")]
                assert await chunk.arguments() == PATCH_ARGUMENTS
        return pieces

    pieces = asyncio.run(run())
    assert {name: "".join(parts) for name, parts in pieces.items()} == PATCH_ARGUMENTS
    assert len(pieces["replacement"]) > 3


def test_blocking_returns_a_drained_tool_stream(tiny: LocalModel, mode: Mode) -> None:
    result: TokiToolsResponse[Any] = complete(
        tiny, mode, S["streaming_tool_call"].messages, tools=[StreamingToolSchema(PROPOSE_PATCH)]
    )
    assert isinstance(result, TokiToolsResponse) and result.content == "Here is a patch."
    call = result.tool_calls[0]  # a TokiToolCallStream or, through acomplete, an AsyncTokiToolCallStream
    arguments = call.arguments if mode == "sync" else asyncio.run(call.arguments())
    assert arguments == PATCH_ARGUMENTS


def test_a_tool_call_cut_by_the_token_limit_is_truncated(tiny: LocalModel, mode: Mode) -> None:
    with pytest.raises(TokiToolCallTruncatedError, match="token limit"):
        complete(tiny, mode, S["tool_call"].messages, tools=[GET_WEATHER], max_tokens=12)
    with pytest.raises(TokiToolCallTruncatedError):
        stream(tiny, mode, S["tool_call"].messages, tools=[GET_WEATHER], max_tokens=12)


def test_tool_support_flags(tiny: LocalModel, tiny_model_dir: Any) -> None:
    assert tiny._supports_tools() is None  # pyright: ignore[reportPrivateUsage]  # unknown id, template lists tools
    assert tiny._supports_thinking() is None  # pyright: ignore[reportPrivateUsage]
    tiny.tokenizer.chat_template = "{% for m in messages %}{{ m.content }}{% endfor %}"
    assert tiny._supports_tools() is False  # pyright: ignore[reportPrivateUsage]  # the template drops tools


# ---------------------------------------------------------------------- sampling and arguments


def test_sampling_runs_without_warnings(tiny_model_dir: Any) -> None:
    model = LocalModel(str(tiny_model_dir), temperature=0.8, top_p=0.9)
    assert isinstance(model.complete(S["text"].messages, max_tokens=8, top_k=5), str)


def test_unknown_generation_arguments_are_input_errors(tiny: LocalModel, mode: Mode) -> None:
    with pytest.raises(TokiInputError, match="bogus"):
        complete(tiny, mode, S["text"].messages, bogus=1)
    with pytest.raises(TokiInputError, match="bogus"):
        stream(tiny, mode, S["text"].messages, bogus=1)


@pytest.mark.parametrize(
    "kwargs", [{"temperature": -1}, {"top_p": 0}, {"top_p": 1.5}, {"max_tokens": 0}, {"max_new_tokens": "5"}]
)
def test_invalid_call_settings_are_input_errors(tiny: LocalModel, kwargs: dict[str, Any]) -> None:
    with pytest.raises(TokiInputError):
        tiny.complete(S["text"].messages, **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_new_tokens": 0},
        {"temperature": -0.5},
        {"top_p": 2},
        {"num_threads": 0},
        {"dtype": "float12"},
        {"device": "no-such-device"},
    ],
)
def test_invalid_constructor_arguments(tiny_model_dir: Any, kwargs: dict[str, Any]) -> None:
    with pytest.raises(TokiConfigurationError):
        LocalModel(str(tiny_model_dir), **kwargs)


def test_a_template_rejection_surfaces_as_an_input_error(tiny: LocalModel, mode: Mode) -> None:
    tiny.tokenizer.chat_template = "{{ raise_exception('no system messages') }}"
    with pytest.raises(TokiInputError, match="no system messages"):
        complete(tiny, mode, S["text"].messages)
    with pytest.raises(TokiInputError, match="no system messages"):
        stream(tiny, mode, S["text"].messages)


def test_generation_runs_with_the_configured_threads(tiny_model_dir: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    model = LocalModel(str(tiny_model_dir), temperature=0, num_threads=1)
    inside: list[tuple[int, str]] = []
    original = model.hf_model.generate

    def recording(*args: Any, **kwargs: Any) -> Any:
        inside.append((torch.get_num_threads(), threading.current_thread().name))
        return original(*args, **kwargs)

    monkeypatch.setattr(model.hf_model, "generate", recording)
    before = torch.get_num_threads()
    model.complete(S["text"].messages)
    assert inside == [(1, "toki-local-generate")]
    assert torch.get_num_threads() == before


# ---------------------------------------------------------------------- cancellation


def _generated_tokens(model: LocalModel, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record how many tokens each generate call produced (read after the worker exits)."""
    counts: list[int] = []
    original = model.hf_model.generate

    def counting(*args: Any, **kwargs: Any) -> Any:
        output = original(*args, **kwargs)
        counts.append(output.shape[1] - kwargs["input_ids"].shape[1])
        return output

    monkeypatch.setattr(model.hf_model, "generate", counting)
    return counts


def test_breaking_out_of_a_stream_stops_generation(
    tiny: LocalModel, monkeypatch: pytest.MonkeyPatch, wait_for_workers: Callable[[int], float]
) -> None:
    wait_for_workers(0)
    counts = _generated_tokens(tiny, monkeypatch)
    for _ in tiny.complete(S["text"].messages, stream=True, max_tokens=LONG, min_new_tokens=LONG):
        break
    wait_for_workers(0)
    assert len(counts) == 1 and counts[0] < 1000


def test_closing_a_stream_stops_generation(
    tiny: LocalModel, monkeypatch: pytest.MonkeyPatch, wait_for_workers: Callable[[int], float]
) -> None:
    wait_for_workers(0)
    counts = _generated_tokens(tiny, monkeypatch)
    chunks = tiny.complete(S["text"].messages, stream=True, max_tokens=LONG, min_new_tokens=LONG)
    next(chunks)
    chunks.close()
    wait_for_workers(0)
    assert counts[0] < 1000


def test_async_break_close_and_cancel_stop_generation(
    tiny: LocalModel, monkeypatch: pytest.MonkeyPatch, wait_for_workers: Callable[[int], float]
) -> None:
    wait_for_workers(0)
    counts = _generated_tokens(tiny, monkeypatch)

    async def scenarios() -> None:
        async for _ in tiny.acomplete(S["text"].messages, stream=True, max_tokens=LONG, min_new_tokens=LONG):
            break  # the async generator is finalised by the loop's asyncgen hook

        chunks = tiny.acomplete(S["text"].messages, stream=True, max_tokens=LONG, min_new_tokens=LONG)
        await chunks.__anext__()
        await chunks.aclose()

        started = asyncio.Event()

        async def consume() -> None:
            async for _ in tiny.acomplete(S["text"].messages, stream=True, max_tokens=LONG, min_new_tokens=LONG):
                started.set()

        task = asyncio.create_task(consume())
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

        blocking = asyncio.create_task(tiny.acomplete(S["text"].messages, max_tokens=LONG, min_new_tokens=LONG))
        await asyncio.sleep(0.2)
        blocking.cancel()
        with pytest.raises(asyncio.CancelledError):
            await blocking

    asyncio.run(scenarios())
    wait_for_workers(0)
    assert len(counts) == 4 and max(counts) < 1000


def test_the_event_loop_keeps_running_during_generation(tiny: LocalModel) -> None:
    async def run() -> float:
        gaps: list[float] = []
        done = asyncio.Event()

        async def ticker() -> None:
            last = time.perf_counter()
            while not done.is_set():
                await asyncio.sleep(0.005)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        tick = asyncio.create_task(ticker())
        await tiny.acomplete(S["text"].messages, max_tokens=300, min_new_tokens=300)
        done.set()
        await tick
        assert len(gaps) > 5
        return max(gaps)

    assert asyncio.run(run()) < 0.5  # generate holds the GIL only in short stretches


# ---------------------------------------------------------------------- errors inside generate


def _failing_generate(after_tokens: int) -> Callable[..., Any]:
    def generate(*args: Any, streamer: Any, input_ids: torch.Tensor, **kwargs: Any) -> Any:
        streamer.put(input_ids)
        for token in input_ids[0, :after_tokens]:
            streamer.put(token.reshape(1))
        raise RuntimeError("boom inside generate")

    return generate


@pytest.mark.parametrize("after_tokens", [0, 4])
def test_an_exception_inside_generate_surfaces(
    tiny: LocalModel,
    mode: Mode,
    after_tokens: int,
    monkeypatch: pytest.MonkeyPatch,
    wait_for_workers: Callable[[int], float],
) -> None:
    monkeypatch.setattr(tiny.hf_model, "generate", _failing_generate(after_tokens))
    with pytest.raises(TokiResponseError, match="boom inside generate") as blocking:
        complete(tiny, mode, S["text"].messages)
    assert isinstance(blocking.value.__cause__, RuntimeError)
    assert blocking.value.provider == "local"
    received: list[Any] = []

    async def drain() -> None:
        async for chunk in tiny.acomplete(S["text"].messages, stream=True):
            received.append(chunk)

    with pytest.raises(TokiResponseError, match="boom inside generate"):
        if mode == "sync":
            for chunk in tiny.complete(S["text"].messages, stream=True):
                received.append(chunk)
        else:
            asyncio.run(drain())
    assert bool(received) is (after_tokens > 0), "text generated before the failure is delivered"
    wait_for_workers(0)


def test_a_value_error_inside_generate_is_an_input_error(tiny: LocalModel, monkeypatch: pytest.MonkeyPatch) -> None:
    def generate(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("Input length of input_ids is 9000, but `max_length` is set to 8192")

    monkeypatch.setattr(tiny.hf_model, "generate", generate)
    with pytest.raises(TokiInputError, match="Input length") as caught:
        tiny.complete(S["text"].messages)
    assert isinstance(caught.value, TokiError) and caught.value.provider == "local"


def test_two_event_loops_in_a_row(tiny: LocalModel) -> None:
    for _ in range(2):
        assert asyncio.run(tiny.acomplete(S["text"].messages)) == S["text"].reply


def test_none_per_call_means_the_constructor_defaults(tiny_model_dir: Any) -> None:
    model = LocalModel(str(tiny_model_dir), temperature=0, max_new_tokens=3)
    assert model.complete(S["text"].messages, max_tokens=None, temperature=None, top_p=None) == "Hello"
    assert model.last_finish_reason == "length"  # the constructor's limit of 3 tokens applied

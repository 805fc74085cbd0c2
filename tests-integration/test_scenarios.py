"""The scenarios every backend must pass, against its wire simulator over a real socket.

Each test runs per backend x mode (sync/async x blocking/streaming) and checks both what toki
returned and what the backend put on the wire.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from harness import MODES, WEATHER, BackendCase, Mode, chat_requests, close_model, conversation, run_agent
from simulators import Fault, ProtocolSim, ToolCallScript, Turn, Usage
from toki import (
    Agent,
    AsyncTokiToolCallStream,
    BaseModel,
    StreamingToolSchema,
    TokiAPIError,
    TokiAuthenticationError,
    TokiBackendQuirkWarning,
    TokiBadRequestError,
    TokiError,
    TokiNotFoundError,
    TokiRateLimitError,
    TokiServerError,
    TokiThinkingSupportWarning,
    TokiThoughtResponse,
    TokiToolCallStream,
    TokiToolsResponse,
)

PATCH = StreamingToolSchema(
    {
        "type": "function",
        "function": {
            "name": "propose_patch",
            "description": "Propose a replacement for a piece of code.",
            "parameters": {
                "type": "object",
                "properties": {"target": {"type": "string"}, "replacement": {"type": "string"}},
                "required": ["target", "replacement"],
            },
        },
    }
)


def quirk_warning(case: BackendCase) -> contextlib.AbstractContextManager[Any]:
    """The spec's one-shot notice for streaming tools on a backend that sends whole tool calls."""
    if case.quirk_warns_streaming_tools:
        return pytest.warns(TokiBackendQuirkWarning, match="(?i)whole|one chunk|full")
    return contextlib.nullcontext()


@pytest.fixture
async def model(case: BackendCase, sim: ProtocolSim) -> AsyncIterator[BaseModel]:
    built = case.make_model(sim)
    yield built
    await close_model(built)


async def test_hello(case: BackendCase, sim: ProtocolSim, model: BaseModel, mode: Mode) -> None:
    sim.enqueue(Turn(content=["Hello", " there,", " nice to meet you!"], usage=Usage(prompt=12, completion=6)))
    agent = Agent(model)
    agent.add_user_message("Say hello in 5 words")

    outcome = await run_agent(agent, mode)

    assert outcome.content == "Hello there, nice to meet you!"
    if not mode.stream:
        assert outcome.chunk_types == ["str"]
    assert [m.role for m in agent.messages] == ["user", "assistant"]
    assert agent.messages[-1].content == "Hello there, nice to meet you!"
    assert agent.last_finish_reason == "stop"
    assert agent.last_usage is not None
    assert agent.last_usage.prompt_tokens == 12
    assert agent.last_usage.completion_tokens == 6
    (request,) = chat_requests(sim)
    wire = conversation(case.protocol, request)
    assert wire[-1].role == "user" and wire[-1].text == "Say hello in 5 words"


async def test_multi_turn_history(case: BackendCase, sim: ProtocolSim, model: BaseModel, mode: Mode) -> None:
    sim.enqueue(Turn(content="Paris."), Turn(content="About 2.1 million."))
    agent = Agent(model)
    agent.add_system_message("Answer briefly.")
    agent.add_user_message("Capital of France?")
    await run_agent(agent, mode)
    agent.add_user_message("Its population?")
    outcome = await run_agent(agent, mode)

    assert outcome.content == "About 2.1 million."
    assert [m.role for m in agent.messages] == ["system", "user", "assistant", "user", "assistant"]
    second = conversation(case.protocol, chat_requests(sim)[1])
    assert [(m.role, m.text) for m in second] == [
        ("system", "Answer briefly."),
        ("user", "Capital of France?"),
        ("assistant", "Paris."),
        ("user", "Its population?"),
    ]


async def test_static_tool_round_trip(case: BackendCase, sim: ProtocolSim, model: BaseModel, mode: Mode) -> None:
    sim.enqueue(
        Turn(tool_calls=[ToolCallScript("get_weather", ['{"ci', 'ty": "Par', 'is"}'], id="call_w1")]),
        Turn(content="It is sunny in Paris."),
    )
    agent = Agent(model, tools=[WEATHER])
    agent.add_user_message("What's the weather in Paris?")

    first = await run_agent(agent, mode)
    assert [c.function.name for c in first.tool_calls] == ["get_weather"]
    assert first.tool_calls[0].function.arguments == {"city": "Paris"}
    if not mode.stream:
        assert isinstance(first.value, TokiToolsResponse)
    else:
        assert "TokiToolCall" in first.chunk_types
    assert agent.last_finish_reason == "tool_calls"
    call = first.tool_calls[0]
    agent.add_tool_message(call.id, "sunny, 25C")
    final = await run_agent(agent, mode)

    assert final.content == "It is sunny in Paris."
    assert [m.role for m in agent.messages] == ["user", "assistant", "tool", "assistant"]
    second = conversation(case.protocol, chat_requests(sim)[1])
    assert second[1].role == "assistant" and second[1].called == ("get_weather",)
    tool = second[2]
    assert tool.role == "tool" and "sunny, 25C" in tool.text
    assert tool.result_for in {call.id, "get_weather"}
    if second[1].call_ids:
        assert tool.result_for == second[1].call_ids[0]


async def test_streaming_tool_args_in_reverse_order(case: BackendCase, sim: ProtocolSim, model: BaseModel) -> None:
    replacement = "print('HELLO, WORLD!!!')  # é 😀 \"quoted\" \\ back"
    arguments = '{"target": "print(\'hi\')", "replacement": ' + _json_str(replacement) + "}"
    fragments = [arguments[i : i + 7] for i in range(0, len(arguments), 7)]
    sim.enqueue(Turn(content="Here is a patch.", tool_calls=[ToolCallScript("propose_patch", fragments, id="call_p1")]))
    agent = Agent(model, tools=[PATCH])
    agent.add_user_message("Make print('hi') more enthusiastic.")

    seen: dict[str, str] = {}
    text: list[str] = []
    with quirk_warning(case):
        chunks = list(_consume_reverse(agent, seen))
    text = [c for c in chunks if isinstance(c, str)]
    assert seen == {"target": "print('hi')", "replacement": replacement}
    assert "".join(text) == "Here is a patch."
    recorded = agent.messages[-1].tool_calls
    assert recorded is not None
    assert recorded[0].function.arguments == {"target": "print('hi')", "replacement": replacement}


def _consume_reverse(agent: Agent[Any], seen: dict[str, str]) -> Iterator[Any]:
    for chunk in agent.execute(stream=True):
        if isinstance(chunk, TokiToolCallStream):
            assert chunk.name == "propose_patch"
            # Ask for the arguments in the order opposite to how the model writes them.
            seen["replacement"] = "".join(chunk.expect_arg("replacement"))
            seen["target"] = "".join(chunk.expect_arg("target"))
        else:
            assert isinstance(chunk, str)
        yield chunk


async def test_streaming_tool_async(case: BackendCase, sim: ProtocolSim, model: BaseModel) -> None:
    sim.enqueue(Turn(tool_calls=[ToolCallScript("propose_patch", ['{"target": "a', '", "replacement": "b', 'c"}'])]))
    agent = Agent(model, tools=[PATCH])
    agent.add_user_message("Patch it.")
    streams = 0
    with quirk_warning(case):
        async for chunk in agent.aexecute(stream=True):
            if isinstance(chunk, AsyncTokiToolCallStream):
                streams += 1
                assert await chunk.expect_arg("replacement").value() == "bc"
                assert "".join([p async for p in chunk.expect_arg("target")]) == "a"
    assert streams == 1


async def test_mixed_and_parallel_tools(case: BackendCase, sim: ProtocolSim, mode: Mode) -> None:
    model = case.make_model(sim, allow_parallel_tool_calls=True)
    try:
        with quirk_warning(case) if mode.stream else contextlib.nullcontext():
            await _mixed_and_parallel(sim, model, mode)
    finally:
        await close_model(model)


async def _mixed_and_parallel(sim: ProtocolSim, model: BaseModel, mode: Mode) -> None:
    sim.enqueue(
        Turn(
            tool_calls=[
                ToolCallScript("get_weather", ['{"city": ', '"Oslo"}'], id="call_a"),
                ToolCallScript("propose_patch", ['{"target": "x", ', '"replacement": "y"}'], id="call_b"),
                ToolCallScript("get_weather", '{"city": "Rome"}', id="call_c"),
            ]
        )
    )
    agent = Agent(model, tools=[WEATHER, PATCH])
    agent.add_user_message("Weather in Oslo and Rome, and patch x.")

    outcome = await run_agent(agent, mode)

    names = [(c.function.name, c.function.arguments) for c in outcome.tool_calls]
    assert names == [
        ("get_weather", {"city": "Oslo"}),
        ("propose_patch", {"target": "x", "replacement": "y"}),
        ("get_weather", {"city": "Rome"}),
    ]
    if mode.stream:
        assert outcome.chunk_types.count("TokiToolCall") == 2
        assert outcome.chunk_types.count("AsyncTokiToolCallStream" if mode.is_async else "TokiToolCallStream") == 1
    else:
        assert isinstance(outcome.value, TokiToolsResponse)
        kinds = [type(c).__name__ for c in outcome.value.tool_calls]  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType, reportUnknownArgumentType]
        stream_kind = "AsyncTokiToolCallStream" if mode.is_async else "TokiToolCallStream"
        assert kinds == ["TokiToolCall", stream_kind, "TokiToolCall"]
    ids = [c.id for c in outcome.tool_calls]
    assert len(set(ids)) == 3


async def test_thinking_captured(case: BackendCase, sim: ProtocolSim, model: BaseModel, mode: Mode) -> None:
    sim.enqueue(Turn(thinking=["Nine point nine ", "is 9.90; 9.11 is smaller."], content="9.9 is larger."))
    agent = Agent(model)
    agent.add_user_message("Which is larger, 9.9 or 9.11?")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TokiThinkingSupportWarning)
        outcome = await run_agent(agent, mode, capture_thinking=True, **case.thinking_kwargs)

    assert outcome.content == "9.9 is larger."
    assert outcome.thought == "Nine point nine is 9.90; 9.11 is smaller."
    if not mode.stream:
        assert isinstance(outcome.value, TokiThoughtResponse)
    else:
        assert "TokiThinking" in outcome.chunk_types
    # Thinking never enters the history.
    assert agent.messages[-1].content == "9.9 is larger."


async def test_thinking_not_captured(case: BackendCase, sim: ProtocolSim, model: BaseModel, mode: Mode) -> None:
    sim.enqueue(Turn(thinking="Some private reasoning.", content="Answer."))
    agent = Agent(model)
    agent.add_user_message("Question?")
    outcome = await run_agent(agent, mode)
    assert outcome.content == "Answer."
    assert "TokiThinking" not in outcome.chunk_types
    assert isinstance(outcome.value, str) or mode.stream


async def test_usage_and_finish_reason(case: BackendCase, sim: ProtocolSim, model: BaseModel, mode: Mode) -> None:
    sim.enqueue(Turn(content="Cut", finish="length", usage=Usage(prompt=40, completion=1, cached_read=30, reasoning=0)))
    agent = Agent(model)
    agent.add_user_message("Write a long story.")
    await run_agent(agent, mode)
    assert agent.last_finish_reason == "length"
    usage = agent.last_usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (40, 1, 41)
    assert usage.cache_read_tokens == (30 if case.reports_cache_reads else None)
    assert model.last_usage == usage
    assert agent.usage.total_tokens == 41


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, TokiBadRequestError),
        (401, TokiAuthenticationError),
        (404, TokiNotFoundError),
        (429, TokiRateLimitError),
        (500, TokiServerError),
        (503, TokiServerError),
    ],
)
async def test_http_errors_are_typed_and_leave_history_alone(
    case: BackendCase, sim: ProtocolSim, model: BaseModel, mode: Mode, status: int, error_type: type[TokiAPIError]
) -> None:
    sim.enqueue(Fault.status(status))
    agent = Agent(model)
    agent.add_user_message("Hello?")
    before = list(agent.messages)
    with pytest.raises(error_type) as caught:
        await run_agent(agent, mode)
    assert caught.value.status_code == status
    assert str(caught.value)  # carries the provider's message
    assert agent.messages == before


async def test_in_band_error_after_content(case: BackendCase, sim: ProtocolSim, model: BaseModel) -> None:
    sim.enqueue(Turn(content=["Partial ", "answer ", "then"]).with_faults(Fault.in_band_error(after=2)))
    agent = Agent(model)
    agent.add_user_message("Hello?")
    received: list[Any] = []
    with pytest.raises(TokiError):
        for chunk in agent.execute(stream=True):
            received.append(chunk)
    assert agent.messages[-1].role == "user"


STREAM_MODES = [m for m in MODES if m.stream]


@pytest.mark.parametrize("mode", STREAM_MODES, ids=[m.id for m in STREAM_MODES])
async def test_truncated_stream_is_an_error(case: BackendCase, sim: ProtocolSim, model: BaseModel, mode: Mode) -> None:
    sim.enqueue(Turn(content=["One ", "two ", "three"]).with_faults(Fault.no_terminal_event()))
    agent = Agent(model)
    agent.add_user_message("Count.")
    with pytest.raises(TokiError):
        await run_agent(agent, mode)
    assert len(agent.messages) == 1


async def test_stopping_a_stream_early_keeps_history_valid(
    case: BackendCase, sim: ProtocolSim, model: BaseModel
) -> None:
    sim.enqueue(Turn(content=[f"part {i} " for i in range(50)]))
    agent = Agent(model)
    agent.add_user_message("Go on and on.")
    stream = agent.execute(stream=True)
    assert isinstance(next(stream), str)
    stream.close()
    assert [m.role for m in agent.messages] == ["user"]


async def test_count_tokens(case: BackendCase, sim: ProtocolSim, model: BaseModel) -> None:
    messages = [{"role": "user", "content": "How many tokens is this?"}]
    for kind in case.token_kinds:
        sim.enqueue(Turn(content="x", usage=Usage(prompt=17, completion=1)))
        counted: Any = model.count_tokens(messages, kind=kind)  # pyright: ignore[reportCallIssue, reportArgumentType]
        if isinstance(counted, int):
            if case.counts_locally:
                assert counted > 0
            else:
                assert counted == 17
        else:
            assert counted.prompt_tokens >= counted.raw_prompt_tokens > 0
    with pytest.raises(ValueError, match="kind"):
        model.count_tokens(messages, kind="bogus")  # pyright: ignore[reportArgumentType]


def _json_str(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)

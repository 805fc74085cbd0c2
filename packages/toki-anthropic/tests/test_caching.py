"""Anthropic prompt caching: where ``cache_control`` markers land, on the wire and on the wire copies only."""

from __future__ import annotations

import copy
from typing import Any, cast

import pytest
from simulators import AnthropicSim, Turn
from toki import Agent, TokiMessage, WithStaticTools
from toki.caching import CachePlan
from toki.warnings import TokiCacheWarning
from toki_anthropic.caching import apply_markers, cache_control

from .conftest import MakeModel, Run

BIG = "lorem ipsum dolor sit amet " * 200  # ~5400 characters: past the 1024-token threshold
TOOLS: list[dict[str, Any]] = [
    {"type": "function", "function": {"name": "a", "parameters": {"type": "object", "properties": {}}}},
    {"type": "function", "function": {"name": "b", "parameters": {"type": "object", "properties": {}}}},
]
EPHEMERAL = {"type": "ephemeral"}


def _body(sim: AnthropicSim, index: int = -1) -> dict[str, Any]:
    return sim.requests[index].json_object()


def _marked(body: dict[str, Any]) -> list[str]:
    """Where the markers are: 'system', 'tool:<name>', 'message:<index>:<block type>'."""
    places: list[str] = []
    system: list[dict[str, Any]] = body.get("system") or []
    places.extend("system" for block in system if "cache_control" in block)
    tools: list[dict[str, Any]] = body.get("tools") or []
    places.extend(f"tool:{tool['name']}" for tool in tools if "cache_control" in tool)
    messages: list[dict[str, Any]] = body["messages"]
    for index, message in enumerate(messages):
        content: Any = message["content"]
        blocks = cast(list[dict[str, Any]], content if isinstance(content, list) else [])
        for block in blocks:
            if "cache_control" in block:
                places.append(f"message:{index}:{block['type']}")
            inner_blocks: list[dict[str, Any]] = block["content"] if isinstance(block.get("content"), list) else []
            places.extend(
                f"message:{index}:{block['type']}/{inner['type']}" for inner in inner_blocks if "cache_control" in inner
            )
    return places


def _conversation() -> list[dict[str, Any]]:
    return [
        {"role": "system", "content": "You are helpful. " + BIG},
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "first answer"},
        {"role": "user", "content": "second question"},
    ]


def test_static_places_three_markers_and_keeps_them_pinned(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    model = make_model(cache="static")
    agent: Agent[WithStaticTools] = Agent(model, tools=TOOLS)
    agent.messages = [TokiMessage(**m) for m in _conversation()]
    before = copy.deepcopy(agent.messages)
    sim.enqueue(Turn(content="second answer"), Turn(content="third answer"))
    agent.execute()
    assert _marked(_body(sim)) == ["system", "tool:b", "message:2:text"]  # boundary: the last (user) message
    assert _body(sim)["system"][0]["cache_control"] == EPHEMERAL
    assert agent.messages[:4] == before  # the caller's messages never carry markers
    assert all(isinstance(m.content, str) for m in agent.messages)
    agent.add_user_message("third question")
    agent.execute()
    # The anchor stays where it was snapshotted: same prefix, same marker position.
    assert _marked(_body(sim)) == ["system", "tool:b", "message:2:text"]
    assert TOOLS[1] == {
        "type": "function",
        "function": {"name": "b", "parameters": {"type": "object", "properties": {}}},
    }


def test_static_defers_until_the_prefix_is_large_enough(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    model = make_model(cache="static")
    sim.enqueue(Turn(content="ok"), Turn(content="ok"))
    run(model, [{"role": "user", "content": "short"}])
    assert _marked(_body(sim)) == []
    run(model, _conversation())
    assert _marked(_body(sim)) == ["system", "message:2:text"]


def test_rolling_marks_the_latest_user_message_and_warns(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    with pytest.warns(TokiCacheWarning, match="rolling"):
        model = make_model(cache="rolling", cache_ttl="1h")
    sim.enqueue(Turn(content="ok"), Turn(content="ok"))
    run(model, [{"role": "user", "content": "tiny"}])
    body = _body(sim)
    assert _marked(body) == ["message:0:text"]  # rolling has no size threshold
    assert body["messages"][0]["content"][0]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}
    run(model, [*_conversation(), {"role": "assistant", "content": "2"}, {"role": "user", "content": "3"}])
    assert _marked(_body(sim)) == ["system", "message:4:text"]


def test_rolling_warning_when_switched_after_construction(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    model = make_model()
    sim.enqueue(Turn(content="ok"))
    model.cache = "rolling"
    with pytest.warns(TokiCacheWarning, match="rolling"):
        run(model, [{"role": "user", "content": "x"}])


def test_no_cache_no_markers(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Turn(content="ok"))
    run(make_model(), _conversation(), TOOLS)
    assert _marked(_body(sim)) == []


def test_history_change_before_the_anchor_warns_and_reanchors(
    sim: AnthropicSim, make_model: MakeModel, run: Run
) -> None:
    model = make_model(cache="static")
    sim.enqueue(Turn(content="ok"), Turn(content="ok"))
    run(model, _conversation())
    changed = _conversation()
    changed[1]["content"] = "a different first question"
    with pytest.warns(TokiCacheWarning, match="changed"):
        run(model, changed)
    assert _marked(_body(sim)) == ["system", "message:2:text"]


def test_invalidate_cache_starts_over(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    model = make_model(cache="static")
    sim.enqueue(Turn(content="ok"), Turn(content="ok"))
    run(model, _conversation())
    model.invalidate_cache()
    longer = [*_conversation(), {"role": "assistant", "content": "2"}, {"role": "user", "content": "3"}]
    run(model, longer)  # no warning: a fresh anchor at the new end
    assert _marked(_body(sim)) == ["system", "message:4:text"]


def test_switching_strategies_reuses_an_earlier_anchor(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    model = make_model(cache="static")
    sim.set_default(Turn(content="ok"))
    run(model, _conversation())
    longer = [*_conversation(), {"role": "assistant", "content": "2"}, {"role": "user", "content": "3"}]
    with pytest.warns(TokiCacheWarning):
        model.cache = "rolling"
        run(model, longer)
    assert _marked(_body(sim)) == ["system", "message:4:text"]
    model.cache = "static"
    run(model, longer)
    assert _marked(_body(sim)) == ["system", "message:2:text"]  # the original anchor still matches


def test_markers_on_tool_calls_and_tool_results(sim: AnthropicSim, make_model: MakeModel, run: Run) -> None:
    model = make_model(cache="static")
    call = {"id": "t1", "type": "function", "function": {"name": "a", "arguments": "{}"}}
    history = [
        {"role": "user", "content": BIG},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "t1", "name": "a", "content": "result"},
    ]
    sim.enqueue(Turn(content="ok"))
    run(model, history, TOOLS)
    assert _marked(_body(sim)) == ["tool:b", "message:2:tool_result/text"]


def test_apply_markers_on_a_tool_call_boundary() -> None:
    call = {"id": "t1", "type": "function", "function": {"name": "a", "arguments": "{}"}}
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "", "tool_calls": [call]},
    ]
    placed = apply_markers(messages, None, CachePlan("static", 1, created=True), "5m")
    assert placed == 1
    assert messages[1]["tool_calls"][0]["cache_control"] == EPHEMERAL
    assert "cache_control" not in call  # the caller's dict is not touched


def test_apply_markers_walks_back_past_an_empty_message() -> None:
    messages: list[dict[str, Any]] = [{"role": "user", "content": "q"}, {"role": "assistant", "content": ""}]
    assert apply_markers(messages, None, CachePlan("static", 1, created=True), "1h") == 1
    assert messages[0]["content"] == [{"type": "text", "text": "q", "cache_control": cache_control("1h")}]

"""Prompt-caching markers as they reach the wire, per route and strategy, and history left untouched."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from simulators import OpenRouterSim, Turn
from toki import Agent, TokiCacheWarning
from toki.caching import CachePlan
from toki_openrouter.cache_routes import apply_markers, cache_route, ttl_seconds
from toki_openrouter_testkit import MODES, MakeModel, Mode, run

BIG = "The quick brown fox jumps over the lazy dog. " * 100  # ~4500 chars, ~1125 estimated tokens
EPHEMERAL = {"type": "ephemeral"}
EPHEMERAL_1H = {"type": "ephemeral", "ttl": "1h"}


def block(text: str, control: dict[str, str]) -> list[dict[str, Any]]:
    return [{"type": "text", "text": text, "cache_control": control}]


def converse(agent: Agent[Any], sim: OpenRouterSim, question: str) -> dict[str, Any]:
    agent.add_user_message(question)
    sim.enqueue(Turn(content=[f"answer to {question}"]))
    agent.execute()
    return sim.last_request.json


def test_route_by_prefix() -> None:
    assert cache_route("anthropic/claude-sonnet-4.5") == "anthropic"
    assert cache_route("google/gemini-2.5-flash") == "google"
    assert cache_route("openai/gpt-4o") is None
    assert cache_route("claude-no-vendor") is None
    assert ttl_seconds("anthropic", "1h") == 3600.0
    assert ttl_seconds("google", "1h") == 300.0


def test_anthropic_rolling_sets_top_level_cache_control(make_model: MakeModel, sim: OpenRouterSim) -> None:
    with pytest.warns(TokiCacheWarning, match="use cache='static'"):
        model = make_model("anthropic/claude-sonnet-4.5", cache="rolling")
    agent = Agent(model)
    agent.add_system_message("You are terse.")
    body = converse(agent, sim, "hi")
    assert body["cache_control"] == EPHEMERAL
    assert body["messages"] == [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "hi"},
    ]
    body = converse(agent, sim, "again")
    assert body["cache_control"] == EPHEMERAL
    assert all(isinstance(m["content"], str) for m in body["messages"])


def test_anthropic_rolling_with_one_hour_ttl(make_model: MakeModel, sim: OpenRouterSim) -> None:
    with pytest.warns(TokiCacheWarning):
        model = make_model("anthropic/claude-haiku-4.5", cache="rolling", cache_ttl="1h")
    agent = Agent(model)
    assert converse(agent, sim, "hi")["cache_control"] == EPHEMERAL_1H


@pytest.mark.parametrize("ttl", ["5m", "1h"])
def test_anthropic_static_marks_the_anchor_block_and_keeps_it(
    make_model: MakeModel, sim: OpenRouterSim, ttl: Any
) -> None:
    model = make_model("anthropic/claude-sonnet-4.5", cache="static", cache_ttl=ttl)
    control = EPHEMERAL_1H if ttl == "1h" else EPHEMERAL
    agent = Agent(model)
    agent.add_system_message("sys")
    small = converse(agent, sim, "hello")
    assert "cache_control" not in small and all(isinstance(m["content"], str) for m in small["messages"])
    first = converse(agent, sim, BIG)  # the prefix is now large enough: anchor at this message
    assert "cache_control" not in first
    assert first["messages"][3]["content"] == block(BIG, control)
    assert [m["content"] for m in first["messages"][:3]] == ["sys", "hello", "answer to hello"]
    later = converse(agent, sim, "follow-up")
    assert later["messages"][3]["content"] == block(BIG, control)
    assert later["messages"][4:] == [
        {"role": "assistant", "content": f"answer to {BIG}"},
        {"role": "user", "content": "follow-up"},
    ]


@pytest.mark.parametrize("cache", ["rolling", "static"])
def test_google_single_marker(make_model: MakeModel, sim: OpenRouterSim, cache: Any) -> None:
    model = make_model("google/gemini-2.5-flash", cache=cache, cache_ttl="1h")
    agent = Agent(model)
    agent.add_system_message(BIG)
    body = converse(agent, sim, "first")
    assert "cache_control" not in body
    assert body["messages"][1]["content"] == block("first", EPHEMERAL)  # no ttl on the google route
    assert body["messages"][0]["content"] == BIG
    body = converse(agent, sim, "second")
    marked = [i for i, m in enumerate(body["messages"]) if not isinstance(m["content"], str)]
    assert marked == ([3] if cache == "rolling" else [1])


def test_other_prefixes_warn_at_construction_and_send_nothing(make_model: MakeModel, sim: OpenRouterSim) -> None:
    with pytest.warns(TokiCacheWarning, match="anthropic/\\* and google/\\*"):
        model = make_model("openai/gpt-4o-mini", cache="static")
    agent = Agent(model)
    agent.add_system_message(BIG)
    body = converse(agent, sim, "hi")
    assert "cache_control" not in body
    assert all(isinstance(m["content"], str) for m in body["messages"])


def test_switching_the_strategy_between_calls(make_model: MakeModel, sim: OpenRouterSim) -> None:
    model = make_model("anthropic/claude-sonnet-4.5", cache="static")
    agent = Agent(model)
    agent.add_system_message(BIG)
    anchored = converse(agent, sim, "one")
    assert anchored["messages"][1]["content"] == block("one", EPHEMERAL)
    model.cache = "rolling"
    with pytest.warns(TokiCacheWarning, match="use cache='static'"):
        rolling = converse(agent, sim, "two")
    assert rolling["cache_control"] == EPHEMERAL
    assert all(isinstance(m["content"], str) for m in rolling["messages"])
    model.cache = "static"
    back = converse(agent, sim, "three")  # the original anchor still matches: reused, no warning
    assert "cache_control" not in back
    assert back["messages"][1]["content"] == block("one", EPHEMERAL)
    model.cache = None
    off = converse(agent, sim, "four")
    assert "cache_control" not in off and all(isinstance(m["content"], str) for m in off["messages"])


def test_history_mutation_warns_and_invalidate_cache_starts_over(make_model: MakeModel, sim: OpenRouterSim) -> None:
    model = make_model("anthropic/claude-sonnet-4.5", cache="static")
    agent = Agent(model)
    agent.add_system_message(BIG)
    converse(agent, sim, "one")
    agent.messages[0].content = BIG + " (edited)"
    with pytest.warns(TokiCacheWarning, match="changed"):
        body = converse(agent, sim, "two")
    assert body["messages"][3]["content"] == block("two", EPHEMERAL)  # a fresh anchor at the new end
    model.invalidate_cache()
    agent.messages[:] = agent.messages[:1]
    body = converse(agent, sim, "three")  # no warning after invalidate_cache()
    assert body["messages"][1]["content"] == block("three", EPHEMERAL)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("model_id", ["anthropic/claude-sonnet-4.5", "google/gemini-2.5-flash"])
def test_agent_messages_are_never_mutated(make_model: MakeModel, sim: OpenRouterSim, mode: Mode, model_id: str) -> None:
    model = make_model(model_id, cache="static")
    messages = [
        {"role": "system", "content": BIG},
        {"role": "user", "content": "q1"},
        {"role": "assistant", "content": "a1"},
        {"role": "user", "content": "q2"},
    ]
    before = copy.deepcopy(messages)
    for _ in range(2):
        sim.enqueue(Turn(content=["ok"]))
        run(model, mode, messages=messages)
    assert messages == before
    assert sim.last_request.json["messages"][3]["content"] == block("q2", EPHEMERAL)


def test_agent_history_objects_are_untouched(make_model: MakeModel, sim: OpenRouterSim) -> None:
    model = make_model("anthropic/claude-sonnet-4.5", cache="static")
    agent = Agent(model)
    agent.add_system_message(BIG)
    for question in ("one", "two"):
        converse(agent, sim, question)
    assert all(isinstance(message.content, str) for message in agent.messages)
    assert agent.messages[1].content == "one"


def test_static_marker_skips_messages_without_text() -> None:
    body: dict[str, Any] = {
        "messages": [
            {"role": "user", "content": "question"},
            {"role": "assistant", "content": None, "tool_calls": [{"id": "c"}]},
        ]
    }
    apply_markers(body, CachePlan("static", 1, created=True), "anthropic", "5m")
    assert body["messages"][0]["content"] == block("question", EPHEMERAL)
    assert body["messages"][1]["content"] is None

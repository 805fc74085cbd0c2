"""Gemini explicit caching: the ``cachedContents`` lifecycle through google-genai, and the live request."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest
from simulators import GeminiSim, Turn, Usage
from toki import Agent, TokiMessage, WithStaticTools
from toki.messages import normalize_messages
from toki.warnings import TokiCacheWarning
from toki_google.caching import GoogleCaches, parse_ttl

from .conftest import MakeModel, Run

BIG = "lorem ipsum dolor sit amet " * 800  # ~21600 characters, ~5400 estimated tokens
TOOLS: list[dict[str, Any]] = [
    {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}}
]


def _conversation() -> list[dict[str, Any]]:
    return [
        {"role": "system", "content": "You are helpful. " + BIG},
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "first answer"},
        {"role": "user", "content": "second question"},
    ]


def _creates(sim: GeminiSim) -> list[dict[str, Any]]:
    return [r.json_object() for r in sim.requests_for("cache_create")]


def _live(sim: GeminiSim, index: int = -1) -> dict[str, Any]:
    return sim.requests_for("generate")[index].json_object()


def test_rolling_creates_a_cache_and_sends_only_the_tail(sim: GeminiSim, make_model: MakeModel, run: Run) -> None:
    model = make_model(cache="rolling")
    agent: Agent[WithStaticTools] = Agent(model, tools=TOOLS)
    agent.messages = [TokiMessage(**m) for m in _conversation()]
    before = copy.deepcopy(agent.messages)
    sim.enqueue(Turn(content="second answer", usage=Usage(prompt=5500, completion=3, cached_read=5400)))
    assert agent.execute() == "second answer"
    (create,) = _creates(sim)
    assert create["model"] == "models/gemini-2.5-flash"
    assert create["ttl"] == "3600s"
    assert create["systemInstruction"]["parts"][0]["text"].startswith("You are helpful.")
    assert [c["role"] for c in create["contents"]] == ["user", "model"]
    assert create["tools"][0]["functionDeclarations"][0]["name"] == "get_weather"
    live = _live(sim)
    assert live["cachedContent"] == next(iter(sim.caches))
    assert live["contents"] == [{"role": "user", "parts": [{"text": "second question"}]}]
    for forbidden in ("system_instruction", "systemInstruction", "tools", "toolConfig", "tool_config"):
        assert forbidden not in live  # Gemini refuses these next to a cache
    assert agent.messages[:4] == before
    assert agent.last_usage is not None and agent.last_usage.cache_read_tokens == 5400


def test_rolling_reuses_the_cache_until_growth_forces_a_refresh(
    sim: GeminiSim, make_model: MakeModel, run: Run
) -> None:
    model = make_model(cache="rolling", cache_refresh_delta_tokens=100)
    sim.set_default(Turn(content="ok"))
    conversation = _conversation()
    run(model, conversation)
    first = _live(sim)["cachedContent"]
    conversation += [{"role": "assistant", "content": "ok"}, {"role": "user", "content": "third question"}]
    run(model, conversation)
    assert len(_creates(sim)) == 1
    assert _live(sim)["cachedContent"] == first
    assert [c["role"] for c in _live(sim)["contents"]] == ["user", "model", "user"]
    conversation += [{"role": "assistant", "content": "x" * 800}, {"role": "user", "content": "fourth question"}]
    run(model, conversation)
    assert len(_creates(sim)) == 2  # grown by ~200 estimated tokens > 100: a new, longer cache
    assert _live(sim)["cachedContent"] != first
    assert _live(sim)["contents"] == [{"role": "user", "parts": [{"text": "fourth question"}]}]


def test_a_cache_about_to_expire_is_replaced(sim: GeminiSim, make_model: MakeModel, run: Run) -> None:
    model = make_model(cache="rolling", cache_ttl="30s", cache_refresh_buffer_seconds=60)
    sim.set_default(Turn(content="ok"))
    run(model, _conversation())
    run(model, _conversation())
    creates = _creates(sim)
    assert len(creates) == 2 and creates[0]["ttl"] == "30s"


def test_static_pins_the_prefix(sim: GeminiSim, make_model: MakeModel, run: Run) -> None:
    model = make_model(cache="static")
    sim.set_default(Turn(content="ok"))
    run(model, [{"role": "user", "content": "small talk"}])
    assert _creates(sim) == [] and "cachedContent" not in _live(sim)
    conversation = _conversation()
    run(model, conversation)
    name = _live(sim)["cachedContent"]
    for n in range(3):
        conversation += [{"role": "assistant", "content": "a" * 3000}, {"role": "user", "content": f"q{n}"}]
        run(model, conversation)
        assert _live(sim)["cachedContent"] == name
    assert len(_creates(sim)) == 1
    assert len(_live(sim)["contents"]) == 1 + 2 * 3


def test_history_change_warns_and_makes_a_new_cache(sim: GeminiSim, make_model: MakeModel, run: Run) -> None:
    model = make_model(cache="static")
    sim.set_default(Turn(content="ok"))
    run(model, _conversation())
    changed = _conversation()
    changed[1]["content"] = "edited"
    with pytest.warns(TokiCacheWarning, match="changed"):
        run(model, changed)
    assert len(_creates(sim)) == 2


def test_invalidate_cache(sim: GeminiSim, make_model: MakeModel, run: Run) -> None:
    model = make_model(cache="static")
    sim.set_default(Turn(content="ok"))
    run(model, _conversation())
    model.invalidate_cache()
    run(model, _conversation())
    assert len(_creates(sim)) == 2


def test_creation_failure_warns_and_falls_back(sim: GeminiSim, make_model: MakeModel, run: Run) -> None:
    sim.min_cache_tokens = 10**9  # the API refuses: "Cached content is too small"
    model = make_model(cache="rolling")
    sim.set_default(Turn(content="ok"))
    with pytest.warns(TokiCacheWarning, match="could not create an explicit cache"):
        assert run(model, _conversation(), TOOLS) == "ok"
    live = _live(sim)
    assert "cachedContent" not in live
    assert len(live["contents"]) == 3 and "system_instruction" in live and "tools" in live
    run(model, _conversation(), TOOLS)  # the same prefix is not tried again
    assert len(_creates(sim)) == 1


def test_no_cache_means_no_resources(sim: GeminiSim, make_model: MakeModel, run: Run) -> None:
    sim.set_default(Turn(content="ok"))
    run(make_model(), _conversation(), TOOLS)
    assert _creates(sim) == [] and "cachedContent" not in _live(sim)


def test_streaming_with_a_cache(sim: GeminiSim, make_model: MakeModel, run: Run) -> None:
    sim.enqueue(Turn(content=["a", "b"]))
    assert run(make_model(cache="rolling"), _conversation(), stream=True) == ["a", "b"]
    assert _live(sim)["cachedContent"].startswith("cachedContents/")


def test_async_paths_create_with_the_async_client(sim: GeminiSim, make_model: MakeModel) -> None:
    model = make_model(cache="rolling")
    sim.set_default(Turn(content="ok"))

    async def go() -> list[str]:
        try:
            first = await model.acomplete(_conversation())
            chunks = [c async for c in model.acomplete(_conversation(), stream=True)]
            return [first, "".join(chunks)]
        finally:
            await model.aclose()

    assert asyncio.run(go()) == ["ok", "ok"]
    assert asyncio.run(go()) == ["ok", "ok"]  # a second event loop gets its own clients
    assert len(_creates(sim)) == 1
    assert all(r.json_object()["cachedContent"] for r in sim.requests_for("generate"))


def test_a_finished_loop_closes_its_caching_clients(sim: GeminiSim, make_model: MakeModel) -> None:
    """Without ``aclose()``, the google-genai client an ``asyncio.run`` created is closed as that loop ends."""
    model = make_model(cache="rolling")
    sim.set_default(Turn(content="ok"))
    seen: list[Any] = []

    async def go() -> str:
        answer = await model.acomplete(_conversation())
        seen.extend(entry[1] for entry in model._genai_async.values())  # pyright: ignore[reportPrivateUsage]
        return answer

    assert asyncio.run(go()) == "ok"
    assert len(_creates(sim)) == 1 and len(seen) == 1
    http = seen[0]._api_client._async_httpx_client  # pyright: ignore[reportPrivateUsage]
    assert http.is_closed
    assert asyncio.run(go()) == "ok"  # the next loop reuses the cache resource without that client
    assert len(_creates(sim)) == 1


def test_cached_prefix_is_translated_faithfully(sim: GeminiSim, make_model: MakeModel, run: Run) -> None:
    model = make_model(cache="rolling")
    sim.set_default(Turn(content="ok"))
    call = {"type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'}}
    conversation = [
        {"role": "system", "content": "first rules " + BIG},
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": "Checking.", "tool_calls": [{**call, "id": "c1__thought__c2lnbmF0dXJl"}]},
        {"role": "tool", "tool_call_id": "c1__thought__c2lnbmF0dXJl", "content": '{"temp": 21}'},
        {"role": "assistant", "content": "21 degrees."},
        {"role": "system", "content": "late rule"},
        {"role": "user", "content": "thanks"},
    ]
    run(model, conversation, TOOLS)
    (create,) = _creates(sim)
    model_turn = create["contents"][1]
    assert model_turn["role"] == "model"
    assert model_turn["parts"][0] == {"text": "Checking."}
    assert model_turn["parts"][1]["functionCall"] == {"name": "get_weather", "args": {"city": "Rome"}}
    assert model_turn["parts"][1]["thoughtSignature"] == "c2lnbmF0dXJl"
    response = create["contents"][2]["parts"][0]["functionResponse"]
    assert response == {"name": "get_weather", "response": {"temp": 21}}
    # Every system message of the prefix joins the system instruction, wherever it stood.
    assert [p["text"][:11] for p in create["systemInstruction"]["parts"]] == ["first rules", "late rule"]
    assert _live(sim)["contents"] == [{"role": "user", "parts": [{"text": "thanks"}]}]


def test_a_system_message_after_the_cached_prefix_is_kept(sim: GeminiSim, make_model: MakeModel, run: Run) -> None:
    model = make_model(cache="static")
    sim.set_default(Turn(content="ok"))
    conversation = _conversation()
    run(model, conversation)
    conversation += [
        {"role": "assistant", "content": "ok"},
        {"role": "system", "content": "answer in French from now on"},
        {"role": "user", "content": "third question"},
    ]
    run(model, conversation)
    assert len(_creates(sim)) == 1  # the pinned cache cannot take it: it goes out live, as a user turn
    assert _live(sim)["contents"] == [
        {"role": "user", "parts": [{"text": "second question"}]},
        {"role": "model", "parts": [{"text": "ok"}]},
        # litellm merges consecutive user turns
        {
            "role": "user",
            "parts": [{"text": "System instruction: answer in French from now on"}, {"text": "third question"}],
        },
    ]


# ---------------------------------------------------------------------------- decisions, without I/O


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _caches(clock: _Clock, **kwargs: Any) -> GoogleCaches:
    options: dict[str, Any] = {
        "model": "gemini-2.5-flash",
        "ttl_seconds": 300,
        "min_tokens": 10,
        "refresh_delta_tokens": 50,
        "refresh_buffer_seconds": 30,
    }
    options.update(kwargs)
    return GoogleCaches(clock=clock, **options)


def test_rolling_decision_and_expiry() -> None:
    clock = _Clock()
    caches = _caches(clock)
    messages = normalize_messages(
        [
            {"role": "user", "content": "a" * 200},
            {"role": "assistant", "content": "b"},
            {"role": "user", "content": "c"},
        ]
    )
    decision = caches.decide(messages, "rolling", None)
    assert decision is not None and decision.reuse is None and decision.length == 2
    caches.record(decision, "cachedContents/1", expires_at=None, tokens=60)
    again = caches.decide(messages, "rolling", None)
    assert again is not None and again.reuse is not None and again.reuse.name == "cachedContents/1"
    clock.now += 300 - 29  # within the refresh buffer of expiry
    expired = caches.decide(messages, "rolling", None)
    assert expired is not None and expired.reuse is None


def test_tools_are_part_of_a_cache_identity() -> None:
    caches = _caches(_Clock())
    messages = normalize_messages([{"role": "user", "content": "a" * 200}, {"role": "user", "content": "c"}])
    decision = caches.decide(messages, "rolling", None)
    assert decision is not None
    caches.record(decision, "cachedContents/1", expires_at=None, tokens=None)
    other = caches.decide(messages, "rolling", TOOLS)
    assert other is not None and other.reuse is None and other.key != decision.key


def test_small_prefixes_and_single_messages_are_not_cached() -> None:
    caches = _caches(_Clock(), min_tokens=1000)
    short = normalize_messages([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}])
    assert caches.decide(short, "rolling", None) is None
    assert caches.decide(normalize_messages([{"role": "user", "content": "x" * 10000}]), "rolling", None) is None
    assert caches.decide(short, None, None) is None


def test_failed_prefixes_are_not_retried() -> None:
    caches = _caches(_Clock())
    messages = normalize_messages([{"role": "user", "content": "a" * 200}, {"role": "user", "content": "c"}])
    decision = caches.decide(messages, "rolling", None)
    assert decision is not None
    caches.failed(decision)
    assert caches.decide(messages, "rolling", None) is None


def test_parallel_tool_results_stay_together() -> None:
    calls = [{"id": i, "type": "function", "function": {"name": "f", "arguments": "{}"}} for i in ("a", "b")]
    messages = normalize_messages(
        [
            {"role": "user", "content": "x" * 400},
            {"role": "assistant", "content": None, "tool_calls": calls},
            {"role": "tool", "tool_call_id": "a", "content": "1"},
            {"role": "tool", "tool_call_id": "b", "content": "2"},
        ]
    )
    decision = _caches(_Clock()).decide(messages, "rolling", None)
    assert decision is not None and decision.length == 2  # never between the two results


@pytest.mark.parametrize(("value", "seconds"), [(60, 60.0), ("90s", 90.0), ("5m", 300.0), ("1h", 3600.0)])
def test_parse_ttl(value: Any, seconds: float) -> None:
    assert parse_ttl(value) == seconds


@pytest.mark.parametrize("value", [0, -1, "soon", "-5s"])
def test_parse_ttl_rejects(value: Any) -> None:
    with pytest.raises(ValueError, match="cache_ttl"):
        parse_ttl(value)

"""The shared prompt-caching anchor machinery: deferred snapshots, history, mutation, expiry, pruning."""

from __future__ import annotations

import copy

import pytest
from toki.caching import CachePlan, CacheState, estimate_tokens, latest_user_index, message_chars
from toki.types import TokiMessage, TokiToolCall, TokiToolFunction
from toki.warnings import TokiCacheWarning

BIG = "x" * 4000  # ~1000 estimated tokens


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def conversation(*contents: str) -> list[TokiMessage]:
    messages = [TokiMessage(role="system", content=contents[0])]
    for position, content in enumerate(contents[1:]):
        messages.append(TokiMessage(role="user" if position % 2 == 0 else "assistant", content=content))
    return messages


def state(min_tokens: int = 1024, clock: Clock | None = None, max_entries: int = 16) -> CacheState:
    return CacheState(min_tokens=min_tokens, clock=clock or Clock(), max_entries=max_entries)


def test_helpers() -> None:
    assert estimate_tokens(4099) == 1024
    call = TokiToolCall(id="c1", function=TokiToolFunction(name="f", arguments={"a": "bc"}))
    assert message_chars(TokiMessage(role="assistant", content=None, tool_calls=[call])) == 1 + len('{"a": "bc"}')
    messages = conversation("sys", "u1", "a1", "u2", "a2")
    assert latest_user_index(messages) == 3
    assert latest_user_index(messages[:1]) is None


def test_no_strategy_or_no_messages_means_no_plan() -> None:
    cache = state()
    assert cache.plan(conversation(BIG, BIG), None, ttl_seconds=300) is None
    assert cache.plan([], "static", ttl_seconds=300) is None
    assert cache.entries == ()


def test_static_is_deferred_until_the_prefix_clears_the_threshold() -> None:
    cache = state(min_tokens=1024)
    small = conversation("sys", "hello")
    assert cache.plan(small, "static", ttl_seconds=300) is None
    assert cache.entries == ()
    grown = [*small, TokiMessage(role="assistant", content="hi"), TokiMessage(role="user", content=BIG + "y" * 100)]
    plan = cache.plan(grown, "static", ttl_seconds=300)
    assert plan == CachePlan("static", 3, created=True)
    assert plan is not None and plan.prefix_length == 4


def test_extra_chars_count_toward_the_threshold() -> None:
    cache = state(min_tokens=1024)
    messages = conversation("sys", "hello")
    assert cache.plan(messages, "static", ttl_seconds=300, extra_chars=100) is None
    assert cache.plan(messages, "static", ttl_seconds=300, extra_chars=4096) == CachePlan("static", 1, created=True)


def test_static_anchor_stays_pinned_while_the_conversation_grows() -> None:
    cache = state()
    messages = conversation(BIG, BIG)
    first = cache.plan(messages, "static", ttl_seconds=300)
    assert first == CachePlan("static", 1, created=True)
    messages += [TokiMessage(role="assistant", content="a"), TokiMessage(role="user", content="more")]
    assert cache.plan(messages, "static", ttl_seconds=300) == CachePlan("static", 1, created=False)
    assert len(cache.entries) == 1


def test_mutation_before_the_anchor_warns_and_snapshots_afresh() -> None:
    cache = state()
    messages = conversation(BIG, BIG, "a", "u")
    assert cache.plan(messages, "static", ttl_seconds=300) == CachePlan("static", 3, created=True)
    edited = copy.deepcopy(messages)
    edited[1].content = BIG + "!"
    with pytest.warns(TokiCacheWarning, match="changed"):
        plan = cache.plan(edited, "static", ttl_seconds=300)
    assert plan == CachePlan("static", 3, created=True)
    assert len(cache.entries) == 2  # the old entry stays for a revert
    # Reverting rehydrates the old anchor silently (no warning: filterwarnings=error).
    assert cache.plan(messages, "static", ttl_seconds=300) == CachePlan("static", 3, created=False)


def test_mutation_into_a_too_small_prefix_warns_once_then_defers() -> None:
    cache = state()
    messages = conversation(BIG, BIG)
    cache.plan(messages, "static", ttl_seconds=300)
    compacted = conversation("short summary", "next question")
    with pytest.warns(TokiCacheWarning):
        assert cache.plan(compacted, "static", ttl_seconds=300) is None
    assert cache.plan(compacted, "static", ttl_seconds=300) is None  # no second warning
    assert cache.active is None


def test_invalidate_drops_the_history_without_a_warning() -> None:
    cache = state()
    cache.plan(conversation(BIG, BIG), "static", ttl_seconds=300)
    cache.invalidate()
    assert cache.entries == ()
    assert cache.active is None
    assert cache.plan(conversation("other " + BIG, BIG), "static", ttl_seconds=300) == CachePlan(
        "static", 1, created=True
    )


def test_rolling_marks_the_latest_user_message_and_records_an_entry() -> None:
    cache = state()
    messages = conversation("sys", "u1", "a1", "u2")
    assert cache.plan(messages, "rolling", ttl_seconds=300) == CachePlan("rolling", 3, created=True)
    tool_loop = [
        *messages,
        TokiMessage(
            role="assistant",
            content=None,
            tool_calls=[TokiToolCall(id="c", function=TokiToolFunction(name="f", arguments={}))],
        ),
        TokiMessage(role="tool", content="result", tool_call_id="c", name="f"),
    ]
    assert cache.plan(tool_loop, "rolling", ttl_seconds=300) == CachePlan("rolling", 3, created=True)
    assert len(cache.entries) == 1  # same prefix: refreshed, not duplicated
    assert cache.plan(conversation("only a system prompt"), "rolling", ttl_seconds=300) is None


def test_switching_static_rolling_static_reuses_the_original_anchor() -> None:
    cache = state()
    messages = conversation(BIG, BIG)
    assert cache.plan(messages, "static", ttl_seconds=300) == CachePlan("static", 1, created=True)
    messages += [TokiMessage(role="assistant", content="a"), TokiMessage(role="user", content="u")]
    assert cache.plan(messages, "rolling", ttl_seconds=300) == CachePlan("rolling", 3, created=True)
    assert len(cache.entries) == 2
    assert cache.plan(messages, "static", ttl_seconds=300) == CachePlan("static", 1, created=False)


def test_static_after_rolling_only_reuses_the_rolling_prefix() -> None:
    cache = state()
    messages = conversation("sys", "u1")
    cache.plan(messages, "rolling", ttl_seconds=300)
    messages.append(TokiMessage(role="assistant", content="a1"))
    assert cache.plan(messages, "static", ttl_seconds=300) == CachePlan("static", 1, created=False)


def test_expired_entries_are_dropped_and_a_fresh_anchor_is_taken_silently() -> None:
    clock = Clock()
    cache = state(clock=clock)
    messages = conversation(BIG, BIG)
    cache.plan(messages, "static", ttl_seconds=300)
    clock.now += 200
    assert cache.plan(messages, "static", ttl_seconds=300) == CachePlan("static", 1, created=False)
    clock.now += 250  # used 250 s ago: still alive because the hit refreshed it
    messages.append(TokiMessage(role="assistant", content="a"))
    assert cache.plan(messages, "static", ttl_seconds=300) == CachePlan("static", 1, created=False)
    clock.now += 301
    messages.append(TokiMessage(role="user", content="u"))
    assert cache.plan(messages, "static", ttl_seconds=300) == CachePlan("static", 3, created=True)
    assert [entry.length for entry in cache.entries] == [4]


def test_history_is_capped_and_prunes_the_least_recently_used() -> None:
    cache = state(max_entries=16)
    base = conversation("sys")
    for turn in range(20):
        cache.plan([*base, TokiMessage(role="user", content=f"question {turn}")], "rolling", ttl_seconds=300)
    assert len(cache.entries) == 16
    hashes = {entry.prefix_hash for entry in cache.entries}
    first = state()
    first.plan([*base, TokiMessage(role="user", content="question 0")], "rolling", ttl_seconds=300)
    assert first.entries[0].prefix_hash not in hashes


def test_newest_matching_entry_wins() -> None:
    cache = state()
    messages = conversation(BIG, BIG, "a", "u")
    cache.plan(messages[:2], "rolling", ttl_seconds=300)
    cache.plan(messages, "rolling", ttl_seconds=300)
    assert cache.plan(messages, "static", ttl_seconds=300) == CachePlan("static", 3, created=False)


def test_plan_never_mutates_the_messages() -> None:
    cache = state()
    messages = conversation(BIG, BIG, "a", "u")
    before = copy.deepcopy(messages)
    cache.plan(messages, "static", ttl_seconds=300)
    cache.plan(messages, "rolling", ttl_seconds=300)
    assert messages == before


def test_dict_shaped_and_object_shaped_equal_conversations_match() -> None:
    cache = state()
    messages = conversation(BIG, BIG)
    cache.plan(messages, "static", ttl_seconds=300)
    assert cache.plan(copy.deepcopy(messages), "static", ttl_seconds=300) == CachePlan("static", 1, created=False)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="max_entries"):
        CacheState(min_tokens=1, max_entries=0)
    with pytest.raises(ValueError, match="cache must be"):
        state().plan(conversation("a"), "sometimes", ttl_seconds=1)  # type: ignore[arg-type]

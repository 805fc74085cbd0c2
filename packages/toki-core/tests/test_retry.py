"""``toki.retry``: the backoff, the Retry-After table, and the four retry loops (with a fake clock)."""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator
from email.utils import formatdate
from typing import Any, cast

import pytest
from toki.errors import (
    TokiAuthenticationError,
    TokiBadRequestError,
    TokiConflictError,
    TokiConnectionError,
    TokiError,
    TokiRateLimitError,
    TokiResponseError,
    TokiServerError,
    TokiTimeoutError,
    error_for_status,
)
from toki.retry import (
    NO_RETRY,
    RetryPolicy,
    acall_with_retries,
    astream_with_retries,
    call_with_retries,
    parse_retry_after,
    stream_with_retries,
)

NOW = 1_700_000_000.0  # a fixed "current time" for HTTP dates (2023-11-14T22:13:20Z)


# ====================================================================== the policy object


def test_defaults_match_the_documented_policy() -> None:
    policy = RetryPolicy()
    assert policy.max_retries == 2
    assert policy.initial_delay == 0.5
    assert policy.max_delay == 8.0
    assert policy.jitter == 0.25
    assert policy.max_retry_after == 60.0
    assert NO_RETRY.max_retries == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_retries": -1},
        {"jitter": -0.1},
        {"jitter": 1.5},
        {"jitter": math.nan},
        {"initial_delay": -1.0},
        {"initial_delay": math.nan},
        {"initial_delay": math.inf},
        {"max_delay": -0.5},
        {"max_delay": math.nan},
        {"max_delay": math.inf},
        {"max_retry_after": -1.0},
        {"max_retry_after": math.nan},
        {"max_retry_after": math.inf},
    ],
)
def test_invalid_policies_are_rejected(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)


def test_zero_delays_are_valid() -> None:
    policy = RetryPolicy(initial_delay=0.0, max_delay=0.0, jitter=0.0, max_retry_after=0.0)
    assert policy.backoff(1) == 0.0


# ====================================================================== backoff


@pytest.mark.parametrize("retry_number", [1, 2, 3, 4, 5, 6, 10, 50])
def test_backoff_is_exponential_jittered_and_capped(retry_number: int) -> None:
    policy = RetryPolicy()
    base = min(8.0, 0.5 * 2 ** (retry_number - 1))
    rng = random.Random(1234 + retry_number)
    draws = [policy.backoff(retry_number, rng) for _ in range(2000)]
    # Reduced by up to 25% of itself, never more, never above the base, never above the cap.
    assert all(base * 0.75 <= d <= base for d in draws)
    assert max(draws) <= 8.0
    # The jitter actually spreads the delays over the whole band.
    assert min(draws) < base * 0.76 and max(draws) > base * 0.99


def test_backoff_sequence_with_seeded_randomness() -> None:
    policy = RetryPolicy(initial_delay=1.0, max_delay=5.0, jitter=0.5)
    first = [policy.backoff(n, random.Random(7)) for n in range(1, 6)]
    again = [policy.backoff(n, random.Random(7)) for n in range(1, 6)]
    assert first == again  # deterministic for a given seed
    draw = random.Random(7).random()
    assert first == pytest.approx([b * (1 - 0.5 * draw) for b in (1.0, 2.0, 4.0, 5.0, 5.0)])


def test_backoff_without_jitter_is_exact() -> None:
    policy = RetryPolicy(initial_delay=0.25, max_delay=3.0, jitter=0.0)
    assert [policy.backoff(n) for n in range(1, 7)] == [0.25, 0.5, 1.0, 2.0, 3.0, 3.0]


def test_full_jitter_stays_non_negative() -> None:
    policy = RetryPolicy(initial_delay=1.0, max_delay=1.0, jitter=1.0)
    rng = random.Random(3)
    assert all(0.0 <= policy.backoff(1, rng) <= 1.0 for _ in range(1000))


@pytest.mark.parametrize("retry_number", [0, -3])
def test_backoff_before_the_first_retry_is_the_initial_delay(retry_number: int) -> None:
    assert RetryPolicy(jitter=0.0).backoff(retry_number) == 0.5


@pytest.mark.parametrize("retry_number", [1024, 1025, 5000, 10**6])
def test_backoff_of_a_very_late_retry_is_the_cap(retry_number: int) -> None:
    """A policy with thousands of retries must not overflow the float exponent."""
    policy = RetryPolicy(max_retries=10**6, jitter=0.0)
    assert policy.backoff(retry_number) == 8.0


def test_backoff_uses_the_module_random_by_default() -> None:
    policy = RetryPolicy()
    assert all(0.375 <= policy.backoff(1) <= 0.5 for _ in range(200))


# ====================================================================== delay_for


RETRYABLE_STATUSES = [408, 409, 429, 500, 502, 503, 504, 529]
FATAL_STATUSES = [400, 401, 403, 404, 422]


@pytest.mark.parametrize("status", RETRYABLE_STATUSES)
def test_transient_statuses_are_retried_with_backoff(status: int) -> None:
    policy = RetryPolicy()
    error = error_for_status(status, "transient")
    delay = policy.delay_for(error, 1, random.Random(0))
    assert delay is not None and 0.375 <= delay <= 0.5


@pytest.mark.parametrize("status", FATAL_STATUSES)
def test_client_errors_are_never_retried(status: int) -> None:
    assert RetryPolicy(max_retries=5).delay_for(error_for_status(status, "fix your request"), 1) is None


@pytest.mark.parametrize(
    "error",
    [
        TokiConnectionError("refused"),
        TokiTimeoutError("slow", phase="first_chunk"),
        TokiTimeoutError("slow", phase="idle"),
        TokiConflictError("conflict", status_code=409),
        TokiServerError("overloaded", status_code=529),
    ],
)
def test_connection_errors_and_timeouts_are_retried(error: TokiError) -> None:
    assert RetryPolicy().delay_for(error, 1) is not None


@pytest.mark.parametrize(
    "error",
    [
        ValueError("not toki's"),
        RuntimeError("a bug"),
        TokiResponseError("garbage"),
        TokiAuthenticationError("bad key", status_code=401),
        TokiError("generic"),
    ],
)
def test_other_errors_are_not_retried(error: Exception) -> None:
    assert RetryPolicy().delay_for(error, 1) is None


def test_retries_stop_after_max_retries() -> None:
    policy = RetryPolicy(max_retries=2)
    error = TokiConnectionError("refused")
    assert policy.delay_for(error, 1) is not None
    assert policy.delay_for(error, 2) is not None
    assert policy.delay_for(error, 3) is None
    assert RetryPolicy(max_retries=0).delay_for(error, 1) is None


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        (0.0, 0.0),
        (1.5, 1.5),
        (60.0, 60.0),  # exactly the ceiling is honoured
        (3, 3.0),
    ],
)
def test_a_usable_hint_replaces_the_backoff(hint: float, expected: float) -> None:
    error = TokiRateLimitError("slow down", retry_after=hint)
    assert RetryPolicy().delay_for(error, 1) == expected
    overloaded = TokiServerError("overloaded", status_code=503, retry_after=hint)
    assert RetryPolicy().delay_for(overloaded, 2) == expected


@pytest.mark.parametrize("hint", [60.001, 121.0, 1e10, math.inf, -math.inf, math.nan, -1.0, -0.001])
def test_an_absurd_hint_falls_back_to_the_backoff(hint: float) -> None:
    error = TokiRateLimitError("slow down", retry_after=hint)
    delay = RetryPolicy().delay_for(error, 1, random.Random(0))
    assert delay is not None and 0.375 <= delay <= 0.5


def test_the_hint_ceiling_is_configurable() -> None:
    error = TokiRateLimitError("slow down", retry_after=100.0)
    assert RetryPolicy(max_retry_after=120.0).delay_for(error, 1) == 100.0
    assert RetryPolicy(max_retry_after=0.0).delay_for(TokiRateLimitError("x", retry_after=0.0), 1) == 0.0


def test_a_hint_does_not_extend_the_retry_budget() -> None:
    error = TokiRateLimitError("slow down", retry_after=1.0)
    assert RetryPolicy(max_retries=1).delay_for(error, 2) is None


# ====================================================================== parse_retry_after


def _date(offset: float) -> str:
    return formatdate(NOW + offset, usegmt=True)


RETRY_AFTER_TABLE: list[tuple[str, dict[str, str], float | None]] = [
    ("zero", {"retry-after": "0"}, 0.0),
    ("one", {"retry-after": "1"}, 1.0),
    ("fraction", {"retry-after": "1.5"}, 1.5),
    ("spaces", {"retry-after": "  2 "}, 2.0),
    ("negative", {"retry-after": "-10"}, None),
    ("above openai's 120 s limit", {"retry-after": "121"}, 121.0),
    ("huge", {"retry-after": "1e10"}, 1e10),
    ("beyond float range", {"retry-after": "9" * 400}, None),
    ("inf", {"retry-after": "inf"}, None),
    ("-inf", {"retry-after": "-inf"}, None),
    ("nan", {"retry-after": "nan"}, None),
    ("empty", {"retry-after": ""}, None),
    ("garbage", {"retry-after": "soon, maybe"}, None),
    ("hex", {"retry-after": "0x10"}, None),
    ("http date in the past", {"retry-after": _date(-3600)}, 0.0),
    ("http date now", {"retry-after": _date(0)}, 0.0),
    ("http date in the future", {"retry-after": _date(30)}, 30.0),
    ("http date far future", {"retry-after": "Fri, 31 Dec 9999 23:59:59 GMT"}, 253402300799.0 - NOW),
    ("http date long ago", {"retry-after": "Mon, 01 Jan 0001 00:00:00 GMT"}, 0.0),
    ("impossible http date", {"retry-after": "Mon, 99 Foo 2024 99:99:99 GMT"}, None),
    ("http date with -0000", {"retry-after": formatdate(NOW + 5)}, 5.0),
    ("ms alone", {"retry-after-ms": "1500"}, 1.5),
    ("ms fraction", {"retry-after-ms": "2.5"}, 0.0025),
    ("ms zero", {"retry-after-ms": "0"}, 0.0),
    ("ms wins", {"retry-after-ms": "250", "retry-after": "30"}, 0.25),
    ("ms garbage falls back", {"retry-after-ms": "abc", "retry-after": "3"}, 3.0),
    ("ms negative falls back", {"retry-after-ms": "-5", "retry-after": "4"}, 4.0),
    ("ms nan falls back", {"retry-after-ms": "nan", "retry-after": "4"}, 4.0),
    ("ms inf falls back", {"retry-after-ms": "inf", "retry-after": _date(10)}, 10.0),
    ("ms unusable, nothing else", {"retry-after-ms": "-1"}, None),
    ("header names are case-insensitive", {"Retry-After-Ms": "100", "RETRY-AFTER": "9"}, 0.1),
    ("no hint", {"content-type": "application/json"}, None),
    ("no headers", {}, None),
]


@pytest.mark.parametrize(
    ("headers", "expected"), [row[1:] for row in RETRY_AFTER_TABLE], ids=[row[0] for row in RETRY_AFTER_TABLE]
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    parsed = parse_retry_after(headers, now=NOW)
    if expected is None:
        assert parsed is None
    else:
        assert parsed == pytest.approx(expected)
        assert parsed is not None and parsed >= 0 and math.isfinite(parsed)


@pytest.mark.parametrize(
    ("headers", "expected"), [row[1:] for row in RETRY_AFTER_TABLE], ids=[row[0] for row in RETRY_AFTER_TABLE]
)
def test_every_retry_after_value_gives_a_bounded_delay(headers: dict[str, str], expected: float | None) -> None:
    """Header -> typed error -> delay: the hint when it is usable (<= 60 s), the backoff otherwise;
    never more than the ceiling, never negative, never NaN."""
    policy = RetryPolicy()
    error = error_for_status(429, "slow down", retry_after=parse_retry_after(headers, now=NOW))
    delay = policy.delay_for(error, 1, random.Random(5))
    assert delay is not None and 0 <= delay <= policy.max_retry_after
    if expected is not None and expected <= policy.max_retry_after:
        assert delay == pytest.approx(expected)
    else:
        assert 0.375 <= delay <= 0.5


def test_parse_retry_after_uses_the_wall_clock_by_default() -> None:
    import time

    parsed = parse_retry_after({"retry-after": formatdate(time.time() + 100, usegmt=True)})
    assert parsed is not None and 95 <= parsed <= 100


# ====================================================================== the retry loops


class FakeSleep:
    """Records the delays instead of sleeping (sync and async)."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)

    async def asleep(self, seconds: float) -> None:
        self.delays.append(seconds)


def _failures(kind: str, n: int) -> list[TokiError]:
    if kind == "status":
        return [error_for_status(503, f"overloaded #{i + 1}") for i in range(n)]
    return [TokiConnectionError(f"connection reset #{i + 1}") for i in range(n)]


class Flaky:
    """An attempt that raises the given errors in turn, then returns "ok"."""

    def __init__(self, errors: list[TokiError]) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"

    async def acall(self) -> str:
        return self()


POLICY = RetryPolicy(max_retries=2, initial_delay=0.5, max_delay=8.0, jitter=0.0)


@pytest.mark.parametrize("kind", ["status", "exception"])
@pytest.mark.parametrize("failures", [0, 1, 2])
def test_call_succeeds_after_fewer_failures_than_retries(kind: str, failures: int) -> None:
    flaky = Flaky(_failures(kind, failures))
    sleep = FakeSleep()
    assert call_with_retries(POLICY, flaky, sleep=sleep) == "ok"
    assert flaky.calls == failures + 1
    assert sleep.delays == [0.5, 1.0][:failures]


@pytest.mark.parametrize("kind", ["status", "exception"])
def test_call_gives_up_with_the_last_error_and_its_attempts(kind: str) -> None:
    errors = _failures(kind, 3)
    flaky = Flaky(errors)
    sleep = FakeSleep()
    with pytest.raises(TokiError) as caught:
        call_with_retries(POLICY, flaky, sleep=sleep)
    assert caught.value is errors[2]
    assert caught.value.attempts == 3
    assert "after 3 attempts" in str(caught.value)
    assert flaky.calls == 3
    assert sleep.delays == [0.5, 1.0]


@pytest.mark.parametrize("error", [TokiBadRequestError("no", status_code=400), TokiResponseError("garbage")])
def test_call_raises_non_retryable_errors_at_once(error: TokiError) -> None:
    flaky = Flaky([error])
    sleep = FakeSleep()
    with pytest.raises(TokiError) as caught:
        call_with_retries(POLICY, flaky, sleep=sleep)
    assert caught.value is error and error.attempts == 1
    assert flaky.calls == 1 and sleep.delays == []


def test_call_never_retries_foreign_exceptions() -> None:
    calls: list[int] = []

    def attempt() -> str:
        calls.append(1)
        raise KeyError("a bug in the caller")

    with pytest.raises(KeyError):
        call_with_retries(POLICY, attempt, sleep=FakeSleep())
    assert len(calls) == 1


def test_call_never_retries_base_exceptions() -> None:
    calls: list[int] = []

    def attempt() -> str:
        calls.append(1)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        call_with_retries(POLICY, attempt, sleep=FakeSleep())
    assert len(calls) == 1


def test_call_with_no_retries_makes_one_attempt() -> None:
    errors = _failures("status", 1)
    flaky = Flaky(errors)
    with pytest.raises(TokiServerError):
        call_with_retries(NO_RETRY, flaky, sleep=FakeSleep())
    assert flaky.calls == 1 and errors[0].attempts == 1


def test_call_honours_retry_after_hints() -> None:
    flaky = Flaky([TokiRateLimitError("slow", retry_after=0.7), TokiRateLimitError("slow", retry_after=2.0)])
    sleep = FakeSleep()
    assert call_with_retries(POLICY, flaky, sleep=sleep) == "ok"
    assert sleep.delays == [0.7, 2.0]


def test_call_uses_time_sleep_by_default() -> None:
    policy = RetryPolicy(max_retries=1, initial_delay=0.0, max_delay=0.0)
    flaky = Flaky(_failures("exception", 1))
    assert call_with_retries(policy, flaky) == "ok"


@pytest.mark.parametrize("kind", ["status", "exception"])
@pytest.mark.parametrize("failures", [0, 1, 2, 3])
async def test_acall_counts_attempts_like_the_sync_loop(kind: str, failures: int) -> None:
    errors = _failures(kind, failures)
    flaky = Flaky(errors)
    sleep = FakeSleep()
    if failures <= 2:
        assert await acall_with_retries(POLICY, flaky.acall, sleep=sleep.asleep) == "ok"
        assert flaky.calls == failures + 1
        assert sleep.delays == [0.5, 1.0][:failures]
    else:
        with pytest.raises(TokiError) as caught:
            await acall_with_retries(POLICY, flaky.acall, sleep=sleep.asleep)
        assert caught.value is errors[-1] and caught.value.attempts == 3
        assert flaky.calls == 3 and sleep.delays == [0.5, 1.0]


async def test_acall_raises_non_retryable_errors_at_once() -> None:
    error = TokiBadRequestError("no", status_code=422)
    flaky = Flaky([error])
    sleep = FakeSleep()
    with pytest.raises(TokiBadRequestError):
        await acall_with_retries(POLICY, flaky.acall, sleep=sleep.asleep)
    assert error.attempts == 1 and flaky.calls == 1 and sleep.delays == []


async def test_acall_uses_asyncio_sleep_by_default() -> None:
    policy = RetryPolicy(max_retries=1, initial_delay=0.0, max_delay=0.0)
    flaky = Flaky(_failures("status", 1))
    assert await acall_with_retries(policy, flaky.acall) == "ok"


async def test_acall_cancellation_is_not_retried() -> None:
    calls: list[int] = []

    async def attempt() -> str:
        calls.append(1)
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await acall_with_retries(POLICY, attempt, sleep=FakeSleep().asleep)
    assert len(calls) == 1


# ====================================================================== streams


class Streams:
    """``open_stream`` for the stream loops: attempt i fails with ``plan[i]`` after yielding
    ``events_before[i]`` events (``None`` = no failure: yields "a", "b", "c" and ends).
    Records how many streams were opened and closed."""

    def __init__(self, plan: list[TokiError | None], events_before: list[int] | None = None) -> None:
        self.plan = plan
        self.events_before = events_before or [0] * len(plan)
        self.opened = 0
        self.closed = 0

    def _events(self, index: int) -> Iterator[str]:
        error = self.plan[index]
        if error is None:
            yield from ("a", "b", "c")
            return
        for i in range(self.events_before[index]):
            yield f"partial{i}"
        raise error

    def open(self) -> Iterator[str]:
        index = self.opened
        self.opened += 1
        try:
            yield from self._events(index)
        finally:
            self.closed += 1

    async def aopen(self) -> AsyncIterator[str]:
        index = self.opened
        self.opened += 1
        try:
            for event in self._events(index):
                await asyncio.sleep(0)
                yield event
        finally:
            self.closed += 1


def _stream_plan(kind: str, failures: int) -> list[TokiError | None]:
    return [*_failures(kind, failures), None]


def _drain(iterator: Iterator[str]) -> list[str]:
    return list(iterator)


async def _adrain(iterator: AsyncIterator[str]) -> list[str]:
    return [event async for event in iterator]


@pytest.mark.parametrize("kind", ["status", "exception"])
@pytest.mark.parametrize("failures", [0, 1, 2])
def test_stream_reopens_after_failures_before_the_first_event(kind: str, failures: int) -> None:
    streams = Streams(_stream_plan(kind, failures))
    sleep = FakeSleep()
    assert _drain(stream_with_retries(POLICY, streams.open, sleep=sleep)) == ["a", "b", "c"]
    assert streams.opened == failures + 1 and streams.closed == failures + 1
    assert sleep.delays == [0.5, 1.0][:failures]


@pytest.mark.parametrize("kind", ["status", "exception"])
def test_stream_gives_up_with_the_last_error_and_its_attempts(kind: str) -> None:
    plan = _stream_plan(kind, 3)
    streams = Streams(plan)
    sleep = FakeSleep()
    with pytest.raises(TokiError) as caught:
        _drain(stream_with_retries(POLICY, streams.open, sleep=sleep))
    assert caught.value is plan[2] and caught.value.attempts == 3
    assert streams.opened == 3 and streams.closed == 3
    assert sleep.delays == [0.5, 1.0]


@pytest.mark.parametrize("kind", ["status", "exception"])
def test_stream_is_never_retried_after_the_first_event(kind: str) -> None:
    error = _failures(kind, 1)[0]
    streams = Streams([error, None], events_before=[1, 0])
    sleep = FakeSleep()
    received: list[str] = []
    with pytest.raises(TokiError) as caught:
        for event in stream_with_retries(POLICY, streams.open, sleep=sleep):
            received.append(event)
    assert caught.value is error and error.attempts == 1
    assert received == ["partial0"]
    assert streams.opened == 1 and streams.closed == 1 and sleep.delays == []


def test_stream_retried_once_then_failing_after_an_event_reports_two_attempts() -> None:
    first, second = _failures("exception", 2)
    streams = Streams([first, second, None], events_before=[0, 2, 0])
    sleep = FakeSleep()
    received: list[str] = []
    with pytest.raises(TokiConnectionError) as caught:
        for event in stream_with_retries(POLICY, streams.open, sleep=sleep):
            received.append(event)
    assert caught.value is second and second.attempts == 2
    assert received == ["partial0", "partial1"]
    assert streams.opened == 2 and sleep.delays == [0.5]


def test_stream_raises_non_retryable_errors_at_once() -> None:
    error = TokiAuthenticationError("bad key", status_code=401)
    streams = Streams([error, None])
    with pytest.raises(TokiAuthenticationError):
        _drain(stream_with_retries(POLICY, streams.open, sleep=FakeSleep()))
    assert error.attempts == 1 and streams.opened == 1 and streams.closed == 1


def test_stream_failing_when_opened_is_retried() -> None:
    """``open_stream`` itself may fail (a backend that sends the request eagerly): same policy."""
    errors = _failures("exception", 2)
    opened: list[int] = []

    def open_stream() -> Iterator[str]:
        opened.append(1)
        if errors:
            raise errors.pop(0)
        return iter(["x"])

    sleep = FakeSleep()
    assert _drain(stream_with_retries(POLICY, open_stream, sleep=sleep)) == ["x"]
    assert len(opened) == 3 and sleep.delays == [0.5, 1.0]


def test_stream_failing_when_opened_gives_up_with_attempts() -> None:
    errors = _failures("status", 3)
    pending = list(errors)

    def open_stream() -> Iterator[str]:
        raise pending.pop(0)

    with pytest.raises(TokiServerError) as caught:
        _drain(stream_with_retries(POLICY, open_stream, sleep=FakeSleep()))
    assert caught.value is errors[2] and caught.value.attempts == 3


def test_stream_closed_by_the_consumer_closes_the_inner_stream() -> None:
    streams = Streams([None])
    outer = cast(Generator[str, None, None], stream_with_retries(POLICY, streams.open, sleep=FakeSleep()))
    assert next(outer) == "a"
    outer.close()
    assert streams.opened == 1 and streams.closed == 1


def test_stream_stopped_by_a_consumer_exception_closes_the_inner_stream() -> None:
    streams = Streams([None])
    with pytest.raises(LookupError):
        for _event in stream_with_retries(POLICY, streams.open, sleep=FakeSleep()):
            raise LookupError("the caller's bug")
    assert streams.closed == 1


def test_stream_of_plain_iterators_works() -> None:
    """Iterators without ``close`` (e.g. ``iter(list)``) are accepted."""
    assert _drain(stream_with_retries(POLICY, lambda: iter(["p", "q"]), sleep=FakeSleep())) == ["p", "q"]


def test_stream_uses_time_sleep_by_default() -> None:
    policy = RetryPolicy(max_retries=1, initial_delay=0.0, max_delay=0.0)
    streams = Streams(_stream_plan("status", 1))
    assert _drain(stream_with_retries(policy, streams.open)) == ["a", "b", "c"]


@pytest.mark.parametrize("kind", ["status", "exception"])
@pytest.mark.parametrize("failures", [0, 1, 2, 3])
async def test_astream_counts_attempts_like_the_sync_loop(kind: str, failures: int) -> None:
    plan = _stream_plan(kind, failures)
    streams = Streams(plan)
    sleep = FakeSleep()
    if failures <= 2:
        assert await _adrain(astream_with_retries(POLICY, streams.aopen, sleep=sleep.asleep)) == ["a", "b", "c"]
        assert streams.opened == failures + 1
        assert sleep.delays == [0.5, 1.0][:failures]
    else:
        with pytest.raises(TokiError) as caught:
            await _adrain(astream_with_retries(POLICY, streams.aopen, sleep=sleep.asleep))
        assert caught.value is plan[2] and caught.value.attempts == 3
        assert streams.opened == 3 and sleep.delays == [0.5, 1.0]
    assert streams.closed == streams.opened


@pytest.mark.parametrize("kind", ["status", "exception"])
async def test_astream_is_never_retried_after_the_first_event(kind: str) -> None:
    error = _failures(kind, 1)[0]
    streams = Streams([error, None], events_before=[2, 0])
    sleep = FakeSleep()
    received: list[str] = []
    with pytest.raises(TokiError) as caught:
        async for event in astream_with_retries(POLICY, streams.aopen, sleep=sleep.asleep):
            received.append(event)
    assert caught.value is error and error.attempts == 1
    assert received == ["partial0", "partial1"]
    assert streams.opened == 1 and streams.closed == 1 and sleep.delays == []


async def test_astream_raises_non_retryable_errors_at_once() -> None:
    error = TokiBadRequestError("no", status_code=400)
    streams = Streams([error, None])
    with pytest.raises(TokiBadRequestError):
        await _adrain(astream_with_retries(POLICY, streams.aopen, sleep=FakeSleep().asleep))
    assert error.attempts == 1 and streams.opened == 1 and streams.closed == 1


async def test_astream_failing_when_opened_is_retried() -> None:
    errors = _failures("status", 1)
    opened: list[int] = []

    async def events() -> AsyncIterator[str]:
        yield "x"

    def open_stream() -> AsyncIterator[str]:
        opened.append(1)
        if errors:
            raise errors.pop(0)
        return events()

    sleep = FakeSleep()
    assert await _adrain(astream_with_retries(POLICY, open_stream, sleep=sleep.asleep)) == ["x"]
    assert len(opened) == 2 and sleep.delays == [0.5]


async def test_astream_closed_by_the_consumer_closes_the_inner_stream() -> None:
    streams = Streams([None])
    outer = cast(AsyncGenerator[str, None], astream_with_retries(POLICY, streams.aopen, sleep=FakeSleep().asleep))
    assert await anext(outer) == "a"
    await outer.aclose()
    assert streams.opened == 1 and streams.closed == 1


async def test_astream_cancelled_consumer_closes_the_inner_stream() -> None:
    gate = asyncio.Event()
    closed: list[bool] = []

    async def endless() -> AsyncIterator[str]:
        try:
            yield "first"
            await asyncio.Event().wait()  # blocks until cancelled
            yield "never"
        finally:
            closed.append(True)

    async def consume() -> None:
        async for _event in astream_with_retries(POLICY, endless, sleep=FakeSleep().asleep):
            gate.set()

    task = asyncio.create_task(consume())
    await gate.wait()
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert closed == [True]


async def test_astream_of_iterators_without_aclose_works() -> None:
    class Plain:
        def __init__(self) -> None:
            self.items = ["p", "q"]

        def __aiter__(self) -> Plain:
            return self

        async def __anext__(self) -> str:
            if not self.items:
                raise StopAsyncIteration
            return self.items.pop(0)

    assert await _adrain(astream_with_retries(POLICY, Plain, sleep=FakeSleep().asleep)) == ["p", "q"]


async def test_astream_uses_asyncio_sleep_by_default() -> None:
    policy = RetryPolicy(max_retries=1, initial_delay=0.0, max_delay=0.0)
    streams = Streams(_stream_plan("exception", 1))
    assert await _adrain(astream_with_retries(policy, streams.aopen)) == ["a", "b", "c"]


# ====================================================================== the call's total deadline


def _deadline_in(seconds: float) -> float:
    return time.monotonic() + seconds


@pytest.mark.parametrize("kind", ["status", "exception"])
def test_call_makes_no_retry_that_would_start_after_the_deadline(kind: str) -> None:
    """Backoffs of 0.5 s then 1.0 s: with 1.2 s left, the first retry fits, the second does not
    (the fake sleep takes no time, so only the planned delays count)."""
    errors = _failures(kind, 3)
    flaky = Flaky(errors)
    sleep = FakeSleep()
    with pytest.raises(TokiError) as caught:
        call_with_retries(POLICY, flaky, sleep=sleep, deadline=_deadline_in(0.8))
    assert caught.value is errors[1] and caught.value.attempts == 2
    assert flaky.calls == 2 and sleep.delays == [0.5]


def test_call_with_a_passed_deadline_makes_one_attempt() -> None:
    errors = _failures("status", 3)
    flaky = Flaky(errors)
    sleep = FakeSleep()
    with pytest.raises(TokiError) as caught:
        call_with_retries(POLICY, flaky, sleep=sleep, deadline=_deadline_in(-1.0))
    assert caught.value is errors[0] and caught.value.attempts == 1 and sleep.delays == []


def test_call_with_room_for_every_retry_is_unaffected_by_the_deadline() -> None:
    flaky = Flaky(_failures("status", 2))
    sleep = FakeSleep()
    assert call_with_retries(POLICY, flaky, sleep=sleep, deadline=_deadline_in(60.0)) == "ok"
    assert sleep.delays == [0.5, 1.0]


def test_a_retry_after_hint_beyond_the_deadline_is_not_waited_for() -> None:
    error = error_for_status(429, "slow down", retry_after=30.0)
    flaky = Flaky([error])
    sleep = FakeSleep()
    with pytest.raises(TokiError) as caught:
        call_with_retries(POLICY, flaky, sleep=sleep, deadline=_deadline_in(5.0))
    assert caught.value is error and error.attempts == 1 and sleep.delays == []


async def test_acall_makes_no_retry_that_would_start_after_the_deadline() -> None:
    errors = _failures("status", 3)
    sleep = FakeSleep()
    calls: list[int] = []

    async def attempt() -> str:
        calls.append(1)
        raise errors[len(calls) - 1]

    with pytest.raises(TokiError) as caught:
        await acall_with_retries(POLICY, attempt, sleep=sleep.asleep, deadline=_deadline_in(0.8))
    assert caught.value is errors[1] and caught.value.attempts == 2 and sleep.delays == [0.5]


def test_stream_makes_no_retry_that_would_start_after_the_deadline() -> None:
    plan = _stream_plan("status", 3)
    streams = Streams(plan)
    sleep = FakeSleep()
    with pytest.raises(TokiError) as caught:
        _drain(stream_with_retries(POLICY, streams.open, sleep=sleep, deadline=_deadline_in(0.8)))
    assert caught.value is plan[1] and caught.value.attempts == 2
    assert streams.opened == 2 and streams.closed == 2 and sleep.delays == [0.5]


async def test_astream_makes_no_retry_that_would_start_after_the_deadline() -> None:
    plan = _stream_plan("exception", 3)
    streams = Streams(plan)
    sleep = FakeSleep()
    with pytest.raises(TokiError) as caught:
        await _adrain(astream_with_retries(POLICY, streams.aopen, sleep=sleep.asleep, deadline=_deadline_in(0.8)))
    assert caught.value is plan[1] and caught.value.attempts == 2
    assert streams.opened == 2 and streams.closed == 2 and sleep.delays == [0.5]


def test_a_total_timeout_is_final() -> None:
    """The call's own deadline passed: retrying cannot help, whatever the policy allows."""
    total = TokiTimeoutError("out of time", phase="total")
    flaky = Flaky([total])
    sleep = FakeSleep()
    with pytest.raises(TokiTimeoutError) as caught:
        call_with_retries(POLICY, flaky, sleep=sleep)
    assert caught.value is total and total.attempts == 1 and sleep.delays == []

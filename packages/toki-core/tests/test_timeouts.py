"""``toki.timeouts``: finite defaults, validation, what a single number means, the call's deadline."""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import math
import time
from typing import Any

import pytest
from toki.timeouts import MAX_SECONDS, Timeouts, call_deadline, start_call_deadline, time_left


def test_defaults_are_finite_and_generous_for_reasoning_pauses() -> None:
    timeouts = Timeouts()
    assert timeouts.connect == 10.0
    assert timeouts.first_chunk == 120.0
    assert timeouts.idle == 120.0
    assert timeouts.total is None
    for value in (timeouts.connect, timeouts.first_chunk, timeouts.idle):
        assert math.isfinite(value) and value > 0


def test_every_phase_can_be_set() -> None:
    timeouts = Timeouts(connect=1, first_chunk=0.3, idle=0.25, total=30)
    assert (timeouts.connect, timeouts.first_chunk, timeouts.idle, timeouts.total) == (1, 0.3, 0.25, 30)


def test_timeouts_are_immutable_values() -> None:
    timeouts = Timeouts(connect=1.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        timeouts.connect = 2.0  # pyright: ignore[reportAttributeAccessIssue]
    assert timeouts == Timeouts(connect=1.0)
    assert hash(timeouts) == hash(Timeouts(connect=1.0))


BAD_VALUES = [0, 0.0, -1, -0.001, math.nan, math.inf, -math.inf, MAX_SECONDS * 1.01, 1e10]


@pytest.mark.parametrize("phase", ["connect", "first_chunk", "idle"])
@pytest.mark.parametrize("value", BAD_VALUES)
def test_a_phase_must_be_finite_and_positive(phase: str, value: float) -> None:
    kwargs: dict[str, Any] = {phase: value}
    with pytest.raises(ValueError, match=phase):
        Timeouts(**kwargs)


@pytest.mark.parametrize("value", BAD_VALUES)
def test_total_must_be_finite_and_positive_or_none(value: float) -> None:
    with pytest.raises(ValueError, match="total"):
        Timeouts(total=value)


def test_the_largest_accepted_limit() -> None:
    longest = Timeouts(connect=MAX_SECONDS, first_chunk=MAX_SECONDS, idle=MAX_SECONDS, total=MAX_SECONDS)
    assert longest.idle == MAX_SECONDS
    assert MAX_SECONDS == 365 * 24 * 3600


def test_coerce_none_gives_the_defaults() -> None:
    assert Timeouts.coerce(None) == Timeouts()


def test_coerce_keeps_a_timeouts_object() -> None:
    timeouts = Timeouts(connect=1, first_chunk=2, idle=3, total=4)
    assert Timeouts.coerce(timeouts) is timeouts


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (30, Timeouts(connect=10.0, first_chunk=30.0, idle=30.0)),
        (600.0, Timeouts(connect=10.0, first_chunk=600.0, idle=600.0)),
        (2.5, Timeouts(connect=2.5, first_chunk=2.5, idle=2.5)),
        (10, Timeouts(connect=10.0, first_chunk=10.0, idle=10.0)),
    ],
)
def test_coerce_a_number_sets_every_phase_and_caps_connect(value: float, expected: Timeouts) -> None:
    coerced = Timeouts.coerce(value)
    assert coerced == expected
    assert coerced.total is None
    assert isinstance(coerced.first_chunk, float)


@pytest.mark.parametrize("value", [0, -5, math.nan, math.inf])
def test_coerce_refuses_a_bad_number(value: float) -> None:
    with pytest.raises(ValueError):
        Timeouts.coerce(value)


# ---------------------------------------------------------------------- the call's deadline


def test_start_call_deadline_fixes_total_from_now() -> None:
    def run() -> tuple[float | None, float | None, float | None]:
        before = time.monotonic()
        deadline = start_call_deadline(Timeouts(total=5.0))
        assert deadline is not None and before + 5.0 <= deadline <= time.monotonic() + 5.0
        left = time_left()
        return deadline, call_deadline(), left

    deadline, seen, left = contextvars.copy_context().run(run)
    assert seen == deadline
    assert left is not None and 4.0 < left <= 5.0


def test_no_total_means_no_deadline() -> None:
    def run() -> tuple[float | None, float | None, float | None]:
        start_call_deadline(Timeouts(total=1.0))
        return start_call_deadline(Timeouts()), call_deadline(), time_left()

    assert contextvars.copy_context().run(run) == (None, None, None)


def test_each_context_has_its_own_deadline() -> None:
    """Concurrent async calls run in their own contexts: one call's deadline is not another's."""

    async def call(total: float) -> float | None:
        start_call_deadline(Timeouts(total=total))
        await asyncio.sleep(0)
        return time_left()

    async def both() -> list[float | None]:
        return list(await asyncio.gather(call(100.0), call(1.0)))

    long, short = asyncio.run(both())
    assert long is not None and short is not None and long > 50 > short

"""toki's retry policy: one layer, the same for every backend.

Backends turn failures into typed errors (:mod:`toki.errors`) whose ``retryable`` flag and
``retry_after`` hint are all this layer looks at. Provider SDKs' own retries are switched
off by each backend, so the attempt count here is the number of requests on the wire.

* Transient failures are retried: connection errors, timeouts, 408, 409, 429, 5xx and 529.
  Others (400, 401, 403, 404, 422...) never are.
* Backoff is exponential (``initial_delay`` x 2^n, capped at ``max_delay``) minus up to
  ``jitter`` of itself at random.
* A provider's ``retry-after-ms`` / ``retry-after`` hint (seconds or an HTTP date) replaces
  the backoff when it is between 0 and ``max_retry_after`` seconds; absurd hints (negative,
  NaN, infinite, unparseable, beyond the ceiling) fall back to the normal backoff.
* A stream is retried only until its first event has been delivered: once any output has
  reached the caller, a failure is raised as is. Failing to open the stream counts as a
  failure before the first event.
* Given the call's ``total`` deadline (``deadline=``, a ``time.monotonic()`` value), a retry that
  could not start before it is not made: the last error is raised at once, not after a
  pointless wait.
* When retries run out, the last error is raised with ``attempts`` set to the number made.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import timezone
from email.utils import parsedate_to_datetime
from typing import TypeVar

from toki.errors import TokiError

__all__ = [
    "NO_RETRY",
    "RetryPolicy",
    "acall_with_retries",
    "astream_with_retries",
    "call_with_retries",
    "parse_retry_after",
    "stream_with_retries",
]

T = TypeVar("T")
E = TypeVar("E")

# 2**64 times any useful initial delay is beyond any useful cap; larger powers overflow floats.
_MAX_EXPONENT = 64


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Read a retry hint from response headers, in seconds; ``None`` when absent or unusable.

    ``retry-after-ms`` wins over ``retry-after``; the latter may be a number of seconds
    (fractions allowed) or an HTTP date. Negative, NaN and infinite values are unusable.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    raw_ms = lowered.get("retry-after-ms")
    if raw_ms is not None:
        seconds = _finite_non_negative(raw_ms, scale=0.001)
        if seconds is not None:
            return seconds
    raw = lowered.get("retry-after")
    if raw is None:
        return None
    seconds = _finite_non_negative(raw, scale=1.0)
    if seconds is not None:
        return seconds
    try:
        when = parsedate_to_datetime(raw.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        # RFC 5322's "-0000" zone (UTC, local zone unknown) parses as naive; HTTP dates are UTC.
        when = when.replace(tzinfo=timezone.utc)
    delta = when.timestamp() - (time.time() if now is None else now)
    return max(0.0, delta)


def _finite_non_negative(text: str, *, scale: float) -> float | None:
    try:
        value = float(text.strip()) * scale
    except (ValueError, OverflowError):
        return None
    if math.isnan(value) or math.isinf(value) or value < 0:
        return None
    return value + 0.0  # "-0" is 0.0, not -0.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a model retries transient failures.

    Attributes:
        max_retries: retries after the first attempt (0 disables retrying).
        initial_delay: backoff before the first retry, in seconds.
        max_delay: cap of the exponential backoff.
        jitter: fraction of each backoff removed at random (0 to 1), so clients spread out.
        max_retry_after: the longest provider hint honoured, in seconds; longer hints fall back
            to the normal backoff rather than stalling the caller.
    """

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.25
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"jitter must be between 0 and 1, got {self.jitter}")
        for name in ("initial_delay", "max_delay", "max_retry_after"):
            value: float = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number of seconds >= 0, got {value!r}")

    def backoff(self, retry_number: int, rng: random.Random | None = None) -> float:
        """The jittered exponential delay before retry ``retry_number`` (1 for the first retry)."""
        # The exponent is bounded so that a policy with thousands of retries cannot overflow a float.
        exponent = min(max(0, retry_number - 1), _MAX_EXPONENT)
        base = min(self.max_delay, self.initial_delay * (2.0**exponent))
        draw = (rng or random).random()
        return base * (1.0 - self.jitter * draw)

    def delay_for(self, error: BaseException, retry_number: int, rng: random.Random | None = None) -> float | None:
        """How long to wait before retrying after ``error``, or ``None`` if it must not be retried."""
        if not isinstance(error, TokiError) or not error.retryable or retry_number > self.max_retries:
            return None
        hint = getattr(error, "retry_after", None)
        if isinstance(hint, (int, float)) and 0 <= hint <= self.max_retry_after and not math.isnan(hint):
            return float(hint)
        return self.backoff(retry_number, rng)


NO_RETRY = RetryPolicy(max_retries=0)


def _retry_delay(policy: RetryPolicy, error: BaseException, retry_number: int, deadline: float | None) -> float | None:
    """The wait before the next attempt, or ``None`` to give up (the policy says so, or the wait
    would outlast the call's deadline)."""
    delay = policy.delay_for(error, retry_number)
    if delay is not None and deadline is not None and time.monotonic() + delay >= deadline:
        return None
    return delay


def _give_up(error: BaseException, attempts: int) -> None:
    if isinstance(error, TokiError):
        error.attempts = attempts


def call_with_retries(
    policy: RetryPolicy,
    attempt: Callable[[], T],
    *,
    sleep: Callable[[float], None] = time.sleep,
    deadline: float | None = None,
) -> T:
    """Run ``attempt`` until it succeeds or the policy gives up."""
    retry_number = 0
    while True:
        try:
            return attempt()
        except Exception as error:
            retry_number += 1
            delay = _retry_delay(policy, error, retry_number, deadline)
            if delay is None:
                _give_up(error, retry_number)
                raise
            sleep(delay)


async def acall_with_retries(
    policy: RetryPolicy,
    attempt: Callable[[], Awaitable[T]],
    *,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    deadline: float | None = None,
) -> T:
    """Async :func:`call_with_retries`."""
    import asyncio

    pause = sleep or asyncio.sleep
    retry_number = 0
    while True:
        try:
            return await attempt()
        except Exception as error:
            retry_number += 1
            delay = _retry_delay(policy, error, retry_number, deadline)
            if delay is None:
                _give_up(error, retry_number)
                raise
            await pause(delay)


def stream_with_retries(
    policy: RetryPolicy,
    open_stream: Callable[[], Iterator[E]],
    *,
    sleep: Callable[[float], None] = time.sleep,
    deadline: float | None = None,
) -> Iterator[E]:
    """Yield from ``open_stream()``, reopening it after a transient failure that happened before the first event."""
    retry_number = 0
    while True:
        stream: Iterator[E] | None = None
        delivered = False
        try:
            stream = open_stream()
            for event in stream:
                delivered = True
                yield event
                break
            if delivered:
                # Past the first event nothing is retried any more: delegate without a hop per event.
                yield from stream
            return
        except Exception as error:
            retry_number += 1
            delay = None if delivered else _retry_delay(policy, error, retry_number, deadline)
            if delay is None:
                _give_up(error, retry_number)
                raise
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        sleep(delay)


async def astream_with_retries(
    policy: RetryPolicy,
    open_stream: Callable[[], AsyncIterator[E]],
    *,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    deadline: float | None = None,
) -> AsyncIterator[E]:
    """Async :func:`stream_with_retries`."""
    import asyncio

    pause = sleep or asyncio.sleep
    retry_number = 0
    while True:
        stream: AsyncIterator[E] | None = None
        delivered = False
        try:
            stream = open_stream()
            async for event in stream:
                delivered = True
                yield event
            return
        except Exception as error:
            retry_number += 1
            delay = None if delivered else _retry_delay(policy, error, retry_number, deadline)
            if delay is None:
                _give_up(error, retry_number)
                raise
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()
        await pause(delay)

"""toki's timeouts: finite by default, one set of phases for every backend.

A stream can fail to make progress in four ways, each with its own limit:

* ``connect``: establishing the connection;
* ``first_chunk``: from sending the request to the first byte of the answer (reasoning models
  may think for a long while first, hence a generous default);
* ``idle``: between two chunks of an answer that has started;
* ``total``: the whole call, including retries (``None``: no overall deadline).

Each expiry raises :class:`~toki.errors.TokiTimeoutError` with ``phase`` set. The retry policy
treats the first three as transient; a ``total`` expiry is final, since the call's time is up.

The ``total`` deadline is fixed once per public call (:func:`start_call_deadline`, which
:class:`~toki.model.BaseModel` runs before the first attempt) and read by every attempt through
:func:`call_deadline`, so retries share it instead of each getting the full budget again.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["MAX_SECONDS", "Timeouts", "call_deadline", "start_call_deadline", "time_left"]

#: The longest limit accepted (one year). Infinite or larger values are refused: socket and
#: event-loop timers overflow on them (``OverflowError: timestamp out of range``), and toki's
#: limits are never infinite.
MAX_SECONDS = 365 * 24 * 3600.0


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Per-phase time limits, in seconds (each finite, positive, at most :data:`MAX_SECONDS`)."""

    connect: float = 10.0
    first_chunk: float = 120.0
    idle: float = 120.0
    total: float | None = None

    def __post_init__(self) -> None:
        for name in ("connect", "first_chunk", "idle"):
            value: float = getattr(self, name)
            if not _valid(value):
                raise ValueError(
                    f"Timeouts.{name} must be a finite, positive number of seconds (at most {MAX_SECONDS:g}), "
                    f"got {value!r}"
                )
        if self.total is not None and not _valid(self.total):
            raise ValueError(
                f"Timeouts.total must be a finite, positive number of seconds (at most {MAX_SECONDS:g}) or None "
                f"for no overall deadline, got {self.total!r}"
            )

    @classmethod
    def coerce(cls, value: float | Timeouts | None) -> Timeouts:
        """Accept a ``Timeouts``, a single number (used for every per-phase limit), or ``None`` (defaults)."""
        if value is None:
            return cls()
        if isinstance(value, Timeouts):
            return value
        return cls(connect=min(float(value), 10.0), first_chunk=float(value), idle=float(value))


def _valid(value: float) -> bool:
    return 0 < value <= MAX_SECONDS  # False for NaN and infinities


# A context variable rather than an argument: the deadline is fixed where the public call starts
# and read deep inside each backend's attempt, and async calls each run in their own context.
_CALL_DEADLINE: ContextVar[float | None] = ContextVar("toki_call_deadline", default=None)


def start_call_deadline(timeouts: Timeouts) -> float | None:
    """Fix the ``total`` deadline of the call starting now, in the current context.

    Returns the deadline as a ``time.monotonic()`` value (``None`` when ``timeouts.total`` is).
    """
    deadline = None if timeouts.total is None else time.monotonic() + timeouts.total
    _CALL_DEADLINE.set(deadline)
    return deadline


def call_deadline() -> float | None:
    """The ``total`` deadline of the call running in this context (``None``: no deadline)."""
    return _CALL_DEADLINE.get()


def time_left() -> float | None:
    """Seconds left before the current call's ``total`` deadline (``None``: no deadline)."""
    deadline = _CALL_DEADLINE.get()
    return None if deadline is None else deadline - time.monotonic()

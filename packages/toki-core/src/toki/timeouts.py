"""toki's timeouts: finite by default, one set of phases for every backend.

A stream can fail to make progress in four ways, each with its own limit:

* ``connect``: establishing the connection;
* ``first_chunk``: from sending the request to the first byte of the answer (reasoning models
  may think for a long while first, hence a generous default);
* ``idle``: between two chunks of an answer that has started;
* ``total``: the whole call, including retries (``None``: no overall deadline).

Each expiry raises :class:`~toki.errors.TokiTimeoutError` with ``phase`` set, which the retry
policy treats as transient.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MAX_SECONDS", "Timeouts"]

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

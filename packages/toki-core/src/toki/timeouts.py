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

__all__ = ["Timeouts"]


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Per-phase time limits, in seconds."""

    connect: float = 10.0
    first_chunk: float = 120.0
    idle: float = 120.0
    total: float | None = None

    def __post_init__(self) -> None:
        for name in ("connect", "first_chunk", "idle"):
            value: float = getattr(self, name)
            if not value > 0:
                raise ValueError(f"Timeouts.{name} must be a positive number of seconds, got {value!r}")
        if self.total is not None and not self.total > 0:
            raise ValueError(f"Timeouts.total must be positive or None, got {self.total!r}")

    @classmethod
    def coerce(cls, value: float | Timeouts | None) -> Timeouts:
        """Accept a ``Timeouts``, a single number (used for every per-phase limit), or ``None`` (defaults)."""
        if value is None:
            return cls()
        if isinstance(value, Timeouts):
            return value
        return cls(connect=min(float(value), 10.0), first_chunk=float(value), idle=float(value))

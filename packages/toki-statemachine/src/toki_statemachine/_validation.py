"""Checks and message formatting shared by both machines, so their errors read alike."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from enum import Enum
from typing import TypeGuard, TypeVar

from .end import END_STATE
from .errors import MissingHandlersError, UnknownStateError

E = TypeVar("E", bound=Enum)


def describe_value(value: object) -> str:
    """``State.A`` for Enum members, ``repr()`` otherwise.

    ``str()`` is no good for members: IntEnum/StrEnum members print as their bare value, which
    would make ``1`` and ``State.A`` indistinguishable in a message.
    """
    if value is END_STATE:
        return "END_STATE"
    if isinstance(value, Enum):
        return f"{type(value).__name__}.{value.name}"
    return repr(value)


def describe_values(values: Iterable[object]) -> str:
    """Comma-separated :func:`describe_value` of each value."""
    return ", ".join(describe_value(v) for v in values)


def describe_callable(func: object) -> str:
    """The qualified name of a handler (``Scenario.a``), or its ``repr()`` when it has none (partials)."""
    name = getattr(func, "__qualname__", None)
    return name if isinstance(name, str) else repr(func)


def is_member(value: object, states: type[E], members: Collection[E]) -> TypeGuard[E]:
    """Whether ``value`` is one of ``members``, the canonical members of ``states``.

    The ``isinstance`` comes first because IntEnum/StrEnum members compare (and hash) equal to
    their plain values, so ``1 in {State.A: ...}`` alone would wrongly accept ``1``. Listing the
    members rather than trusting ``isinstance`` alone rejects Flag combinations such as
    ``Perm.R | Perm.W``, which are instances but not members and so never have a handler.
    """
    return isinstance(value, states) and value in members


def check_max_steps(max_steps: int | None) -> int | None:
    """Validate ``max_steps``: a positive int or ``None`` (unlimited)."""
    if max_steps is None:
        return None
    # bool is an int subclass; max_steps=True is a bug, not "one step".
    if isinstance(max_steps, bool) or not isinstance(max_steps, int):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise TypeError(f"max_steps must be a positive int or None, got {max_steps!r}")
    if max_steps < 1:
        raise ValueError(f"max_steps must be a positive int or None (unlimited), got {max_steps}")
    return max_steps


def check_handled_states(states: type[Enum], handled: Iterable[object], *, owner: str, kind: str) -> None:
    """Raise unless ``handled`` is exactly the members of ``states``.

    ``owner`` and ``kind`` only shape the message, e.g. ``owner="Scenario"``, ``kind="@on handler"``.
    Extra states are reported first because a handler registered under the wrong Enum (or a typo'd
    value) is usually also the reason a member looks unhandled.
    """
    handled = list(handled)
    members = frozenset(states)
    extra = tuple(value for value in handled if not is_member(value, states, members))
    if extra:
        raise UnknownStateError(
            f"{owner} has {kind}s for values that are not members of {states.__name__}: {describe_values(extra)}",
            extra,
        )
    # Safe despite IntEnum equality: every handled value is a member by now.
    missing = tuple(member for member in states if member not in handled)
    if missing:
        raise MissingHandlersError(
            f"{owner} has no {kind} for: {describe_values(missing)} (every member of {states.__name__} needs one)",
            missing,
        )

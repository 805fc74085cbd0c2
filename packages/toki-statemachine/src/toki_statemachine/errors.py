"""Errors and warnings raised by toki-statemachine.

Every error derives from :class:`StateMachineError`, and additionally from the builtin exception a
caller would naturally reach for (``ValueError`` for a wrong value, ``TypeError`` for a wrong kind of
object), so both ``except StateMachineError`` and ``except ValueError`` work.
"""

from __future__ import annotations

from enum import Enum

__all__ = [
    "DuplicateHandlerError",
    "InvalidTransitionError",
    "MissingHandlersError",
    "StateMachineError",
    "StateMachineStepLimitWarning",
    "UnknownStateError",
]


class StateMachineError(Exception):
    """Base class of every error raised by a state machine."""


class MissingHandlersError(StateMachineError, ValueError):
    """Some members of the states Enum have no handler (raised at construction).

    Every member must have a handler, reachable or not: the check happens before any run, when
    reachability is unknowable because transitions are whatever handlers return.
    """

    def __init__(self, message: str, missing: tuple[Enum, ...]) -> None:
        super().__init__(message)
        self.missing = missing
        """The members without a handler, in definition order."""


class UnknownStateError(StateMachineError, ValueError):
    """Something that should be a member of the states Enum is not.

    Raised at construction for handlers registered for non-members (extra handlers), and by
    ``run()``/``arun()`` when the start state is not a member.
    """

    def __init__(self, message: str, values: tuple[object, ...]) -> None:
        super().__init__(message)
        self.values = values
        """The offending values."""


class DuplicateHandlerError(StateMachineError, ValueError):
    """Two ``@on`` handlers in the same class (or the same ``@on`` twice on one method) claim one state."""

    def __init__(self, message: str, state: Enum) -> None:
        super().__init__(message)
        self.state = state
        """The state claimed more than once."""


class InvalidTransitionError(StateMachineError, TypeError):
    """A handler returned something that is neither a member of the states Enum nor ``END_STATE``."""

    def __init__(self, message: str, *, handler: str, state: Enum, value: object) -> None:
        super().__init__(message)
        self.handler = handler
        """Qualified name of the handler that returned the value."""
        self.state = state
        """The state the handler was handling."""
        self.value = value
        """What the handler returned."""


class StateMachineStepLimitWarning(UserWarning):
    """A run was stopped because it entered ``max_steps`` states without reaching ``END_STATE``."""

"""Implicit state machines: an Enum of states, one handler per state, handlers return the next state.

Standalone (``pip install toki-statemachine``); with toki-core installed the same names are also
importable from ``toki.helpers.statemachine``.
"""

from .class_machine import ClassStateMachine, on
from .end import END_STATE, EndState
from .errors import (
    DuplicateHandlerError,
    InvalidTransitionError,
    MissingHandlersError,
    StateMachineError,
    StateMachineStepLimitWarning,
    UnknownStateError,
)
from .machine import StateMachine

__all__ = [
    "END_STATE",
    "ClassStateMachine",
    "DuplicateHandlerError",
    "EndState",
    "InvalidTransitionError",
    "MissingHandlersError",
    "StateMachine",
    "StateMachineError",
    "StateMachineStepLimitWarning",
    "UnknownStateError",
    "on",
]

from __future__ import annotations

from enum import Enum

import pytest
from toki_statemachine import (
    DuplicateHandlerError,
    InvalidTransitionError,
    MissingHandlersError,
    StateMachineError,
    StateMachineStepLimitWarning,
    UnknownStateError,
)


class State(Enum):
    A = 1


@pytest.mark.parametrize(
    ("error", "builtin"),
    [
        (MissingHandlersError, ValueError),
        (UnknownStateError, ValueError),
        (DuplicateHandlerError, ValueError),
        (InvalidTransitionError, TypeError),
    ],
)
def test_errors_derive_from_the_base_and_a_builtin(error: type[Exception], builtin: type[Exception]) -> None:
    assert issubclass(error, StateMachineError)
    assert issubclass(error, builtin)


def test_the_base_is_an_exception_and_the_warning_a_user_warning() -> None:
    assert issubclass(StateMachineError, Exception)
    assert issubclass(StateMachineStepLimitWarning, UserWarning)
    assert not issubclass(StateMachineStepLimitWarning, StateMachineError)


def test_errors_carry_their_details() -> None:
    error = InvalidTransitionError("message", handler="f", state=State.A, value=3)
    assert (str(error), error.handler, error.state, error.value) == ("message", "f", State.A, 3)
    assert MissingHandlersError("m", (State.A,)).missing == (State.A,)
    assert UnknownStateError("m", ("x",)).values == ("x",)
    assert DuplicateHandlerError("m", State.A).state is State.A

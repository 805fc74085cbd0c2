"""``toki.helpers.statemachine``: served by the separate toki-statemachine distribution."""

from __future__ import annotations

try:
    from toki_statemachine import (
        END_STATE,
        ClassStateMachine,
        DuplicateHandlerError,
        EndState,
        InvalidTransitionError,
        MissingHandlersError,
        StateMachine,
        StateMachineError,
        StateMachineStepLimitWarning,
        UnknownStateError,
        on,
    )
except ModuleNotFoundError as exc:  # pragma: no cover - exercised by the isolated-install test
    if exc.name != "toki_statemachine":
        raise
    raise ImportError(
        "toki.helpers.statemachine needs the toki-statemachine package: pip install toki-statemachine"
    ) from exc

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

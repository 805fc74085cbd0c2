"""`StateMachine`: an Enum of states plus one handler per state; handlers return the next state."""

from __future__ import annotations

import inspect
import warnings
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Mapping
from enum import Enum
from typing import Generic, TypeAlias, TypeVar, overload

from typing_extensions import Never

from ._validation import check_handled_states, check_max_steps, describe_callable, describe_value, is_member
from .end import END_STATE, EndState
from .errors import InvalidTransitionError, StateMachineStepLimitWarning, UnknownStateError

__all__ = ["StateMachine"]

S = TypeVar("S", bound=Enum)
"""The Enum whose members are the machine's states."""
C = TypeVar("C")
"""The context type handed to every handler (``Never`` for machines whose handlers take no argument)."""

# Overloaded __init__ may not mention class-scoped type variables in `self`, hence a second one.
_S = TypeVar("_S", bound=Enum)

_Next: TypeAlias = S | EndState
# What a handler may return: the next state, END_STATE, or (for arun) an awaitable of either.
_HandlerResult: TypeAlias = S | EndState | Awaitable[S | EndState]

DEFAULT_MAX_STEPS = 1000
"""Default ``max_steps``: generous for real flows, small enough to stop a runaway loop quickly."""

# A sentinel rather than None, because None is a perfectly good context value.
_NO_CONTEXT: object = object()


class StateMachine(Generic[S, C]):
    """A state machine whose transitions are decided solely by each handler's return value.

    There is no transition graph: ``handlers`` maps every member of ``states`` to a callable that
    does the work of that state and returns the next state, or :data:`END_STATE` to stop.

    Handlers take either one argument, the context given to :meth:`run` (``StateMachine[S, C]``),
    or none (``StateMachine[S, Never]``: ``run()`` accepts no context). Type checkers infer which
    from the handlers, and reject mixing the two kinds in one machine.

    Example::

        sm = StateMachine(State, {State.A: a, State.B: b, State.C: c})
        for state in sm.run(State.A, context=Context("Alice")):
            ...

    Raises at construction:
        TypeError: ``states`` is not an Enum class, a handler is not callable, or ``max_steps``
            is not an int.
        UnknownStateError: a key of ``handlers`` is not a member of ``states``.
        MissingHandlersError: a member of ``states`` has no handler. Every member needs one,
            reachable or not, since reachability is only known by running the handlers.
        ValueError: ``max_steps`` is less than 1.
    """

    @overload
    def __init__(
        self: StateMachine[_S, Never],
        states: type[_S],
        handlers: Mapping[_S, Callable[[], _HandlerResult[_S]]],
        *,
        max_steps: int | None = DEFAULT_MAX_STEPS,
    ) -> None: ...

    @overload
    def __init__(
        self,
        states: type[S],
        handlers: Mapping[S, Callable[[C], _HandlerResult[S]]],
        *,
        max_steps: int | None = DEFAULT_MAX_STEPS,
    ) -> None: ...

    def __init__(
        self,
        states: type[S],
        handlers: Mapping[S, Callable[..., object]],
        *,
        max_steps: int | None = DEFAULT_MAX_STEPS,
    ) -> None:
        """Check ``handlers`` against ``states``; ``max_steps=None`` removes the step limit."""
        if not (isinstance(states, type) and issubclass(states, Enum)):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError(f"states must be an Enum class, got {describe_value(states)}")
        check_handled_states(states, handlers, owner=f"StateMachine({states.__name__}, ...)", kind="handler")
        for state, handler in handlers.items():
            if not callable(handler):  # pyright: ignore[reportUnnecessaryComparison]
                raise TypeError(f"the handler for {describe_value(state)} is not callable: {handler!r}")
        self._states = states
        self._members = frozenset(states)
        # Rebuilt in definition order so repr and iteration don't depend on the caller's dict order.
        self._handlers: dict[S, Callable[..., object]] = {member: handlers[member] for member in states}
        self._max_steps = check_max_steps(max_steps)

    @property
    def states(self) -> type[S]:
        """The Enum whose members are this machine's states."""
        return self._states

    @property
    def max_steps(self) -> int | None:
        """How many states one run may enter before it is stopped with a warning (None: unlimited)."""
        return self._max_steps

    def __repr__(self) -> str:
        return f"StateMachine({self._states.__name__}, {len(self._handlers)} handlers, max_steps={self._max_steps})"

    @overload
    def run(self: StateMachine[S, Never], start: S) -> Generator[S, None, None]: ...

    @overload
    def run(self, start: S, *, context: C) -> Generator[S, None, None]: ...

    def run(self, start: S, *, context: object = _NO_CONTEXT) -> Generator[S, None, None]:
        """Run from ``start``, yielding each state as it is entered, before its handler runs.

        The handler of a yielded state runs when the generator is resumed, so breaking out of the
        loop after receiving a state means that state's handler never runs. ``END_STATE`` is never
        yielded: the generator simply finishes. Handlers are called as ``handler(context)`` when
        ``context`` is given and as ``handler()`` when it is not.

        If ``max_steps`` states have been entered and the last handler returned yet another state,
        the run stops without entering it and warns with :class:`StateMachineStepLimitWarning`.

        Raises:
            UnknownStateError: immediately (not at the first ``next()``) if ``start`` is not a
                member of :attr:`states`.
            InvalidTransitionError: a handler returned something that is neither a member of
                :attr:`states` nor ``END_STATE`` — including a coroutine; use :meth:`arun` for
                ``async def`` handlers.

        Exceptions raised by handlers propagate unchanged.
        """
        self._check_start(start, "run")
        return self._run(start, context)

    @overload
    def arun(self: StateMachine[S, Never], start: S) -> AsyncGenerator[S, None]: ...

    @overload
    def arun(self, start: S, *, context: C) -> AsyncGenerator[S, None]: ...

    def arun(self, start: S, *, context: object = _NO_CONTEXT) -> AsyncGenerator[S, None]:
        """Async :meth:`run`: the same semantics, and handlers may also be ``async def``.

        Sync and async handlers can be mixed; a handler's result is awaited when it is awaitable.
        """
        self._check_start(start, "arun")
        return self._arun(start, context)

    # run() and arun() differ only in whether a handler's result is awaited; everything else
    # (validation, the step limit, when to stop) lives in _transitions so the two cannot drift.

    def _run(self, start: S, context: object) -> Generator[S, None, None]:
        steps = self._transitions(start)
        try:
            state = _advance(steps, None)
            while state is not None:
                yield state
                state = _advance(steps, self._call(state, context))
        finally:
            steps.close()

    async def _arun(self, start: S, context: object) -> AsyncGenerator[S, None]:
        steps = self._transitions(start)
        try:
            state = _advance(steps, None)
            while state is not None:
                yield state
                result = self._call(state, context)
                if inspect.isawaitable(result):
                    result = await result
                state = _advance(steps, result)
        finally:
            steps.close()

    def _transitions(self, start: S) -> Generator[S, object, None]:
        """The I/O-free core: yields each state to enter and is sent back its handler's raw result."""
        state = start
        entered = 0
        while True:
            if self._max_steps is not None and entered >= self._max_steps:
                warnings.warn(
                    f"{self!r} stopped after entering {entered} states without reaching END_STATE; "
                    f"{describe_value(state)} was next. Pass a larger max_steps, or max_steps=None for no limit.",
                    StateMachineStepLimitWarning,
                    # Point at the user's loop, past this frame, _advance and _run/_arun.
                    stacklevel=4,
                )
                return
            entered += 1
            result = yield state
            next_state = self._check_result(state, result)
            if next_state is END_STATE:
                return
            state = next_state

    def _call(self, state: S, context: object) -> object:
        handler = self._handlers[state]
        return handler() if context is _NO_CONTEXT else handler(context)

    def _check_start(self, start: object, method: str) -> None:
        if not is_member(start, self._states, self._members):
            raise UnknownStateError(
                f"{method}() must start from a member of {self._states.__name__}, got {describe_value(start)}",
                (start,),
            )

    def _check_result(self, state: S, result: object) -> _Next[S]:
        if result is END_STATE:
            return END_STATE
        if is_member(result, self._states, self._members):
            return result
        handler = describe_callable(self._handlers[state])
        if inspect.isawaitable(result):
            if inspect.iscoroutine(result):
                # Never awaited, so close it now rather than let the GC emit a RuntimeWarning.
                result.close()
            message = (
                f"handler {handler} for {describe_value(state)} returned an awaitable ({result!r}) "
                "instead of a state; async handlers need arun() instead of run()"
            )
        else:
            message = (
                f"handler {handler} for {describe_value(state)} returned {describe_value(result)}, "
                f"which is neither a member of {self._states.__name__} nor END_STATE"
            )
        raise InvalidTransitionError(message, handler=handler, state=state, value=result)


def _advance(steps: Generator[S, object, None], result: object) -> S | None:
    """Send a handler's result (None to start) to the core; the next state, or None once it has finished."""
    try:
        return steps.send(result)
    except StopIteration:
        return None

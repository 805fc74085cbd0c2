"""`ClassStateMachine` and `@on`: the handlers are methods of an object, which is the context."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass
from enum import Enum
from typing import Any, Generic, TypeVar, cast, overload

from typing_extensions import Never

from ._validation import check_handled_states, describe_callable, describe_value
from .end import EndState
from .errors import DuplicateHandlerError, StateMachineError
from .machine import DEFAULT_MAX_STEPS, StateMachine

__all__ = ["ClassStateMachine", "on"]

S = TypeVar("S", bound=Enum)
"""The Enum whose members are the machine's states."""
F = TypeVar("F", bound=Callable[..., object])

# Where @on records its states on the function; a tuple because one method may handle several states.
_MARK = "__toki_statemachine_states__"


def on(state: Enum) -> Callable[[F], F]:
    """Mark a method as the handler of ``state`` for :class:`ClassStateMachine`.

    The method takes only ``self`` and returns the next state or ``END_STATE``; it may be
    ``async def`` when the machine is driven with ``arun()``. Stacking several ``@on`` on one method
    makes it handle each of those states. The decorated function is returned unchanged.

    Raises:
        TypeError: ``state`` is not an Enum member, or is ``END_STATE``.
        DuplicateHandlerError: the same ``@on(state)`` is applied twice to one method.
    """
    if not isinstance(state, Enum) or isinstance(state, EndState):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise TypeError(f"@on() takes a member of the states Enum, got {describe_value(state)}")

    def mark(func: F) -> F:
        existing = _marked_states(func)
        # Identity, not ==: members of two IntEnums with equal values compare equal.
        if any(marked is state for marked in existing):
            raise DuplicateHandlerError(
                f"@on({describe_value(state)}) is applied twice to {describe_callable(func)}", state
            )
        setattr(func, _MARK, (*existing, state))
        return func

    return mark


def _marked_states(attribute: object) -> tuple[Enum, ...]:
    # Look through staticmethod/classmethod too, so @on works on either side of them.
    for candidate in (attribute, getattr(attribute, "__func__", None)):
        states: object = getattr(candidate, _MARK, None)
        if isinstance(states, tuple):
            return cast("tuple[Enum, ...]", states)
    return ()


@dataclass(frozen=True)
class _Handler:
    state: Enum
    owner: type
    name: str
    attribute: object


def _find_handlers(cls: type) -> list[_Handler]:
    """Every ``@on`` handler visible on ``cls``, most derived class first.

    A name defined in a subclass hides the base's attribute of that name, as attribute lookup
    does: overriding a handler method without ``@on`` therefore unregisters it.
    """
    found: list[_Handler] = []
    seen: set[str] = set()
    for owner in cls.__mro__:
        for name, attribute in vars(owner).items():
            if name in seen:
                continue
            seen.add(name)
            found.extend(_Handler(state, owner, name, attribute) for state in _marked_states(attribute))
    return found


class ClassStateMachine(Generic[S]):
    """A :class:`StateMachine` whose handlers are the ``@on``-decorated methods of ``target``.

    The object itself is the context: handlers read and write ``self``. Handlers are collected from
    the whole class hierarchy of ``target``; when a subclass and a base both handle a state, the
    subclass's handler wins, while two handlers for one state within the same class are an error.

    The states Enum is inferred from the ``@on`` decorations, which a type checker cannot see, so
    ``ClassStateMachine(obj)`` is a ``ClassStateMachine[Enum]``; pass ``states`` to get a precisely
    typed ``ClassStateMachine[State]`` (and to check the decorations against that Enum).

    Example::

        sm = ClassStateMachine(Scenario("Bob"))
        for state in sm.run(State.A):
            ...

    Raises at construction:
        StateMachineError: no ``@on`` handlers were found and ``states`` was not given, or the
            handlers mix states of several Enums.
        UnknownStateError: ``states`` was given and some handlers are for states outside it.
        DuplicateHandlerError: one class has two handlers for the same state.
        MissingHandlersError: a member of the states Enum has no handler.
    """

    @overload
    def __init__(
        self: ClassStateMachine[Enum], target: object, *, max_steps: int | None = DEFAULT_MAX_STEPS
    ) -> None: ...

    @overload
    def __init__(self, target: object, states: type[S], *, max_steps: int | None = DEFAULT_MAX_STEPS) -> None: ...

    def __init__(
        self, target: object, states: type[S] | None = None, *, max_steps: int | None = DEFAULT_MAX_STEPS
    ) -> None:
        """Collect and bind the ``@on`` handlers of ``target``; ``max_steps=None`` removes the step limit."""
        cls = type(target)
        found = _find_handlers(cls)
        if states is None:
            states = cast("type[S]", _infer_states(cls, found))
        check_handled_states(states, (h.state for h in found), owner=cls.__qualname__, kind="@on handler")
        chosen: dict[Enum, _Handler] = {}
        for handler in found:
            previous = chosen.setdefault(handler.state, handler)
            # A different owner is necessarily a more derived class (found is in MRO order), whose
            # handler overrides this one.
            if previous is not handler and previous.owner is handler.owner:
                raise DuplicateHandlerError(
                    f"{handler.owner.__qualname__} has two @on({describe_value(handler.state)}) handlers: "
                    f"{previous.name} and {handler.name}",
                    handler.state,
                )
        bound = {state: _bind(handler.attribute, target) for state, handler in chosen.items()}
        self._machine: StateMachine[S, Never] = StateMachine(
            states, cast("dict[S, Callable[[], S | EndState]]", bound), max_steps=max_steps
        )
        self._target_name = cls.__qualname__

    @property
    def states(self) -> type[S]:
        """The Enum whose members are this machine's states."""
        return self._machine.states

    @property
    def max_steps(self) -> int | None:
        """How many states one run may enter before it is stopped with a warning (None: unlimited)."""
        return self._machine.max_steps

    def __repr__(self) -> str:
        return f"ClassStateMachine({self._target_name}, {self.states.__name__}, max_steps={self.max_steps})"

    def run(self, start: S) -> Generator[S, None, None]:
        """Run from ``start``, yielding each state as it is entered, before its handler runs.

        Same semantics and errors as :meth:`StateMachine.run`; handlers are called with no
        argument besides ``self``.
        """
        return self._machine.run(start)

    def arun(self, start: S) -> AsyncGenerator[S, None]:
        """Async :meth:`run`; handlers may be ``async def`` (see :meth:`StateMachine.arun`)."""
        return self._machine.arun(start)


def _infer_states(cls: type, found: list[_Handler]) -> type[Enum]:
    handlers_by_enum: dict[type[Enum], dict[str, None]] = {}
    for handler in found:
        # A dict as an ordered set: a method stacked with several @on is listed once.
        handlers_by_enum.setdefault(type(handler.state), {})[f"{handler.owner.__qualname__}.{handler.name}"] = None
    if not handlers_by_enum:
        raise StateMachineError(
            f"{cls.__qualname__} has no @on handlers: decorate its methods with @on(State.X), "
            "or pass states= to be told which states need one"
        )
    if len(handlers_by_enum) > 1:
        detail = "; ".join(f"{enum.__name__}: {', '.join(names)}" for enum, names in handlers_by_enum.items())
        raise StateMachineError(
            f"the @on handlers of {cls.__qualname__} mix states of several Enums ({detail}); "
            "a machine runs on a single Enum"
        )
    return next(iter(handlers_by_enum))


def _bind(attribute: object, target: object) -> Callable[[], object]:
    # The descriptor protocol, as attribute lookup would apply it, but on the attribute that was
    # found on the class: an instance attribute of the same name must not hijack the handler.
    get = getattr(type(attribute), "__get__", None)
    bound: Any = get(attribute, target, type(target)) if get is not None else attribute
    return cast("Callable[[], object]", bound)

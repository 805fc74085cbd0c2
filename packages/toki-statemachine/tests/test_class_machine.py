from enum import Enum, IntEnum, auto

import pytest
from toki_statemachine import (
    END_STATE,
    ClassStateMachine,
    DuplicateHandlerError,
    EndState,
    InvalidTransitionError,
    MissingHandlersError,
    StateMachineError,
    StateMachineStepLimitWarning,
    UnknownStateError,
    on,
)
from typing_extensions import assert_type


class State(Enum):
    A = auto()
    B = auto()
    C = auto()


class Other(Enum):
    X = auto()


def test_spec_example(capsys: pytest.CaptureFixture[str]) -> None:
    # The documented example, verbatim except for one member per line (ruff format) and a loop
    # body that records what it sees.
    from enum import Enum, auto

    from toki_statemachine import END_STATE, ClassStateMachine, on

    class State(Enum):
        A = auto()
        B = auto()
        C = auto()

    class Scenario:
        def __init__(self, name: str):
            self.name = name

        @on(State.A)
        def a(self):
            print(f"{self.name} handling A")
            return State.B

        @on(State.B)
        def b(self):
            print(f"{self.name} handling B")
            return State.C

        @on(State.C)
        def c(self):
            print(f"{self.name} handling C")
            return END_STATE

    sm = ClassStateMachine(Scenario("Bob"))
    seen: list[Enum] = []
    for s in sm.run(State.A):
        seen.append(s)

    assert_type(sm, ClassStateMachine[Enum])
    assert seen == [State.A, State.B, State.C]
    assert capsys.readouterr().out.splitlines() == ["Bob handling A", "Bob handling B", "Bob handling C"]


class Recorder:
    """A three-step flow that records what it does on itself: the object is the context."""

    def __init__(self) -> None:
        self.log: list[str] = []

    @on(State.A)
    def a(self) -> State:
        self.log.append("a")
        return State.B

    @on(State.B)
    def b(self) -> State:
        self.log.append("b")
        return State.C

    @on(State.C)
    def c(self) -> EndState:
        self.log.append("c")
        return END_STATE


def test_yields_each_state_before_running_its_handler() -> None:
    target = Recorder()
    for s in ClassStateMachine(target).run(State.A):
        target.log.append(f"yield {s.name}")
    assert target.log == ["yield A", "a", "yield B", "b", "yield C", "c"]


def test_explicit_states_give_a_precise_type() -> None:
    sm = ClassStateMachine(Recorder(), State)
    assert_type(sm, ClassStateMachine[State])
    assert sm.states is State
    assert list(sm.run(State.B)) == [State.B, State.C]


def test_properties_and_repr() -> None:
    sm = ClassStateMachine(Recorder(), max_steps=None)
    assert sm.states is State
    assert sm.max_steps is None
    assert repr(sm) == "ClassStateMachine(Recorder, State, max_steps=None)"


def test_on_returns_the_function_unchanged() -> None:
    def handler(self: object) -> State:
        return State.A

    assert on(State.A)(handler) is handler
    assert Recorder().a() is State.B


def test_a_loop_revisits_states() -> None:
    class Retry:
        def __init__(self) -> None:
            self.attempts = 0

        @on(State.A)
        def attempt(self) -> State:
            self.attempts += 1
            return State.B

        @on(State.B)
        def check(self) -> State:
            return State.C if self.attempts == 3 else State.A

        @on(State.C)
        def done(self) -> EndState:
            return END_STATE

    target = Retry()
    assert list(ClassStateMachine(target, State).run(State.A)) == [State.A, State.B] * 3 + [State.C]
    assert target.attempts == 3


def test_one_method_can_handle_several_states() -> None:
    class Stepper:
        @on(State.A)
        @on(State.B)
        def forward(self) -> State:
            return State.B if self.seen == 0 else State.C

        @on(State.C)
        def c(self) -> EndState:
            return END_STATE

        def __init__(self) -> None:
            self.seen = -1

    class Counting(Stepper):
        @on(State.A)
        @on(State.B)
        def forward(self) -> State:
            self.seen += 1
            return super().forward()

    assert list(ClassStateMachine(Counting()).run(State.A)) == [State.A, State.B, State.C]


# --- inheritance -----------------------------------------------------------------------------


def test_a_subclass_inherits_the_handlers_of_its_bases() -> None:
    class Sub(Recorder):
        pass

    target = Sub()
    assert list(ClassStateMachine(target).run(State.A)) == [State.A, State.B, State.C]
    assert target.log == ["a", "b", "c"]


def test_a_subclass_overrides_a_handler_under_the_same_name() -> None:
    class Sub(Recorder):
        @on(State.B)
        def b(self) -> State:
            self.log.append("sub b")
            return State.C

    target = Sub()
    list(ClassStateMachine(target).run(State.A))
    assert target.log == ["a", "sub b", "c"]


def test_a_subclass_overrides_a_handler_under_another_name() -> None:
    class Sub(Recorder):
        @on(State.B)
        def skip(self) -> EndState:
            self.log.append("skip")
            return END_STATE

    target = Sub()
    assert list(ClassStateMachine(target).run(State.A)) == [State.A, State.B]
    assert target.log == ["a", "skip"]


def test_the_most_derived_class_wins_across_several_levels_and_bases() -> None:
    class Mixin:
        @on(State.C)
        def mixin_c(self) -> EndState:
            self.log.append("mixin c")  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
            return END_STATE

    class Sub(Mixin, Recorder):
        pass

    class SubSub(Sub):
        @on(State.A)
        def a(self) -> State:
            self.log.append("subsub a")
            return State.C

    target = SubSub()
    assert list(ClassStateMachine(target).run(State.A)) == [State.A, State.C]
    assert target.log == ["subsub a", "mixin c"]


def test_overriding_a_handler_without_on_unregisters_it() -> None:
    class Sub(Recorder):
        def c(self) -> EndState:
            return END_STATE

    with pytest.raises(MissingHandlersError, match=r"Sub has no @on handler for: State\.C"):
        ClassStateMachine(Sub())


def test_an_instance_attribute_does_not_hijack_a_handler() -> None:
    target = Recorder()
    target.b = lambda: END_STATE  # type: ignore[method-assign]  # pyright: ignore[reportAttributeAccessIssue]
    list(ClassStateMachine(target).run(State.A))
    assert target.log == ["a", "b", "c"]


def test_static_and_class_method_handlers() -> None:
    class Flow:
        @on(State.A)
        @staticmethod
        def a() -> State:
            return State.B

        @staticmethod
        @on(State.B)
        def b() -> State:
            return State.C

        @on(State.C)
        @classmethod
        def c(cls) -> EndState:
            return END_STATE

    assert list(ClassStateMachine(Flow()).run(State.A)) == [State.A, State.B, State.C]


# --- errors ----------------------------------------------------------------------------------


def test_two_handlers_for_one_state_in_a_class_are_rejected() -> None:
    class Twice(Recorder):
        @on(State.A)
        def first(self) -> State:
            return State.B

        @on(State.A)
        def second(self) -> State:
            return State.B

    with pytest.raises(DuplicateHandlerError) as info:
        ClassStateMachine(Twice())
    assert str(info.value).endswith("Twice has two @on(State.A) handlers: first and second")
    assert info.value.state is State.A
    assert isinstance(info.value, StateMachineError)


def test_two_handlers_for_one_state_in_a_base_class_are_rejected() -> None:
    class Base(Recorder):
        @on(State.C)
        def finish(self) -> EndState:
            return END_STATE

        @on(State.C)
        def stop(self) -> EndState:
            return END_STATE

    class Sub(Base):
        pass

    with pytest.raises(DuplicateHandlerError, match=r"Base has two @on\(State\.C\) handlers: finish and stop$"):
        ClassStateMachine(Sub())


def test_the_same_on_twice_on_one_method_is_rejected() -> None:
    with pytest.raises(DuplicateHandlerError, match=r"@on\(State\.A\) is applied twice to .*\.<locals>\.a$"):

        @on(State.A)
        @on(State.A)
        def a(self: object) -> State:  # pyright: ignore[reportUnusedFunction]
            return State.B


def test_missing_handlers_are_listed() -> None:
    class Partial:
        @on(State.B)
        def b(self) -> EndState:
            return END_STATE

    with pytest.raises(MissingHandlersError) as info:
        ClassStateMachine(Partial())
    assert "Partial has no @on handler for: State.A, State.C (every member of State needs one)" in str(info.value)
    assert info.value.missing == (State.A, State.C)


def test_handlers_outside_the_given_states_are_rejected() -> None:
    class Mixed(Recorder):
        @on(Other.X)
        def x(self) -> EndState:
            return END_STATE

    with pytest.raises(
        UnknownStateError, match=r"Mixed has @on handlers for values that are not members of State: Other\.X"
    ):
        ClassStateMachine(Mixed(), State)


def test_handlers_mixing_several_enums_are_rejected() -> None:
    class Mixed(Recorder):
        @on(Other.X)
        def x(self) -> EndState:
            return END_STATE

    with pytest.raises(StateMachineError) as info:
        ClassStateMachine(Mixed())
    message = str(info.value)
    assert "the @on handlers of" in message
    assert "mix states of several Enums" in message
    assert "Other: " in message
    assert "Mixed.x" in message
    assert "Recorder.a, " in message


def test_a_class_without_handlers_is_rejected() -> None:
    class Empty:
        pass

    with pytest.raises(StateMachineError, match=r"Empty has no @on handlers: decorate its methods with @on"):
        ClassStateMachine(Empty())
    with pytest.raises(MissingHandlersError, match=r"Empty has no @on handler for: State\.A, State\.B, State\.C"):
        ClassStateMachine(Empty(), State)


def test_on_needs_an_enum_member() -> None:
    with pytest.raises(TypeError, match=r"@on\(\) takes a member of the states Enum, got 'A'"):
        on("A")  # pyright: ignore[reportArgumentType]
    with pytest.raises(TypeError, match=r"got END_STATE"):
        on(END_STATE)


def test_equal_intenum_members_of_different_enums_are_told_apart() -> None:
    class First(IntEnum):
        ONE = 1

    class Second(IntEnum):
        UNO = 1

    def handler(self: object) -> EndState:
        return END_STATE

    # First.ONE == Second.UNO, yet they are different states.
    assert on(Second.UNO)(on(First.ONE)(handler)) is handler


def test_a_method_returning_a_non_state_is_named_in_the_error() -> None:
    class Bad(Recorder):
        @on(State.B)
        def b(self) -> State:
            return Other.X  # pyright: ignore[reportReturnType]

    with pytest.raises(InvalidTransitionError) as info:
        list(ClassStateMachine(Bad()).run(State.A))
    assert "Bad.b for State.B returned Other.X, which is neither a member of State nor END_STATE" in str(info.value)
    assert info.value.handler.endswith("Bad.b")


def test_run_from_a_non_member_raises_immediately() -> None:
    with pytest.raises(UnknownStateError, match=r"run\(\) must start from a member of State, got Other\.X"):
        ClassStateMachine(Recorder()).run(Other.X)


def test_max_steps_stops_the_run_with_a_warning() -> None:
    class Forever:
        @on(State.A)
        @on(State.B)
        @on(State.C)
        def again(self) -> State:
            return State.A

    with pytest.warns(StateMachineStepLimitWarning, match="entering 4 states without reaching END_STATE") as record:
        assert list(ClassStateMachine(Forever(), max_steps=4).run(State.A)) == [State.A] * 4
    assert record[0].filename == __file__


# --- async -----------------------------------------------------------------------------------


async def test_arun_awaits_async_methods() -> None:
    class Flow:
        def __init__(self) -> None:
            self.log: list[str] = []

        @on(State.A)
        async def a(self) -> State:
            self.log.append("a")
            return State.B

        @on(State.B)
        def b(self) -> State:
            self.log.append("b")
            return State.C

        @on(State.C)
        async def c(self) -> EndState:
            self.log.append("c")
            return END_STATE

    target = Flow()
    sm = ClassStateMachine(target, State)
    assert [s async for s in sm.arun(State.A)] == [State.A, State.B, State.C]
    assert target.log == ["a", "b", "c"]
    with pytest.raises(InvalidTransitionError, match=r"Flow\.a for State\.A returned an awaitable"):
        list(sm.run(State.A))

import functools
import warnings
from dataclasses import dataclass
from enum import Enum, IntEnum, auto
from typing import Any, cast

import pytest
from toki_statemachine import (
    END_STATE,
    EndState,
    InvalidTransitionError,
    MissingHandlersError,
    StateMachine,
    StateMachineError,
    StateMachineStepLimitWarning,
    UnknownStateError,
)
from typing_extensions import Never, assert_type


class State(Enum):
    A = auto()
    B = auto()
    C = auto()


class Other(Enum):
    X = auto()


class Num(IntEnum):
    ONE = 1
    TWO = 2


def to_b() -> State:
    return State.B


def to_c() -> State:
    return State.C


def end() -> EndState:
    return END_STATE


def test_spec_example(capsys: pytest.CaptureFixture[str]) -> None:
    # The documented example, verbatim except that the loop body records what it sees.
    from dataclasses import dataclass
    from enum import Enum, auto

    from toki_statemachine import END_STATE, StateMachine

    class State(Enum):
        A = auto()
        B = auto()
        C = auto()

    @dataclass
    class Context:
        name: str

    def a(ctx: Context):
        print(f"{ctx.name} handling A")
        return State.B

    def b(ctx: Context):
        print(f"{ctx.name} handling B")
        return State.C

    def c(ctx: Context):
        print(f"{ctx.name} handling C")
        return END_STATE

    sm = StateMachine(State, {State.A: a, State.B: b, State.C: c})
    seen: list[State] = []
    for s in sm.run(State.A, context=Context("Alice")):
        seen.append(s)

    assert_type(sm, StateMachine[State, Context])
    assert seen == [State.A, State.B, State.C]
    assert capsys.readouterr().out.splitlines() == ["Alice handling A", "Alice handling B", "Alice handling C"]


def test_yields_each_state_before_running_its_handler() -> None:
    events: list[str] = []

    def handler(name: str, result: State | EndState):
        def run() -> State | EndState:
            events.append(f"handle {name}")
            return result

        return run

    sm = StateMachine(
        State, {State.A: handler("A", State.B), State.B: handler("B", State.C), State.C: handler("C", END_STATE)}
    )
    for s in sm.run(State.A):
        events.append(f"yield {s.name}")

    assert events == ["yield A", "handle A", "yield B", "handle B", "yield C", "handle C"]


def test_breaking_out_skips_the_handler_of_the_last_yielded_state() -> None:
    ran: list[State] = []

    def record(state: State, result: State | EndState):
        def run() -> State | EndState:
            ran.append(state)
            return result

        return run

    sm = StateMachine(
        State,
        {State.A: record(State.A, State.B), State.B: record(State.B, State.C), State.C: record(State.C, END_STATE)},
    )
    for s in sm.run(State.A):
        if s is State.B:
            break

    assert ran == [State.A]


def test_next_on_a_fresh_run_yields_the_start_without_running_anything() -> None:
    calls: list[State] = []

    def a() -> State:
        calls.append(State.A)
        return State.B

    run = StateMachine(State, {State.A: a, State.B: to_c, State.C: end}).run(State.A)
    assert next(run) is State.A
    assert calls == []
    assert next(run) is State.B
    assert calls == [State.A]


def test_end_state_is_never_yielded() -> None:
    sm = StateMachine(State, {State.A: end, State.B: end, State.C: end})
    assert list(sm.run(State.B)) == [State.B]


def test_context_is_passed_to_every_handler_as_the_same_object() -> None:
    @dataclass
    class Ctx:
        visits: list[State]

    def visit(state: State, result: State | EndState):
        def run(ctx: Ctx) -> State | EndState:
            ctx.visits.append(state)
            return result

        return run

    sm = StateMachine(
        State, {State.A: visit(State.A, State.B), State.B: visit(State.B, State.C), State.C: visit(State.C, END_STATE)}
    )
    ctx = Ctx([])
    assert list(sm.run(State.A, context=ctx)) == [State.A, State.B, State.C]
    assert ctx.visits == [State.A, State.B, State.C]
    assert_type(sm, StateMachine[State, Ctx])


def test_handlers_without_a_context_are_called_with_no_argument() -> None:
    sm = StateMachine(State, {State.A: to_b, State.B: to_c, State.C: end})
    assert_type(sm, StateMachine[State, Never])
    assert list(sm.run(State.A)) == [State.A, State.B, State.C]


def test_an_explicit_none_context_is_passed_through() -> None:
    received: list[object] = []

    def a(ctx: str | None) -> EndState:
        received.append(ctx)
        return END_STATE

    sm = StateMachine(State, {State.A: a, State.B: a, State.C: a})
    list(sm.run(State.A, context=None))
    assert received == [None]


def test_a_loop_revisits_states() -> None:
    @dataclass
    class Counter:
        rounds: int = 0

    def a(ctx: Counter) -> State:
        ctx.rounds += 1
        return State.B

    def b(ctx: Counter) -> State:
        return State.A if ctx.rounds < 3 else State.C

    def c(ctx: Counter) -> EndState:
        return END_STATE

    sm = StateMachine(State, {State.A: a, State.B: b, State.C: c})
    counter = Counter()
    assert list(sm.run(State.A, context=counter)) == [State.A, State.B] * 3 + [State.C]
    assert counter.rounds == 3


def test_the_machine_can_be_run_many_times() -> None:
    sm = StateMachine(State, {State.A: to_b, State.B: to_c, State.C: end})
    assert list(sm.run(State.A)) == list(sm.run(State.A)) == [State.A, State.B, State.C]
    assert list(sm.run(State.C)) == [State.C]


def test_handler_exceptions_propagate_unchanged() -> None:
    def boom() -> State:
        raise KeyError("boom")

    sm = StateMachine(State, {State.A: to_b, State.B: boom, State.C: end})
    run = sm.run(State.A)
    assert next(run) is State.A
    assert next(run) is State.B
    with pytest.raises(KeyError, match="boom"):
        next(run)


def test_properties_and_repr() -> None:
    sm = StateMachine(State, {State.C: end, State.A: to_b, State.B: to_c}, max_steps=7)
    assert sm.states is State
    assert sm.max_steps == 7
    assert repr(sm) == "StateMachine(State, 3 handlers, max_steps=7)"
    assert StateMachine(State, {State.A: to_b, State.B: to_c, State.C: end}).max_steps == 1000


# --- construction errors ---------------------------------------------------------------------


def test_missing_handlers_are_listed() -> None:
    with pytest.raises(MissingHandlersError) as info:
        StateMachine(State, {State.B: to_c})
    message = str(info.value)
    assert "StateMachine(State, ...) has no handler for: State.A, State.C" in message
    assert "every member of State needs one" in message
    assert info.value.missing == (State.A, State.C)
    assert isinstance(info.value, StateMachineError)
    assert isinstance(info.value, ValueError)


def test_handlers_for_non_members_are_rejected() -> None:
    handlers: dict[object, object] = {State.A: to_b, State.B: to_c, State.C: end, Other.X: end, "A": end}
    with pytest.raises(UnknownStateError) as info:
        StateMachine(State, handlers)  # pyright: ignore[reportArgumentType, reportCallIssue, reportUnknownVariableType]
    assert "handlers for values that are not members of State: Other.X, 'A'" in str(info.value)
    assert info.value.values == (Other.X, "A")


def test_plain_values_equal_to_intenum_members_are_not_members() -> None:
    handlers: dict[object, object] = {1: end, Num.TWO: end}
    with pytest.raises(UnknownStateError, match=r"not members of Num: 1$"):
        StateMachine(Num, handlers)  # pyright: ignore[reportArgumentType, reportCallIssue, reportUnknownVariableType]


def test_states_must_be_an_enum_class() -> None:
    not_a_class: Any = State.A
    with pytest.raises(TypeError, match=r"states must be an Enum class, got State\.A"):
        StateMachine(not_a_class, {})
    not_an_enum: Any = str
    with pytest.raises(TypeError, match=r"states must be an Enum class, got <class 'str'>"):
        StateMachine(not_an_enum, {})


def test_handlers_must_be_callable() -> None:
    with pytest.raises(TypeError, match=r"the handler for State\.B is not callable: 'nope'"):
        StateMachine(State, {State.A: to_b, State.B: cast(Any, "nope"), State.C: end})


@pytest.mark.parametrize(
    ("max_steps", "error", "match"),
    [(0, ValueError, "got 0"), (-1, ValueError, "got -1"), (True, TypeError, "got True"), (1.5, TypeError, "got 1.5")],
)
def test_max_steps_must_be_a_positive_int(max_steps: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=f"max_steps must be a positive int or None.*{match}"):
        StateMachine(State, {State.A: to_b, State.B: to_c, State.C: end}, max_steps=max_steps)


# --- run errors ------------------------------------------------------------------------------


def test_run_from_a_non_member_raises_immediately() -> None:
    sm = StateMachine(State, {State.A: to_b, State.B: to_c, State.C: end})
    with pytest.raises(UnknownStateError, match=r"run\(\) must start from a member of State, got Other\.X") as info:
        sm.run(Other.X)  # pyright: ignore[reportArgumentType]  # no next(): the check is eager
    assert info.value.values == (Other.X,)
    with pytest.raises(UnknownStateError, match=r"got END_STATE"):
        sm.run(END_STATE)  # pyright: ignore[reportArgumentType]
    with pytest.raises(UnknownStateError, match=r"got 'A'"):
        sm.run("A")  # pyright: ignore[reportArgumentType]


def test_run_from_a_plain_value_equal_to_an_intenum_member_is_rejected() -> None:
    sm = StateMachine(Num, {Num.ONE: end, Num.TWO: end})
    with pytest.raises(UnknownStateError, match=r"must start from a member of Num, got 1$"):
        sm.run(1)  # pyright: ignore[reportArgumentType]


def test_a_handler_returning_a_non_state_is_named_in_the_error() -> None:
    def b() -> State:
        return "C"  # pyright: ignore[reportReturnType]

    sm = StateMachine(State, {State.A: to_b, State.B: b, State.C: end})
    run = sm.run(State.A)
    assert next(run) is State.A
    assert next(run) is State.B
    with pytest.raises(InvalidTransitionError) as info:
        next(run)
    message = str(info.value)
    assert "test_a_handler_returning_a_non_state_is_named_in_the_error.<locals>.b" in message
    assert "for State.B returned 'C', which is neither a member of State nor END_STATE" in message
    assert (info.value.state, info.value.value) == (State.B, "C")
    assert info.value.handler.endswith(".<locals>.b")
    assert isinstance(info.value, TypeError)


@pytest.mark.parametrize("bad", [None, Other.X, 1, State])
def test_other_non_states_are_rejected(bad: Any) -> None:
    def one() -> Num:
        return bad

    sm = StateMachine(Num, {Num.ONE: one, Num.TWO: end})
    with pytest.raises(InvalidTransitionError, match=r"for Num\.ONE returned .*, which is neither a member of Num"):
        list(sm.run(Num.ONE))


def test_a_handler_without_a_qualname_is_described_by_its_repr() -> None:
    def go(target: State) -> State:
        return target

    sm = StateMachine(State, {State.A: functools.partial(go, Other.X), State.B: to_c, State.C: end})  # pyright: ignore[reportArgumentType]
    with pytest.raises(
        InvalidTransitionError, match=r"handler functools\.partial\(.*\) for State\.A returned Other\.X"
    ):
        list(sm.run(State.A))


def test_run_rejects_a_coroutine_handler_and_closes_the_coroutine() -> None:
    async def b() -> State:
        return State.C

    sm = StateMachine(State, {State.A: to_b, State.B: b, State.C: end})
    # filterwarnings=error turns a "coroutine was never awaited" RuntimeWarning into a failure, so
    # this also checks the coroutine was closed.
    with pytest.raises(InvalidTransitionError, match=r"\.b for State\.B returned an awaitable .* need arun\(\)"):
        list(sm.run(State.A))


# --- max_steps -------------------------------------------------------------------------------


def ping_pong() -> StateMachine[State, Never]:
    def a() -> State:
        return State.B

    def b() -> State:
        return State.A

    return StateMachine(State, {State.A: a, State.B: b, State.C: end}, max_steps=5)


def test_max_steps_stops_the_run_with_a_warning() -> None:
    with pytest.warns(StateMachineStepLimitWarning) as record:
        seen = list(ping_pong().run(State.A))
    assert seen == [State.A, State.B, State.A, State.B, State.A]
    assert len(record) == 1
    message = str(record[0].message)
    assert "stopped after entering 5 states without reaching END_STATE; State.B was next" in message
    assert "max_steps=None" in message
    # The warning points at the loop driving the machine, not at library internals.
    assert record[0].filename == __file__


def test_the_step_limit_warning_is_a_user_warning() -> None:
    assert issubclass(StateMachineStepLimitWarning, UserWarning)


def test_reaching_end_state_on_the_last_allowed_step_does_not_warn() -> None:
    sm = StateMachine(State, {State.A: to_b, State.B: to_c, State.C: end}, max_steps=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert list(sm.run(State.A)) == [State.A, State.B, State.C]


def test_the_default_limit_is_1000_steps() -> None:
    sm = StateMachine(State, {State.A: lambda: State.B, State.B: lambda: State.A, State.C: end})
    with pytest.warns(StateMachineStepLimitWarning, match="entering 1000 states"):
        assert sum(1 for _ in sm.run(State.A)) == 1000


def test_max_steps_none_means_unlimited() -> None:
    @dataclass
    class Budget:
        left: int

    def a(ctx: Budget) -> State:
        ctx.left -= 1
        return State.B if ctx.left else State.C

    def b(ctx: Budget) -> State:
        return State.A

    def c(ctx: Budget) -> EndState:
        return END_STATE

    sm = StateMachine(State, {State.A: a, State.B: b, State.C: c}, max_steps=None)
    assert sum(1 for _ in sm.run(State.A, context=Budget(2500))) == 2 * 2500

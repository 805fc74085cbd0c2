from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, auto

import pytest
from toki_statemachine import (
    END_STATE,
    EndState,
    InvalidTransitionError,
    StateMachine,
    StateMachineStepLimitWarning,
    UnknownStateError,
)


class State(Enum):
    A = auto()
    B = auto()
    C = auto()


@dataclass
class Log:
    events: list[str] = field(default_factory=list[str])


async def a(ctx: Log) -> State:
    ctx.events.append("handle A")
    return State.B


def b(ctx: Log) -> State:
    ctx.events.append("handle B")
    return State.C


async def c(ctx: Log) -> EndState:
    ctx.events.append("handle C")
    return END_STATE


async def test_arun_awaits_async_handlers_and_mixes_with_sync_ones() -> None:
    sm = StateMachine(State, {State.A: a, State.B: b, State.C: c})
    log = Log()
    async for s in sm.arun(State.A, context=log):
        log.events.append(f"yield {s.name}")
    assert log.events == ["yield A", "handle A", "yield B", "handle B", "yield C", "handle C"]


async def test_arun_without_context() -> None:
    async def go_b() -> State:
        return State.B

    async def go_end() -> EndState:
        return END_STATE

    sm = StateMachine(State, {State.A: go_b, State.B: go_end, State.C: go_end})
    assert [s async for s in sm.arun(State.A)] == [State.A, State.B]


async def test_arun_from_a_non_member_raises_immediately() -> None:
    sm = StateMachine(State, {State.A: a, State.B: b, State.C: c})
    with pytest.raises(UnknownStateError, match=r"arun\(\) must start from a member of State, got 'A'"):
        sm.arun("A", context=Log())  # pyright: ignore[reportArgumentType, reportCallIssue]


async def test_arun_rejects_a_non_state_from_an_async_handler() -> None:
    async def bad(ctx: Log) -> State:
        return 42  # pyright: ignore[reportReturnType]

    sm = StateMachine(State, {State.A: bad, State.B: b, State.C: c})
    with pytest.raises(InvalidTransitionError, match=r"\.bad for State\.A returned 42, which is neither"):
        async for _ in sm.arun(State.A, context=Log()):
            pass


async def test_arun_step_limit_warns() -> None:
    async def loop() -> State:
        return State.A

    sm = StateMachine(State, {State.A: loop, State.B: loop, State.C: loop}, max_steps=3)
    with pytest.warns(StateMachineStepLimitWarning, match="entering 3 states") as record:
        assert [s async for s in sm.arun(State.A)] == [State.A] * 3
    assert record[0].filename == __file__

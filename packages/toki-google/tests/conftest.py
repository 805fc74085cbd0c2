"""Fixtures: a started Gemini API simulator per test, and models aimed at it (closed afterwards).

``run`` makes one call in the mode a test is parametrized with (``sync`` or ``async``), so each
behaviour is asserted on both paths with the same code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest
from simulators import GeminiSim
from toki.retry import RetryPolicy
from toki.testing import CallMode, call_in_mode
from toki.timeouts import Timeouts
from toki_google import GoogleModel

#: ``make_model(model_id="...", **ctor_kwargs)``
MakeModel = Callable[..., Any]
#: ``run(model, messages, tools=None, *, stream=False, **kwargs)``
Run = Callable[..., Any]

#: Small limits so failure tests stay fast; generous enough for a loaded CI machine.
TEST_TIMEOUTS = Timeouts(connect=2.0, first_chunk=5.0, idle=5.0)


@pytest.fixture
def sim() -> Iterator[GeminiSim]:
    """A Gemini API simulator on a free loopback port."""
    with GeminiSim() as server:
        yield server


@pytest.fixture
def make_model(sim: GeminiSim) -> Iterator[MakeModel]:
    """Build models aimed at ``sim`` (test key, small timeouts, instant retries); all closed at teardown."""
    made: list[GoogleModel] = []

    def make(model: str = "gemini-2.5-flash", **kwargs: Any) -> GoogleModel:
        kwargs.setdefault("api_key", "gemini-test")
        kwargs.setdefault("base_url", sim.base_url)
        kwargs.setdefault("timeout", TEST_TIMEOUTS)
        built = GoogleModel(model, **kwargs)
        built.retry_policy = RetryPolicy(
            max_retries=built.retry_policy.max_retries, initial_delay=0.0, max_delay=0.0, jitter=0.0
        )
        made.append(built)
        return built

    yield make
    for built in made:
        built.close()


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> CallMode:
    """Which path a test exercises."""
    return cast(CallMode, request.param)


@pytest.fixture
def run(mode: CallMode) -> Run:
    """``run(model, messages, tools=None, stream=False, **kwargs)``: one call on the test's path."""
    return lambda *args, **kwargs: call_in_mode(mode, *args, **kwargs)

"""Fixtures: a started OpenRouter simulator per test, and models pointed at it (closed afterwards)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from simulators import OpenRouterSim
from toki.retry import RetryPolicy
from toki.timeouts import Timeouts
from toki_openrouter import OpenRouterModel

_HERE = str(Path(__file__).parent)
if _HERE not in sys.path:  # pytest's importlib mode does not add test directories
    sys.path.insert(0, _HERE)

from toki_openrouter_testkit import MakeModel  # noqa: E402  (needs the path set up above)

#: Small limits so failure tests stay fast; generous enough for a loaded CI machine.
TEST_TIMEOUTS = Timeouts(connect=2.0, first_chunk=5.0, idle=5.0)


@pytest.fixture
def sim() -> Iterator[OpenRouterSim]:
    """An OpenRouter simulator on a free loopback port."""
    with OpenRouterSim() as server:
        yield server


@pytest.fixture
def make_model(sim: OpenRouterSim) -> Iterator[MakeModel]:
    """Build models aimed at ``sim`` (test key, small timeouts, instant retries); all closed at teardown."""
    made: list[OpenRouterModel] = []

    def make(model: str = "google/gemini-2.5-flash", **kwargs: Any) -> OpenRouterModel:
        kwargs.setdefault("api_key", "sk-or-test")
        kwargs.setdefault("base_url", sim.base_url + "/api/v1")
        kwargs.setdefault("timeout", TEST_TIMEOUTS)
        instant = kwargs.pop("instant_retries", True)
        built = OpenRouterModel(model, **kwargs)
        if instant:
            built.retry_policy = RetryPolicy(
                max_retries=built.retry_policy.max_retries, initial_delay=0.0, max_delay=0.0, jitter=0.0
            )
        made.append(built)
        return built

    yield make
    for built in made:
        built.close()

"""Fixtures: started OpenAI, Anthropic and Gemini simulators, and LiteLLMModels aimed at them (closed afterwards).

``run`` makes one call in the mode a test is parametrized with (``sync`` or ``async``), so each
behaviour is asserted on both paths with the same code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest
from simulators import AnthropicSim, GeminiSim, OpenAIChatSim
from toki.retry import RetryPolicy
from toki.testing import CallMode, call_in_mode
from toki.timeouts import Timeouts
from toki_litellm import LiteLLMModel

#: ``make_model(model_id="...", **ctor_kwargs)``
MakeModel = Callable[..., Any]
#: ``run(model, messages, tools=None, *, stream=False, **kwargs)``
Run = Callable[..., Any]

#: Small limits so failure tests stay fast; generous enough for a loaded CI machine.
TEST_TIMEOUTS = Timeouts(connect=2.0, first_chunk=5.0, idle=5.0)


@pytest.fixture
def openai_sim() -> Iterator[OpenAIChatSim]:
    """An OpenAI Chat Completions simulator."""
    with OpenAIChatSim() as server:
        yield server


@pytest.fixture
def anthropic_sim() -> Iterator[AnthropicSim]:
    """An Anthropic Messages simulator."""
    with AnthropicSim() as server:
        yield server


@pytest.fixture
def gemini_sim() -> Iterator[GeminiSim]:
    """A Gemini API simulator."""
    with GeminiSim() as server:
        yield server


@pytest.fixture
def make_model() -> Iterator[MakeModel]:
    """Build LiteLLMModels (test key, small timeouts, instant retries); all closed at teardown."""
    made: list[LiteLLMModel] = []

    def make(model: str, base_url: str, **kwargs: Any) -> LiteLLMModel:
        kwargs.setdefault("api_key", "test-key")
        kwargs.setdefault("timeout", TEST_TIMEOUTS)
        built = LiteLLMModel(model, base_url=base_url, **kwargs)
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

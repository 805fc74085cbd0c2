"""Shared pytest fixtures for the integration tests: started provider simulators, and the
backend x mode matrix of the suites written once for every backend.

Each simulator fixture starts its server on a free 127.0.0.1 port and stops it after the test
(stopping wakes stalled connections and closes every socket). ``case`` x ``mode`` parametrize a
test over every landed backend (:data:`harness.BACKENDS`) and every call mode; ``sim`` is the
started simulator of the test's backend. A module may override any of them.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

if importlib.util.find_spec("simulators") is None:
    # pytest's `pythonpath` should list tests-integration; until it does, collection must not break.
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import BACKENDS, MODES, BackendCase, Mode
from simulators import AnthropicSim, GeminiSim, OllamaSim, OpenAIChatSim, OpenRouterSim, ProtocolSim


@pytest.fixture
def openai_sim() -> Iterator[OpenAIChatSim]:
    """An OpenAI Chat Completions simulator; point clients at `openai_sim.base_url + "/v1"`."""
    with OpenAIChatSim() as sim:
        yield sim


@pytest.fixture
def openrouter_sim() -> Iterator[OpenRouterSim]:
    """An OpenRouter simulator; point clients at `openrouter_sim.base_url + "/api/v1"`."""
    with OpenRouterSim() as sim:
        yield sim


@pytest.fixture
def anthropic_sim() -> Iterator[AnthropicSim]:
    """An Anthropic Messages simulator; point clients at the bare `anthropic_sim.base_url`."""
    with AnthropicSim() as sim:
        yield sim


@pytest.fixture
def gemini_sim() -> Iterator[GeminiSim]:
    """A Gemini API simulator; litellm wants `gemini_sim.base_url + "/v1beta"`, google-genai the bare base."""
    with GeminiSim() as sim:
        yield sim


@pytest.fixture
def ollama_sim() -> Iterator[OllamaSim]:
    """An Ollama daemon simulator; point the ollama client at `host=ollama_sim.base_url`."""
    with OllamaSim() as sim:
        yield sim


@pytest.fixture(params=BACKENDS, ids=[case.name for case in BACKENDS])
def case(request: pytest.FixtureRequest) -> BackendCase:
    """One landed backend (a test using it runs once per backend)."""
    return request.param


@pytest.fixture(params=MODES, ids=[mode.id for mode in MODES])
def mode(request: pytest.FixtureRequest) -> Mode:
    """One call mode: sync or async, blocking or streaming."""
    return request.param


@pytest.fixture
def sim(case: BackendCase) -> Iterator[ProtocolSim]:
    """The started simulator of ``case``'s provider."""
    with case.sim_class() as started:
        yield started

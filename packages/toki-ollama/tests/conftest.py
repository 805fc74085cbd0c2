"""Fixtures: a simulated Ollama daemon on a real socket, and models pointed at it."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from simulators import OllamaSim
from toki import Agent
from toki.retry import RetryPolicy
from toki_ollama import OllamaModel


@pytest.fixture
def sim() -> Iterator[OllamaSim]:
    """A started Ollama simulator (installed: llama3.2, qwen3:0.6b, gpt-oss:20b, gemma3:1b)."""
    with OllamaSim() as server:
        yield server


MakeModel = Callable[..., OllamaModel]


@pytest.fixture
def make_model(sim: OllamaSim) -> Iterator[MakeModel]:
    """Build OllamaModels against ``sim``; closed afterwards.

    No pull check unless asked (``pull=True``), and retries without waiting, so that attempt
    counts are fast to test (``max_retries`` as given, 2 by default).
    """
    made: list[OllamaModel] = []

    def make(name: str = "qwen3:0.6b", **kwargs: Any) -> OllamaModel:
        kwargs.setdefault("host", sim.base_url)
        kwargs.setdefault("pull", False)
        model = OllamaModel(name, **kwargs)
        model.retry_policy = RetryPolicy(
            max_retries=kwargs.get("max_retries", 2), initial_delay=0.0, max_delay=0.0, jitter=0.0
        )
        made.append(model)
        return model

    yield make
    for model in made:
        model.close()


@pytest.fixture
def dead_host() -> str:
    """The address of a port on which nothing listens."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def chat_bodies(sim: OllamaSim) -> Callable[[], list[dict[str, Any]]]:
    """Returns the bodies of the ``/api/chat`` requests the simulator has received so far."""

    def bodies() -> list[dict[str, Any]]:
        return [request.json_object() for request in sim.requests_for("chat")]

    return bodies


class Runner:
    """Makes calls the sync or the async way, so that one test covers both paths.

    The async way runs each call in its own ``asyncio.run`` (a fresh event loop each time, which
    also exercises the per-loop async clients).
    """

    def __init__(self, aio: bool) -> None:
        self.aio = aio

    def __repr__(self) -> str:
        return "async" if self.aio else "sync"

    def complete(self, model: OllamaModel, messages: Any, tools: Any = None, **kwargs: Any) -> Any:
        """``complete``/``acomplete``; a stream is drained into a list."""
        stream = kwargs.get("stream", False)
        if not self.aio:
            complete: Callable[..., Any] = model.complete
            result = complete(messages, tools, **kwargs)
            return list(result) if stream else result

        async def run() -> Any:
            acomplete: Callable[..., Any] = model.acomplete
            result = acomplete(messages, tools, **kwargs)
            return [chunk async for chunk in result] if stream else await result

        return asyncio.run(run())

    def execute(self, agent: Agent[Any], **kwargs: Any) -> Any:
        """``execute``/``aexecute``; a stream is drained into a list."""
        stream = kwargs.get("stream", False)
        if not self.aio:
            execute: Callable[..., Any] = agent.execute
            result = execute(**kwargs)
            return list(result) if stream else result

        async def run() -> Any:
            aexecute: Callable[..., Any] = agent.aexecute
            result = aexecute(**kwargs)
            return [chunk async for chunk in result] if stream else await result

        return asyncio.run(run())

    def count_tokens(self, model: OllamaModel, messages: Any, **kwargs: Any) -> Any:
        """``count_tokens``/``acount_tokens``."""
        if not self.aio:
            return model.count_tokens(messages, **kwargs)
        return asyncio.run(model.acount_tokens(messages, **kwargs))

    def create(self, name: str, **kwargs: Any) -> OllamaModel:
        """The constructor, or ``await OllamaModel.acreate(...)``."""
        if not self.aio:
            return OllamaModel(name, **kwargs)
        return asyncio.run(OllamaModel.acreate(name, **kwargs))


@pytest.fixture(params=[False, True], ids=["sync", "async"])
def run(request: pytest.FixtureRequest) -> Runner:
    """A :class:`Runner`, once sync and once async."""
    return Runner(bool(request.param))

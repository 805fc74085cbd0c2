"""The basic scenario against a real Ollama daemon at the default host, when one answers.

Skipped (with that reason) when no daemon answers at http://127.0.0.1:11434. The model is
``qwen3:0.6b`` (small, thinks, calls tools), pulled if missing; ``TOKI_OLLAMA_LIVE_MODEL`` picks another.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from toki import Agent, TokiThinking, TokiThoughtResponse, TokiToolsResponse
from toki_ollama import OllamaModel

pytestmark = pytest.mark.live

DEFAULT_HOST = "http://127.0.0.1:11434"
USER = [{"role": "user", "content": "Reply with the single word: hello"}]
GET_WEATHER: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather of a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def _daemon_answers() -> bool:
    try:
        return httpx.get(f"{DEFAULT_HOST}/api/version", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def model() -> Iterator[OllamaModel]:
    if not _daemon_answers():
        pytest.skip(f"no Ollama daemon at {DEFAULT_HOST}")
    live = OllamaModel(os.environ.get("TOKI_OLLAMA_LIVE_MODEL", "qwen3:0.6b"), host=DEFAULT_HOST, options={"seed": 1})
    yield live
    live.close()


def test_blocking_and_streaming(model: OllamaModel) -> None:
    text = model.complete(USER, max_tokens=200)
    assert isinstance(text, str)
    assert model.last_usage is not None and (model.last_usage.prompt_tokens or 0) > 0
    assert model.last_finish_reason in ("stop", "length")
    chunks = list(model.complete(USER, stream=True, max_tokens=200))
    assert all(isinstance(chunk, str) for chunk in chunks)


def test_thinking(model: OllamaModel) -> None:
    if model.capabilities is not None and "thinking" not in model.capabilities:
        result = model.complete(USER, max_tokens=300)
        assert isinstance(result, str)
        return
    result = model.complete(USER, capture_thinking=True, max_tokens=600)
    assert isinstance(result, TokiThoughtResponse)
    chunks = list(model.complete(USER, stream=True, capture_thinking=True, max_tokens=600))
    assert any(isinstance(chunk, TokiThinking) for chunk in chunks) or model.last_finish_reason == "length"


def test_tool_round_trip(model: OllamaModel) -> None:
    if model.capabilities is not None and "tools" not in model.capabilities:
        return
    agent = Agent(model, tools=[GET_WEATHER])
    agent.add_user_message("What is the weather in Paris? Use the get_weather tool.")
    result = agent.execute(max_tokens=600)
    if isinstance(result, TokiToolsResponse):
        for call in result.tool_calls:
            assert call.function.name == "get_weather"
            agent.add_tool_message(call.id, "sunny, 25C")
        assert isinstance(agent.execute(max_tokens=600), str)


def test_count_tokens(model: OllamaModel) -> None:
    count = model.count_tokens(USER)
    assert count > 0
    assert asyncio.run(model.acount_tokens(USER)) == count
    assert model.count_tokens(USER, tools=[GET_WEATHER]) > count


def test_async(model: OllamaModel) -> None:
    async def go() -> list[Any]:
        text = await model.acomplete(USER, max_tokens=200)
        assert isinstance(text, str)
        return [chunk async for chunk in model.acomplete(USER, stream=True, max_tokens=200)]

    assert all(isinstance(chunk, str) for chunk in asyncio.run(go()))

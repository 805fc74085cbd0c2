"""The generation worker: ``model.generate`` on its own thread, bridged to a sync or async consumer.

Every call (blocking or streaming, sync or async) runs the same :class:`GenerationJob`: a daemon
thread renders the prompt, runs ``generate`` with a streamer that decodes tokens incrementally,
and reports what happens as a sequence of items through an ``emit`` callback:

    Started(prompt_tokens, thinking_open), text pieces (str)..., then Finished(...) or Failed(error)

The thread *always* ends with ``Finished`` or ``Failed`` (the emit sits in a ``finally``), so a
consumer never waits forever, not even when ``generate`` raises: transformers' own
``TextIteratorStreamer`` hangs its reader in that case. Consumers stop a job with
:meth:`GenerationJob.cancel`, which a stopping criterion checks after every token; the thread
then finishes its current step and exits.

:func:`run_sync` bridges through a ``queue.SimpleQueue``; :func:`run_async` through an
``asyncio.Queue`` fed with ``loop.call_soon_threadsafe``, so the event loop never blocks and no
thread is spent waiting on its behalf.

torch's intra-op thread count is set inside the worker thread for the duration of ``generate``
(see :func:`default_num_threads` for the default).
"""

from __future__ import annotations

import asyncio
import copy
import os
import queue
import threading
from collections.abc import AsyncGenerator, Callable, Generator, Mapping, Sequence
from typing import Any

import torch
from toki.errors import TokiInputError
from toki.types import TokiMessage
from transformers import GenerationConfig, StoppingCriteria, StoppingCriteriaList
from transformers.generation.streamers import BaseStreamer

from toki_local.detokenizer import IncrementalDecoder
from toki_local.errors import PROVIDER
from toki_local.events import Failed, Finished, Item, Started
from toki_local.prompt import build_prompt

__all__ = [
    "GenerationJob",
    "default_num_threads",
    "generation_config",
    "run_async",
    "run_sync",
]

THREAD_NAME = "toki-local-generate"

_SAMPLING_FIELDS = ("temperature", "top_p", "top_k", "min_p", "typical_p")


def default_num_threads() -> int:
    """torch intra-op threads used when ``num_threads`` is not given: half the usable cores, at least 1.

    With every core busy, OpenMP threads spin-wait on each other: on a 2-core machine with a
    busy neighbour, 2 threads decode 10 to 20 times slower than 1. Half the cores leaves room
    for the rest of the process (and for the event loop) and stays fast when the machine is
    busy. An explicit ``OMP_NUM_THREADS`` is the user's choice and is respected.
    """
    if os.environ.get("OMP_NUM_THREADS"):
        return max(1, torch.get_num_threads())
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, cores // 2)


def generation_config(
    base: GenerationConfig,
    *,
    max_new_tokens: int,
    temperature: float | None,
    top_p: float | None,
    pad_token_id: int | None,
    extra: Mapping[str, Any],
) -> GenerationConfig:
    """A per-call copy of the model's generation config with toki's settings applied.

    ``temperature=0`` means greedy decoding; ``None`` keeps the model's own sampling defaults
    (from its ``generation_config.json``). ``extra`` may set any other ``GenerationConfig``
    field (``top_k``, ``repetition_penalty``, ``min_new_tokens``...).

    Raises:
        TokiInputError: ``extra`` names something that is not a generation setting.
    """
    config: Any = copy.deepcopy(base)  # GenerationConfig's fields are untyped
    unknown: dict[str, Any] = config.update(**dict(extra))
    if unknown:
        raise TokiInputError(
            f"unknown generation arguments {sorted(unknown)}; LocalModel accepts temperature, top_p, "
            "max_tokens (or max_new_tokens), chat_template_kwargs and transformers GenerationConfig fields",
            provider=PROVIDER,
        )
    config.max_new_tokens = max_new_tokens
    if temperature == 0:
        config.do_sample = False
        for field_name in _SAMPLING_FIELDS:  # greedy: leftover sampling knobs would only draw warnings
            setattr(config, field_name, None)
    elif temperature is not None:
        config.do_sample = True
        config.temperature = temperature
    if top_p is not None and config.do_sample:
        config.top_p = top_p
    if config.pad_token_id is None:
        config.pad_token_id = pad_token_id
    return config


def _eos_ids(config: Any) -> frozenset[int]:
    eos: Any = config.eos_token_id
    if eos is None:
        return frozenset()
    if isinstance(eos, int):
        return frozenset({eos})
    return frozenset(int(token) for token in eos)


class _CancelCriterion(StoppingCriteria):
    """Stops ``generate`` after the current token once the job is cancelled."""

    def __init__(self, cancelled: threading.Event) -> None:
        self._cancelled = cancelled

    def __call__(self, input_ids: torch.LongTensor, scores: Any, **kwargs: Any) -> torch.BoolTensor:
        del scores, kwargs
        return torch.full(  # type: ignore[return-value]
            (input_ids.shape[0],), self._cancelled.is_set(), dtype=torch.bool, device=input_ids.device
        )


class _PieceStreamer(BaseStreamer):
    """Receives token ids from ``generate`` and emits decoded text pieces."""

    def __init__(self, decoder: IncrementalDecoder, emit: Callable[[Item], None], cancelled: threading.Event) -> None:
        self._decoder = decoder
        self._emit = emit
        self._cancelled = cancelled
        self._prompt_pending = True  # generate first puts the prompt ids
        self.generated = 0
        self.last_token: int | None = None

    def put(self, value: torch.Tensor) -> None:
        if self._prompt_pending:
            self._prompt_pending = False
            return
        flat: Any = value.reshape(-1)  # tolist() is untyped
        ids: list[int] = flat.tolist()
        if not ids:
            return
        self.generated += len(ids)
        self.last_token = ids[-1]
        if self._cancelled.is_set():
            return
        text = self._decoder.push(ids)
        if text:
            self._emit(text)

    def end(self) -> None:
        text = self._decoder.flush()
        if text and not self._cancelled.is_set():
            self._emit(text)


class GenerationJob:
    """One generation on a worker thread, reporting through ``emit``.

    Args:
        model: the transformers causal LM.
        tokenizer: its tokenizer (with a chat template).
        messages: the validated conversation.
        tools: wire tool schemas, or ``None``.
        template_kwargs: extra chat-template variables.
        config: the per-call generation config (see :func:`generation_config`).
        num_threads: torch intra-op threads for this generation.
        emit: receives the job's items, on the worker thread.
    """

    def __init__(
        self,
        *,
        model: Any,
        tokenizer: Any,
        messages: Sequence[TokiMessage],
        tools: Sequence[Mapping[str, Any]] | None,
        template_kwargs: Mapping[str, Any],
        config: GenerationConfig,
        num_threads: int,
        emit: Callable[[Item], None],
    ) -> None:
        self._model = model
        self._tokenizer = tokenizer
        self._messages = messages
        self._tools = tools
        self._template_kwargs = template_kwargs
        self._config = config
        self._num_threads = num_threads
        self._emit = emit
        self._cancelled = threading.Event()
        self.thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)

    def start(self) -> None:
        """Start the worker thread."""
        self.thread.start()

    def cancel(self) -> None:
        """Ask the worker to stop after the current token; it exits without emitting anything more."""
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self._cancelled.is_set()

    def _run(self) -> None:
        final: Item | None = None
        try:
            prompt = build_prompt(self._tokenizer, self._messages, self._tools, self._template_kwargs)
            self._emit(Started(len(prompt.input_ids), prompt.thinking_open))
            if not self._cancelled.is_set():
                final = self._generate(prompt.input_ids)
        except BaseException as exc:  # everything, so the consumer is never left waiting
            final = Failed(exc)
        finally:
            if final is not None and not self._cancelled.is_set():
                self._emit(final)

    def _generate(self, input_ids: list[int]) -> Finished:
        model = self._model
        streamer = _PieceStreamer(IncrementalDecoder(self._tokenizer), self._emit, self._cancelled)
        inputs = torch.tensor([input_ids], dtype=torch.long, device=model.device)
        previous = torch.get_num_threads()
        if previous != self._num_threads:
            torch.set_num_threads(self._num_threads)
        try:
            model.generate(
                input_ids=inputs,
                attention_mask=torch.ones_like(inputs),
                generation_config=self._config,
                streamer=streamer,
                stopping_criteria=StoppingCriteriaList([_CancelCriterion(self._cancelled)]),
            )
        finally:
            if previous != self._num_threads:
                torch.set_num_threads(previous)
        config: Any = self._config
        limit: int | None = config.max_new_tokens
        if streamer.last_token in _eos_ids(config) or limit is None or streamer.generated < limit:
            return Finished(streamer.generated, "stop")
        return Finished(streamer.generated, "length")


def run_sync(make_job: Callable[[Callable[[Item], None]], GenerationJob]) -> Generator[Item, None, None]:
    """Start a job and yield its items as they arrive; closing the iterator cancels the job."""
    items: queue.SimpleQueue[Item] = queue.SimpleQueue()
    job = make_job(items.put)
    job.start()
    try:
        while True:
            item = items.get()
            yield item
            if isinstance(item, (Finished, Failed)):
                return
    finally:
        job.cancel()


async def run_async(make_job: Callable[[Callable[[Item], None]], GenerationJob]) -> AsyncGenerator[Item, None]:
    """Async :func:`run_sync`: items cross from the worker thread through an ``asyncio.Queue``."""
    loop = asyncio.get_running_loop()
    items: asyncio.Queue[Item] = asyncio.Queue()
    job: GenerationJob | None = None

    def emit(item: Item) -> None:
        try:
            loop.call_soon_threadsafe(items.put_nowait, item)
        except RuntimeError:  # the loop is closed: nobody will read any more
            if job is not None:
                job.cancel()

    job = make_job(emit)
    job.start()
    try:
        while True:
            item = await items.get()
            yield item
            if isinstance(item, (Finished, Failed)):
                return
    finally:
        job.cancel()

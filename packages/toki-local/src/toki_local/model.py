"""``LocalModel``: HuggingFace chat models run in-process with transformers and torch.

The class is a thin shell: :mod:`toki_local.loading` finds and loads the model,
:mod:`toki_local.worker` runs ``generate`` on a worker thread, and :mod:`toki_local.events` turns
what it produces into toki's raw events. Every call, blocking or streaming, sync or async, runs
the same pipeline; blocking calls fold the events into one turn.

torch and transformers are imported on first use (constructing a model), so importing this
module, or listing model names, stays cheap.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from toki.errors import TokiConfigurationError, TokiError, TokiInputError
from toki.messages import normalize_messages
from toki.model import BaseModel, Messages, MixedTools, RawChunk, WireTools, _RawTurn
from toki.retry import RetryPolicy
from toki.tool_schemas import ToolSet
from toki.types import TokiMessage

from toki_local.errors import PROVIDER
from toki_local.events import EventTranslator, Item, fold_turn
from toki_local.models import LocalModelName, attributes_map
from toki_local.prompt import build_prompt

if TYPE_CHECKING:
    import torch

    from toki_local.worker import GenerationJob

__all__ = ["LocalModel"]

_TOKEN_LIMIT_KEYS = ("max_tokens", "max_new_tokens")


class LocalModel(BaseModel):
    """A HuggingFace chat model run locally with transformers and torch.

    Args:
        model: a Hub id (``"Qwen/Qwen3-0.6B"``), a model folder, a ``.gguf`` file, or
            ``"smollm2-135m-instruct"``, the embedded offline model (converted once into
            toki's cache directory on first use). A Hub id is taken from the local Hugging
            Face cache when present and downloaded otherwise (unless ``HF_HUB_OFFLINE`` is set).
        allow_parallel_tool_calls: whether several ``<tool_call>`` envelopes in one reply are expected.
        device: ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``...; default: CUDA, else MPS, else CPU.
        dtype: ``"auto"`` (the checkpoint's dtype), a torch dtype or its name; default ``"auto"``
            (float32 for the embedded model and GGUF files on CPU, where it decodes fastest).
        temperature: sampling temperature; ``0`` is greedy decoding, ``None`` keeps the model's
            own defaults from its ``generation_config.json``.
        top_p: nucleus-sampling mass (only applies when sampling); ``None`` keeps the model's default.
        max_new_tokens: the most tokens one reply may have (a call's ``max_tokens`` overrides it).
        chat_template_kwargs: extra chat-template variables for every call, e.g.
            ``{"enable_thinking": False}`` for Qwen3; a call's ``chat_template_kwargs`` are merged over them.
        num_threads: torch intra-op threads used while generating; default: half the usable
            cores, at least 1 (see the README: more threads collapse on a busy machine).

    Attributes:
        temperature, top_p, max_new_tokens, chat_template_kwargs, num_threads: the defaults above,
            which may be changed between calls.
        tokenizer: the transformers tokenizer.
        hf_model: the transformers model.

    Raises:
        TokiNotFoundError: no such model file, folder or cached Hub model (with downloads off).
        TokiConnectionError: the model is not cached and the Hub cannot be reached.
        TokiConfigurationError: the model has no chat template, or an argument is invalid.

    Per-call keyword arguments of ``complete``/``acomplete``: ``temperature``, ``top_p``,
    ``max_tokens`` (or ``max_new_tokens``), ``chat_template_kwargs``, and any transformers
    ``GenerationConfig`` field (``top_k``, ``repetition_penalty``, ``min_new_tokens``...).
    """

    provider: ClassVar[str | None] = PROVIDER

    def __init__(
        self,
        model: LocalModelName | str,
        allow_parallel_tool_calls: bool = False,
        *,
        device: str | torch.device | None = None,
        dtype: str | torch.dtype | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        max_new_tokens: int = 512,
        chat_template_kwargs: Mapping[str, Any] | None = None,
        num_threads: int | None = None,
    ) -> None:
        super().__init__(model, allow_parallel_tool_calls=allow_parallel_tool_calls)
        # Nothing here is transient (no network): a failure would fail again the same way.
        self.retry_policy = RetryPolicy(max_retries=0)
        _check_sampling(temperature, top_p, max_new_tokens, TokiConfigurationError)
        if num_threads is not None and num_threads < 1:
            raise TokiConfigurationError(f"num_threads must be at least 1, got {num_threads}", provider=PROVIDER)
        from toki_local.loading import load_model
        from toki_local.worker import default_num_threads

        self.temperature = temperature
        self.top_p = top_p
        self.max_new_tokens = max_new_tokens
        self.chat_template_kwargs: dict[str, Any] = dict(chat_template_kwargs or {})
        self.num_threads = num_threads if num_threads is not None else default_num_threads()
        loaded = load_model(model, device=device, dtype=dtype)
        self._tokenizer: Any = loaded.tokenizer
        self._hf_model: Any = loaded.model

    @property
    def tokenizer(self) -> Any:
        """The transformers tokenizer (with its chat template)."""
        return self._tokenizer

    @property
    def hf_model(self) -> Any:
        """The transformers causal language model."""
        return self._hf_model

    # ------------------------------------------------------------------ capabilities

    def _supports_thinking(self) -> bool | None:
        """Always unknown: chat templates carry no reliable thinking signal (so the warning always fires)."""
        return None

    def _supports_tools(self) -> bool | None:
        """From the snapshot when the id is known; ``False`` when the chat template ignores ``tools``."""
        known = attributes_map.get(self.model)
        if known is not None:
            return known.supports_tools
        if "tools" not in str(self._tokenizer.chat_template):
            return False
        return None

    # ------------------------------------------------------------------ backend contract

    def _job_factory(
        self, messages: list[TokiMessage], tools: WireTools | None, kwargs: dict[str, Any]
    ) -> Callable[[Callable[[Item], None]], GenerationJob]:
        """Validate the call's arguments now (in the caller) and return a job builder for a bridge."""
        from toki_local.worker import GenerationJob, generation_config

        options = dict(kwargs)
        # A per-call None means "not given" (callers forward optional flags as they are).
        template_kwargs = {**self.chat_template_kwargs, **dict(options.pop("chat_template_kwargs", None) or {})}
        temperature = _given(options.pop("temperature", None), self.temperature)
        top_p = _given(options.pop("top_p", None), self.top_p)
        limits = [limit for key in _TOKEN_LIMIT_KEYS if (limit := options.pop(key, None)) is not None]
        max_new_tokens = limits[-1] if limits else self.max_new_tokens
        _check_sampling(temperature, top_p, max_new_tokens, TokiInputError)
        config = generation_config(
            self._hf_model.generation_config,
            max_new_tokens=max_new_tokens,
            temperature=temperature,
            top_p=top_p,
            pad_token_id=self._pad_token_id(),
            extra=options,
        )

        def make(emit: Callable[[Item], None]) -> GenerationJob:
            return GenerationJob(
                model=self._hf_model,
                tokenizer=self._tokenizer,
                messages=messages,
                tools=tools,
                template_kwargs=template_kwargs,
                config=config,
                num_threads=self.num_threads,
                emit=emit,
            )

        return make

    def _pad_token_id(self) -> int | None:
        pad = self._tokenizer.pad_token_id
        if pad is not None:
            return int(pad)
        eos = self._hf_model.generation_config.eos_token_id
        if isinstance(eos, list):
            return int(eos[0]) if eos else None  # pyright: ignore[reportUnknownArgumentType]
        return eos if isinstance(eos, int) else None

    def _raw_streaming(
        self, messages: list[TokiMessage], tools: WireTools | None, *, capture_thinking: bool, **kwargs: Any
    ) -> Iterator[RawChunk]:
        del capture_thinking  # thinking is always separated; the engine drops it unless captured
        return self._stream(self._job_factory(messages, tools, kwargs))

    def _stream(self, make_job: Callable[[Callable[[Item], None]], GenerationJob]) -> Iterator[RawChunk]:
        from toki_local.worker import run_sync

        translator = EventTranslator()
        items = run_sync(make_job)
        try:
            for item in items:
                yield from translator.translate(item)
        finally:
            items.close()

    def _raw_blocking(
        self, messages: list[TokiMessage], tools: WireTools | None, *, capture_thinking: bool, **kwargs: Any
    ) -> _RawTurn:
        stream = self._raw_streaming(messages, tools, capture_thinking=capture_thinking, **kwargs)
        with contextlib.closing(stream):  # pyright: ignore[reportArgumentType]  # a generator
            return fold_turn(stream)

    async def _araw_streaming(
        self, messages: list[TokiMessage], tools: WireTools | None, *, capture_thinking: bool, **kwargs: Any
    ) -> AsyncIterator[RawChunk]:
        from toki_local.worker import run_async

        del capture_thinking
        make_job = self._job_factory(messages, tools, kwargs)
        translator = EventTranslator()
        items = run_async(make_job)
        try:
            async for item in items:
                for event in translator.translate(item):
                    yield event
        finally:
            await items.aclose()

    async def _araw_blocking(
        self, messages: list[TokiMessage], tools: WireTools | None, *, capture_thinking: bool, **kwargs: Any
    ) -> _RawTurn:
        stream = self._araw_streaming(messages, tools, capture_thinking=capture_thinking, **kwargs)
        async with contextlib.aclosing(stream):  # pyright: ignore[reportArgumentType]  # an async generator
            return fold_turn([event async for event in stream])

    # ------------------------------------------------------------------ token counting

    def count_tokens(
        self, messages: Messages, *, tools: MixedTools | None = None, kind: Literal["exact"] = "exact"
    ) -> int:
        """The exact prompt size: the chat template rendered and tokenized exactly as for generation."""
        if kind != "exact":
            raise ValueError(f"kind={kind!r} is not supported by LocalModel; use 'exact'")
        toolset = ToolSet.from_tools(tools)
        wire = [dict(schema) for schema in toolset.schemas] if toolset is not None else None
        prompt = build_prompt(self._tokenizer, normalize_messages(messages), wire, self.chat_template_kwargs)
        return len(prompt.input_ids)

    async def acount_tokens(
        self, messages: Messages, *, tools: MixedTools | None = None, kind: Literal["exact"] = "exact"
    ) -> int:
        """Async :meth:`count_tokens` (the tokenization runs in a worker thread, off the event loop)."""
        return await asyncio.to_thread(self.count_tokens, messages, tools=tools, kind=kind)


def _given(value: Any, default: Any) -> Any:
    return default if value is None else value


def _check_sampling(temperature: object, top_p: object, max_new_tokens: object, error: type[TokiError]) -> None:
    problems: list[str] = []
    if temperature is not None and (not isinstance(temperature, (int, float)) or temperature < 0):
        problems.append(f"temperature must be a number >= 0 or None, got {temperature!r}")
    if top_p is not None and (not isinstance(top_p, (int, float)) or not 0 < top_p <= 1):
        problems.append(f"top_p must be in (0, 1] or None, got {top_p!r}")
    if not isinstance(max_new_tokens, int) or isinstance(max_new_tokens, bool) or max_new_tokens < 1:
        problems.append(f"max_new_tokens must be a positive integer, got {max_new_tokens!r}")
    if problems:
        raise error("; ".join(problems), provider=PROVIDER)

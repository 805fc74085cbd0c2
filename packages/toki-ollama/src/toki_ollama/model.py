"""``OllamaModel``: toki's backend for a local (or remote) Ollama daemon, over the official client.

The sync and async paths are thin shells over the same pieces: :mod:`toki_ollama.wire` builds the
request and decodes the answer, :mod:`toki_ollama.errors` translates failures, and
:mod:`toki_ollama.client` applies toki's timeouts to the ollama clients.
"""

from __future__ import annotations

import asyncio
import threading
import time
import warnings
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator, Mapping
from typing import Any, ClassVar, Literal, TypeVar, cast, get_args

import ollama
from toki.errors import TokiAPIError, TokiConfigurationError, TokiResponseError, TokiStreamTruncatedError
from toki.event_loops import bind_to_loop
from toki.messages import normalize_messages
from toki.model import BaseModel, Messages, MixedTools, RawChunk, _RawTurn  # pyright: ignore[reportPrivateUsage]
from toki.retry import RetryPolicy, acall_with_retries, call_with_retries
from toki.timeouts import Timeouts, call_deadline, start_call_deadline
from toki.tool_schemas import ToolSet
from toki.types import ReasoningEffort, TokiMessage
from toki.warnings import TokiBackendQuirkWarning

from toki_ollama.client import AttemptClock, make_async_client, make_sync_client, resolve_host
from toki_ollama.errors import PROVIDER, daemon_errors, total_timeout
from toki_ollama.models import Attr, OllamaModelName, attributes_map
from toki_ollama.pull import PullProgress, capabilities_of, is_installed, show_progress_by_default
from toki_ollama.wire import ChatCall, ChatDecoder, chat_arguments, takes_think_levels, think_value, turn_from_events

__all__ = ["OllamaModel"]

_M = TypeVar("_M", bound="OllamaModel")
_T = TypeVar("_T")

_EFFORTS: frozenset[str] = frozenset(get_args(ReasoningEffort))


class OllamaModel(BaseModel):
    """A model served by an Ollama daemon (``ollama serve``), through the official ``ollama`` client.

    By default the constructor makes sure the daemon has the model: it checks ``/api/tags`` (a
    bare name means ``:latest``), pulls the model if it is missing (with a progress bar when
    stderr is a terminal, silently otherwise) and reads the model's capabilities from
    ``/api/show``. That is a blocking network call (a pull can take minutes), so in async code
    use ``model = await OllamaModel.acreate(...)`` instead, which does the same without blocking
    the event loop; or pass ``pull=False`` to skip it entirely (the constructor then touches no
    network, and a missing model surfaces as :class:`~toki.errors.TokiNotFoundError` on the first
    call). :meth:`ensure_available` / :meth:`aensure_available` run the check on demand.

    Thinking: ``capture_thinking=True`` sends ``think=True`` (the daemon's native switch);
    otherwise ``think=False`` is sent so that thinking models do not think for nothing.
    ``reasoning_effort`` turns thinking on even when it is not captured, and picks the daemon's
    ``"low"``/``"medium"``/``"high"`` level on models that take one (gpt-oss); ``minimal`` counts
    as low and ``xhigh`` as high. On models known not to think, ``think`` stays ``False``.

    Call keyword arguments: ``max_tokens`` (sent as the ``num_predict`` option), any Ollama option
    by name (``temperature``, ``top_p``, ``top_k``, ``seed``, ``stop``, ``num_ctx``...),
    ``options={...}`` for the rest, and ``keep_alive``, ``format`` and ``think`` as request fields.

    Args:
        model: the model tag, e.g. ``"qwen3:1.7b"`` (see :data:`~toki_ollama.OllamaModelName`).
        host: the daemon's address; default ``OLLAMA_HOST``, else ``http://127.0.0.1:11434``.
        timeout: toki's per-phase limits (a number sets all of them); finite by default, unlike the
            ollama client's own default of no timeout at all.
        max_retries: retries of transient failures (connection errors, timeouts, 5xx); the ollama
            client retries nothing itself, so attempts on the wire equal toki's attempts.
        allow_parallel_tool_calls: whether several tool calls in one turn are expected.
        reasoning_effort: how hard thinking models think (see above); ``None`` leaves it to
            ``capture_thinking``.
        options: Ollama options sent with every call (``num_ctx``, ``temperature``...).
        keep_alive: how long the daemon keeps the model loaded after a call (``"10m"``, seconds, -1).
        pull: check for the model (and pull it) in the constructor.
        progress: draw pull progress; default: when stderr is a terminal.

    Attributes:
        host: the daemon's base URL that was tried.
        capabilities: what the daemon reported for this model (``tools``, ``thinking``...), once
            checked; ``None`` before that or from daemons too old to say. It takes precedence over
            :data:`~toki_ollama.attributes_map` for the thinking and tool checks.
    """

    provider: ClassVar[str | None] = PROVIDER

    def __init__(
        self,
        model: OllamaModelName | str,
        *,
        host: str | None = None,
        timeout: float | Timeouts | None = None,
        max_retries: int = 2,
        allow_parallel_tool_calls: bool = False,
        reasoning_effort: ReasoningEffort | None = None,
        options: Mapping[str, Any] | None = None,
        keep_alive: float | str | None = None,
        pull: bool = True,
        progress: bool | None = None,
    ) -> None:
        if not isinstance(model, str) or not model.strip():  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TokiConfigurationError(f"model must be a non-empty model name, got {model!r}", provider=PROVIDER)
        if reasoning_effort is not None and reasoning_effort not in _EFFORTS:
            raise TokiConfigurationError(
                f"reasoning_effort must be one of {sorted(_EFFORTS)} or None, got {reasoning_effort!r}",
                provider=PROVIDER,
            )
        if options is not None and not isinstance(options, Mapping):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TokiConfigurationError("options must be a mapping of Ollama options", provider=PROVIDER)
        super().__init__(model, allow_parallel_tool_calls=allow_parallel_tool_calls)
        try:
            self.timeouts = Timeouts.coerce(timeout)
            self.retry_policy = RetryPolicy(max_retries=max_retries)
        except ValueError as exc:
            raise TokiConfigurationError(str(exc), provider=PROVIDER) from exc
        self.host = resolve_host(host)
        self.reasoning_effort: ReasoningEffort | None = reasoning_effort
        self.options: dict[str, Any] | None = dict(options) if options else None
        self.keep_alive = keep_alive
        self.progress = progress
        self.capabilities: frozenset[str] | None = None
        self._lock = threading.Lock()
        self._sync_client: ollama.Client | None = None
        self._sync_finalizer: weakref.finalize[Any, Any] | None = None
        self._async_clients: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[ollama.AsyncClient, AsyncGenerator[None, None]]
        ] = weakref.WeakKeyDictionary()
        self._streaming_tools_warned = False
        if pull:
            try:
                self.ensure_available()
            except BaseException:
                self.close()
                raise

    @classmethod
    async def acreate(
        cls: type[_M],
        model: OllamaModelName | str,
        *,
        host: str | None = None,
        timeout: float | Timeouts | None = None,
        max_retries: int = 2,
        allow_parallel_tool_calls: bool = False,
        reasoning_effort: ReasoningEffort | None = None,
        options: Mapping[str, Any] | None = None,
        keep_alive: float | str | None = None,
        pull: bool = True,
        progress: bool | None = None,
    ) -> _M:
        """Build a model without blocking the event loop: the async twin of the constructor.

        Same arguments; with ``pull=True`` the availability check and pull run on the async client.
        """
        instance = cls(
            model,
            host=host,
            timeout=timeout,
            max_retries=max_retries,
            allow_parallel_tool_calls=allow_parallel_tool_calls,
            reasoning_effort=reasoning_effort,
            options=options,
            keep_alive=keep_alive,
            pull=False,
            progress=progress,
        )
        if pull:
            try:
                await instance.aensure_available()
            except BaseException:
                await instance.aclose()
                raise
        return instance

    def __repr__(self) -> str:
        return f"OllamaModel({self.model!r}, host={self.host!r})"

    # ------------------------------------------------------------------ clients and lifetime

    def _client(self) -> ollama.Client:
        with self._lock:
            if self._sync_client is None:
                client = make_sync_client(self.host, self.timeouts)
                self._sync_client = client
                # Release the pool if the model is dropped without close().
                self._sync_finalizer = weakref.finalize(self, client.close)
            return self._sync_client

    async def _aclient(self) -> ollama.AsyncClient:
        # An httpx AsyncClient belongs to the event loop it runs on, so each loop gets its own
        # (a second asyncio.run must not reuse connections of a closed loop).
        loop = asyncio.get_running_loop()
        entry = self._async_clients.get(loop)
        if entry is None:
            # Building the client loads TLS certificates (tens of ms): not on the event loop.
            client = await asyncio.to_thread(make_async_client, self.host, self.timeouts)
            entry = self._async_clients.get(loop)
            if entry is not None:  # another task of this loop got there first
                await client.close()
                return entry[0]
            entry = self._async_clients[loop] = (client, await bind_to_loop(client.close))
        return entry[0]

    def close(self) -> None:
        """Release the sync connection pool (in async code, use :meth:`aclose`, which releases both)."""
        with self._lock:
            client, self._sync_client = self._sync_client, None
            finalizer, self._sync_finalizer = self._sync_finalizer, None
        if finalizer is not None:
            finalizer.detach()
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Release the connection pools of this model: the running loop's async pool and the sync pool.

        Pools of other event loops are released when those loops shut their async generators down
        (``asyncio.run`` does), or when the model is garbage-collected while they run.
        """
        entry = self._async_clients.pop(asyncio.get_running_loop(), None)
        if entry is not None:
            await entry[1].aclose()
        self.close()

    def __enter__(self: _M) -> _M:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self: _M) -> _M:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ availability and pulling

    def _progress(self) -> PullProgress:
        enabled = self.progress if self.progress is not None else show_progress_by_default()
        return PullProgress(self.model, enabled=enabled)

    def _request(self, send: Callable[[], _T]) -> _T:
        """One non-chat request (tags, show), with retries and no total deadline."""

        def attempt() -> _T:
            clock = AttemptClock(self.timeouts)
            with daemon_errors(self.host, clock), clock.active():
                return send()

        return call_with_retries(self.retry_policy, attempt)

    async def _arequest(self, send: Callable[[], Any]) -> Any:
        async def attempt() -> Any:
            clock = AttemptClock(self.timeouts)
            with daemon_errors(self.host, clock), clock.active():
                return await send()

        return await acall_with_retries(self.retry_policy, attempt)

    def ensure_available(self) -> None:
        """Make sure the daemon has this model: pull it if ``/api/tags`` does not list it, then read its capabilities.

        Raises:
            TokiConnectionError: no daemon answers at :attr:`host` (the message says how to start one).
            TokiNotFoundError: the model does not exist in the registry.
        """
        client = self._client()
        tags = self._request(client.list)
        if not is_installed(self.model, tags):
            progress = self._progress()
            try:
                call_with_retries(self.retry_policy, lambda: self._pull_once(client, progress))
            except TokiAPIError as exc:
                exc.message = f"cannot pull {self.model!r}: {exc.message}"
                raise
            finally:
                progress.close()
            self._check_pulled(progress)
        try:
            show = self._request(lambda: client.show(self.model))
        except TokiAPIError:
            return  # the model is there; its capabilities just stay unknown
        self.capabilities = capabilities_of(show)

    def _pull_once(self, client: ollama.Client, progress: PullProgress) -> None:
        clock = AttemptClock(self.timeouts)
        lines: Iterator[ollama.ProgressResponse] | None = None
        try:
            with daemon_errors(self.host, clock):
                with clock.active():
                    lines = client.pull(self.model, stream=True)
                    line = next(lines, None)
                while line is not None:
                    progress.update(line)
                    line = next(lines, None)
        finally:
            _close(lines)

    async def aensure_available(self) -> None:
        """Async :meth:`ensure_available`, on the async client (never blocks the event loop)."""
        client = await self._aclient()
        tags = cast(ollama.ListResponse, await self._arequest(client.list))
        if not is_installed(self.model, tags):
            progress = self._progress()
            try:
                await acall_with_retries(self.retry_policy, lambda: self._apull_once(client, progress))
            except TokiAPIError as exc:
                exc.message = f"cannot pull {self.model!r}: {exc.message}"
                raise
            finally:
                progress.close()
            self._check_pulled(progress)
        try:
            show = cast(ollama.ShowResponse, await self._arequest(lambda: client.show(self.model)))
        except TokiAPIError:
            return
        self.capabilities = capabilities_of(show)

    async def _apull_once(self, client: ollama.AsyncClient, progress: PullProgress) -> None:
        clock = AttemptClock(self.timeouts)
        lines: AsyncIterator[ollama.ProgressResponse] | None = None
        try:
            with daemon_errors(self.host, clock):
                with clock.active():
                    lines = await client.pull(self.model, stream=True)
                    line = await anext(lines, None)
                while line is not None:
                    progress.update(line)
                    line = await anext(lines, None)
        finally:
            await _aclose(lines)

    def _check_pulled(self, progress: PullProgress) -> None:
        if not progress.succeeded:
            raise TokiStreamTruncatedError(
                f"the pull of {self.model!r} from the Ollama daemon at {self.host} ended without reporting "
                f"success (last status: {progress.statuses[-1] if progress.statuses else None!r})",
                provider=PROVIDER,
            )

    # ------------------------------------------------------------------ capabilities and warnings

    def _attributes(self) -> Attr | None:
        attr = attributes_map.get(self.model)
        if attr is None and self.model.endswith(":latest"):
            attr = attributes_map.get(self.model.removesuffix(":latest"))
        return attr

    def _supports_thinking(self) -> bool | None:
        if self.capabilities is not None:
            return "thinking" in self.capabilities
        attr = self._attributes()
        return attr.supports_thinking if attr is not None else None

    def _supports_tools(self) -> bool | None:
        if self.capabilities is not None:
            return "tools" in self.capabilities
        attr = self._attributes()
        return attr.supports_tools if attr is not None else None

    def _before_call(self, tools: ToolSet | None, *, stream: bool, capture_thinking: bool) -> None:
        super()._before_call(tools, stream=stream, capture_thinking=capture_thinking)
        if stream and tools is not None and tools.streaming_names and not self._streaming_tools_warned:
            self._streaming_tools_warned = True
            names = ", ".join(sorted(tools.streaming_names))
            warnings.warn(
                f"{self!r} receives every tool call whole, not as argument deltas: the StreamingToolSchema "
                f"tools ({names}) still stream, but each argument arrives in a single chunk",
                TokiBackendQuirkWarning,
                stacklevel=5,
            )

    # ------------------------------------------------------------------ chat

    def _attempt_clock(self) -> AttemptClock:
        deadline = call_deadline()
        if deadline is None and self.timeouts.total is not None:
            # A stream consumed outside the context its call started in: this attempt's own deadline.
            deadline = time.monotonic() + self.timeouts.total
        clock = AttemptClock(self.timeouts, deadline)
        if clock.expired():
            raise total_timeout(self.host, clock)
        return clock

    def _chat_call(
        self,
        messages: list[TokiMessage],
        tools: list[dict[str, Any]] | None,
        capture_thinking: bool,
        kwargs: dict[str, Any],
    ) -> ChatCall:
        think = think_value(
            capture_thinking=capture_thinking,
            reasoning_effort=self.reasoning_effort,
            supports_thinking=self._supports_thinking(),
            takes_levels=takes_think_levels(self.model),
        )
        return chat_arguments(
            self.model,
            messages,
            tools,
            think=think,
            options=self.options,
            keep_alive=self.keep_alive,
            call_kwargs=kwargs,
        )

    def _decoder(self) -> ChatDecoder:
        return ChatDecoder(f"the Ollama daemon at {self.host}")

    def _stream(self, call: ChatCall) -> Iterator[RawChunk]:
        """One streamed ``/api/chat`` attempt, as raw events."""
        clock = self._attempt_clock()
        client = self._client()
        decoder = self._decoder()
        parts: Iterator[ollama.ChatResponse] | None = None
        try:
            with daemon_errors(self.host, clock), clock.active():
                parts = client.chat(  # pyright: ignore[reportUnknownMemberType]  # tools may be callables
                    model=call.model,
                    messages=call.messages,
                    tools=call.tools,
                    think=call.think,
                    format=call.format,
                    options=call.options,
                    keep_alive=call.keep_alive,
                    stream=True,
                )
                part = next(parts, None)
            while part is not None:
                yield from decoder.feed(part)
                if clock.expired():
                    raise total_timeout(self.host, clock)
                with daemon_errors(self.host, clock):
                    part = next(parts, None)
            decoder.finish()
        finally:
            _close(parts)

    async def _astream(self, call: ChatCall) -> AsyncIterator[RawChunk]:
        """Async :meth:`_stream`."""
        clock = self._attempt_clock()
        client = await self._aclient()
        decoder = self._decoder()
        parts: AsyncIterator[ollama.ChatResponse] | None = None
        try:
            with daemon_errors(self.host, clock), clock.active():
                parts = await client.chat(  # pyright: ignore[reportUnknownMemberType]  # tools may be callables
                    model=call.model,
                    messages=call.messages,
                    tools=call.tools,
                    think=call.think,
                    format=call.format,
                    options=call.options,
                    keep_alive=call.keep_alive,
                    stream=True,
                )
                part = await anext(parts, None)
            while part is not None:
                for event in decoder.feed(part):
                    yield event
                if clock.expired():
                    raise total_timeout(self.host, clock)
                with daemon_errors(self.host, clock):
                    part = await anext(parts, None)
            decoder.finish()
        finally:
            await _aclose(parts)

    def _raw_streaming(
        self, messages: list[TokiMessage], tools: list[dict[str, Any]] | None, *, capture_thinking: bool, **kwargs: Any
    ) -> Iterator[RawChunk]:
        return self._stream(self._chat_call(messages, tools, capture_thinking, kwargs))

    def _raw_blocking(
        self, messages: list[TokiMessage], tools: list[dict[str, Any]] | None, *, capture_thinking: bool, **kwargs: Any
    ) -> _RawTurn:
        # Blocking calls stream too: the first-chunk and idle limits then bound a long generation
        # by its pauses rather than by its length, and a cut answer is detected the same way.
        return turn_from_events(self._stream(self._chat_call(messages, tools, capture_thinking, kwargs)))

    def _araw_streaming(
        self, messages: list[TokiMessage], tools: list[dict[str, Any]] | None, *, capture_thinking: bool, **kwargs: Any
    ) -> AsyncIterator[RawChunk]:
        # The generator itself, not a wrapper around it: closing it must close the response at once.
        return self._astream(self._chat_call(messages, tools, capture_thinking, kwargs))

    async def _araw_blocking(
        self, messages: list[TokiMessage], tools: list[dict[str, Any]] | None, *, capture_thinking: bool, **kwargs: Any
    ) -> _RawTurn:
        call = self._chat_call(messages, tools, capture_thinking, kwargs)
        return turn_from_events([event async for event in self._astream(call)])

    # ------------------------------------------------------------------ token counting

    def _count_call(self, messages: Messages, tools: MixedTools | None, kind: str) -> ChatCall:
        if kind != "exact":
            raise ValueError(f"kind={kind!r} is not supported by OllamaModel; use 'exact'")
        toolset = ToolSet.from_tools(tools)
        wire = [dict(schema) for schema in toolset.schemas] if toolset is not None else None
        # num_predict=1, not 0: the daemon's runners treat 0 as "no limit" (they stop on
        # `numPredict > 0 && numPredicted >= numPredict`), so 0 would generate a whole answer.
        return self._chat_call(normalize_messages(messages), wire, False, {"max_tokens": 1})

    def _prompt_tokens(self, turn: _RawTurn) -> int:
        if turn.usage is None or turn.usage.prompt_tokens is None:
            raise TokiResponseError(
                f"the Ollama daemon at {self.host} did not report prompt_eval_count for {self.model!r}",
                provider=PROVIDER,
            )
        return turn.usage.prompt_tokens

    def count_tokens(
        self, messages: Messages, *, tools: MixedTools | None = None, kind: Literal["exact"] = "exact"
    ) -> int:
        """Count the prompt tokens of ``messages`` (and ``tools``) exactly, as the daemon evaluates them.

        The daemon renders the prompt with the model's template (tools, system prompt and the
        ``think`` setting of a default call included) and reports ``prompt_eval_count``; one token
        is generated to get there. A prompt longer than the context (``num_ctx``) is truncated by
        the daemon, and the count is then that of the truncated prompt.

        Raises:
            ValueError: for any ``kind`` other than ``'exact'``.
        """
        call = self._count_call(messages, tools, kind)
        deadline = start_call_deadline(self.timeouts)
        turn = call_with_retries(self.retry_policy, lambda: turn_from_events(self._stream(call)), deadline=deadline)
        return self._prompt_tokens(turn)

    async def acount_tokens(
        self, messages: Messages, *, tools: MixedTools | None = None, kind: Literal["exact"] = "exact"
    ) -> int:
        """Async :meth:`count_tokens`, on the async client."""
        call = self._count_call(messages, tools, kind)

        async def attempt() -> _RawTurn:
            return turn_from_events([event async for event in self._astream(call)])

        deadline = start_call_deadline(self.timeouts)
        turn = await acall_with_retries(self.retry_policy, attempt, deadline=deadline)
        return self._prompt_tokens(turn)


def _close(iterator: object) -> None:
    close = getattr(iterator, "close", None)
    if close is not None:
        close()


async def _aclose(iterator: object) -> None:
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        await aclose()

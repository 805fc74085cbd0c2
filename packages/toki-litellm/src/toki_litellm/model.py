"""The litellm-backed models: :class:`LiteLLMBackend` (the shared engine) and :class:`LiteLLMModel`.

``LiteLLMBackend`` is a thin pair of sync and async shells around the I/O-free pieces of this
package: :mod:`toki_litellm.wire` builds the call, :mod:`toki_litellm.translate` turns what
litellm returns into toki's raw events, :mod:`toki_litellm.errors` maps what it raises, and
:mod:`toki_litellm.transport` supplies the HTTP clients (timeouts, end-of-stream detection,
release). Sync calls use ``litellm.completion``, async calls ``litellm.acompletion``; neither
runs in a worker thread.

The OpenAI, Anthropic and Google frontends subclass ``LiteLLMBackend``; :class:`LiteLLMModel`
is the generic frontend for any litellm model string.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Literal, overload

from toki.errors import TokiResponseError, TokiStreamTruncatedError, TokiTimeoutError
from toki.messages import normalize_messages
from toki.model import BaseModel, Messages, MixedTools, RawChunk, WireTools, _RawTurn
from toki.retry import RetryPolicy
from toki.timeouts import Timeouts, call_deadline, start_call_deadline
from toki.tool_schemas import ToolSet
from toki.types import ReasoningEffort, TokenCountEstimate, TokiMessage

from toki_litellm.errors import map_error
from toki_litellm.lazy import load_litellm
from toki_litellm.routes import Route, route_for
from toki_litellm.tokens import DEFAULT_SAFETY_FACTOR, count_offline, estimate
from toki_litellm.translate import StreamTranslator, turn_from_response
from toki_litellm.transport import ClientPool, WireCall
from toki_litellm.wire import Request, build_request, reasoning_options

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "CountKind",
    "LiteLLMBackend",
    "LiteLLMModel",
    "RoundTripCountingBackend",
    "check_count_kind",
    "resolve_base_url",
]

_END: Any = object()


class LiteLLMBackend(BaseModel):
    """What every litellm-backed model shares; subclass it for a frontend.

    Subclasses fix ``route`` (the litellm provider they speak to) and may override the hooks
    ``_adjust_reasoning`` (how reasoning may be engaged for a conversation), ``_before_request`` /
    ``_abefore_request`` (decorate or trim the wire messages of a call, e.g. for caching).

    Models hold HTTP connections: release them with :meth:`close` / :meth:`aclose` (or use the
    model as a context manager).

    Attributes:
        reasoning_effort: the server-side reasoning level sent on every call (``None``: off,
            unless ``capture_thinking=True`` engages a medium effort).
        timeouts: the per-phase time limits of every request.
        litellm_model: the model string handed to litellm (``"anthropic/claude-sonnet-4-5"``).
    """

    provider: ClassVar[str | None] = "litellm"
    #: The route of every model of the class (``None``: chosen from the model string's prefix).
    route: ClassVar[Route | None] = None

    def __init__(
        self,
        model: str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        reasoning_effort: ReasoningEffort | None = None,
        allow_parallel_tool_calls: bool = False,
        timeout: float | Timeouts | None = None,
        max_retries: int = 2,
    ) -> None:
        super().__init__(model, allow_parallel_tool_calls=allow_parallel_tool_calls)
        route = type(self).route or route_for(model)
        self._route = route
        prefix = f"{route.provider}/"
        self.litellm_model = model if not route.provider or model.startswith(prefix) else prefix + model
        self.reasoning_effort: ReasoningEffort | None = reasoning_effort
        self.timeouts = Timeouts.coerce(timeout)
        self.retry_policy = RetryPolicy(max_retries=max_retries)
        self._api_key = api_key
        self._api_base = route.api_base(base_url)
        self._pool = ClientPool(route, api_key=api_key, api_base=self._api_base, timeouts=self.timeouts)
        # Whether litellm accepts ``parallel_tool_calls`` for this model (not for o-series models, say).
        self._parallel_supported: bool | None = None

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Close this model's sync HTTP client (async clients: :meth:`aclose`)."""
        self._pool.close()

    async def aclose(self) -> None:
        """Close this model's HTTP clients for the running event loop (and the sync one)."""
        await self._pool.aclose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ hooks

    def _adjust_reasoning(self, messages: list[TokiMessage], reasoning: dict[str, Any]) -> dict[str, Any]:
        """The reasoning options actually sent for this conversation (default: as resolved)."""
        del messages
        return reasoning

    def _before_request(self, request: Request) -> None:
        """Last look at a call before it is sent (sync path); may edit ``request.messages``/``options``."""
        del request

    async def _abefore_request(self, request: Request) -> None:
        """Async twin of :meth:`_before_request`; by default the same (pure) step."""
        self._before_request(request)

    def _supports_thinking(self) -> bool | None:
        try:
            info = load_litellm().get_model_info(model=self.litellm_model)
        except Exception:  # litellm raises for models it has no metadata for
            return None
        return info.get("supports_reasoning") is True

    def _forbid_parallel(self) -> bool:
        if self.allow_parallel_tool_calls:
            return False
        if self._parallel_supported is None:
            litellm = load_litellm()
            try:
                _, provider, _, _ = litellm.get_llm_provider(self.litellm_model)
                supported = litellm.get_supported_openai_params(model=self.litellm_model, custom_llm_provider=provider)
            except Exception:
                supported = None
            self._parallel_supported = bool(supported) and "parallel_tool_calls" in supported
        return self._parallel_supported

    # ------------------------------------------------------------------ building a call

    def _request(
        self,
        messages: list[TokiMessage],
        tools: WireTools | None,
        *,
        stream: bool,
        capture_thinking: bool,
        kwargs: dict[str, Any],
        reasoning: bool = True,
    ) -> Request:
        resolved: dict[str, Any] = {}
        if reasoning:
            supports = self._supports_thinking() if capture_thinking and self.reasoning_effort is None else None
            resolved = reasoning_options(
                kwargs, effort=self.reasoning_effort, capture_thinking=capture_thinking, supports_thinking=supports
            )
            if resolved:
                resolved = self._adjust_reasoning(messages, resolved)
        transport: dict[str, Any] = {"timeout": max(self.timeouts.first_chunk, self.timeouts.idle)}
        if self._api_key is not None:
            transport["api_key"] = self._api_key
        if self._api_base is not None:
            transport["api_base"] = self._api_base
        return build_request(
            self.litellm_model,
            messages,
            tools,
            stream=stream,
            reasoning=resolved,
            forbid_parallel_calls=bool(tools) and self._forbid_parallel(),
            transport=transport,
            call_kwargs=kwargs,
        )

    def _wire_call(self, *, stream: bool) -> WireCall:
        route = self._route if stream and self._pool.enabled else None
        return WireCall(self.timeouts, route, deadline=call_deadline(), provider=self.provider)

    # ------------------------------------------------------------------ sync

    def _raw_blocking(
        self, messages: list[TokiMessage], tools: WireTools | None, *, capture_thinking: bool, **kwargs: Any
    ) -> _RawTurn:
        request = self._request(messages, tools, stream=False, capture_thinking=capture_thinking, kwargs=kwargs)
        self._before_request(request)
        return self._blocking(request)

    def _blocking(self, request: Request) -> _RawTurn:
        litellm = load_litellm()
        call = self._wire_call(stream=False)
        client = self._pool.client()
        if client is not None:
            request.options["client"] = client
        token = call.activate()
        try:
            response = litellm.completion(messages=request.messages, **request.options)
        except Exception as exc:
            raise map_error(exc, provider=self.provider, call=call) from exc
        finally:
            call.deactivate(token)
            call.close()
        return turn_from_response(response, provider=self.provider)

    def _raw_streaming(
        self, messages: list[TokiMessage], tools: WireTools | None, *, capture_thinking: bool, **kwargs: Any
    ) -> Iterator[RawChunk]:
        request = self._request(messages, tools, stream=True, capture_thinking=capture_thinking, kwargs=kwargs)
        return self._stream(request)

    def _stream(self, request: Request) -> Iterator[RawChunk]:
        litellm = load_litellm()
        provider = self.provider
        call = self._wire_call(stream=True)
        translator = StreamTranslator()
        feed = translator.feed
        try:
            self._before_request(request)
            client = self._pool.client()
            if client is not None:
                request.options["client"] = client
            # The request may leave during the call or on the first step (Gemini): the hooks must see it.
            token = call.activate()
            try:
                response = litellm.completion(messages=request.messages, **request.options)
                chunks = iter(response)
                chunk = next(chunks, _END)
            except Exception as exc:
                raise map_error(exc, provider=provider, call=call) from exc
            finally:
                call.deactivate(token)
            deadline = call.deadline
            while chunk is not _END:
                yield from feed(chunk)
                if deadline is not None:
                    self._check_deadline(call)
                try:
                    chunk = next(chunks, _END)
                except Exception as exc:
                    raise map_error(exc, provider=provider, call=call, received=translator.received) from exc
            self._check_complete(response, call, translator)
        finally:
            call.close()

    # ------------------------------------------------------------------ async

    async def _araw_blocking(
        self, messages: list[TokiMessage], tools: WireTools | None, *, capture_thinking: bool, **kwargs: Any
    ) -> _RawTurn:
        request = self._request(messages, tools, stream=False, capture_thinking=capture_thinking, kwargs=kwargs)
        await self._abefore_request(request)
        return await self._ablocking(request)

    async def _ablocking(self, request: Request) -> _RawTurn:
        litellm = load_litellm()
        call = self._wire_call(stream=False)
        client = await self._pool.aclient()
        if client is not None:
            request.options["client"] = client
        token = call.activate()
        try:
            response = await litellm.acompletion(messages=request.messages, **request.options)
        except Exception as exc:
            raise map_error(exc, provider=self.provider, call=call) from exc
        finally:
            call.deactivate(token)
            await call.aclose()
        return turn_from_response(response, provider=self.provider)

    async def _araw_streaming(
        self, messages: list[TokiMessage], tools: WireTools | None, *, capture_thinking: bool, **kwargs: Any
    ) -> AsyncIterator[RawChunk]:
        request = self._request(messages, tools, stream=True, capture_thinking=capture_thinking, kwargs=kwargs)
        litellm = load_litellm()
        provider = self.provider
        call = self._wire_call(stream=True)
        translator = StreamTranslator()
        feed = translator.feed
        response: Any = None
        exhausted = False
        try:
            await self._abefore_request(request)
            client = await self._pool.aclient()
            if client is not None:
                request.options["client"] = client
            token = call.activate()
            try:
                response = await litellm.acompletion(messages=request.messages, **request.options)
                chunks = response.__aiter__()
                chunk = await anext(chunks, _END)
            except Exception as exc:
                raise map_error(exc, provider=provider, call=call) from exc
            finally:
                call.deactivate(token)
            deadline = call.deadline
            while chunk is not _END:
                for event in feed(chunk):
                    yield event
                if deadline is not None:
                    self._check_deadline(call)
                try:
                    chunk = await anext(chunks, _END)
                except Exception as exc:
                    raise map_error(exc, provider=provider, call=call, received=translator.received) from exc
            exhausted = True
            self._check_complete(response, call, translator)
        finally:
            if response is not None and not exhausted:
                # litellm keeps per-stream logging context open until the stream is closed.
                with contextlib.suppress(Exception):
                    await response.aclose()
            await call.aclose()

    # ------------------------------------------------------------------ stream end

    def _check_deadline(self, call: WireCall) -> None:
        left = call.remaining()
        if left is not None and left <= 0:
            raise TokiTimeoutError(
                f"the total time limit of {self.timeouts.total} s passed while streaming",
                phase="total",
                provider=self.provider,
            )

    def _check_complete(self, response: Any, call: WireCall, translator: StreamTranslator) -> None:
        """Raise unless the stream really ended: litellm makes up a "stop" when it just stops."""
        received = getattr(response, "received_finish_reason", None) or getattr(
            response, "intermittent_finish_reason", None
        )
        cut = call.watched and not call.terminal_seen
        if cut or received is None:
            what = "its terminal event" if cut else "a finish reason"
            raise TokiStreamTruncatedError(
                f"the stream ended without {what}; the answer is incomplete",
                received=translator.received,
                provider=self.provider,
            )
        # Gemini's parser buffers an event it cannot decode and silently drops the rest of the stream.
        leftover = getattr(getattr(response, "completion_stream", None), "_json_buffer", None)
        if leftover:
            raise TokiResponseError(
                "litellm could not decode part of the stream; the answer is incomplete", provider=self.provider
            )

    # ------------------------------------------------------------------ token counting helpers

    def _count_round_trip(self, messages: Messages, tools: MixedTools | None) -> int:
        request = self._count_request(messages, tools)
        start_call_deadline(self.timeouts)
        turn = self._blocking(request)
        return self._prompt_tokens(turn)

    async def _acount_round_trip(self, messages: Messages, tools: MixedTools | None) -> int:
        request = self._count_request(messages, tools)
        start_call_deadline(self.timeouts)
        turn = await self._ablocking(request)
        return self._prompt_tokens(turn)

    def _count_request(self, messages: Messages, tools: MixedTools | None) -> Request:
        # No reasoning (Anthropic rejects thinking with max_tokens=1) and no caching side effects.
        normalized = normalize_messages(messages)
        toolset = ToolSet.from_tools(tools)
        wire = [dict(schema) for schema in toolset.schemas] if toolset is not None else None
        return self._request(
            normalized, wire, stream=False, capture_thinking=False, kwargs={"max_tokens": 1}, reasoning=False
        )

    def _prompt_tokens(self, turn: _RawTurn) -> int:
        if turn.usage is None or turn.usage.prompt_tokens is None:
            raise TokiResponseError("the provider reported no prompt token count", provider=self.provider)
        return turn.usage.prompt_tokens

    def _count_estimate(self, messages: Messages, tools: MixedTools | None, safety_factor: float) -> TokenCountEstimate:
        toolset = ToolSet.from_tools(tools)
        wire = [dict(schema) for schema in toolset.schemas] if toolset is not None else None
        return estimate(count_offline(self.litellm_model, normalize_messages(messages), wire), safety_factor)


#: The ``kind`` values of round-trip-counting backends.
CountKind = Literal["exact", "offline", "online"]


class RoundTripCountingBackend(LiteLLMBackend):
    """A litellm backend whose token counts are exact by a round trip, or estimated offline.

    ``kind='exact'`` (and its synonym ``'online'``) reads ``usage.prompt_tokens`` from a
    ``max_tokens=1`` call; ``kind='offline'`` returns litellm's local count times ``safety_factor``
    as a :class:`~toki.types.TokenCountEstimate`.
    """

    @overload
    def count_tokens(
        self,
        messages: Messages,
        *,
        tools: MixedTools | None = None,
        kind: Literal["exact", "online"] = "exact",
        safety_factor: float = DEFAULT_SAFETY_FACTOR,
    ) -> int: ...
    @overload
    def count_tokens(
        self,
        messages: Messages,
        *,
        tools: MixedTools | None = None,
        kind: Literal["offline"],
        safety_factor: float = DEFAULT_SAFETY_FACTOR,
    ) -> TokenCountEstimate: ...
    def count_tokens(
        self,
        messages: Messages,
        *,
        tools: MixedTools | None = None,
        kind: CountKind = "exact",
        safety_factor: float = DEFAULT_SAFETY_FACTOR,
    ) -> int | TokenCountEstimate:
        """Count prompt tokens: ``exact``/``online`` by a ``max_tokens=1`` call, ``offline`` by litellm's counter."""
        if kind == "offline":
            return self._count_estimate(messages, tools, safety_factor)
        check_count_kind(kind)
        return self._count_round_trip(messages, tools)

    @overload
    async def acount_tokens(
        self,
        messages: Messages,
        *,
        tools: MixedTools | None = None,
        kind: Literal["exact", "online"] = "exact",
        safety_factor: float = DEFAULT_SAFETY_FACTOR,
    ) -> int: ...
    @overload
    async def acount_tokens(
        self,
        messages: Messages,
        *,
        tools: MixedTools | None = None,
        kind: Literal["offline"],
        safety_factor: float = DEFAULT_SAFETY_FACTOR,
    ) -> TokenCountEstimate: ...
    async def acount_tokens(
        self,
        messages: Messages,
        *,
        tools: MixedTools | None = None,
        kind: CountKind = "exact",
        safety_factor: float = DEFAULT_SAFETY_FACTOR,
    ) -> int | TokenCountEstimate:
        """Async :meth:`count_tokens` (the round trip uses ``litellm.acompletion``)."""
        if kind == "offline":
            return self._count_estimate(messages, tools, safety_factor)
        check_count_kind(kind)
        return await self._acount_round_trip(messages, tools)


class LiteLLMModel(RoundTripCountingBackend):
    """Any model litellm can reach, by its litellm model string (``"mistral/mistral-large-latest"``...).

    ``openai/``, ``anthropic/`` and ``gemini/`` strings get the same wire handling as the
    dedicated frontends (toki's HTTP clients, end-of-stream checks); other providers run on
    litellm's own clients, and a stream counts as complete when litellm saw a finish reason.

    Args:
        model: litellm's model string, provider prefix included.
        api_key: the provider key (``None``: litellm reads the provider's environment variable).
        base_url: the server address, e.g. a proxy or a local server (``api_base`` is an alias).
        reasoning_effort: server-side reasoning level for every call.
        allow_parallel_tool_calls: let the model request several tools at once.
        timeout: per-phase limits (a number applies to every phase but connect); never infinite.
        max_retries: retries of transient failures by toki (litellm itself never retries).
    """

    def __init__(
        self,
        model: str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        api_base: str | None = None,
        reasoning_effort: ReasoningEffort | None = None,
        allow_parallel_tool_calls: bool = False,
        timeout: float | Timeouts | None = None,
        max_retries: int = 2,
    ) -> None:
        super().__init__(
            model,
            api_key=api_key,
            base_url=resolve_base_url(base_url, api_base),
            reasoning_effort=reasoning_effort,
            allow_parallel_tool_calls=allow_parallel_tool_calls,
            timeout=timeout,
            max_retries=max_retries,
        )


def check_count_kind(kind: str) -> None:
    """Raise ``ValueError`` unless ``kind`` is one of the three token-counting kinds."""
    if kind not in ("exact", "online", "offline"):
        raise ValueError(f"kind={kind!r} is not supported; use 'exact', 'online' or 'offline'")


def resolve_base_url(base_url: str | None, api_base: str | None) -> str | None:
    """Accept the server address under either of its two usual names, but not both."""
    if base_url is not None and api_base is not None and base_url != api_base:
        raise TypeError("pass the server address as base_url or api_base, not both")
    return base_url if base_url is not None else api_base

"""``OpenRouterModel``: thin sync and async shells over httpx around the shared sans-I/O core.

Everything that is not moving bytes lives elsewhere: the request body and the answer decoding in
:mod:`toki_openrouter.wire`, time limits and status handling in :mod:`toki_openrouter.exchange`,
error mapping in :mod:`toki_openrouter.errors`, cache markers in :mod:`toki_openrouter.cache_routes`
(with the anchor history of :mod:`toki.caching`). The methods below open a request, hand each
received piece of bytes to the exchange and yield what it decodes, closing the response on every
exit path (end, error, ``break``, garbage collection, task cancellation).

Connections are pooled: one ``httpx.Client`` per model instance, and one ``httpx.AsyncClient``
per model instance and event loop (an async connection cannot outlive the loop that opened it,
so a second ``asyncio.run`` gets a fresh pool). Both are created on first use, so constructing a
model does no I/O. An async pool also closes itself when its loop shuts down its async generators
(``asyncio.run`` does on exit), so forgetting ``aclose()`` leaks no socket. A client passed in by
the caller is used as is and never closed by toki.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import math
import os
import threading
import warnings
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Mapping
from types import TracebackType
from typing import Any, Literal, NamedTuple, get_args

import httpx
from toki.api_keys import read_api_key
from toki.caching import CacheState, CacheStrategy
from toki.errors import TokiConfigurationError, TokiResponseError
from toki.event_loops import bind_to_loop
from toki.messages import normalize_messages
from toki.model import BaseModel, Messages, MixedTools, RawChunk, WireTools, _RawTurn
from toki.retry import RetryPolicy, acall_with_retries, call_with_retries
from toki.timeouts import Timeouts, call_deadline
from toki.tool_schemas import ToolSet
from toki.types import ReasoningEffort, TokenCountEstimate, TokiMessage
from toki.warnings import TokiCacheWarning, TokiThinkingSupportWarning

from toki_openrouter.cache_routes import CACHE_MIN_TOKENS, CacheTTL, apply_markers, cache_route, ttl_seconds
from toki_openrouter.errors import PROVIDER
from toki_openrouter.exchange import BlockingExchange, StreamExchange
from toki_openrouter.models import OpenRouterModelName, attributes_map
from toki_openrouter.wire import DEFAULT_BASE_URL, build_body

__all__ = ["OpenRouterModel", "TokenCountKind"]

#: The ``kind`` values :meth:`OpenRouterModel.count_tokens` accepts.
TokenCountKind = Literal["exact", "online", "offline"]

_API_KEY_ENV = "OPENROUTER_API_KEY"
_USER_AGENT = "toki-openrouter/0.1.0"
# Generous, like the official SDKs: hundreds of concurrent streams must not queue on the pool.
_LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=100)
_EFFORTS = frozenset(get_args(ReasoningEffort))
_STRATEGIES = (None, "rolling", "static")
_BASE_URL_ENV = "OPENROUTER_BASE_URL"


class OpenRouterModel(BaseModel):
    """A model served through OpenRouter (or any OpenAI-compatible endpoint via ``base_url``).

    Args:
        model: an OpenRouter model id such as ``"google/gemini-2.5-flash"``; any id works.
        api_key: the API key; defaults to the ``OPENROUTER_API_KEY`` environment variable.
        allow_parallel_tool_calls: let the model request several tools at once.
        reasoning_effort: how hard the server should think (``'minimal'`` ... ``'xhigh'``); ``None``
            sends no effort. A ``reasoning={...}`` call option overrides it.
        cache: prompt caching, ``'rolling'``, ``'static'`` or ``None`` (see :mod:`toki_openrouter.cache_routes`);
            a plain attribute, reassign it between calls to switch.
        cache_ttl: ``'5m'`` or ``'1h'``, the breakpoint lifetime on ``anthropic/*`` models.
        base_url: the API root (``/chat/completions`` is appended); defaults to the
            ``OPENROUTER_BASE_URL`` environment variable, then OpenRouter's own.
        timeout: seconds for every phase, or a :class:`~toki.timeouts.Timeouts`; never infinite.
        max_retries: retries of transient failures before the first streamed event (0 disables).
        http_referer: your site's URL, sent as ``HTTP-Referer`` (OpenRouter's app attribution).
        x_title: your app's name, sent as ``X-Title``.
        extra_headers: more headers for every request.
        http_client: an ``httpx.Client`` to use for sync calls instead of toki's own.
        async_http_client: an ``httpx.AsyncClient`` to use for async calls instead of toki's own.

    Attributes:
        cache: the caching strategy of the next call.
        cache_ttl: the breakpoint lifetime on the Anthropic route.
        reasoning_effort: the default reasoning effort.
        timeouts: the time limits of every request.
    """

    provider = PROVIDER

    def __init__(
        self,
        model: OpenRouterModelName | str,
        *,
        api_key: str | None = None,
        allow_parallel_tool_calls: bool = False,
        reasoning_effort: ReasoningEffort | None = None,
        cache: CacheStrategy = None,
        cache_ttl: CacheTTL = "5m",
        base_url: str | None = None,
        timeout: float | Timeouts | None = None,
        max_retries: int = 2,
        http_referer: str | None = None,
        x_title: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(model, allow_parallel_tool_calls=allow_parallel_tool_calls)
        if reasoning_effort is not None and reasoning_effort not in _EFFORTS:
            raise TokiConfigurationError(
                f"reasoning_effort must be one of {sorted(_EFFORTS)} or None, got {reasoning_effort!r}",
                provider=PROVIDER,
            )
        _check_cache(cache)
        if cache_ttl not in ("5m", "1h"):
            raise TokiConfigurationError(f"cache_ttl must be '5m' or '1h', got {cache_ttl!r}", provider=PROVIDER)
        self._api_key = api_key or read_api_key(_API_KEY_ENV, provider=PROVIDER)
        self.reasoning_effort: ReasoningEffort | None = reasoning_effort
        self.cache: CacheStrategy = cache
        self.cache_ttl: CacheTTL = cache_ttl
        self.timeouts = Timeouts.coerce(timeout)
        self.retry_policy = RetryPolicy(max_retries=max_retries)
        root = base_url or os.environ.get(_BASE_URL_ENV, "").strip() or DEFAULT_BASE_URL
        self._url = root.rstrip("/") + "/chat/completions"
        headers = {
            "Authorization": f"Bearer {self._api_key}",
            "Content-Type": "application/json",
            "User-Agent": _USER_AGENT,
        }
        if http_referer:
            headers["HTTP-Referer"] = http_referer
        if x_title:
            headers["X-Title"] = x_title
        headers.update(extra_headers or {})
        self._headers = headers
        self._cache_state = CacheState(min_tokens=CACHE_MIN_TOKENS)
        self._cache_warned: set[str] = set()
        self._lock = threading.Lock()
        self._given_client = http_client
        self._given_async_client = async_http_client
        self._client: httpx.Client | None = None
        self._async_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _AsyncPool] = (
            weakref.WeakKeyDictionary()
        )
        if cache is not None:
            self._warn_cache(cache, stacklevel=3)

    def __repr__(self) -> str:
        return f"OpenRouterModel({self.model!r})"

    # ------------------------------------------------------------------ capabilities and warnings

    def _supports_thinking(self) -> bool | None:
        attr = attributes_map.get(self.model)
        return None if attr is None else attr.supports_thinking

    def _supports_tools(self) -> bool | None:
        attr = attributes_map.get(self.model)
        return None if attr is None else attr.supports_tools

    def _before_call(self, tools: ToolSet | None, *, stream: bool, capture_thinking: bool) -> None:
        if (
            capture_thinking
            and not self._thinking_warned
            and self.model.startswith("openai/")
            and self._supports_thinking() is not False
        ):
            self._thinking_warned = True
            warnings.warn(
                f"capture_thinking=True on OpenRouterModel({self.model!r}): OpenAI models reason server-side but "
                "do not reliably return the reasoning text (often none at all, summaries only sporadically)",
                TokiThinkingSupportWarning,
                stacklevel=4,
            )
        super()._before_call(tools, stream=stream, capture_thinking=capture_thinking)

    def _warn_cache(self, cache: str, *, stacklevel: int) -> None:
        route = cache_route(self.model)
        if route is None:
            key, message = (
                "unrouted",
                f"cache={cache!r} has no effect on OpenRouterModel({self.model!r}): OpenRouter forwards cache "
                "breakpoints only to anthropic/* and google/* models (other providers cache implicitly, if at all)",
            )
        elif route == "anthropic" and cache == "rolling":
            key, message = (
                "rolling",
                f"cache='rolling' on OpenRouterModel({self.model!r}) writes a fresh cache entry every turn but "
                "rarely reads one (Anthropic looks caches up by the exact prefix up to the moving breakpoint); "
                "use cache='static' for reliable cache reads",
            )
        else:
            return
        if key not in self._cache_warned:
            self._cache_warned.add(key)
            warnings.warn(message, TokiCacheWarning, stacklevel=stacklevel)

    def invalidate_cache(self) -> None:
        """Forget every cache anchor; the next ``'static'`` call snapshots afresh once the prefix is large enough."""
        self._cache_state.invalidate()

    # ------------------------------------------------------------------ requests

    def _body(
        self,
        messages: list[TokiMessage],
        tools: WireTools | None,
        *,
        stream: bool,
        capture_thinking: bool,
        kwargs: dict[str, Any],
        use_cache: bool = True,
    ) -> bytes:
        body = build_body(
            self.model,
            messages,
            tools,
            stream=stream,
            capture_thinking=capture_thinking,
            reasoning_effort=self.reasoning_effort,
            allow_parallel_tool_calls=self.allow_parallel_tool_calls,
            kwargs=kwargs,
        )
        cache = self.cache
        if use_cache and cache is not None:
            _check_cache(cache)
            self._warn_cache(cache, stacklevel=6)
            route = cache_route(self.model)
            if route is not None:
                plan = self._cache_state.plan(
                    messages,
                    cache,
                    ttl_seconds=ttl_seconds(route, self.cache_ttl),
                    extra_chars=len(json.dumps(tools)) if tools else 0,
                )
                if plan is not None:
                    apply_markers(body, plan, route, self.cache_ttl)
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()

    def _stream_exchange(
        self, messages: list[TokiMessage], tools: WireTools | None, capture_thinking: bool, kwargs: dict[str, Any]
    ) -> StreamExchange:
        body = self._body(messages, tools, stream=True, capture_thinking=capture_thinking, kwargs=kwargs)
        return StreamExchange(self._url, self._headers, body, self.timeouts, deadline=call_deadline())

    def _blocking_exchange(
        self,
        messages: list[TokiMessage],
        tools: WireTools | None,
        capture_thinking: bool,
        kwargs: dict[str, Any],
        use_cache: bool = True,
    ) -> BlockingExchange:
        body = self._body(
            messages, tools, stream=False, capture_thinking=capture_thinking, kwargs=kwargs, use_cache=use_cache
        )
        return BlockingExchange(self._url, self._headers, body, self.timeouts, deadline=call_deadline())

    # ------------------------------------------------------------------ sync shell

    def _sync_client(self) -> httpx.Client:
        if self._given_client is not None:
            return self._given_client
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    self._client = httpx.Client(limits=_LIMITS, timeout=_default_timeout(self.timeouts))
                client = self._client
        return client

    def _raw_blocking(
        self, messages: list[TokiMessage], tools: WireTools | None, *, capture_thinking: bool, **kwargs: Any
    ) -> _RawTurn:
        return self._blocking(self._blocking_exchange(messages, tools, capture_thinking, kwargs))

    def _blocking(self, exchange: BlockingExchange) -> _RawTurn:
        client = self._sync_client()
        try:
            with client.stream(
                "POST",
                exchange.url,
                content=exchange.body,
                headers=exchange.headers,
                timeout=exchange.request_timeout(),
            ) as response:
                if exchange.open(response):
                    raise exchange.failure(response.read())
                for data in response.iter_bytes():
                    exchange.feed(data)
                return exchange.end()
        except httpx.HTTPError as exc:
            raise exchange.transport_error(exc) from exc

    def _raw_streaming(
        self, messages: list[TokiMessage], tools: WireTools | None, *, capture_thinking: bool, **kwargs: Any
    ) -> Iterator[RawChunk]:
        return self._stream(self._stream_exchange(messages, tools, capture_thinking, kwargs))

    def _stream(self, exchange: StreamExchange) -> Iterator[RawChunk]:
        client = self._sync_client()
        try:
            with client.stream(
                "POST",
                exchange.url,
                content=exchange.body,
                headers=exchange.headers,
                timeout=exchange.request_timeout(),
            ) as response:
                if exchange.open(response):
                    raise exchange.failure(response.read())
                for data in response.iter_bytes():
                    yield from exchange.feed(data)
                yield from exchange.end()
        except httpx.HTTPError as exc:
            raise exchange.transport_error(exc) from exc

    # ------------------------------------------------------------------ async shell

    async def _async_http_client(self) -> httpx.AsyncClient:
        if self._given_async_client is not None:
            return self._given_async_client
        loop = asyncio.get_running_loop()
        pool = self._async_pools.get(loop)
        if pool is None:
            self._drop_finished_pools()
            client = httpx.AsyncClient(limits=_LIMITS, timeout=_default_timeout(self.timeouts))
            pool = self._async_pools[loop] = _AsyncPool(client, await bind_to_loop(client.aclose))
        return pool.client

    def _drop_finished_pools(self) -> None:
        for loop in [loop for loop in self._async_pools if loop.is_closed()]:
            del self._async_pools[loop]

    async def _araw_blocking(
        self, messages: list[TokiMessage], tools: WireTools | None, *, capture_thinking: bool, **kwargs: Any
    ) -> _RawTurn:
        return await self._ablocking(self._blocking_exchange(messages, tools, capture_thinking, kwargs))

    async def _ablocking(self, exchange: BlockingExchange) -> _RawTurn:
        client = await self._async_http_client()
        try:
            async with client.stream(
                "POST",
                exchange.url,
                content=exchange.body,
                headers=exchange.headers,
                timeout=exchange.request_timeout(),
            ) as response:
                if exchange.open(response):
                    raise exchange.failure(await response.aread())
                async for data in response.aiter_bytes():
                    exchange.feed(data)
                return exchange.end()
        except httpx.HTTPError as exc:
            raise exchange.transport_error(exc) from exc

    def _araw_streaming(
        self, messages: list[TokiMessage], tools: WireTools | None, *, capture_thinking: bool, **kwargs: Any
    ) -> AsyncIterator[RawChunk]:
        return self._astream(self._stream_exchange(messages, tools, capture_thinking, kwargs))

    async def _astream(self, exchange: StreamExchange) -> AsyncIterator[RawChunk]:
        client = await self._async_http_client()
        try:
            async with client.stream(
                "POST",
                exchange.url,
                content=exchange.body,
                headers=exchange.headers,
                timeout=exchange.request_timeout(),
            ) as response:
                if exchange.open(response):
                    raise exchange.failure(await response.aread())
                async for data in response.aiter_bytes():
                    for event in exchange.feed(data):
                        yield event
                for event in exchange.end():
                    yield event
        except httpx.HTTPError as exc:
            raise exchange.transport_error(exc) from exc

    # ------------------------------------------------------------------ token counting

    def count_tokens(
        self,
        messages: Messages,
        *,
        tools: MixedTools | None = None,
        kind: TokenCountKind = "exact",
        safety_factor: float = 1.15,
    ) -> int | TokenCountEstimate:
        """Count the prompt tokens of ``messages`` (and ``tools``).

        ``'exact'`` and ``'online'`` make a ``max_tokens=1`` completion and read its
        ``usage.prompt_tokens`` (this costs the prompt and one output token). ``'offline'``
        estimates with litellm's tokenizers (``pip install 'toki[litellm]'``), times
        ``safety_factor``, and returns a :class:`~toki.types.TokenCountEstimate`.
        """
        normalized, wire = self._count_inputs(messages, tools, kind)
        if kind == "offline":
            return _offline_count(self.model, normalized, wire, safety_factor)
        exchange = self._count_exchange(normalized, wire)
        turn = call_with_retries(self.retry_policy, lambda: self._blocking(exchange), deadline=exchange.deadline)
        return _prompt_tokens(turn)

    async def acount_tokens(
        self,
        messages: Messages,
        *,
        tools: MixedTools | None = None,
        kind: TokenCountKind = "exact",
        safety_factor: float = 1.15,
    ) -> int | TokenCountEstimate:
        """Async :meth:`count_tokens` (the round trip is native async; the offline estimate runs in a thread)."""
        normalized, wire = self._count_inputs(messages, tools, kind)
        if kind == "offline":
            return await asyncio.to_thread(_offline_count, self.model, normalized, wire, safety_factor)
        exchange = self._count_exchange(normalized, wire)
        turn = await acall_with_retries(
            self.retry_policy, lambda: self._ablocking(exchange), deadline=exchange.deadline
        )
        return _prompt_tokens(turn)

    def _count_inputs(
        self, messages: Messages, tools: MixedTools | None, kind: str
    ) -> tuple[list[TokiMessage], WireTools | None]:
        if kind not in ("exact", "online", "offline"):
            raise ValueError(f"kind={kind!r} is not supported by OpenRouterModel; use 'exact', 'online' or 'offline'")
        toolset = ToolSet.from_tools(tools)
        wire = [dict(schema) for schema in toolset.schemas] if toolset is not None else None
        return normalize_messages(messages), wire

    def _count_exchange(self, messages: list[TokiMessage], tools: WireTools | None) -> BlockingExchange:
        # No reasoning (a thinking budget cannot fit in one token) and no cache bookkeeping.
        body = build_body(
            self.model,
            messages,
            tools,
            stream=False,
            capture_thinking=False,
            reasoning_effort=None,
            allow_parallel_tool_calls=self.allow_parallel_tool_calls,
            kwargs={"max_tokens": 1},
        )
        encoded = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        return BlockingExchange(self._url, self._headers, encoded, self.timeouts)

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Close toki's own sync connection pool (a caller-supplied client is left open)."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Close this event loop's async pool and the sync pool (caller-supplied clients are left open).

        Pools of other event loops close when those loops shut down.
        """
        pool = self._async_pools.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            await pool.guard.aclose()
        self._drop_finished_pools()
        self.close()

    def __enter__(self) -> OpenRouterModel:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    async def __aenter__(self) -> OpenRouterModel:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.aclose()


# ---------------------------------------------------------------------- helpers


class _AsyncPool(NamedTuple):
    client: httpx.AsyncClient
    guard: AsyncGenerator[None, None]


def _check_cache(cache: object) -> None:
    if cache not in _STRATEGIES:
        raise TokiConfigurationError(f"cache must be 'rolling', 'static' or None, got {cache!r}", provider=PROVIDER)


def _default_timeout(timeouts: Timeouts) -> httpx.Timeout:
    # Every request passes its own timeouts; this only covers requests made outside toki's path.
    return httpx.Timeout(
        connect=timeouts.connect, read=timeouts.idle, write=timeouts.first_chunk, pool=timeouts.connect
    )


def _prompt_tokens(turn: _RawTurn) -> int:
    if turn.usage is None or turn.usage.prompt_tokens is None:
        raise TokiResponseError("OpenRouter's answer carried no usage.prompt_tokens to count with", provider=PROVIDER)
    return turn.usage.prompt_tokens


def _load_litellm() -> Any:
    # 'offline' means no network: stop litellm from fetching its cost map when it is imported.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    try:
        return importlib.import_module("litellm")
    except ImportError as exc:
        raise ImportError("install toki[litellm]") from exc


def _upstream_model(model: str) -> str:
    """The upstream provider's own id (``openai/gpt-4o:free`` -> ``gpt-4o``), which litellm's tokenizer keys on."""
    name = model.split("/", 1)[1] if "/" in model else model
    return name.split(":", 1)[0]


def _offline_count(
    model: str, messages: list[TokiMessage], tools: WireTools | None, safety_factor: float
) -> TokenCountEstimate:
    if not safety_factor > 0:
        raise ValueError(f"safety_factor must be positive, got {safety_factor!r}")
    litellm = _load_litellm()
    raw = int(
        litellm.token_counter(model=_upstream_model(model), messages=[m.to_dict() for m in messages], tools=tools)
    )
    return TokenCountEstimate(
        prompt_tokens=math.ceil(raw * safety_factor), raw_prompt_tokens=raw, safety_factor=safety_factor
    )

"""``GoogleModel``: Gemini (AI Studio) through toki's litellm adapter, with explicit caching.

Requests, events, errors and HTTP are shared in :mod:`toki_litellm`. This frontend adds the API
key variable, the model metadata, and Gemini's explicit cache: :mod:`toki_google.caching`
decides which ``cachedContents`` resource a call reads, google-genai creates it
(``client.caches.create`` on sync paths, ``client.aio.caches.create`` on async ones) from the
prefix translated by :mod:`toki_google.contents`, and the live request carries only the rest of
the conversation with ``cached_content=``. A failed creation warns and the call goes out
uncached.
"""

from __future__ import annotations

import threading
import warnings
import weakref
from typing import TYPE_CHECKING, Any, ClassVar

from toki.api_keys import read_api_key
from toki.caching import CacheStrategy
from toki.errors import TokiConfigurationError
from toki.event_loops import bind_to_loop
from toki.model import Messages, MixedTools
from toki.timeouts import Timeouts
from toki.types import ReasoningEffort, TokiMessage
from toki.warnings import TokiCacheWarning
from toki_litellm import GEMINI, Route
from toki_litellm.model import RoundTripCountingBackend, resolve_base_url
from toki_litellm.wire import Request

from toki_google.caching import CacheDecision, GoogleCaches, parse_ttl
from toki_google.contents import cache_payload
from toki_google.models import GoogleModelName, attributes_map

if TYPE_CHECKING:
    import asyncio

__all__ = ["GoogleModel"]

_PROVIDER = "google"
_API_KEY_ENV = "GEMINI_API_KEY"
_STRATEGIES = (None, "rolling", "static")
# Gemini refuses these next to ``cachedContent``: they live in the cache instead.
_CACHE_EXCLUSIVE_OPTIONS = ("tools", "tool_choice", "parallel_tool_calls")


def _tool_names(messages: list[TokiMessage]) -> dict[str, str]:
    return {call.id: call.function.name for m in messages if m.tool_calls for call in m.tool_calls}


class GoogleModel(RoundTripCountingBackend):
    """A Google Gemini model (Gemini API / AI Studio), via litellm; google-genai for explicit caches.

    Args:
        model: a Gemini model id such as ``"gemini-2.5-flash"``; any id the API accepts works.
        api_key: the API key; defaults to the ``GEMINI_API_KEY`` environment variable.
        base_url: the API root, with or without the version (``/v1beta`` is added for litellm
            and removed for google-genai); ``api_base`` is an alias. Default: Google's.
        reasoning_effort: thinking level (``'minimal'`` ... ``'high'``, mapped by litellm to a
            thinking budget); ``None`` leaves it to the model unless ``capture_thinking=True``
            asks for ``'medium'``. A ``thinking={...}`` call option overrides both.
        allow_parallel_tool_calls: let the model request several tools at once.
        cache: explicit caching, ``'rolling'``, ``'static'`` or ``None`` (Gemini's implicit
            caching still applies); a plain attribute, reassign it between calls to switch.
        cache_ttl: lifetime of created caches: seconds, ``"<n>s"``, ``"5m"`` or ``"1h"`` (default 1 hour).
        cache_min_tokens: smallest prefix worth caching, in estimated tokens (characters / 4).
        cache_refresh_delta_tokens: ``'rolling'`` makes a new cache once the conversation has
            grown this many estimated tokens past the current one.
        cache_refresh_buffer_seconds: a cache this close to expiry is not used any more.
        timeout: seconds for every phase, or a :class:`~toki.timeouts.Timeouts`; never infinite.
        max_retries: retries of transient failures (toki's; litellm and google-genai make one attempt).

    Attributes:
        cache: the caching strategy of the next call.
    """

    provider: ClassVar[str | None] = _PROVIDER
    route: ClassVar[Route | None] = GEMINI

    def __init__(
        self,
        model: GoogleModelName | str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        api_base: str | None = None,
        reasoning_effort: ReasoningEffort | None = None,
        allow_parallel_tool_calls: bool = False,
        cache: CacheStrategy = None,
        cache_ttl: float | str = 3600.0,
        cache_min_tokens: int = 4096,
        cache_refresh_delta_tokens: int = 4096,
        cache_refresh_buffer_seconds: float = 60.0,
        timeout: float | Timeouts | None = None,
        max_retries: int = 2,
    ) -> None:
        _check_cache(cache)
        try:
            ttl = parse_ttl(cache_ttl)
        except ValueError as exc:
            raise TokiConfigurationError(str(exc), provider=_PROVIDER) from None
        if cache_min_tokens < 0 or cache_refresh_delta_tokens < 0 or cache_refresh_buffer_seconds < 0:
            raise TokiConfigurationError(
                "cache_min_tokens, cache_refresh_delta_tokens and cache_refresh_buffer_seconds must not be negative",
                provider=_PROVIDER,
            )
        super().__init__(
            model,
            api_key=api_key if api_key is not None else read_api_key(_API_KEY_ENV, provider=_PROVIDER),
            base_url=resolve_base_url(base_url, api_base),
            reasoning_effort=reasoning_effort,
            allow_parallel_tool_calls=allow_parallel_tool_calls,
            timeout=timeout,
            max_retries=max_retries,
        )
        self.cache: CacheStrategy = cache
        self._caches = GoogleCaches(
            model=model,
            ttl_seconds=ttl,
            min_tokens=cache_min_tokens,
            refresh_delta_tokens=cache_refresh_delta_tokens,
            refresh_buffer_seconds=cache_refresh_buffer_seconds,
        )
        base = self._api_base
        for suffix in GEMINI.base_suffixes:
            if base is not None and base.endswith(suffix):
                base = base[: -len(suffix)]
        self._genai_base = base
        self._genai_lock = threading.Lock()
        self._genai_sync: tuple[Any, Any] | None = None
        self._genai_async: dict[int, tuple[weakref.ref[asyncio.AbstractEventLoop], Any, Any]] = {}

    def __repr__(self) -> str:
        return f"GoogleModel({self.model!r})"

    def _supports_thinking(self) -> bool | None:
        attr = attributes_map.get(self.model)
        return None if attr is None else attr.supports_thinking

    def _supports_tools(self) -> bool | None:
        attr = attributes_map.get(self.model)
        return None if attr is None else attr.supports_tools

    def invalidate_cache(self) -> None:
        """Forget every cache anchor and resource; the next cached call starts afresh."""
        self._caches.invalidate()

    # ------------------------------------------------------------------ google-genai clients

    def _http_options(self, http_client: Any, *, sync: bool) -> Any:
        from google.genai import types

        limit = max(self.timeouts.first_chunk, self.timeouts.idle)
        return types.HttpOptions(
            base_url=self._genai_base,
            api_version="v1beta",
            timeout=int(limit * 1000),
            retry_options=types.HttpRetryOptions(attempts=1),  # toki's policy is the only retry layer
            **({"httpx_client": http_client} if sync else {"httpx_async_client": http_client}),
        )

    def _genai(self) -> Any:
        if self._genai_sync is None:
            with self._genai_lock:
                if self._genai_sync is None:
                    import httpx
                    from google import genai

                    http = httpx.Client(timeout=self.timeouts.connect)
                    client = genai.Client(api_key=self._api_key, http_options=self._http_options(http, sync=True))
                    self._genai_sync = (client, http)
        return self._genai_sync[0]

    async def _agenai(self) -> Any:
        """The google-genai client of the running loop; it is closed when that loop shuts down."""
        import asyncio  # here, not at import time: it costs tens of milliseconds

        loop = asyncio.get_running_loop()
        entry = self._genai_async.get(id(loop))
        if entry is not None and entry[0]() is loop:
            return entry[1]
        import httpx
        from google import genai

        for key, (ref, _, _) in list(self._genai_async.items()):
            old = ref()
            if old is None or old.is_closed():
                del self._genai_async[key]
        http = httpx.AsyncClient(timeout=self.timeouts.connect)
        client = genai.Client(api_key=self._api_key, http_options=self._http_options(http, sync=False))

        async def release() -> None:
            await client.aio.aclose()
            await http.aclose()

        self._genai_async[id(loop)] = (weakref.ref(loop), client, await bind_to_loop(release))
        return client

    def close(self) -> None:
        """Close this model's sync HTTP clients (litellm's and google-genai's)."""
        super().close()
        with self._genai_lock:
            entry, self._genai_sync = self._genai_sync, None
        if entry is not None:
            entry[0].close()
            entry[1].close()

    async def aclose(self) -> None:
        """Close this model's HTTP clients for the running event loop (and the sync ones)."""
        await super().aclose()
        self.close()
        import asyncio  # here, not at import time: it costs tens of milliseconds

        loop = asyncio.get_running_loop()
        entry = self._genai_async.pop(id(loop), None)
        if entry is not None and entry[0]() is loop:
            await entry[2].aclose()  # the loop guard: it closes both clients

    # ------------------------------------------------------------------ caching

    @staticmethod
    def _name_tool_results(request: Request) -> None:
        """Give every tool result its function's name (litellm looks only in the latest turn with calls)."""
        names: dict[str, str] | None = None
        for message in request.messages:
            if message["role"] == "tool" and not message.get("name"):
                names = names if names is not None else _tool_names(request.source)
                message["name"] = names.get(message.get("tool_call_id") or "", "")

    def _count_request(self, messages: Messages, tools: MixedTools | None) -> Request:
        request = super()._count_request(messages, tools)
        self._name_tool_results(request)
        return request

    def _decide(self, request: Request) -> CacheDecision | None:
        cache = self.cache
        self._name_tool_results(request)
        if cache is None:
            return None
        _check_cache(cache)
        return self._caches.decide(request.source, cache, request.options.get("tools"))

    def _create_config(self, request: Request, decision: CacheDecision) -> Any:
        payload = cache_payload(
            request.source[: decision.length], request.options.get("tools"), tool_names=_tool_names(request.source)
        )
        config: dict[str, Any] = {
            "contents": payload.contents,
            "ttl": f"{int(self._caches.ttl_seconds)}s",
            "display_name": "toki",
        }
        if payload.system_instruction is not None:
            config["system_instruction"] = payload.system_instruction
        if payload.tools is not None:
            config["tools"] = payload.tools
        from google.genai import types

        # Typed values serialize in the API's own (camelCase) spelling; plain dicts would be sent as given.
        return types.CreateCachedContentConfig.model_validate(config)

    def _created(self, decision: CacheDecision, cached: Any) -> None:
        expire = getattr(cached, "expire_time", None)
        usage = getattr(cached, "usage_metadata", None)
        self._caches.record(
            decision,
            str(cached.name),
            expire.timestamp() if expire is not None else None,
            getattr(usage, "total_token_count", None),
        )

    def _creation_failed(self, decision: CacheDecision, error: Exception) -> None:
        self._caches.failed(decision)
        warnings.warn(
            f"GoogleModel({self.model!r}) could not create an explicit cache of the first {decision.length} "
            f"messages ({type(error).__name__}: {error}); the call is sent without it",
            TokiCacheWarning,
            stacklevel=3,
        )

    def _use_cache(self, request: Request, decision: CacheDecision) -> None:
        """Send only the live part, naming the cache that holds the rest."""
        resource = next(r for r in self._caches.resources if r.key == decision.key)
        live: list[dict[str, Any]] = []
        for message in request.messages[decision.length :]:
            if message["role"] == "system":
                # A system instruction cannot join an existing cache: keep it, as a user turn.
                message = {"role": "user", "content": f"System instruction: {message.get('content') or ''}"}
            live.append(message)
        request.messages = live
        for option in _CACHE_EXCLUSIVE_OPTIONS:
            request.options.pop(option, None)
        request.options["cached_content"] = resource.name

    def _before_request(self, request: Request) -> None:
        decision = self._decide(request)
        if decision is None:
            return
        if decision.reuse is None:
            try:
                cached = self._genai().caches.create(model=self.model, config=self._create_config(request, decision))
            except Exception as error:
                self._creation_failed(decision, error)
                return
            self._created(decision, cached)
        self._use_cache(request, decision)

    async def _abefore_request(self, request: Request) -> None:
        decision = self._decide(request)
        if decision is None:
            return
        if decision.reuse is None:
            try:
                cached = await (await self._agenai()).aio.caches.create(
                    model=self.model, config=self._create_config(request, decision)
                )
            except Exception as error:
                self._creation_failed(decision, error)
                return
            self._created(decision, cached)
        self._use_cache(request, decision)


def _check_cache(cache: object) -> None:
    if cache not in _STRATEGIES:
        raise TokiConfigurationError(f"cache must be 'rolling', 'static' or None, got {cache!r}", provider=_PROVIDER)

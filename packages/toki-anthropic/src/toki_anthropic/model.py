"""``AnthropicModel``: Claude through toki's litellm adapter, with prompt caching.

Requests, events, errors and HTTP are shared in :mod:`toki_litellm`; this frontend adds the API
key variable, the model metadata, ``cache_control`` markers (:mod:`toki_anthropic.caching` with
the anchor history of :mod:`toki.caching`), and one Anthropic rule about thinking: a turn that
continues a tool call must replay that call's thinking block, which toki does not keep, so
such a turn is sent without thinking.
"""

from __future__ import annotations

import json
import warnings
from typing import Any, ClassVar

from toki.api_keys import read_api_key
from toki.caching import CacheState, CacheStrategy
from toki.errors import TokiConfigurationError
from toki.timeouts import Timeouts
from toki.types import ReasoningEffort, TokiMessage
from toki.warnings import TokiBackendQuirkWarning, TokiCacheWarning
from toki_litellm import ANTHROPIC, Route
from toki_litellm.model import RoundTripCountingBackend, resolve_base_url
from toki_litellm.wire import Request

from toki_anthropic.caching import CACHE_MIN_TOKENS, CacheTTL, apply_markers, ttl_seconds
from toki_anthropic.models import AnthropicModelName, attributes_map

__all__ = ["AnthropicModel"]

_PROVIDER = "anthropic"
_API_KEY_ENV = "ANTHROPIC_API_KEY"
_STRATEGIES = (None, "rolling", "static")


def _continues_tool_call(messages: list[TokiMessage]) -> bool:
    """Whether the conversation ends with tool results answering the last assistant turn's calls."""
    for message in reversed(messages):
        if message.role != "tool":
            return message.role == "assistant" and bool(message.tool_calls)
    return False


class AnthropicModel(RoundTripCountingBackend):
    """An Anthropic Claude model (Messages API), via litellm.

    Args:
        model: a Claude model id such as ``"claude-sonnet-4-5"``; any id the API accepts works.
        api_key: the API key; defaults to the ``ANTHROPIC_API_KEY`` environment variable.
        base_url: the API root without ``/v1`` (a trailing ``/v1`` is dropped); ``api_base`` is
            an alias. Default: Anthropic's.
        reasoning_effort: extended-thinking level (``'low'`` ... ``'xhigh'``, mapped by litellm to a
            token budget); ``None`` leaves thinking off unless ``capture_thinking=True`` asks for
            ``'medium'``. A ``thinking={...}`` call option overrides both.
        allow_parallel_tool_calls: let the model request several tools at once.
        cache: prompt caching, ``'rolling'``, ``'static'`` or ``None``; a plain attribute,
            reassign it between calls to switch.
        cache_ttl: ``'5m'`` (default) or ``'1h'``, the lifetime of the cache entries written.
        timeout: seconds for every phase, or a :class:`~toki.timeouts.Timeouts`; never infinite.
        max_retries: retries of transient failures (toki's; litellm makes one attempt).

    Attributes:
        cache: the caching strategy of the next call.
        cache_ttl: the lifetime of cache entries written by the next call.
    """

    provider: ClassVar[str | None] = _PROVIDER
    route: ClassVar[Route | None] = ANTHROPIC

    def __init__(
        self,
        model: AnthropicModelName | str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        api_base: str | None = None,
        reasoning_effort: ReasoningEffort | None = None,
        allow_parallel_tool_calls: bool = False,
        cache: CacheStrategy = None,
        cache_ttl: CacheTTL = "5m",
        timeout: float | Timeouts | None = None,
        max_retries: int = 2,
    ) -> None:
        _check_cache(cache, cache_ttl)
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
        self.cache_ttl: CacheTTL = cache_ttl
        self._cache_state = CacheState(min_tokens=CACHE_MIN_TOKENS)
        self._rolling_warned = False
        self._tool_turn_warned = False
        if cache == "rolling":
            self._warn_rolling(stacklevel=3)

    def __repr__(self) -> str:
        return f"AnthropicModel({self.model!r})"

    def _supports_thinking(self) -> bool | None:
        attr = attributes_map.get(self.model)
        return None if attr is None else attr.supports_thinking

    def _supports_tools(self) -> bool | None:
        attr = attributes_map.get(self.model)
        return None if attr is None else attr.supports_tools

    def invalidate_cache(self) -> None:
        """Forget every cache anchor; the next ``'static'`` call snapshots afresh once the prefix is large enough."""
        self._cache_state.invalidate()

    def _warn_rolling(self, *, stacklevel: int) -> None:
        if not self._rolling_warned:
            self._rolling_warned = True
            warnings.warn(
                f"cache='rolling' on AnthropicModel({self.model!r}) writes a fresh cache entry every turn but "
                "rarely reads one (Anthropic looks caches up by the exact prefix up to the moving breakpoint); "
                "use cache='static' for reliable cache reads",
                TokiCacheWarning,
                stacklevel=stacklevel,
            )

    def _adjust_reasoning(self, messages: list[TokiMessage], reasoning: dict[str, Any]) -> dict[str, Any]:
        if not _continues_tool_call(messages):
            return reasoning
        if not self._tool_turn_warned:
            self._tool_turn_warned = True
            warnings.warn(
                "AnthropicModel sends turns that continue a tool call without extended thinking: Anthropic "
                "requires the earlier turn's thinking block there, and toki does not keep thinking in history",
                TokiBackendQuirkWarning,
                stacklevel=2,
            )
        return {}

    def _before_request(self, request: Request) -> None:
        cache = self.cache
        if cache is None:
            return
        _check_cache(cache, self.cache_ttl)
        if cache == "rolling":
            self._warn_rolling(stacklevel=2)
        tools: list[dict[str, Any]] | None = request.options.get("tools")
        plan = self._cache_state.plan(
            request.source,
            cache,
            ttl_seconds=ttl_seconds(self.cache_ttl),
            extra_chars=len(json.dumps(tools)) if tools else 0,
        )
        if plan is None:
            return
        if tools:
            tools = request.options["tools"] = list(tools)  # a per-call copy before marking
        apply_markers(request.messages, tools, plan, self.cache_ttl)


def _check_cache(cache: object, cache_ttl: object) -> None:
    if cache not in _STRATEGIES:
        raise TokiConfigurationError(f"cache must be 'rolling', 'static' or None, got {cache!r}", provider=_PROVIDER)
    if cache_ttl not in ("5m", "1h"):
        raise TokiConfigurationError(f"cache_ttl must be '5m' or '1h', got {cache_ttl!r}", provider=_PROVIDER)

"""OpenRouter prompt caching: which markers a model id's route gets, placed on the request body only.

:mod:`toki.caching` decides *where* the breakpoint goes; this module writes it the way OpenRouter
expects for the upstream the model id names (OpenRouter's "Prompt caching" guide):

``anthropic/*``, ``cache='rolling'``
    A top-level ``"cache_control": {"type": "ephemeral"}`` (plus ``"ttl": "1h"`` when
    ``cache_ttl='1h'``) on the request body. This is OpenRouter's automatic caching for Claude:
    it puts the breakpoint on the last cacheable block of the request, which in a chat turn is
    the latest user message (or the latest tool result in a tool loop). The messages are sent
    unchanged. Writes every turn; reads are unreliable because the breakpoint moves.
``anthropic/*``, ``cache='static'``
    An explicit breakpoint at the anchor: the anchor message's content becomes a list with one
    text block carrying ``cache_control`` (same TTL rule). Messages whose content is empty or
    absent (an assistant turn of tool calls alone) cannot carry a block, so the marker goes on
    the nearest earlier message that can.
``google/*``
    One explicit breakpoint, the same block form without a TTL (Gemini honours only the last
    breakpoint and manages the cache lifetime itself): on the latest user message (rolling) or
    the anchor (static).
any other prefix
    OpenRouter passes no breakpoints to those providers (most cache implicitly or not at all):
    the model warns at construction and sends nothing.

Only the per-call copies built by :func:`~toki_openrouter.wire.build_body` are touched, never the
caller's messages.
"""

from __future__ import annotations

from typing import Any, Literal

from toki.caching import CachePlan

__all__ = ["CACHE_MIN_TOKENS", "CacheRoute", "CacheTTL", "apply_markers", "cache_route", "ttl_seconds"]

#: Breakpoint lifetime on the Anthropic route.
CacheTTL = Literal["5m", "1h"]

#: Which marker style a model id gets.
CacheRoute = Literal["anthropic", "google"] | None

#: A static snapshot is taken once the prefix reaches this many estimated tokens.
CACHE_MIN_TOKENS = 1024

# How long an unused cache entry is assumed to live upstream (Anthropic's 5 minutes or 1 hour;
# Gemini's implicit cache on OpenRouter is short-lived too, so 5 minutes is the safe guess).
_TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}


def cache_route(model: str) -> CacheRoute:
    """The caching route of an OpenRouter model id, by its vendor prefix."""
    vendor = model.split("/", 1)[0].lower() if "/" in model else ""
    if vendor == "anthropic":
        return "anthropic"
    if vendor == "google":
        return "google"
    return None


def ttl_seconds(route: CacheRoute, cache_ttl: CacheTTL) -> float:
    """How long an anchor of this route is kept in the history without being used."""
    return _TTL_SECONDS[cache_ttl] if route == "anthropic" else _TTL_SECONDS["5m"]


def _control(route: CacheRoute, cache_ttl: CacheTTL) -> dict[str, str]:
    control = {"type": "ephemeral"}
    if route == "anthropic" and cache_ttl == "1h":
        control["ttl"] = "1h"
    return control


def _mark_block(messages: list[dict[str, Any]], index: int, control: dict[str, str]) -> None:
    for position in range(index, -1, -1):
        content = messages[position].get("content")
        if isinstance(content, str) and content:
            messages[position]["content"] = [{"type": "text", "text": content, "cache_control": control}]
            return


def apply_markers(body: dict[str, Any], plan: CachePlan, route: CacheRoute, cache_ttl: CacheTTL) -> None:
    """Add the route's cache markers for ``plan`` to ``body`` (its own message copies) in place."""
    if route is None:
        return
    control = _control(route, cache_ttl)
    if route == "anthropic" and plan.strategy == "rolling":
        body["cache_control"] = control
        return
    _mark_block(body["messages"], plan.index, control)

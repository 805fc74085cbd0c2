"""Anthropic prompt caching: ``cache_control`` markers on the per-call wire copies.

:mod:`toki.caching` decides where this call's breakpoint goes (the boundary message); this
module writes up to three markers the way Anthropic's Messages API reads them, on the dicts
litellm receives (never on the caller's messages or tool schemas):

1. the last system message (caches tools + system),
2. the last tool definition (caches the tools),
3. the last block of the boundary message (caches everything up to it). A message whose last
   block is a tool call gets the marker on that call; a message with no block at all (empty
   text) passes it to the closest earlier message that has one.

litellm passes every one of these through to the wire unchanged (system text blocks, a tool's
top-level ``cache_control``, ``tool_use`` blocks, content blocks of user, assistant and tool
messages).
"""

from __future__ import annotations

from typing import Any, Literal

from toki.caching import CachePlan

__all__ = ["CACHE_MIN_TOKENS", "CacheTTL", "apply_markers", "cache_control", "ttl_seconds"]

#: Lifetime of a cache entry: Anthropic's 5 minutes (default) or 1 hour.
CacheTTL = Literal["5m", "1h"]

#: Anthropic does not cache prefixes shorter than this (1024 tokens on Sonnet and Opus models).
CACHE_MIN_TOKENS = 1024

_TTL_SECONDS: dict[str, float] = {"5m": 300.0, "1h": 3600.0}


def ttl_seconds(cache_ttl: CacheTTL) -> float:
    """How long an unused anchor is assumed to stay cached."""
    return _TTL_SECONDS[cache_ttl]


def cache_control(cache_ttl: CacheTTL) -> dict[str, str]:
    """The marker object (the 5-minute default is implicit, 1 hour must be asked for)."""
    return {"type": "ephemeral", "ttl": "1h"} if cache_ttl == "1h" else {"type": "ephemeral"}


def _mark_message(message: dict[str, Any], control: dict[str, str]) -> bool:
    """Put the marker on the message's last block; ``False`` if it has none."""
    calls = message.get("tool_calls")
    if calls:
        calls[-1] = {**calls[-1], "cache_control": control}
        return True
    content = message.get("content")
    if isinstance(content, str) and content:
        message["content"] = [{"type": "text", "text": content, "cache_control": control}]
        return True
    return False


def apply_markers(
    messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, plan: CachePlan, cache_ttl: CacheTTL
) -> int:
    """Mark the wire copies for ``plan`` in place; return how many markers were placed."""
    control = cache_control(cache_ttl)
    placed = 0
    boundary = min(plan.index, len(messages) - 1)
    for position in range(boundary, -1, -1):
        if _mark_message(messages[position], control):
            placed += 1
            break
    for position in range(len(messages) - 1, -1, -1):
        message = messages[position]
        if message["role"] == "system":
            if not isinstance(message.get("content"), list):  # not already marked as the boundary
                placed += _mark_message(message, control)
            break
    if tools:
        tools[-1] = {**tools[-1], "cache_control": control}
        placed += 1
    return placed

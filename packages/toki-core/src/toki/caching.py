"""Prompt-caching anchors: where each call's cache breakpoint goes, shared by every backend with ``cache=``.

A backend that takes ``cache='rolling' | 'static' | None`` keeps one :class:`CacheState` per model
instance and asks it, once per request, for a :class:`CachePlan`::

    plan = self._cache_state.plan(messages, self.cache, ttl_seconds=300, extra_chars=len(tools_json))
    if plan is not None:
        mark(wire_messages[plan.index])   # on the per-call wire copy, never on ``messages``

The plan only says *where* the breakpoint goes (the index of the last message of the cached
prefix); how a marker looks on the wire is the backend's business (Anthropic ``cache_control``
blocks, OpenRouter's top-level field, Gemini ``cachedContents``). Nothing here mutates the
caller's messages or does I/O.

Strategies:

* ``'rolling'``: the breakpoint is the latest user message, every call. The pass is recorded
  in the anchor history, so a later ``'static'`` call can reuse its prefix.
* ``'static'``: the first call whose whole conversation is large enough (estimated offline as
  characters / 4, against ``min_tokens``) snapshots ``len(messages)`` as the *anchor*; later
  calls keep the breakpoint there (``messages[:anchor]`` is read from the cache, the rest is
  sent live). Smaller conversations pass through with no plan. If the messages before the
  active anchor change, the history is searched newest-first for another entry whose prefix
  still matches (reverting to an earlier state silently reuses its cache); if none does, a
  :class:`~toki.warnings.TokiCacheWarning` is emitted and a fresh anchor is snapshotted.
* ``None``: no plan; the history is left as it is, so switching back later can reuse it.

The anchor history holds at most ``max_entries`` (16) entries, least recently used pruned
first; an entry expires ``ttl_seconds`` after it was last used and is dropped lazily. Entries
are identified by a SHA-256 chain over the messages' wire form, so equal conversations match
whatever objects they are made of. The state is guarded by a lock, but one model shared by
agents with diverging histories will still thrash it: use one model per long-running agent.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from toki.types import TokiMessage
from toki.warnings import TokiCacheWarning

__all__ = [
    "DEFAULT_MAX_ENTRIES",
    "CacheAnchor",
    "CachePlan",
    "CacheState",
    "CacheStrategy",
    "estimate_tokens",
    "latest_user_index",
    "message_chars",
]

#: The ``cache=`` knob: ``'rolling'``, ``'static'`` or ``None`` (no caching).
CacheStrategy = Literal["rolling", "static"] | None

#: How many anchor entries a :class:`CacheState` keeps.
DEFAULT_MAX_ENTRIES = 16


def message_chars(message: TokiMessage) -> int:
    """Characters a message contributes to the prompt: content, tool names and arguments."""
    total = len(message.content or "")
    for call in message.tool_calls or ():
        total += len(call.function.name) + len(json.dumps(call.function.arguments, ensure_ascii=False))
    return total


def estimate_tokens(chars: int) -> int:
    """The offline token estimate used for cache thresholds: one token per four characters."""
    return chars // 4


def latest_user_index(messages: Sequence[TokiMessage]) -> int | None:
    """Index of the last ``user`` message, or ``None`` when there is none."""
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].role == "user":
            return index
    return None


@dataclass(eq=False, slots=True)
class CacheAnchor:
    """One entry of the anchor history: a cached prefix ``messages[:length]``.

    Attributes:
        length: how many leading messages the cached prefix covers.
        prefix_hash: the hash of those messages.
        expires_at: clock time after which the provider has probably evicted the cache.
    """

    length: int
    prefix_hash: str
    expires_at: float


@dataclass(frozen=True, slots=True)
class CachePlan:
    """Where this call's cache breakpoint goes.

    Attributes:
        strategy: the strategy that produced the plan.
        index: the index of the message that ends the cached prefix (the one to mark).
        created: whether this call starts a new cache entry (a fresh snapshot or rolling pass),
            as opposed to reusing an anchor an earlier call wrote.
    """

    strategy: Literal["rolling", "static"]
    index: int
    created: bool

    @property
    def prefix_length(self) -> int:
        """How many leading messages the cached prefix covers."""
        return self.index + 1


class _PrefixHashes:
    """SHA-256 chain over the messages, computed lazily up to the longest prefix asked for."""

    __slots__ = ("_chain", "_messages")

    def __init__(self, messages: Sequence[TokiMessage]) -> None:
        self._messages = messages
        self._chain: list[bytes] = [b""]

    def __call__(self, length: int) -> str:
        chain = self._chain
        while len(chain) <= length:
            message = self._messages[len(chain) - 1]
            encoded = json.dumps(message.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            chain.append(hashlib.sha256(chain[-1] + encoded.encode()).digest())
        return chain[length].hex()


class CacheState:
    """The anchor history of one model instance (see the module docstring).

    Args:
        min_tokens: smallest estimated prefix (characters / 4) a ``'static'`` snapshot is taken at.
        max_entries: how many anchor entries to keep.
        clock: monotonic time source (injectable for tests).
    """

    def __init__(
        self,
        *,
        min_tokens: int,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, got {max_entries}")
        self.min_tokens = min_tokens
        self.max_entries = max_entries
        self._clock = clock
        self._entries: list[CacheAnchor] = []  # least recently used first
        self._active: CacheAnchor | None = None  # the pinned anchor of 'static' mode
        self._lock = threading.Lock()

    @property
    def entries(self) -> tuple[CacheAnchor, ...]:
        """The anchor history, least recently used first (expired entries may still be listed)."""
        return tuple(self._entries)

    @property
    def active(self) -> CacheAnchor | None:
        """The anchor ``'static'`` calls currently pin, if any."""
        return self._active

    def invalidate(self) -> None:
        """Forget every anchor; the next ``'static'`` call snapshots afresh once the prefix is large enough."""
        with self._lock:
            self._entries.clear()
            self._active = None

    def plan(
        self,
        messages: Sequence[TokiMessage],
        strategy: CacheStrategy,
        *,
        ttl_seconds: float,
        extra_chars: int = 0,
    ) -> CachePlan | None:
        """Decide this call's breakpoint, updating the history; ``None`` means no caching this call.

        ``extra_chars`` counts prompt text outside ``messages`` that precedes them on the wire
        (tool schemas, say), for the size threshold.
        """
        if strategy is None or not messages:
            return None
        with self._lock:
            now = self._clock()
            self._drop_expired(now)
            hashes = _PrefixHashes(messages)
            if strategy == "rolling":
                return self._rolling(messages, hashes, now + ttl_seconds)
            if strategy == "static":  # pyright: ignore[reportUnnecessaryComparison]
                return self._static(messages, hashes, now + ttl_seconds, extra_chars)
            raise ValueError(f"cache must be 'rolling', 'static' or None, got {strategy!r}")

    # ------------------------------------------------------------------ strategies

    def _rolling(self, messages: Sequence[TokiMessage], hashes: _PrefixHashes, expires_at: float) -> CachePlan | None:
        index = latest_user_index(messages)
        if index is None:
            return None
        self._record(index + 1, hashes(index + 1), expires_at)
        return CachePlan("rolling", index, created=True)

    def _static(
        self, messages: Sequence[TokiMessage], hashes: _PrefixHashes, expires_at: float, extra_chars: int
    ) -> CachePlan | None:
        active = self._active
        if active is not None and self._matches(active, messages, hashes):
            return self._reuse(active, expires_at)
        for entry in reversed(self._entries):
            if entry is not active and self._matches(entry, messages, hashes):
                return self._reuse(entry, expires_at)
        if active is not None:
            self._active = None
            warnings.warn(
                f"the conversation before the static cache anchor (message {active.length - 1}) changed, so its "
                "cache can no longer be read; a fresh anchor will be taken. Call model.invalidate_cache() "
                "after deliberate history edits (e.g. compaction) to start over without this warning.",
                TokiCacheWarning,
                stacklevel=2,
            )
        chars = extra_chars + sum(message_chars(message) for message in messages)
        if estimate_tokens(chars) < self.min_tokens:
            return None  # deferred: too small to be cached yet
        entry = self._record(len(messages), hashes(len(messages)), expires_at)
        self._active = entry
        return CachePlan("static", entry.length - 1, created=True)

    # ------------------------------------------------------------------ history

    @staticmethod
    def _matches(entry: CacheAnchor, messages: Sequence[TokiMessage], hashes: _PrefixHashes) -> bool:
        return entry.length <= len(messages) and hashes(entry.length) == entry.prefix_hash

    def _reuse(self, entry: CacheAnchor, expires_at: float) -> CachePlan:
        entry.expires_at = expires_at  # a cache hit refreshes the provider's TTL
        self._entries.remove(entry)
        self._entries.append(entry)
        self._active = entry
        return CachePlan("static", entry.length - 1, created=False)

    def _record(self, length: int, prefix_hash: str, expires_at: float) -> CacheAnchor:
        for entry in self._entries:
            if entry.length == length and entry.prefix_hash == prefix_hash:
                self._entries.remove(entry)
                entry.expires_at = expires_at
                self._entries.append(entry)
                return entry
        entry = CacheAnchor(length, prefix_hash, expires_at)
        self._entries.append(entry)
        while len(self._entries) > self.max_entries:
            pruned = self._entries.pop(0)
            if pruned is self._active:
                self._active = None
        return entry

    def _drop_expired(self, now: float) -> None:
        if any(entry.expires_at <= now for entry in self._entries):
            self._entries = [entry for entry in self._entries if entry.expires_at > now]
            if self._active is not None and all(entry is not self._active for entry in self._entries):
                self._active = None

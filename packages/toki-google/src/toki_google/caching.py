"""Gemini explicit caching: which ``cachedContents`` resource a call uses, and when to make a new one.

Gemini's explicit cache is a server-side resource (``cachedContents/<id>``) holding a
conversation prefix (with the system instruction and the tools); a request that names it sends
only the rest of the conversation. This module decides, without I/O, which prefix a call should
read from and whether the resource for it already exists; the model creates resources with
google-genai and reports them back with :meth:`GoogleCaches.record`.

The cached prefix always ends where the live request can start with a Gemini user turn (a user
message, or the first result of a tool round), and never includes the last message, so the live
request is never empty:

* ``'rolling'``: the prefix runs up to the latest such place. An existing resource is reused
  while its prefix still matches the conversation, it is not about to expire
  (``refresh_buffer_seconds``) and the conversation has grown by fewer than
  ``refresh_delta_tokens`` past it; otherwise a resource for the current prefix is created.
  Call N+1 thus reads the cache call N made until growth or expiry forces a refresh.
* ``'static'``: the anchor of :class:`toki.caching.CacheState` (snapshotted once the
  conversation is large enough, warning when history before it changes) pins the prefix at the
  last such place before the anchor; its resource is reused until it expires, then recreated.

Prefixes smaller than ``min_tokens`` (estimated as characters / 4) are not cached. A prefix whose
creation failed is not tried again by this model (the call goes out uncached). Resources are
identified by a hash of the model, the tools and the prefix messages, so any change to those
means a new resource. Superseded resources are left to expire on Google's side.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from toki.caching import CacheState, CacheStrategy, estimate_tokens, message_chars
from toki.types import TokiMessage

__all__ = [
    "DEFAULT_MAX_RESOURCES",
    "CacheDecision",
    "CachedPrefix",
    "GoogleCaches",
    "parse_ttl",
]

#: How many cache resources a model remembers.
DEFAULT_MAX_RESOURCES = 16

_TTL_WORDS = {"5m": 300.0, "1h": 3600.0}


def parse_ttl(value: float | str) -> float:
    """A cache lifetime in seconds from a number, ``"300s"``, ``"5m"`` or ``"1h"``."""
    if isinstance(value, str):
        if value in _TTL_WORDS:
            return _TTL_WORDS[value]
        if value.endswith("s"):
            value = value[:-1]
        try:
            value = float(value)
        except ValueError:
            raise ValueError(f"cache_ttl must be seconds, '<n>s', '5m' or '1h', got {value!r}") from None
    seconds = float(value)
    if not seconds > 0:
        raise ValueError(f"cache_ttl must be positive, got {value!r}")
    return seconds


@dataclass(slots=True)
class CachedPrefix:
    """A ``cachedContents`` resource this model created.

    Attributes:
        name: the resource name (``"cachedContents/..."``), passed as ``cached_content``.
        length: how many leading messages it holds.
        key: the hash of model, tools and those messages.
        expires_at: its ``expireTime`` as a Unix timestamp.
        tokens: its size as Gemini counted it, if reported.
    """

    name: str
    length: int
    key: str
    expires_at: float
    tokens: int | None = None


@dataclass(frozen=True, slots=True)
class CacheDecision:
    """What one call does: read ``messages[:length]`` from ``reuse``, or from a resource to create first."""

    length: int
    key: str
    reuse: CachedPrefix | None


class _Keys:
    """Hashes of (model, tools, messages[:n]) for growing n, computed once per call."""

    __slots__ = ("_chain", "_messages")

    def __init__(self, seed: str, messages: Sequence[TokiMessage]) -> None:
        self._messages = messages
        self._chain = [hashlib.sha256(seed.encode()).digest()]

    def __call__(self, length: int) -> str:
        chain = self._chain
        while len(chain) <= length:
            message = self._messages[len(chain) - 1]
            encoded = json.dumps(message.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            chain.append(hashlib.sha256(chain[-1] + encoded.encode()).digest())
        return chain[length].hex()


def _boundary(messages: Sequence[TokiMessage], end: int) -> int | None:
    """Where the live part starts: the last place at or before ``end`` (and before the last message)
    where it can begin with a Gemini user turn, i.e. a user message or the first result of a tool
    round (the results of parallel calls must stay together)."""
    for index in range(min(end, len(messages) - 1), 0, -1):
        role = messages[index].role
        if role == "user" or (role == "tool" and messages[index - 1].role == "assistant"):
            return index
    return None


class GoogleCaches:
    """The cache resources of one model, and the choice of which one a call uses.

    Args:
        model: the model id (part of every resource's identity).
        ttl_seconds: lifetime of created resources.
        min_tokens: smallest prefix worth caching (estimated tokens).
        refresh_delta_tokens: growth past a rolling resource's prefix that triggers a new one.
        refresh_buffer_seconds: a resource this close to expiry counts as expired.
        clock: wall-clock time source (resource expiry times are absolute).
    """

    def __init__(
        self,
        *,
        model: str,
        ttl_seconds: float,
        min_tokens: int,
        refresh_delta_tokens: int,
        refresh_buffer_seconds: float,
        clock: Callable[[], float] = time.time,
        max_resources: int = DEFAULT_MAX_RESOURCES,
    ) -> None:
        self.model = model
        self.ttl_seconds = ttl_seconds
        self.min_tokens = min_tokens
        self.refresh_delta_tokens = refresh_delta_tokens
        self.refresh_buffer_seconds = refresh_buffer_seconds
        self.max_resources = max_resources
        self._clock = clock
        self._anchors = CacheState(min_tokens=min_tokens, clock=clock)
        self._resources: list[CachedPrefix] = []
        self._failed: set[str] = set()
        self._lock = threading.Lock()

    @property
    def resources(self) -> tuple[CachedPrefix, ...]:
        """The remembered resources, oldest first."""
        return tuple(self._resources)

    def invalidate(self) -> None:
        """Forget every anchor and resource (the resources themselves expire on Google's side)."""
        with self._lock:
            self._anchors.invalidate()
            self._resources.clear()
            self._failed.clear()

    def decide(
        self,
        messages: Sequence[TokiMessage],
        strategy: CacheStrategy,
        tools: Sequence[dict[str, Any]] | None,
    ) -> CacheDecision | None:
        """Choose this call's cached prefix (``None``: send the call uncached)."""
        if strategy is None or len(messages) < 2:
            return None
        tools_json = json.dumps(list(tools), sort_keys=True) if tools else ""
        keys = _Keys(f"{self.model}\n{tools_json}", messages)
        with self._lock:
            now = self._clock()
            self._resources = [r for r in self._resources if r.expires_at - self.refresh_buffer_seconds > now]
            if strategy == "rolling":
                end = _boundary(messages, len(messages) - 1)
                if end is None:
                    return None
                for resource in reversed(self._resources):
                    if resource.length <= end and keys(resource.length) == resource.key:
                        grown = sum(message_chars(m) for m in messages[resource.length : end])
                        if estimate_tokens(grown) < self.refresh_delta_tokens:
                            return CacheDecision(resource.length, resource.key, resource)
                        break
            else:
                plan = self._anchors.plan(messages, strategy, ttl_seconds=self.ttl_seconds, extra_chars=len(tools_json))
                if plan is None:
                    return None
                end = _boundary(messages, plan.prefix_length)
                if end is None:
                    return None
            key = keys(end)
            for resource in self._resources:
                if resource.length == end and resource.key == key:
                    return CacheDecision(end, key, resource)
            if key in self._failed:
                return None
            size = len(tools_json) + sum(message_chars(m) for m in messages[:end])
            if estimate_tokens(size) < self.min_tokens:
                return None
            return CacheDecision(end, key, None)

    def record(self, decision: CacheDecision, name: str, expires_at: float | None, tokens: int | None) -> CachedPrefix:
        """Remember a resource created for ``decision``."""
        resource = CachedPrefix(
            name=name,
            length=decision.length,
            key=decision.key,
            expires_at=expires_at if expires_at is not None else self._clock() + self.ttl_seconds,
            tokens=tokens,
        )
        with self._lock:
            self._resources.append(resource)
            del self._resources[: max(0, len(self._resources) - self.max_resources)]
        return resource

    def failed(self, decision: CacheDecision) -> None:
        """Note that creating the resource for ``decision`` failed (it will not be retried)."""
        with self._lock:
            self._failed.add(decision.key)

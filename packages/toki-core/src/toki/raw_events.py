"""The raw events a backend produces, which toki's engine turns into the public chunk types.

This is the whole contract between a backend and the core: a backend translates its
provider's wire format into these events and nothing else. They are re-exported from
:mod:`toki.model`, next to :class:`~toki.model.BaseModel`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from toki.types import FinishReason, TokiUsageMetadata

__all__ = [
    "RawChunk",
    "_RawContentChunk",
    "_RawFinish",
    "_RawThoughtChunk",
    "_RawToolCall",
    "_RawToolCallChunk",
    "_RawTurn",
    "_RawUsage",
]


@dataclass(slots=True)  # not frozen: one is built per streamed chunk, and frozen init costs ~60% more
class _RawContentChunk:
    """A piece of answer text."""

    text: str


@dataclass(slots=True)  # not frozen: one is built per streamed chunk, and frozen init costs ~60% more
class _RawThoughtChunk:
    """A piece of reasoning text (dropped by the engine unless thinking is captured)."""

    text: str


@dataclass(slots=True)  # not frozen: one is built per streamed chunk, and frozen init costs ~60% more
class _RawToolCallChunk:
    """A delta of one tool call, in the OpenAI streaming shape.

    Calls are keyed by ``(index, id)``: fragments with the same index belong to the same call
    until a *different* id arrives on that index, which starts a new call. ``id`` and ``name``
    may arrive on any fragment (usually the first); ``arguments_fragment`` pieces are
    concatenated in order to form the call's JSON arguments. A backend whose provider sends
    whole calls emits one chunk per call with all four fields set.
    """

    index: int | None = None
    id: str | None = None
    name: str | None = None
    arguments_fragment: str | None = None


@dataclass(frozen=True, slots=True)
class _RawUsage:
    """Token usage reported by the provider; several reports in one stream are merged, later wins."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    reasoning_tokens: int | None = None

    def to_metadata(self) -> TokiUsageMetadata:
        """Convert to the public usage type."""
        return TokiUsageMetadata(
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            total_tokens=self.total_tokens,
            cache_read_tokens=self.cache_read_tokens,
            cache_write_tokens=self.cache_write_tokens,
            reasoning_tokens=self.reasoning_tokens,
        )


@dataclass(frozen=True, slots=True)
class _RawFinish:
    """Why the completion ended (toki's addition to the four documented event types).

    Backends that know the provider's finish reason emit it; ``raw`` keeps the provider's
    own spelling. A ``"length"`` finish while a tool call's arguments are still open marks
    that call truncated.
    """

    reason: FinishReason
    raw: str | None = None


@dataclass(frozen=True, slots=True)
class _RawToolCall:
    """A whole tool call inside a :class:`_RawTurn`; ``arguments`` as JSON text or a decoded dict."""

    id: str | None
    name: str
    arguments: str | dict[str, Any] | None


@dataclass(slots=True)
class _RawTurn:
    """The complete result of a blocking call, as ``_raw_blocking`` returns it."""

    content: str = ""
    tool_calls: list[_RawToolCall] = field(default_factory=lambda: list[_RawToolCall]())
    thought: str | None = None
    usage: _RawUsage | None = None
    finish_reason: FinishReason | None = None


#: Any event ``_raw_streaming`` may yield.
RawChunk = _RawContentChunk | _RawThoughtChunk | _RawToolCallChunk | _RawUsage | _RawFinish

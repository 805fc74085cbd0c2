"""What the generation worker reports, how it becomes toki's raw events, and how those fold into a turn.

A :class:`~toki_local.worker.GenerationJob` emits :data:`Item` values: ``Started``, text pieces,
then ``Finished`` or ``Failed``.

:class:`EventTranslator` is the sans-I/O middle of every call: the sync and async fronts pull
items from a :class:`~toki_local.worker.GenerationJob` and push them through it. It runs the
text through the :class:`~toki_local.splitter.OutputSplitter`, adds the usage and finish events
at the end, and re-raises a failure of the worker as a toki error. :func:`fold_turn` assembles
the same events into the ``_RawTurn`` a blocking call returns, so streaming and blocking agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from toki.model import RawChunk, _RawContentChunk, _RawFinish, _RawThoughtChunk, _RawToolCall, _RawToolCallChunk
from toki.raw_events import _RawTurn, _RawUsage
from toki.types import FinishReason

from toki_local.errors import generation_error
from toki_local.splitter import OutputSplitter

__all__ = ["EventTranslator", "Failed", "Finished", "Item", "Started", "fold_turn"]


@dataclass(frozen=True, slots=True)
class Started:
    """The prompt is rendered: its size, and whether the template opened ``<think>`` for the reply."""

    prompt_tokens: int
    thinking_open: bool


@dataclass(frozen=True, slots=True)
class Finished:
    """Generation ended normally: ``stop`` (end-of-turn token or other stop) or ``length`` (token limit)."""

    completion_tokens: int
    reason: Literal["stop", "length"]


@dataclass(frozen=True, slots=True)
class Failed:
    """Rendering or generation raised ``error`` (re-raised in the consumer)."""

    error: BaseException


#: What a job emits.
Item = str | Started | Finished | Failed


class EventTranslator:
    """Turns one job's items into raw events (one translator per call)."""

    __slots__ = ("_prompt_tokens", "_splitter")

    def __init__(self) -> None:
        self._splitter = OutputSplitter()
        self._prompt_tokens = 0

    def translate(self, item: Item) -> list[RawChunk]:
        """The raw events ``item`` produces; raises the job's error for a ``Failed`` item."""
        if isinstance(item, str):
            return self._splitter.feed(item)
        if isinstance(item, Started):
            self._prompt_tokens = item.prompt_tokens
            self._splitter = OutputSplitter(thinking_open=item.thinking_open)
            return []
        if isinstance(item, Finished):
            return self._finish(item)
        raise generation_error(item.error)

    def _finish(self, item: Finished) -> list[RawChunk]:
        events = self._splitter.finish(token_limit=item.reason == "length")
        reason: FinishReason = item.reason
        if reason == "stop" and self._splitter.tool_calls:
            reason = "tool_calls"
        prompt = self._prompt_tokens
        events.append(
            _RawUsage(
                prompt_tokens=prompt,
                completion_tokens=item.completion_tokens,
                total_tokens=prompt + item.completion_tokens,
            )
        )
        events.append(_RawFinish(reason, raw=item.reason))
        return events


def fold_turn(events: Iterable[RawChunk]) -> _RawTurn:
    """Assemble a whole stream of raw events into one blocking turn."""
    content: list[str] = []
    thought: list[str] = []
    names: dict[int, str] = {}
    arguments: dict[int, list[str]] = {}
    turn = _RawTurn()
    for event in events:
        if isinstance(event, _RawContentChunk):
            content.append(event.text)
        elif isinstance(event, _RawThoughtChunk):
            thought.append(event.text)
        elif isinstance(event, _RawToolCallChunk):
            index = event.index or 0
            arguments.setdefault(index, [])
            if event.name is not None:
                names[index] = event.name
            if event.arguments_fragment is not None:
                arguments[index].append(event.arguments_fragment)
        elif isinstance(event, _RawUsage):
            turn.usage = event
        else:
            turn.finish_reason = event.reason
    turn.content = "".join(content)
    turn.thought = "".join(thought) or None
    # The splitter only completes a call once it has a name (it raises otherwise).
    turn.tool_calls = [
        _RawToolCall(id=None, name=names.get(index, ""), arguments="".join(parts))
        for index, parts in sorted(arguments.items())
    ]
    return turn

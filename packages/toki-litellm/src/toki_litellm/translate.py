"""litellm's responses and stream chunks, translated into toki's raw events.

litellm normalises every provider to the OpenAI chat shapes (``ModelResponse`` for a blocking
call, ``ModelResponseStream`` chunks for a stream), so one mapping serves every route:

========================================  ==========================================
litellm                                   toki raw event
========================================  ==========================================
``delta.reasoning_content``               ``_RawThoughtChunk``
``delta.content``                         ``_RawContentChunk``
``delta.tool_calls[i]`` (index, id,       ``_RawToolCallChunk`` (same fields)
name, arguments fragment)
``usage``                                 ``_RawUsage`` (see :func:`usage_event`)
``choices[0].finish_reason``              ``_RawFinish``
========================================  ==========================================
"""

from __future__ import annotations

from typing import Any

from toki.errors import TokiResponseError
from toki.raw_events import (
    RawChunk,
    _RawContentChunk,
    _RawFinish,
    _RawThoughtChunk,
    _RawToolCall,
    _RawToolCallChunk,
    _RawTurn,
    _RawUsage,
)
from toki.types import FinishReason

__all__ = ["StreamTranslator", "finish_reason", "turn_from_response", "usage_event"]

_FINISH: dict[str, FinishReason] = {
    "stop": "stop",
    "end_turn": "stop",
    "stop_sequence": "stop",
    "length": "length",
    "max_tokens": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "tool_use": "tool_calls",
    "content_filter": "content_filter",
    "safety": "content_filter",
    "refusal": "content_filter",
}


def finish_reason(raw: str) -> _RawFinish:
    """The finish event for litellm's (OpenAI-style) finish reason; unknown ones become ``"other"``."""
    return _RawFinish(_FINISH.get(raw.lower(), "other"), raw)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def usage_event(usage: Any) -> _RawUsage:
    """Token usage as toki reports it.

    ``prompt_tokens`` includes cached tokens (litellm adds Anthropic's cache reads and writes back
    in); cache reads come from ``prompt_tokens_details.cached_tokens``, cache writes from
    Anthropic's ``cache_creation_input_tokens``, reasoning from
    ``completion_tokens_details.reasoning_tokens``.
    """
    prompt_details = getattr(usage, "prompt_tokens_details", None)
    completion_details = getattr(usage, "completion_tokens_details", None)
    cache_write = _int(getattr(usage, "cache_creation_input_tokens", None))
    if cache_write is None and prompt_details is not None:
        cache_write = _int(getattr(prompt_details, "cache_creation_tokens", None))
    return _RawUsage(
        prompt_tokens=_int(getattr(usage, "prompt_tokens", None)),
        completion_tokens=_int(getattr(usage, "completion_tokens", None)),
        total_tokens=_int(getattr(usage, "total_tokens", None)),
        cache_read_tokens=_int(getattr(prompt_details, "cached_tokens", None)) if prompt_details is not None else None,
        cache_write_tokens=cache_write,
        reasoning_tokens=(
            _int(getattr(completion_details, "reasoning_tokens", None)) if completion_details is not None else None
        ),
    )


class StreamTranslator:
    """Turns each ``ModelResponseStream`` chunk into raw events (kept small: it runs per chunk).

    Attributes:
        content: the answer text received so far, in pieces (for truncation reports).
    """

    __slots__ = ("content",)

    def __init__(self) -> None:
        self.content: list[str] = []

    def feed(self, chunk: Any) -> list[RawChunk]:
        """The raw events carried by one chunk, in toki's order (thought, text, calls, usage, finish)."""
        events: list[RawChunk] = []
        choices = chunk.choices
        if choices:
            choice = choices[0]
            delta = choice.delta
            if delta is not None:
                thought = getattr(delta, "reasoning_content", None)
                if thought:
                    events.append(_RawThoughtChunk(thought))
                text = delta.content
                if text:
                    self.content.append(text)
                    events.append(_RawContentChunk(text))
                calls = delta.tool_calls
                if calls:
                    for call in calls:
                        function = call.function
                        events.append(
                            _RawToolCallChunk(
                                index=call.index,
                                id=call.id,
                                name=function.name if function is not None else None,
                                arguments_fragment=function.arguments if function is not None else None,
                            )
                        )
            reason = choice.finish_reason
            if reason:
                events.append(finish_reason(reason))
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            events.append(usage_event(usage))
        return events

    @property
    def received(self) -> str:
        """The answer text received so far."""
        return "".join(self.content)


def turn_from_response(response: Any, *, provider: str | None) -> _RawTurn:
    """A blocking ``ModelResponse`` as one raw turn."""
    choices = getattr(response, "choices", None)
    if not choices:
        raise TokiResponseError("the response has no choices", provider=provider)
    choice = choices[0]
    message = choice.message
    calls: list[_RawToolCall] = []
    for call in getattr(message, "tool_calls", None) or ():
        function = call.function
        calls.append(_RawToolCall(id=call.id, name=function.name or "", arguments=function.arguments))
    usage = getattr(response, "usage", None)
    reason = choice.finish_reason
    return _RawTurn(
        content=message.content or "",
        tool_calls=calls,
        thought=getattr(message, "reasoning_content", None) or None,
        usage=usage_event(usage) if usage is not None else None,
        finish_reason=finish_reason(reason).reason if reason else None,
    )

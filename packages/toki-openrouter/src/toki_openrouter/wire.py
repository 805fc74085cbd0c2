"""OpenRouter's wire format, without I/O: the request body, and the answer turned into raw events.

OpenRouter speaks OpenAI's chat-completions protocol plus a few fields of its own; everything
here is a pure function or a push-based decoder, shared by the sync and async shells:

* :func:`build_body`: the JSON body of ``POST /chat/completions`` (reasoning precedence,
  usage accounting, pass-through options);
* :class:`ChunkDecoder`: the ``data:`` payloads of a stream to raw events, with the end-of-stream
  check (``data: [DONE]`` must have arrived);
* :func:`parse_completion`: a blocking answer to a :class:`~toki.raw_events._RawTurn`.

Thinking text: a delta's ``reasoning`` string is the thinking; ``reasoning_content`` (what some
OpenAI-compatible upstreams send) is used when it is absent; only when neither is there are the
``reasoning_details`` items read, ``reasoning.text`` and ``reasoning.summary`` text becoming
thinking. OpenRouter sends the same text both as ``reasoning`` and inside ``reasoning_details``
(see the recorded ``openrouter/reasoning-text-signature.sse``), so reading both would double it.
Signatures and ``reasoning.encrypted`` data are never surfaced, neither as thinking nor content.
Thinking is emitted whether or not it is captured; the engine drops it when it is not.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, cast

from toki.errors import TokiInputError, TokiResponseError, TokiStreamTruncatedError
from toki.model import (
    RawChunk,
    _RawContentChunk,
    _RawFinish,
    _RawThoughtChunk,
    _RawToolCall,
    _RawToolCallChunk,
    _RawTurn,
    _RawUsage,
)
from toki.types import FinishReason, ReasoningEffort, TokiMessage

from toki_openrouter.errors import PROVIDER, payload_error

__all__ = [
    "DEFAULT_BASE_URL",
    "ChunkDecoder",
    "build_body",
    "finish_reason",
    "parse_completion",
    "reasoning_field",
    "usage_event",
]

#: OpenRouter's API root; ``/chat/completions`` is appended.
DEFAULT_BASE_URL = "https://openrouter.ai/api/v1"

# Set by toki from the call's own arguments; a kwarg with one of these names is a mistake.
_RESERVED = frozenset({"model", "messages", "tools", "stream"})

_FINISH: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}

_DETAIL_TEXT_FIELDS = {"reasoning.text": "text", "reasoning.summary": "summary"}

# Aliases built once: cast(dict[str, Any], x) would build the generic alias on every chunk.
_Object = dict[str, Any]
_Array = list[Any]


def reasoning_field(
    kwargs: Mapping[str, Any], *, reasoning_effort: ReasoningEffort | None, capture_thinking: bool
) -> object:
    """The ``reasoning`` request field: the ``reasoning=`` kwarg wins, then the effort, then capture alone.

    Returns ``None`` when no field is sent.
    """
    if "reasoning" in kwargs:
        return kwargs["reasoning"]
    if reasoning_effort is not None:
        return {"effort": reasoning_effort}
    if capture_thinking:
        return {"enabled": True}
    return None


def build_body(
    model: str,
    messages: Sequence[TokiMessage],
    tools: Sequence[Mapping[str, Any]] | None,
    *,
    stream: bool,
    capture_thinking: bool,
    reasoning_effort: ReasoningEffort | None,
    allow_parallel_tool_calls: bool,
    kwargs: Mapping[str, Any],
) -> dict[str, Any]:
    """The request body; ``kwargs`` (``temperature``, ``max_tokens``, ``provider``...) pass through."""
    reserved = _RESERVED.intersection(kwargs)
    if reserved:
        raise TokiInputError(f"{sorted(reserved)} cannot be passed as extra options; toki sets them from the call")
    body: dict[str, Any] = {"model": model, "messages": [message.to_dict() for message in messages]}
    if tools:
        body["tools"] = [dict(tool) for tool in tools]
        body["parallel_tool_calls"] = allow_parallel_tool_calls
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    # OpenRouter's usage accounting adds cache and reasoning token counts (and cost) to `usage`.
    body["usage"] = {"include": True}
    reasoning = reasoning_field(kwargs, reasoning_effort=reasoning_effort, capture_thinking=capture_thinking)
    for key, value in kwargs.items():
        if key != "reasoning":
            body[key] = value
    if reasoning is not None:
        body["reasoning"] = reasoning
    return body


def finish_reason(raw: str) -> FinishReason:
    """OpenRouter's (normalised, OpenAI-style) finish reason as toki's."""
    return _FINISH.get(raw, "other")


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def usage_event(usage: Mapping[str, Any]) -> _RawUsage:
    """The ``usage`` object (with OpenRouter's cache and reasoning details) as a raw usage event."""
    prompt_details = usage.get("prompt_tokens_details")
    completion_details = usage.get("completion_tokens_details")
    cache_read = cache_write = reasoning = None
    if isinstance(prompt_details, Mapping):
        details = cast(Mapping[str, Any], prompt_details)
        cache_read = _int(details.get("cached_tokens"))
        cache_write = _int(details.get("cache_write_tokens"))
    if isinstance(completion_details, Mapping):
        reasoning = _int(cast(Mapping[str, Any], completion_details).get("reasoning_tokens"))
    return _RawUsage(
        prompt_tokens=_int(usage.get("prompt_tokens")),
        completion_tokens=_int(usage.get("completion_tokens")),
        total_tokens=_int(usage.get("total_tokens")),
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        reasoning_tokens=reasoning,
    )


def _thinking(source: Mapping[str, Any]) -> str:
    """Thinking text of a delta or message (see the module docstring for the precedence)."""
    text = source.get("reasoning")
    if isinstance(text, str) and text:
        return text
    text = source.get("reasoning_content")
    if isinstance(text, str) and text:
        return text
    details = source.get("reasoning_details")
    if not isinstance(details, list) or not details:
        return ""
    pieces: list[str] = []
    for item in cast(list[Any], details):
        if isinstance(item, Mapping):
            detail = cast(Mapping[str, Any], item)
            field = _DETAIL_TEXT_FIELDS.get(str(detail.get("type")))
            piece = detail.get(field) if field else None
            if isinstance(piece, str) and piece:
                pieces.append(piece)
    return "".join(pieces)


def _content(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # some upstreams answer with content parts
        parts = cast(list[Any], value)
        return "".join(
            str(cast(Mapping[str, Any], part).get("text") or "")
            for part in parts
            if isinstance(part, Mapping) and cast(Mapping[str, Any], part).get("type") in ("text", "output_text")
        )
    return ""


def _decode_json(data: str | bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError as exc:
        raise TokiResponseError(
            f"OpenRouter sent {what} that is not JSON: {str(data)[:200]!r}", provider=PROVIDER
        ) from exc
    if type(value) is not dict:
        raise TokiResponseError(
            f"OpenRouter sent {what} that is not a JSON object: {str(data)[:200]!r}", provider=PROVIDER
        )
    return value  # pyright: ignore[reportUnknownVariableType]  # json's Any, checked above


class ChunkDecoder:
    """Turns the ``data:`` payloads of one streamed answer into raw events.

    Attributes:
        done: ``data: [DONE]`` has arrived.
        finished: a chunk carried a finish reason.
        events_seen: whether any data event (not a keep-alive comment) has arrived.
    """

    __slots__ = ("_content", "done", "events_seen", "finished")

    def __init__(self) -> None:
        self.done = False
        self.finished = False
        self.events_seen = False
        self._content: list[str] = []

    @property
    def content_so_far(self) -> str:
        """The answer text received so far."""
        return "".join(self._content)

    def feed(self, data: str) -> list[RawChunk]:
        """Decode one event's data; raise the typed error for an in-band ``error`` object."""
        # Hot path: one call per streamed chunk, so no typing.cast() (a real call) and few lookups.
        self.events_seen = True
        if self.done:
            return []  # nothing after [DONE] belongs to the answer
        if data == "[DONE]":
            self.done = True
            return []
        chunk = _decode_json(data, "a stream event")
        error = chunk.get("error")
        if error is not None:
            raise payload_error(error)
        events: list[RawChunk] = []
        choices: Any = chunk.get("choices")
        # One completion per request (toki never asks for n > 1): the first choice is the answer.
        if choices and type(choices) is list:
            first: Any = cast(_Array, choices)[0]
            if type(first) is dict:
                self._choice(cast(_Object, first), events)
        usage: Any = chunk.get("usage")
        if usage and type(usage) is dict:
            events.append(usage_event(cast(_Object, usage)))
        return events

    def _choice(self, choice: dict[str, Any], events: list[RawChunk]) -> None:
        raw_delta: Any = choice.get("delta")
        if raw_delta and type(raw_delta) is dict:
            delta = cast(_Object, raw_delta)
            if "reasoning" in delta or "reasoning_details" in delta or "reasoning_content" in delta:
                thought = _thinking(delta)
                if thought:
                    events.append(_RawThoughtChunk(thought))
            content = delta.get("content")
            if content:
                text: str = content if type(content) is str else _content(content)
                if text:
                    self._content.append(text)
                    events.append(_RawContentChunk(text))
            calls = delta.get("tool_calls")
            if calls and type(calls) is list:
                for call in cast(_Array, calls):
                    if type(call) is dict:
                        events.append(_tool_call_chunk(cast(_Object, call)))
        reason: Any = choice.get("finish_reason")
        if reason and type(reason) is str:
            self.finished = True
            events.append(_RawFinish(finish_reason(reason), raw=reason))

    def finish(self) -> None:
        """The byte stream ended: raise :class:`TokiStreamTruncatedError` unless ``data: [DONE]`` arrived.

        ``[DONE]`` is the stream's terminal event; a finish reason alone is not enough (the usage
        chunk follows it, and a connection cut there must not pass for a complete answer).
        Some upstreams omit the finish reason but still send ``[DONE]``: that is complete.
        """
        if not self.done:
            received = self.content_so_far
            ending = "after a finish reason" if self.finished else "without a finish reason"
            raise TokiStreamTruncatedError(
                f"the stream ended without data: [DONE] ({ending}) after {len(received)} characters of content",
                received=received,
                provider=PROVIDER,
            )


def _tool_call_chunk(call: dict[str, Any]) -> _RawToolCallChunk:
    function = call.get("function")
    name = arguments = None
    if isinstance(function, dict):
        function = cast(dict[str, Any], function)
        name = function.get("name") or None
        arguments = function.get("arguments")
        if arguments is not None and not isinstance(arguments, str):
            arguments = json.dumps(arguments, ensure_ascii=False)
    index = call.get("index")
    call_id = call.get("id")
    return _RawToolCallChunk(
        index=index if isinstance(index, int) else None,
        id=str(call_id) if call_id not in (None, "") else None,
        name=name if isinstance(name, str) else None,
        arguments_fragment=arguments,
    )


def parse_completion(body: bytes) -> _RawTurn:
    """A blocking ``chat.completion`` body as a raw turn (an ``error`` object raises its typed error).

    Invalid UTF-8 is replaced with U+FFFD, as in streamed answers (whose SSE decoder does so).
    """
    completion = _decode_json(body.decode("utf-8", "replace"), "a response body")
    if completion.get("error") is not None:
        raise payload_error(completion["error"])
    choices = completion.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise TokiResponseError(f"OpenRouter's answer has no choices: {body[:200]!r}", provider=PROVIDER)
    choice = cast(dict[str, Any], cast(list[Any], choices)[0])
    message = choice.get("message")
    message = cast(dict[str, Any], message) if isinstance(message, dict) else {}
    calls: list[_RawToolCall] = []
    for call in cast(list[Any], message.get("tool_calls") or []):
        if isinstance(call, dict):
            chunk = _tool_call_chunk(cast(dict[str, Any], call))
            if chunk.name is None:
                raise TokiResponseError(f"OpenRouter returned a tool call without a name: {call!r}", provider=PROVIDER)
            calls.append(_RawToolCall(id=chunk.id, name=chunk.name, arguments=chunk.arguments_fragment))
    reason = choice.get("finish_reason")
    usage = completion.get("usage")
    return _RawTurn(
        content=_content(message.get("content")),
        tool_calls=calls,
        thought=_thinking(message) or None,
        usage=usage_event(cast(Mapping[str, Any], usage)) if isinstance(usage, dict) else None,
        finish_reason=finish_reason(reason) if isinstance(reason, str) and reason else None,
    )

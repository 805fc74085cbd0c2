"""Ollama's ``/api/chat`` in toki's terms, without I/O: the request arguments, and the answer as raw events.

Requests are built for the official client's ``chat(...)``: messages in Ollama's shape (assistant
tool calls as ``{"function": {"name", "arguments": {object}}}``, tool results carrying
``tool_name``), the tools as toki received them (the client keeps ``type``, ``items``,
``description`` and ``enum`` of each property, like the daemon itself), ``think``, ``options`` and
``keep_alive``.

Answers are decoded by :class:`ChatDecoder`, one chat object (NDJSON line) at a time, into the raw
events of :mod:`toki.raw_events`. Ollama sends each tool call whole and the client drops the
daemon's call ids and indices, so every call becomes one ``_RawToolCallChunk`` with a fresh id and
its position in the turn as index.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import ollama
from toki.errors import TokiConfigurationError, TokiStreamTruncatedError
from toki.model import (
    RawChunk,
    _RawContentChunk,  # pyright: ignore[reportPrivateUsage]
    _RawFinish,  # pyright: ignore[reportPrivateUsage]
    _RawThoughtChunk,  # pyright: ignore[reportPrivateUsage]
    _RawToolCall,  # pyright: ignore[reportPrivateUsage]
    _RawToolCallChunk,  # pyright: ignore[reportPrivateUsage]
    _RawTurn,  # pyright: ignore[reportPrivateUsage]
    _RawUsage,  # pyright: ignore[reportPrivateUsage]
)
from toki.types import ReasoningEffort, TokiMessage

__all__ = [
    "OPTION_NAMES",
    "THINK_LEVELS",
    "ChatCall",
    "ChatDecoder",
    "ThinkValue",
    "chat_arguments",
    "finish_event",
    "normalize_model_name",
    "takes_think_levels",
    "think_value",
    "to_ollama_messages",
    "turn_from_events",
]

#: What the daemon's ``think`` field takes.
ThinkValue = bool | Literal["low", "medium", "high"]

#: toki's reasoning efforts on the three levels the daemon knows.
THINK_LEVELS: dict[str, Literal["low", "medium", "high"]] = {
    "minimal": "low",
    "low": "low",
    "medium": "medium",
    "high": "high",
    "xhigh": "high",
}

#: Model families whose ``think`` takes a level. The daemon accepts a string only for models with
#: the "harmony" parser (server/routes.go: "string values currently only allowed for harmony/gptoss
#: models"), and answers 400 for any other model.
_LEVEL_FAMILIES = ("gpt-oss",)

#: Generation options a call may pass as keyword arguments (the client's ``Options`` plus ``min_p``,
#: which the daemon has long accepted but the client's model does not list).
OPTION_NAMES: frozenset[str] = frozenset(ollama.Options.model_fields) | {"min_p"}

#: Keyword arguments under another name: toki's (OpenAI's) spelling -> Ollama's option.
_OPTION_ALIASES = {"max_tokens": "num_predict"}

#: Keyword arguments that go to the request itself rather than into ``options``.
_REQUEST_FIELDS = ("keep_alive", "format", "think")


def normalize_model_name(name: str) -> str:
    """``name`` with an explicit tag, the way the daemon lists it (``llama3.2`` -> ``llama3.2:latest``)."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def takes_think_levels(model: str) -> bool:
    """Whether the daemon accepts ``think="low"|"medium"|"high"`` for this model."""
    family = model.rsplit("/", 1)[-1].split(":", 1)[0]
    return family.startswith(_LEVEL_FAMILIES)


def think_value(
    *,
    capture_thinking: bool,
    reasoning_effort: ReasoningEffort | None,
    supports_thinking: bool | None,
    takes_levels: bool,
) -> ThinkValue:
    """The ``think`` field for a call.

    ``False`` unless thinking is wanted (captured, or asked for with ``reasoning_effort``), so
    thinking models do not think for nothing; never ``True`` for a model known not to think (the
    daemon would answer 400); a level only where the model takes one.
    """
    if not (capture_thinking or reasoning_effort is not None) or supports_thinking is False:
        return False
    if reasoning_effort is not None and takes_levels:
        return THINK_LEVELS[reasoning_effort]
    return True


def to_ollama_messages(messages: Sequence[TokiMessage]) -> list[dict[str, Any]]:
    """The conversation in ``/api/chat``'s shape.

    A tool result carries the called tool's name as ``tool_name``: the message's ``name``, or else
    the name of the earlier assistant tool call with the same id.
    """
    names_by_call_id: dict[str, str] = {}
    out: list[dict[str, Any]] = []
    for message in messages:
        entry: dict[str, Any] = {"role": message.role, "content": message.content or ""}
        if message.tool_calls:
            entry["tool_calls"] = [
                {"function": {"name": call.function.name, "arguments": dict(call.function.arguments)}}
                for call in message.tool_calls
            ]
            for call in message.tool_calls:
                names_by_call_id[call.id] = call.function.name
        if message.role == "tool":
            name = message.name or names_by_call_id.get(message.tool_call_id or "")
            if name:
                entry["tool_name"] = name
        out.append(entry)
    return out


@dataclass(frozen=True)
class ChatCall:
    """The arguments of one ``client.chat(...)`` call, ``stream`` excepted."""

    model: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None
    think: bool | str | None
    options: dict[str, Any] | None
    keep_alive: float | str | None
    format: Any = None


def chat_arguments(
    model: str,
    messages: Sequence[TokiMessage],
    tools: Sequence[Mapping[str, Any]] | None,
    *,
    think: ThinkValue,
    options: Mapping[str, Any] | None,
    keep_alive: float | str | None,
    call_kwargs: Mapping[str, Any],
) -> ChatCall:
    """The arguments of ``client.chat(...)`` for one call.

    ``call_kwargs`` are the call's extra keyword arguments: generation options by their Ollama
    name (``temperature``, ``top_p``, ``seed``, ``num_ctx``...) or ``max_tokens`` (sent as
    ``num_predict``); ``options={...}`` for any others; ``keep_alive``, ``format`` and ``think``
    for the request fields of the same name. Precedence, lowest first: the model's ``options``,
    the call's ``options``, the named options.
    """
    merged: dict[str, Any] = dict(options or {})
    request: dict[str, Any] = {"think": think, "keep_alive": keep_alive, "format": None}
    call_options = call_kwargs.get("options")
    if call_options is not None:
        if not isinstance(call_options, Mapping):
            raise TokiConfigurationError(
                f"options must be a mapping of Ollama options, got {type(call_options).__name__}", provider="ollama"
            )
        merged.update(cast(Mapping[str, Any], call_options))
    for name, value in call_kwargs.items():
        if name == "options":
            continue
        if name in _REQUEST_FIELDS:
            request[name] = value
            continue
        option = _OPTION_ALIASES.get(name, name)
        if option not in OPTION_NAMES:
            raise TokiConfigurationError(
                f"OllamaModel does not take the keyword argument {name!r}: pass max_tokens, an Ollama option "
                f"({', '.join(sorted(OPTION_NAMES))}), options={{...}}, keep_alive, format or think",
                provider="ollama",
            )
        if value is None:
            continue
        merged[option] = [value] if option == "stop" and isinstance(value, str) else value
    return ChatCall(
        model=model,
        messages=to_ollama_messages(messages),
        tools=[dict(tool) for tool in tools] if tools else None,
        think=request["think"],
        options=merged or None,
        keep_alive=request["keep_alive"],
        format=request["format"],
    )


def _new_call_id() -> str:
    return "call_" + os.urandom(12).hex()


def finish_event(done_reason: str | None, *, called_tools: bool) -> _RawFinish:
    """The finish event for the final chat object's ``done_reason``.

    The daemon says ``stop`` after tool calls too, so a turn that made calls finishes with
    ``tool_calls``; ``length`` is the token limit; anything else (``load``, ``unload``...) is ``other``.
    """
    if done_reason in (None, "", "stop"):
        return _RawFinish("tool_calls" if called_tools else "stop", done_reason)
    if done_reason == "length":
        return _RawFinish("length", done_reason)
    return _RawFinish("other", done_reason)


class ChatDecoder:
    """Decodes the chat objects of one answer into raw events (push-based, no I/O).

    Feed every object in order, then call :meth:`finish`: an answer whose final object
    (``done: true``) never came is truncated and raises :class:`TokiStreamTruncatedError`.

    Args:
        source: who sent the answer, for error messages ("the Ollama daemon at ...").
        new_call_id: makes the id of each tool call (the client drops the daemon's own).

    Attributes:
        objects: how many chat objects were fed.
        done: whether the final object arrived.
    """

    def __init__(self, source: str, *, new_call_id: Callable[[], str] = _new_call_id) -> None:
        self.source = source
        self.objects = 0
        self.done = False
        self._new_call_id = new_call_id
        self._calls = 0
        self._content: list[str] = []

    @property
    def content_so_far(self) -> str:
        """The answer text received so far."""
        return "".join(self._content)

    def feed(self, part: ollama.ChatResponse) -> list[RawChunk]:
        """The raw events carried by one chat object."""
        self.objects += 1
        if self.done:
            return []  # the daemon ends the stream after the final object; nothing can follow it
        events: list[RawChunk] = []
        message = part.message
        if message.thinking:
            events.append(_RawThoughtChunk(message.thinking))
        if message.content:
            self._content.append(message.content)
            events.append(_RawContentChunk(message.content))
        for call in message.tool_calls or ():
            arguments = json.dumps(dict(call.function.arguments), ensure_ascii=False)
            events.append(
                _RawToolCallChunk(
                    index=self._calls, id=self._new_call_id(), name=call.function.name, arguments_fragment=arguments
                )
            )
            self._calls += 1
        if part.done:
            self.done = True
            prompt, completion = part.prompt_eval_count, part.eval_count
            total = prompt + completion if prompt is not None and completion is not None else None
            events.append(_RawUsage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=total))
            events.append(finish_event(part.done_reason, called_tools=self._calls > 0))
        return events

    def finish(self) -> None:
        """The stream has ended: raise if it ended before its final object."""
        if not self.done:
            raise TokiStreamTruncatedError(
                f"{self.source} ended the answer after {self.objects} line(s) without its final "
                '"done": true line; the answer is incomplete',
                received=self.content_so_far,
                provider="ollama",
            )


def turn_from_events(events: Iterable[RawChunk]) -> _RawTurn:
    """Assemble the raw events of a whole answer into the turn a blocking call returns."""
    content: list[str] = []
    thought: list[str] = []
    turn = _RawTurn()
    for event in events:
        if isinstance(event, _RawContentChunk):
            content.append(event.text)
        elif isinstance(event, _RawThoughtChunk):
            thought.append(event.text)
        elif isinstance(event, _RawToolCallChunk):
            turn.tool_calls.append(_RawToolCall(id=event.id, name=event.name or "", arguments=event.arguments_fragment))
        elif isinstance(event, _RawUsage):
            turn.usage = event
        else:
            turn.finish_reason = event.reason
    turn.content = "".join(content)
    turn.thought = "".join(thought) or None
    return turn

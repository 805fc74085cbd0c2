"""The value types of toki's public API: messages, tool calls, responses, schemas, usage."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Generic, Literal, TypeVar

__all__ = [
    "FinishReason",
    "ReasoningEffort",
    "Role",
    "StreamingToolSchema",
    "TokenCountEstimate",
    "TokiMessage",
    "TokiThinking",
    "TokiThoughtResponse",
    "TokiToolCall",
    "TokiToolFunction",
    "TokiToolsResponse",
    "TokiToolsThoughtResponse",
    "TokiUsageMetadata",
    "ToolSchema",
    "WithMixedTools",
    "WithStaticTools",
    "WithStreamingTools",
    "WithoutTools",
    "pretty_tool_call",
]

#: Who wrote a message.
Role = Literal["system", "user", "assistant", "tool"]

#: How hard the server should think, for backends with a reasoning knob.
ReasoningEffort = Literal["minimal", "low", "medium", "high", "xhigh"]

#: Why a completion ended, normalised across providers. ``"other"`` covers anything a
#: provider reports that has no common meaning (its raw value is not lost: backends log it).
FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "other"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class TokiToolFunction:
    """The function half of a tool call: which tool, and with which arguments."""

    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True, slots=True)
class TokiToolCall:
    """One complete tool call requested by the model."""

    id: str
    function: TokiToolFunction
    type: Literal["function"] = "function"


@dataclass(frozen=True, slots=True)
class TokiThinking:
    """A piece of the model's reasoning text, yielded while streaming with ``capture_thinking=True``."""

    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(slots=True)
class TokiMessage:
    """One message of a conversation.

    ``content`` is ``None`` only for an assistant turn that consists of tool calls alone.
    ``tool_calls`` is set on assistant turns that called tools; ``tool_call_id`` on tool results.
    """

    role: Role
    content: str | None = None
    tool_calls: list[TokiToolCall] | None = None
    tool_call_id: str | None = None
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the message in the OpenAI chat-completions shape (arguments as a JSON string)."""
        import json

        out: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            out["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {
                        "name": call.function.name,
                        "arguments": json.dumps(call.function.arguments, ensure_ascii=False),
                    },
                }
                for call in self.tool_calls
            ]
        if self.tool_call_id is not None:
            out["tool_call_id"] = self.tool_call_id
        if self.name is not None:
            out["name"] = self.name
        return out


@dataclass(slots=True)
class TokiThoughtResponse:
    """A blocking answer with the model's reasoning (``capture_thinking=True``, no tool call)."""

    content: str
    thought: str

    def __str__(self) -> str:
        return self.content


@dataclass(slots=True)
class TokiToolsResponse(Generic[T]):
    """A blocking answer in which the model called tools; ``content`` is any text it wrote too."""

    content: str
    tool_calls: list[T]

    def __str__(self) -> str:
        return self.content


@dataclass(slots=True)
class TokiToolsThoughtResponse(TokiToolsResponse[T]):
    """A blocking tool-calling answer with the model's reasoning (``capture_thinking=True``)."""

    thought: str = ""


class ToolSchema(dict[str, Any]):
    """An OpenAI-style function tool schema whose calls arrive whole, as :class:`TokiToolCall`.

    It is a plain ``dict``: passing the raw dict instead is the same thing at run time; the
    wrapper exists so that the type checker can narrow ``complete()``'s return type.
    """

    __slots__ = ()


class StreamingToolSchema:
    """A tool schema whose calls stream their arguments as they are generated.

    Calls to such a tool arrive as ``TokiToolCallStream`` (``AsyncTokiToolCallStream`` on the
    async paths) as soon as the model has named the tool.
    """

    __slots__ = ("schema",)

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.schema: dict[str, Any] = dict(schema)

    def __repr__(self) -> str:
        return f"StreamingToolSchema({self.schema!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StreamingToolSchema) and other.schema == self.schema

    def __hash__(self) -> int:
        return id(self)


@dataclass(frozen=True, slots=True)
class TokenCountEstimate:
    """A token count that is an estimate, with the safety margin already applied.

    ``prompt_tokens`` = ceil(``raw_prompt_tokens`` x ``safety_factor``), usable directly as a budget.
    """

    prompt_tokens: int
    raw_prompt_tokens: int
    safety_factor: float


@dataclass(frozen=True, slots=True)
class TokiUsageMetadata:
    """Token usage of one completion (or a sum of several), as the provider reported it.

    A field is ``None`` when the provider did not report it. ``cache_read_tokens`` and
    ``cache_write_tokens`` are part of ``prompt_tokens``; ``reasoning_tokens`` is part of
    ``completion_tokens``.
    """

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    reasoning_tokens: int | None = None

    def __add__(self, other: TokiUsageMetadata) -> TokiUsageMetadata:
        values: dict[str, int | None] = {}
        for f in fields(self):
            mine: int | None = getattr(self, f.name)
            theirs: int | None = getattr(other, f.name)
            values[f.name] = None if mine is None and theirs is None else (mine or 0) + (theirs or 0)
        return TokiUsageMetadata(**values)

    def merged_with(self, later: TokiUsageMetadata) -> TokiUsageMetadata:
        """Combine two partial reports of the same completion: fields ``later`` reports win."""
        values = {f.name: getattr(later, f.name) for f in fields(self)}
        for name, value in values.items():
            if value is None:
                values[name] = getattr(self, name)
        prompt, completion = values["prompt_tokens"], values["completion_tokens"]
        if later.total_tokens is None and (later.prompt_tokens is not None or later.completion_tokens is not None):
            # An earlier total is stale once a later report changes the counts: recompute it
            # (it used to survive, e.g. {1 prompt, 1 completion, total 2} + {completion 9} -> total 2).
            values["total_tokens"] = None
        if values["total_tokens"] is None and prompt is not None and completion is not None:
            values["total_tokens"] = prompt + completion
        return TokiUsageMetadata(**values)


class WithoutTools:
    """``Agent[WithoutTools]``: an agent with no tools."""


class WithStaticTools:
    """``Agent[WithStaticTools]``: an agent whose tools are all :class:`ToolSchema` (or raw dicts)."""


class WithStreamingTools:
    """``Agent[WithStreamingTools]``: an agent whose tools are all :class:`StreamingToolSchema`."""


class WithMixedTools:
    """``Agent[WithMixedTools]``: an agent with both static and streaming tools."""


def pretty_tool_call(call: TokiToolCall) -> str:
    """Render a tool call the way a person would write it: ``get_weather(city='Paris')``."""
    args = ", ".join(f"{key}={value!r}" for key, value in call.function.arguments.items())
    return f"{call.function.name}({args})"

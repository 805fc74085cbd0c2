"""Validate tool schemas and split them into static and streaming tools."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from toki.errors import TokiInputError
from toki.types import StreamingToolSchema

__all__ = ["ToolLike", "ToolSet"]

#: What a tool may be given as: a raw schema dict, a ``ToolSchema`` or a ``StreamingToolSchema``.
ToolLike = Mapping[str, Any] | StreamingToolSchema


@dataclass(frozen=True, slots=True)
class ToolSet:
    """The validated tools of one call.

    Attributes:
        schemas: wire-ready OpenAI-style schemas (plain dicts, ``{"type": "function", "function": {...}}``).
        streaming_names: names of the tools declared with :class:`StreamingToolSchema`.
    """

    schemas: tuple[dict[str, Any], ...]
    streaming_names: frozenset[str]

    @property
    def names(self) -> frozenset[str]:
        """Every tool name in the set."""
        return frozenset(schema["function"]["name"] for schema in self.schemas)

    @classmethod
    def from_tools(cls, tools: Sequence[ToolLike] | None) -> ToolSet | None:
        """Validate ``tools``; ``None`` or an empty list means no tools."""
        if not tools:
            return None
        if isinstance(tools, Mapping):
            raise TokiInputError("tools must be a list of tool schemas, got a single dict; wrap it in a list")
        if isinstance(tools, StreamingToolSchema):
            # A lone StreamingToolSchema used to fail with "TypeError: ... is not iterable".
            raise TokiInputError(
                "tools must be a list of tool schemas, got a single StreamingToolSchema; wrap it in a list"
            )
        schemas: list[dict[str, Any]] = []
        streaming: set[str] = set()
        seen: set[str] = set()
        for position, tool in enumerate(tools):
            is_streaming = isinstance(tool, StreamingToolSchema)
            raw: object = tool.schema if isinstance(tool, StreamingToolSchema) else tool
            schema = _validate(raw, position)
            name: str = schema["function"]["name"]
            if name in seen:
                raise TokiInputError(f"tool {position}: duplicate tool name {name!r}; tool names must be unique")
            seen.add(name)
            if is_streaming:
                streaming.add(name)
            schemas.append(schema)
        return cls(schemas=tuple(schemas), streaming_names=frozenset(streaming))


def _validate(raw: object, position: int) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise TokiInputError(f"tool {position} is a {type(raw).__name__}; expected a schema dict")
    schema = cast(Mapping[str, Any], raw)
    if schema.get("type", "function") != "function":
        raise TokiInputError(f"tool {position} has type {schema.get('type')!r}; only 'function' tools are supported")
    function = schema.get("function")
    if not isinstance(function, Mapping):
        raise TokiInputError(
            f"tool {position} has no 'function' object; expected "
            "{'type': 'function', 'function': {'name': ..., 'parameters': {...}}}"
        )
    function_map = cast(Mapping[str, Any], function)
    name = function_map.get("name")
    if not isinstance(name, str) or not name:
        raise TokiInputError(f"tool {position} is missing function.name")
    parameters = function_map.get("parameters", {"type": "object", "properties": {}})
    if not isinstance(parameters, Mapping):
        raise TokiInputError(f"tool {name!r}: function.parameters must be a JSON-schema object")
    parameters_map = cast(Mapping[str, Any], parameters)
    if parameters_map.get("type", "object") != "object":
        raise TokiInputError(
            f"tool {name!r}: function.parameters must have type 'object' (tool arguments are an object)"
        )
    return {"type": "function", "function": {**function_map, "parameters": dict(parameters_map)}}

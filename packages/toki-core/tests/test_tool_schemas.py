"""``toki.tool_schemas``: validating tool schemas and splitting them into static and streaming."""

from __future__ import annotations

from typing import Any

import pytest
from toki.errors import TokiInputError
from toki.tool_schemas import ToolSet
from toki.types import StreamingToolSchema, ToolSchema
from toki_core_testkit import PATCH, WEATHER, schema


def test_no_tools_is_none() -> None:
    assert ToolSet.from_tools(None) is None
    assert ToolSet.from_tools([]) is None


def test_tools_are_split_into_static_and_streaming_and_unwrapped() -> None:
    raw = schema("lookup", query="string")
    toolset = ToolSet.from_tools([WEATHER, PATCH, raw])
    assert toolset is not None
    assert toolset.names == {"get_weather", "propose_patch", "lookup"}
    assert toolset.streaming_names == {"propose_patch"}
    assert toolset.schemas == (dict(WEATHER), PATCH.schema, raw)
    assert all(type(s) is dict for s in toolset.schemas)


def test_type_and_parameters_are_defaulted() -> None:
    toolset = ToolSet.from_tools([{"function": {"name": "ping"}}])
    assert toolset is not None
    assert toolset.schemas == (
        {"type": "function", "function": {"name": "ping", "parameters": {"type": "object", "properties": {}}}},
    )


def test_validation_does_not_mutate_the_callers_schema() -> None:
    raw: dict[str, Any] = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    toolset = ToolSet.from_tools([raw])
    assert toolset is not None
    toolset.schemas[0]["function"]["parameters"]["extra"] = 1
    assert raw == {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}


def _fn(**function: Any) -> dict[str, Any]:
    return {"type": "function", "function": function}


MALFORMED: dict[str, tuple[Any, str]] = {
    "missing function.name": ([_fn(parameters={"type": "object"})], "tool 0 is missing function.name"),
    "empty function.name": ([_fn(name="")], "missing function.name"),
    "non-string name": ([_fn(name=3)], "missing function.name"),
    "no function object (flat schema)": (
        [{"type": "function", "name": "f", "parameters": {}}],
        "has no 'function' object",
    ),
    "not a function tool": ([{"type": "web_search"}], "only 'function' tools"),
    "duplicate names": ([WEATHER, _fn(name="x"), ToolSchema(WEATHER)], "tool 2: duplicate tool name 'get_weather'"),
    "duplicate across static and streaming": (
        [_fn(name="x"), StreamingToolSchema(_fn(name="x"))],
        "duplicate tool name 'x'",
    ),
    "parameters not an object schema": ([_fn(name="f", parameters={"type": "array"})], "must have type 'object'"),
    "parameters not a mapping": ([_fn(name="f", parameters=["a"])], "must be a JSON-schema object"),
    "a string instead of a schema": (["get_weather"], "tool 0 is a str; expected a schema dict"),
    "a single dict instead of a list": (dict(WEATHER), "got a single dict; wrap it in a list"),
    "a single ToolSchema instead of a list": (WEATHER, "got a single dict; wrap it in a list"),
    "a single StreamingToolSchema instead of a list": (PATCH, "got a single StreamingToolSchema; wrap it in a list"),
}


@pytest.mark.parametrize(("tools", "expected"), list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_tools_raise_a_helpful_input_error(tools: Any, expected: str) -> None:
    with pytest.raises(TokiInputError) as info:
        ToolSet.from_tools(tools)
    assert expected in str(info.value)
    assert isinstance(info.value, ValueError)


def test_tool_schema_is_a_plain_dict() -> None:
    wrapped = ToolSchema({"type": "function", "function": {"name": "f"}})
    assert isinstance(wrapped, dict)
    assert wrapped == {"type": "function", "function": {"name": "f"}}

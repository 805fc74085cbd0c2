"""``toki.messages``: validation and normalisation of the message lists handed to toki."""

from __future__ import annotations

from typing import Any

import pytest
from toki.errors import TokiInputError
from toki.messages import normalize_message, normalize_messages
from toki.types import TokiMessage, TokiToolCall, TokiToolFunction

CALL = {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}


def test_dicts_become_message_objects() -> None:
    messages = normalize_messages(
        [
            {"role": "system", "content": "s"},
            {"role": "user", "content": "u", "name": "alice"},
            {"role": "assistant", "content": None, "tool_calls": [CALL]},
            {"role": "tool", "content": "sunny", "tool_call_id": "c1", "name": "get_weather"},
        ]
    )
    assert messages == [
        TokiMessage("system", "s"),
        TokiMessage("user", "u", name="alice"),
        TokiMessage(
            "assistant", None, tool_calls=[TokiToolCall("c1", TokiToolFunction("get_weather", {"city": "Paris"}))]
        ),
        TokiMessage("tool", "sunny", tool_call_id="c1", name="get_weather"),
    ]


def test_message_objects_pass_through_unchanged() -> None:
    message = TokiMessage("user", "hi")
    assert normalize_messages([message])[0] is message


def test_any_iterable_of_messages_is_accepted() -> None:
    assert normalize_messages(iter([{"role": "user", "content": "a"}])) == [TokiMessage("user", "a")]
    assert normalize_messages(({"role": "user", "content": "a"},)) == [TokiMessage("user", "a")]
    assert normalize_messages([]) == []


@pytest.mark.parametrize(
    "arguments",
    ['{"city": "Paris"}', {"city": "Paris"}],
    ids=["JSON text", "dict"],
)
def test_tool_call_arguments_may_be_text_or_a_dict(arguments: Any) -> None:
    call = {"id": "c1", "function": {"name": "get_weather", "arguments": arguments}}
    (message,) = normalize_messages([{"role": "assistant", "tool_calls": [call]}])
    assert message.tool_calls == [TokiToolCall("c1", TokiToolFunction("get_weather", {"city": "Paris"}))]


@pytest.mark.parametrize("arguments", [None, "", {}], ids=["None", "empty text", "empty dict"])
def test_empty_tool_call_arguments_are_an_empty_dict(arguments: Any) -> None:
    call = {"id": "c1", "function": {"name": "f", "arguments": arguments}}
    (message,) = normalize_messages([{"role": "assistant", "tool_calls": [call]}])
    assert message.tool_calls == [TokiToolCall("c1", TokiToolFunction("f", {}))]


def test_tool_call_objects_are_accepted_inside_dict_messages() -> None:
    call = TokiToolCall("c1", TokiToolFunction("f", {"a": 1}))
    (message,) = normalize_messages([{"role": "assistant", "content": "x", "tool_calls": [call]}])
    assert message.tool_calls == [call]


def test_a_round_trip_through_to_dict_is_lossless() -> None:
    original = [
        TokiMessage("user", "q"),
        TokiMessage("assistant", "text", tool_calls=[TokiToolCall("c1", TokiToolFunction("f", {"é": [1, None]}))]),
        TokiMessage("tool", "r", tool_call_id="c1", name="f"),
    ]
    assert normalize_messages([m.to_dict() for m in original]) == original


MALFORMED: dict[str, tuple[Any, str]] = {
    "unknown role": ({"role": "wizard", "content": "x"}, "role 'wizard'; expected one of"),
    "missing role": ({"content": "x"}, "has no 'role'"),
    "role not a string": ({"role": 1, "content": "x"}, "role 1"),
    "list content": ({"role": "user", "content": [{"type": "text", "text": "x"}]}, "content is a list"),
    "int content": ({"role": "user", "content": 3}, "content is a int"),
    "no content": ({"role": "user"}, "(user) has no content"),
    "tool result without tool_call_id": ({"role": "tool", "content": "r"}, "without tool_call_id"),
    "tool_calls on a user message": ({"role": "user", "content": "x", "tool_calls": [CALL]}, "only assistant"),
    "tool call without function.name": (
        {"role": "assistant", "tool_calls": [{"id": "c", "function": {"arguments": "{}"}}]},
        "without function.name",
    ),
    "tool call without function": ({"role": "assistant", "tool_calls": [{"id": "c"}]}, "without function.name"),
    "tool call without id": (
        {"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": "{}"}}]},
        "without an id",
    ),
    "tool call not a dict": ({"role": "assistant", "tool_calls": ["f()"]}, "tool call of type str"),
    "tool call arguments not JSON": (
        {"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "{oops"}}]},
        "not valid JSON",
    ),
    "tool call arguments not an object": (
        {"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "[1]"}}]},
        "must be a JSON object",
    ),
    "a bare string": ("hello", "is a str; expected a TokiMessage or a dict"),
    "a message object with list content": (TokiMessage("user", ["x"]), "content is a list"),  # type: ignore[arg-type]
    "a message object with an unknown role": (TokiMessage("robot", "x"), "role 'robot'"),  # type: ignore[arg-type]
    "an assistant message object with nothing": (TokiMessage("assistant"), "(assistant) has no content"),
}


@pytest.mark.parametrize(("message", "expected"), list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_messages_raise_a_helpful_input_error(message: Any, expected: str) -> None:
    with pytest.raises(TokiInputError) as info:
        normalize_messages([{"role": "user", "content": "fine"}, message])
    assert expected in str(info.value)
    assert "message 1" in str(info.value)  # points at the bad one
    assert isinstance(info.value, ValueError)
    assert not isinstance(info.value, KeyError)


@pytest.mark.parametrize(
    "messages",
    [{"role": "user", "content": "x"}, "hello", b"hello"],
    ids=["a single dict", "a string", "bytes"],
)
def test_a_single_message_instead_of_a_list_is_an_input_error(messages: Any) -> None:
    with pytest.raises(TokiInputError, match="wrap it in a list"):
        normalize_messages(messages)


def test_normalize_message_reports_the_given_position() -> None:
    with pytest.raises(TokiInputError, match="message 7"):
        normalize_message({"role": "user"}, position=7)

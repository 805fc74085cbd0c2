"""Translating a conversation prefix into Gemini contents for ``caches.create``."""

from __future__ import annotations

from toki.messages import normalize_messages
from toki_google.contents import cache_payload, function_declarations, response_object, split_call_id


def test_split_call_id() -> None:
    assert split_call_id("call_1") == ("call_1", None)
    assert split_call_id("call_1__thought__c2lnbmF0dXJl") == ("call_1", b"signature")
    assert split_call_id("call_1__thought__not base64!") == ("call_1", None)


def test_response_object_follows_litellm() -> None:
    assert response_object('{"temp": 21}') == {"temp": 21}
    assert response_object("[1, 2]") == {"content": "[1, 2]"}
    assert response_object("{broken") == {"content": "{broken"}
    assert response_object(None) == {"content": ""}


def test_function_declarations_keep_the_json_schema() -> None:
    tool = {"type": "function", "function": {"name": "f", "description": "d", "parameters": {"type": "object"}}}
    assert function_declarations([tool]) == [
        {"function_declarations": [{"name": "f", "description": "d", "parameters_json_schema": {"type": "object"}}]}
    ]


def test_payload_roles_merging_and_names() -> None:
    calls = [
        {"id": "a", "type": "function", "function": {"name": "first", "arguments": "{}"}},
        {"id": "b", "type": "function", "function": {"name": "second", "arguments": '{"x": 1}'}},
    ]
    messages = normalize_messages(
        [
            {"role": "system", "content": "s1"},
            {"role": "user", "content": "u"},
            {"role": "assistant", "content": None, "tool_calls": calls},
            {"role": "tool", "tool_call_id": "a", "content": "r1"},
            {"role": "tool", "tool_call_id": "b", "content": "r2"},
            {"role": "system", "content": "s2"},
        ]
    )
    payload = cache_payload(messages, None, tool_names={"a": "first", "b": "second"})
    assert payload.system_instruction == {"parts": [{"text": "s1"}, {"text": "s2"}]}
    assert payload.tools is None
    assert payload.contents == [
        {"role": "user", "parts": [{"text": "u"}]},
        {
            "role": "model",
            "parts": [
                {"function_call": {"name": "first", "args": {}}},
                {"function_call": {"name": "second", "args": {"x": 1}}},
            ],
        },
        {
            "role": "user",
            "parts": [
                {"function_response": {"name": "first", "response": {"content": "r1"}}},
                {"function_response": {"name": "second", "response": {"content": "r2"}}},
            ],
        },
    ]

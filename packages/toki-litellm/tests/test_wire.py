"""Building a litellm call: reasoning precedence, tools, streaming usage and the retry switches."""

from __future__ import annotations

from typing import Any

import pytest
from toki.messages import normalize_messages
from toki_litellm.wire import PROTECTED_OPTIONS, build_request, reasoning_options

TOOL = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}


@pytest.mark.parametrize(
    ("kwargs", "effort", "capture", "supports", "expected"),
    [
        ({}, None, False, True, {}),
        ({}, None, True, True, {"reasoning_effort": "medium"}),
        ({}, None, True, None, {"reasoning_effort": "medium"}),
        ({}, None, True, False, {}),  # a model known not to reason would reject the parameter
        ({}, "high", False, True, {"reasoning_effort": "high"}),
        ({}, "low", True, True, {"reasoning_effort": "low"}),
        ({"thinking": {"type": "enabled"}}, "high", True, True, {}),
        ({"reasoning_effort": "minimal"}, "high", True, True, {}),
    ],
)
def test_reasoning_precedence(
    kwargs: dict[str, Any], effort: Any, capture: bool, supports: bool | None, expected: dict[str, Any]
) -> None:
    assert reasoning_options(kwargs, effort=effort, capture_thinking=capture, supports_thinking=supports) == expected


def test_build_request() -> None:
    messages = normalize_messages([{"role": "user", "content": "hi"}])
    request = build_request(
        "anthropic/claude-sonnet-4-5",
        messages,
        [TOOL],
        stream=True,
        reasoning={"reasoning_effort": "medium"},
        forbid_parallel_calls=True,
        transport={"api_key": "k", "timeout": 5.0},
        call_kwargs={"temperature": 0.2, "stream": False, "model": "other", "num_retries": 3, "client": object()},
    )
    options = request.options
    assert options["model"] == "anthropic/claude-sonnet-4-5" and options["stream"] is True
    assert options["stream_options"] == {"include_usage": True}
    assert (options["num_retries"], options["max_retries"]) == (0, 0)
    assert options["temperature"] == 0.2 and options["reasoning_effort"] == "medium"
    assert options["tools"] == [TOOL] and options["parallel_tool_calls"] is False
    assert "client" not in options and "client" in PROTECTED_OPTIONS
    assert request.messages == [{"role": "user", "content": "hi"}]
    assert request.messages[0] is not messages[0]


def test_no_parallel_switch_without_tools_and_no_usage_when_blocking() -> None:
    request = build_request(
        "openai/x",
        normalize_messages([{"role": "user", "content": "hi"}]),
        None,
        stream=False,
        reasoning={},
        forbid_parallel_calls=True,
        transport={},
        call_kwargs={},
    )
    assert "parallel_tool_calls" not in request.options and "stream_options" not in request.options

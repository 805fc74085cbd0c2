"""litellm's normalised responses and chunks -> toki raw events (with litellm's own types)."""

from __future__ import annotations

from typing import Any

import pytest
from toki.errors import TokiResponseError
from toki.raw_events import _RawContentChunk, _RawFinish, _RawThoughtChunk, _RawToolCallChunk, _RawUsage
from toki_litellm.lazy import load_litellm
from toki_litellm.translate import StreamTranslator, finish_reason, turn_from_response, usage_event


def _chunk(delta: dict[str, Any], finish: str | None = None, usage: dict[str, Any] | None = None) -> Any:
    litellm = load_litellm()
    chunk = litellm.ModelResponseStream(choices=[{"index": 0, "delta": delta, "finish_reason": finish}])
    if usage is not None:
        chunk.usage = litellm.Usage(**usage)
    return chunk


def test_chunk_events_in_order() -> None:
    translator = StreamTranslator()
    delta = {
        "reasoning_content": "hm",
        "content": "Hi",
        "tool_calls": [{"index": 0, "id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a"'}}],
    }
    events = translator.feed(_chunk(delta, finish="tool_calls"))
    assert events == [
        _RawThoughtChunk("hm"),
        _RawContentChunk("Hi"),
        _RawToolCallChunk(index=0, id="c1", name="f", arguments_fragment='{"a"'),
        _RawFinish("tool_calls", "tool_calls"),
    ]
    assert translator.received == "Hi"


def test_usage_with_cache_and_reasoning_details() -> None:
    usage = {
        "prompt_tokens": 100,
        "completion_tokens": 20,
        "total_tokens": 120,
        "prompt_tokens_details": {"cached_tokens": 60},
        "completion_tokens_details": {"reasoning_tokens": 7},
        "cache_creation_input_tokens": 30,
    }
    events = StreamTranslator().feed(_chunk({}, usage=usage))
    assert events == [_RawUsage(100, 20, 120, 60, 30, 7)]


def test_usage_without_details() -> None:
    assert usage_event(load_litellm().Usage(prompt_tokens=3, completion_tokens=1, total_tokens=4)) == _RawUsage(
        3, 1, 4, None, None, None
    )


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("stop", "stop"),
        ("length", "length"),
        ("tool_calls", "tool_calls"),
        ("function_call", "tool_calls"),
        ("content_filter", "content_filter"),
        ("guardrail_intervened", "other"),
    ],
)
def test_finish_reasons(raw: str, reason: str) -> None:
    assert finish_reason(raw) == _RawFinish(reason, raw)  # type: ignore[arg-type]


def test_blocking_turn() -> None:
    litellm = load_litellm()
    message = {
        "role": "assistant",
        "content": "Sure.",
        "reasoning_content": "thinking",
        "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
    }
    response = litellm.ModelResponse(
        choices=[{"index": 0, "message": message, "finish_reason": "tool_calls"}],
        usage={"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
    )
    turn = turn_from_response(response, provider="x")
    assert (turn.content, turn.thought, turn.finish_reason) == ("Sure.", "thinking", "tool_calls")
    assert [(c.id, c.name, c.arguments) for c in turn.tool_calls] == [("c1", "f", "{}")]
    assert turn.usage == _RawUsage(5, 2, 7, None, None, None)


def test_blocking_response_without_choices() -> None:
    response = load_litellm().ModelResponse()
    response.choices = []
    with pytest.raises(TokiResponseError, match="no choices"):
        turn_from_response(response, provider="x")

"""The pure wire layer: request bodies, stream decoding (every recorded stream, any chunking), blocking bodies."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from simulators import fixture_names, read_fixture, recorded_reply
from toki.errors import (
    TokiBadRequestError,
    TokiInputError,
    TokiResponseError,
    TokiServerError,
    TokiStreamTruncatedError,
)
from toki.model import RawChunk, _RawContentChunk, _RawFinish, _RawThoughtChunk, _RawToolCallChunk, _RawUsage
from toki.sse import SSEDecoder
from toki.types import TokiMessage
from toki_openrouter.wire import ChunkDecoder, build_body, finish_reason, parse_completion, reasoning_field

MESSAGES = [TokiMessage(role="user", content="hi")]


def body(**overrides: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "stream": False,
        "capture_thinking": False,
        "reasoning_effort": None,
        "allow_parallel_tool_calls": False,
        "kwargs": {},
    }
    options.update(overrides)
    return build_body("vendor/model", MESSAGES, options.pop("tools", None), **options)


def test_minimal_body() -> None:
    assert body() == {
        "model": "vendor/model",
        "messages": [{"role": "user", "content": "hi"}],
        "usage": {"include": True},
    }


def test_streaming_body_asks_for_usage() -> None:
    streamed = body(stream=True)
    assert streamed["stream"] is True
    assert streamed["stream_options"] == {"include_usage": True}
    assert streamed["usage"] == {"include": True}


def test_tools_and_parallel_flag_only_with_tools() -> None:
    tool: dict[str, Any] = {"type": "function", "function": {"name": "f", "parameters": {}}}
    assert body(tools=[tool], allow_parallel_tool_calls=True)["parallel_tool_calls"] is True
    assert body(tools=[tool])["parallel_tool_calls"] is False
    assert "parallel_tool_calls" not in body(allow_parallel_tool_calls=True)


@pytest.mark.parametrize(
    ("kwargs", "effort", "capture", "expected"),
    [
        ({}, None, False, None),
        ({}, None, True, {"enabled": True}),
        ({}, "medium", False, {"effort": "medium"}),
        ({}, "xhigh", True, {"effort": "xhigh"}),
        ({"reasoning": {"max_tokens": 10}}, "high", True, {"max_tokens": 10}),
        ({"reasoning": {"enabled": False}}, None, True, {"enabled": False}),
    ],
)
def test_reasoning_precedence(kwargs: dict[str, Any], effort: Any, capture: bool, expected: Any) -> None:
    assert reasoning_field(kwargs, reasoning_effort=effort, capture_thinking=capture) == expected
    built = body(kwargs=kwargs, reasoning_effort=effort, capture_thinking=capture)
    assert built.get("reasoning") == expected


def test_kwargs_pass_through_and_can_override_defaults() -> None:
    built = body(kwargs={"temperature": 0, "usage": {"include": False}, "transforms": ["middle-out"]})
    assert built["temperature"] == 0
    assert built["usage"] == {"include": False}
    assert built["transforms"] == ["middle-out"]


@pytest.mark.parametrize("name", ["model", "messages", "tools", "stream"])
def test_reserved_kwargs_are_refused(name: str) -> None:
    with pytest.raises(TokiInputError, match=name):
        body(kwargs={name: 1})


def test_finish_reasons() -> None:
    assert [finish_reason(r) for r in ("stop", "length", "tool_calls", "function_call", "content_filter")] == [
        "stop",
        "length",
        "tool_calls",
        "tool_calls",
        "content_filter",
    ]
    assert finish_reason("error") == "other"
    assert finish_reason("SAFETY") == "other"


# ---------------------------------------------------------------------- stream decoding


def decode_stream(data: bytes, pieces: list[int] | None = None) -> list[RawChunk]:
    sse = SSEDecoder()
    chunks = ChunkDecoder()
    out: list[RawChunk] = []
    cuts = sorted(set(pieces or []))
    start = 0
    for cut in [*cuts, len(data)]:
        for event in sse.feed(data[start:cut]):
            out.extend(chunks.feed(event.data))
        start = cut
    for event in sse.finish():
        out.extend(chunks.feed(event.data))
    chunks.finish()
    return out


def wire_bytes(name: str) -> bytes:
    return recorded_reply(name).body


STREAMS = [n for n in fixture_names("openrouter") + fixture_names("openai") if not n.endswith(".json")]


@pytest.mark.parametrize("name", [n for n in STREAMS if n != "openrouter/error-in-stream-length.sse"])
def test_every_recorded_stream_decodes(name: str) -> None:
    events = decode_stream(wire_bytes(name))
    assert events
    text = "".join(e.text for e in events if isinstance(e, _RawContentChunk))
    calls = [e for e in events if isinstance(e, _RawToolCallChunk)]
    assert text or calls
    if name != "openrouter/no-arg-tool.sse":
        assert any(isinstance(e, _RawFinish) for e in events)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(STREAMS), st.lists(st.integers(min_value=0, max_value=20_000), max_size=8))
def test_recorded_streams_decode_the_same_under_any_chunking(name: str, cuts: list[int]) -> None:
    data = wire_bytes(name)
    try:
        whole = decode_stream(data)
    except TokiBadRequestError:
        with pytest.raises(TokiBadRequestError):
            decode_stream(data, cuts)
        return
    assert decode_stream(data, cuts) == whole


def test_reasoning_given_twice_is_surfaced_once() -> None:
    events = decode_stream(wire_bytes("openrouter/reasoning-text-signature.sse"))
    thought = "".join(e.text for e in events if isinstance(e, _RawThoughtChunk))
    assert thought == "This is a simple arithmetic question. 2+2 equals 4."


def test_reasoning_details_alone_are_used() -> None:
    decoder = ChunkDecoder()
    delta = {
        "reasoning": None,
        "reasoning_details": [
            {"type": "reasoning.text", "text": "step one. "},
            {"type": "reasoning.summary", "summary": "summary."},
            {"type": "reasoning.encrypted", "data": "OPAQUE"},
            {"type": "reasoning.text", "signature": "SIG"},
        ],
    }
    events = decoder.feed(json.dumps({"choices": [{"index": 0, "delta": delta, "finish_reason": None}]}))
    assert events == [_RawThoughtChunk("step one. summary.")]


def test_reasoning_content_of_compatible_upstreams() -> None:
    events = decode_stream(wire_bytes("openai/compat-deepseek-reasoning-tool-cached.chunks.txt"))
    thoughts = [e for e in events if isinstance(e, _RawThoughtChunk)]
    assert len(thoughts) == 39  # 40 reasoning deltas, one of them empty
    usage = [e for e in events if isinstance(e, _RawUsage)]
    assert usage[-1].cache_read_tokens == 320
    assert usage[-1].reasoning_tokens == 39


def test_in_stream_error_is_typed_and_stops_decoding() -> None:
    with pytest.raises(TokiBadRequestError, match="Token limit reached") as info:
        decode_stream(wire_bytes("openrouter/error-in-stream-length.sse"))
    assert info.value.status_code == 400


def test_data_after_done_is_ignored() -> None:
    decoder = ChunkDecoder()
    decoder.feed("[DONE]")
    assert decoder.feed("not json at all") == []
    decoder.finish()


def test_truncation_needs_done() -> None:
    decoder = ChunkDecoder()
    decoder.feed(json.dumps({"choices": [{"index": 0, "delta": {"content": "partial"}, "finish_reason": None}]}))
    with pytest.raises(TokiStreamTruncatedError, match="without a finish reason") as info:
        decoder.finish()
    assert info.value.received == "partial"
    finished = ChunkDecoder()
    finished.feed(json.dumps({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}))
    with pytest.raises(TokiStreamTruncatedError, match="after a finish reason"):
        finished.finish()  # cut between the finish reason and [DONE]: the usage never came
    finished.feed("[DONE]")
    finished.finish()
    empty = ChunkDecoder()
    with pytest.raises(TokiStreamTruncatedError):
        empty.finish()


@pytest.mark.parametrize("payload", ['{"choices": [', "[1, 2]", '"text"', "null"])
def test_non_object_or_invalid_events(payload: str) -> None:
    with pytest.raises(TokiResponseError):
        ChunkDecoder().feed(payload)


def test_usage_only_chunk_and_missing_fields() -> None:
    events = ChunkDecoder().feed(json.dumps({"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2}}))
    assert events == [_RawUsage(prompt_tokens=3, completion_tokens=2)]


def test_tool_call_deltas_keep_index_id_name_and_fragments() -> None:
    delta = {
        "tool_calls": [
            {"index": 1, "id": "call_x", "type": "function", "function": {"name": "f", "arguments": ""}},
            {"index": 1, "id": "", "function": {"arguments": '{"a"'}},
        ]
    }
    events = ChunkDecoder().feed(json.dumps({"choices": [{"delta": delta}]}))
    assert events == [
        _RawToolCallChunk(index=1, id="call_x", name="f", arguments_fragment=""),
        _RawToolCallChunk(index=1, id=None, name=None, arguments_fragment='{"a"'),
    ]


# ---------------------------------------------------------------------- blocking bodies


def test_blocking_text_fixture() -> None:
    turn = parse_completion(read_fixture("openai/text.json"))
    assert turn.content
    assert turn.finish_reason == "stop"
    assert turn.usage is not None and turn.usage.prompt_tokens


def test_blocking_tool_call_fixture() -> None:
    turn = parse_completion(read_fixture("openai/tool-call.json"))
    assert turn.content == ""
    assert [call.name for call in turn.tool_calls] == ["getCurrentWeather"]
    assert turn.finish_reason == "tool_calls"


def test_blocking_reasoning_and_padding() -> None:
    completion = {
        "choices": [
            {
                "message": {
                    "role": "assistant",
                    "content": "4",
                    "reasoning": "2+2",
                    "reasoning_details": [{"type": "reasoning.text", "text": "2+2"}],
                },
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "prompt_tokens_details": {"cached_tokens": 4}},
    }
    turn = parse_completion(b"\n\n  " + json.dumps(completion).encode())  # OpenRouter's whitespace keep-alives
    assert (turn.content, turn.thought) == ("4", "2+2")
    assert turn.usage is not None and turn.usage.cache_read_tokens == 4


def test_blocking_error_object_and_missing_choices() -> None:
    with pytest.raises(TokiServerError, match="boom"):
        parse_completion(json.dumps({"error": {"code": 502, "message": "boom"}}).encode())
    with pytest.raises(TokiResponseError, match="no choices"):
        parse_completion(b'{"id": "x"}')
    with pytest.raises(TokiResponseError, match="not JSON"):
        parse_completion(b"<html>")

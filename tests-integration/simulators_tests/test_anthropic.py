"""Anthropic Messages wire shapes: the event sequence, usage with cache fields, errors, count_tokens."""

from __future__ import annotations

from typing import Any

from simulators import AnthropicSim, Fault, ToolCallScript, Turn, Usage

from simulators_tests._wire import parse_sse, raw_request, request

BODY = {"model": "claude-sonnet-4-5", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]}
STREAM = {**BODY, "stream": True}


def stream_events(sim: AnthropicSim) -> list[tuple[str, dict[str, Any]]]:
    response = raw_request(sim, "/v1/messages", STREAM)
    assert response.status == 200 and response.headers["content-type"].startswith("text/event-stream")
    parsed = parse_sse(response.body).events
    for event in parsed:
        assert event.json["type"] == event.event  # every data payload is named by its event line
    return [(e.event, e.json) for e in parsed]


def test_full_event_sequence(anthropic_sim: AnthropicSim) -> None:
    anthropic_sim.enqueue(
        Turn(
            thinking=["Let me ", "think"],
            thinking_signature="sig",
            content=["Hel", "lo"],
            tool_calls=[ToolCallScript("get_weather", ['{"city": ', '"Paris"}'], id="toolu_1")],
            usage=Usage(prompt=100, completion=20, cached_read=60, cache_write=30),
        )
    )
    events = stream_events(anthropic_sim)
    summary = [
        (name, e.get("index"), e.get("delta", {}).get("type") or e.get("content_block", {}).get("type"))
        for name, e in events
    ]
    assert summary == [
        ("message_start", None, None),
        ("content_block_start", 0, "thinking"),
        ("ping", None, None),
        ("content_block_delta", 0, "thinking_delta"),
        ("content_block_delta", 0, "thinking_delta"),
        ("content_block_delta", 0, "signature_delta"),
        ("content_block_stop", 0, None),
        ("content_block_start", 1, "text"),
        ("content_block_delta", 1, "text_delta"),
        ("content_block_delta", 1, "text_delta"),
        ("content_block_stop", 1, None),
        ("content_block_start", 2, "tool_use"),
        ("content_block_delta", 2, "input_json_delta"),
        ("content_block_delta", 2, "input_json_delta"),
        ("content_block_delta", 2, "input_json_delta"),
        ("content_block_stop", 2, None),
        ("message_delta", None, None),
        ("message_stop", None, None),
    ]
    start = events[0][1]["message"]
    assert start["role"] == "assistant" and start["content"] == [] and start["stop_reason"] is None
    assert start["usage"]["input_tokens"] == 10
    assert start["usage"]["cache_read_input_tokens"] == 60
    assert start["usage"]["cache_creation_input_tokens"] == 30
    assert events[5][1]["delta"] == {"type": "signature_delta", "signature": "sig"}
    tool_start = events[11][1]["content_block"]
    assert tool_start == {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}
    partial = [e["delta"]["partial_json"] for _, e in events[12:15]]
    assert partial == ["", '{"city": ', '"Paris"}']
    message_delta = events[16][1]
    assert message_delta["delta"]["stop_reason"] == "tool_use"
    assert message_delta["usage"]["output_tokens"] == 20


def test_stop_reasons_and_redacted_thinking(anthropic_sim: AnthropicSim) -> None:
    anthropic_sim.enqueue(Turn(content="x", finish="length"), Turn(redacted_thinking="opaque", content="y"))
    events = stream_events(anthropic_sim)
    assert events[-2][1]["delta"]["stop_reason"] == "max_tokens"
    events = stream_events(anthropic_sim)
    assert events[1][1]["content_block"] == {"type": "redacted_thinking", "data": "opaque"}
    assert events[-2][1]["delta"]["stop_reason"] == "end_turn"


def test_blocking_message(anthropic_sim: AnthropicSim) -> None:
    anthropic_sim.enqueue(
        Turn(
            thinking="hmm",
            content="Hello",
            tool_calls=[ToolCallScript("f", '{"a": 1}', id="toolu_9")],
            usage=Usage(prompt=5, completion=7),
        )
    )
    response = request(
        anthropic_sim, "/v1/messages", BODY, headers={"x-api-key": "k", "anthropic-version": "2023-06-01"}
    )
    body = response.json
    assert response.headers["request-id"].startswith("req_")
    assert body["type"] == "message" and body["stop_reason"] == "tool_use"
    assert [b["type"] for b in body["content"]] == ["thinking", "text", "tool_use"]
    assert body["content"][2]["input"] == {"a": 1}
    assert body["usage"]["output_tokens"] == 7 and body["usage"]["input_tokens"] == 5
    assert anthropic_sim.last_request.headers["anthropic-version"] == "2023-06-01"


def test_blocking_rejects_unparsable_tool_arguments_visibly(anthropic_sim: AnthropicSim) -> None:
    anthropic_sim.enqueue(Turn(tool_calls=[ToolCallScript("f", '{"a": ')]))
    response = request(anthropic_sim, "/v1/messages", BODY)
    assert response.status == 500
    assert "needs JSON arguments" in response.json["error"]["message"]


def test_overloaded_529_and_in_band_error(anthropic_sim: AnthropicSim) -> None:
    anthropic_sim.enqueue(Fault.status(529), Turn(content=["a", "b"]).with_faults(Fault.in_band_error(after=4)))
    response = request(anthropic_sim, "/v1/messages", STREAM)
    assert response.status == 529
    assert response.json["error"] == {"type": "overloaded_error", "message": "Overloaded"}
    events = stream_events(anthropic_sim)
    assert events[-1] == ("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})


def test_count_tokens(anthropic_sim: AnthropicSim) -> None:
    path = "/v1/messages/count_tokens"
    assert request(anthropic_sim, path, BODY).json["input_tokens"] >= 1
    anthropic_sim.token_count = 42
    assert request(anthropic_sim, path, BODY).json == {"input_tokens": 42}
    anthropic_sim.enqueue(7, Fault.status(429), route="count_tokens")
    assert request(anthropic_sim, path, BODY).json == {"input_tokens": 7}
    assert request(anthropic_sim, path, BODY).status == 429
    anthropic_sim.token_count = lambda req: len(req.json["messages"])
    assert request(anthropic_sim, path, BODY).json == {"input_tokens": 1}

"""OpenAI Chat Completions wire shapes, streamed and blocking."""

from __future__ import annotations

from typing import Any

import pytest
from simulators import Fault, OpenAIChatSim, ToolCallScript, Turn, Usage

from simulators_tests._wire import data_events, raw_request, request

PATH = "/v1/chat/completions"
STREAM = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "stream": True}
WITH_USAGE = {**STREAM, "stream_options": {"include_usage": True}}


def chunks(sim: OpenAIChatSim, body: dict[str, Any] = STREAM) -> list[dict[str, Any]]:
    response = raw_request(sim, PATH, body)
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["transfer-encoding"] == "chunked"
    assert response.body.endswith(b"data: [DONE]\n\n")
    return data_events(response.body)


def deltas(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e["choices"][0]["delta"] for e in events if e["choices"]]


def test_text_stream(openai_sim: OpenAIChatSim) -> None:
    openai_sim.enqueue(Turn(content=["Hel", "lo"]))
    events = chunks(openai_sim)
    for event in events:
        assert event["object"] == "chat.completion.chunk"
        assert event["id"] == events[0]["id"] and event["model"] == "gpt-4o-mini"
        assert "usage" not in event  # only with stream_options.include_usage
    assert deltas(events) == [
        {"role": "assistant", "content": "", "refusal": None},
        {"content": "Hel"},
        {"content": "lo"},
        {},
    ]
    assert [e["choices"][0]["finish_reason"] for e in events] == [None, None, None, "stop"]


def test_usage_chunk_only_when_requested(openai_sim: OpenAIChatSim) -> None:
    usage = Usage(prompt=12, completion=5, cached_read=4, reasoning=3)
    openai_sim.enqueue(Turn(content="x", usage=usage))
    events = chunks(openai_sim, WITH_USAGE)
    assert all(e["usage"] is None for e in events[:-1])
    last = events[-1]
    assert last["choices"] == []
    assert last["usage"]["prompt_tokens"] == 12
    assert last["usage"]["completion_tokens"] == 5
    assert last["usage"]["total_tokens"] == 17
    assert last["usage"]["prompt_tokens_details"]["cached_tokens"] == 4
    assert last["usage"]["completion_tokens_details"]["reasoning_tokens"] == 3


def test_tool_call_deltas(openai_sim: OpenAIChatSim) -> None:
    openai_sim.enqueue(
        Turn(
            content=["Checking."],
            tool_calls=[
                ToolCallScript("get_weather", ['{"ci', 'ty": "Paris"}'], id="call_1"),
                ToolCallScript("get_time", [], id="call_2"),  # no arguments at all
                ToolCallScript("again", ["{}"], id="call_3", index=0),  # index 0 reused with a new id
            ],
        )
    )
    events = chunks(openai_sim)
    calls = [d["tool_calls"][0] for d in deltas(events) if "tool_calls" in d]
    assert calls == [
        {"index": 0, "id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": ""}},
        {"index": 0, "function": {"arguments": '{"ci'}},
        {"index": 0, "function": {"arguments": 'ty": "Paris"}'}},
        {"index": 1, "id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": ""}},
        {"index": 0, "id": "call_3", "type": "function", "function": {"name": "again", "arguments": ""}},
        {"index": 0, "function": {"arguments": "{}"}},
    ]
    assert events[-1]["choices"][0]["finish_reason"] == "tool_calls"
    assert deltas(events)[0] == {"role": "assistant", "content": "", "refusal": None}


def test_parallel_tool_calls_only(openai_sim: OpenAIChatSim) -> None:
    openai_sim.enqueue(Turn(tool_calls=[ToolCallScript("a", "{}"), ToolCallScript("b", '{"x": 1}')]))
    events = chunks(openai_sim)
    assert deltas(events)[0] == {"role": "assistant", "content": None, "refusal": None}
    starts = [d["tool_calls"][0] for d in deltas(events) if "id" in d.get("tool_calls", [{}])[0]]
    assert [(s["index"], s["id"], s["function"]["name"]) for s in starts] == [
        (0, "call_sim_0", "a"),
        (1, "call_sim_1", "b"),
    ]


def test_reasoning_content_and_length_finish(openai_sim: OpenAIChatSim) -> None:
    openai_sim.enqueue(Turn(thinking=["Let me ", "think"], content=["ok"], finish="length"))
    events = chunks(openai_sim)
    reasoning = [d["reasoning_content"] for d in deltas(events) if d.get("reasoning_content")]
    assert reasoning == ["Let me ", "think"]
    assert events[-1]["choices"][0]["finish_reason"] == "length"


def test_blocking_completion(openai_sim: OpenAIChatSim) -> None:
    openai_sim.enqueue(
        Turn(
            content=["Hel", "lo"],
            thinking="hmm",
            tool_calls=[ToolCallScript("f", ['{"a"', ": 1}"], id="call_9")],
            usage=Usage(prompt=10, completion=4, cached_read=2, reasoning=1),
        )
    )
    response = request(openai_sim, PATH, {"model": "gpt-4o-mini", "messages": []})
    assert response.headers["content-type"] == "application/json"
    body = response.json
    assert body["object"] == "chat.completion"
    message = body["choices"][0]["message"]
    assert message["content"] == "Hello"
    assert message["reasoning_content"] == "hmm"
    assert message["tool_calls"] == [
        {"id": "call_9", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}
    ]
    assert body["choices"][0]["finish_reason"] == "tool_calls"
    assert body["usage"]["prompt_tokens_details"]["cached_tokens"] == 2
    assert body["usage"]["total_tokens"] == 14


def test_blocking_default_usage_and_null_content(openai_sim: OpenAIChatSim) -> None:
    openai_sim.enqueue(Turn(tool_calls=[ToolCallScript("f", "{}")]))
    body = request(openai_sim, PATH, {"model": "m"}).json
    assert body["choices"][0]["message"]["content"] is None
    assert body["usage"]["prompt_tokens"] >= 1 and body["usage"]["completion_tokens"] >= 1


@pytest.mark.parametrize("path", ["/chat/completions", "/api/v1/chat/completions", "/openai/v1/chat/completions"])
def test_any_base_path(openai_sim: OpenAIChatSim, path: str) -> None:
    openai_sim.enqueue(Turn(content="ok"))
    assert request(openai_sim, path, {"model": "m"}).status == 200


def test_models_list_and_request_id_header(openai_sim: OpenAIChatSim) -> None:
    response = request(openai_sim, "/v1/models")
    assert response.json["object"] == "list"
    assert "gpt-4o-mini" in [m["id"] for m in response.json["data"]]
    openai_sim.enqueue(Turn(content="ok"))
    assert request(openai_sim, PATH, {"model": "m"}).headers["x-request-id"].startswith("req_")


def test_model_override_and_error_default_body(openai_sim: OpenAIChatSim) -> None:
    openai_sim.enqueue(Turn(content="ok", model="gpt-4o-mini-2024-07-18", id="chatcmpl-fixed"), Fault.status(404))
    body = request(openai_sim, PATH, {"model": "gpt-4o-mini"}).json
    assert (body["model"], body["id"]) == ("gpt-4o-mini-2024-07-18", "chatcmpl-fixed")
    error = request(openai_sim, PATH, {"model": "gpt-9"}).json["error"]
    assert error["code"] == "model_not_found" and "gpt-9" in error["message"]


def test_error_body_is_pretty_printed_like_openai(openai_sim: OpenAIChatSim) -> None:
    openai_sim.enqueue(Fault.status(400, message="bad"))
    response = raw_request(openai_sim, PATH, {"model": "m"})
    assert response.body.startswith(b'{\n  "error": {\n    "message": "bad"')

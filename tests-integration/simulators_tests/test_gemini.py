"""Gemini API wire shapes: SSE and JSON-array streams, blocking, countTokens, cachedContents, errors."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from simulators import Fault, GeminiSim, ToolCallScript, Turn, Usage

from simulators_tests._wire import data_events, raw_request, request

BASE = "/v1beta/models/gemini-2.5-flash"
BODY = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}


def stream(sim: GeminiSim, body: dict[str, Any] = BODY) -> list[dict[str, Any]]:
    response = raw_request(sim, BASE + ":streamGenerateContent?alt=sse", body)
    assert response.status == 200 and response.headers["content-type"] == "text/event-stream"
    assert response.body.endswith(b"\r\n\r\n") and b"\n\n" not in response.body.replace(b"\r\n", b"")
    return data_events(response.body)


def parts(event: dict[str, Any]) -> list[dict[str, Any]]:
    return event["candidates"][0]["content"]["parts"]


def test_stream_thoughts_text_and_whole_function_calls(gemini_sim: GeminiSim) -> None:
    gemini_sim.enqueue(
        Turn(
            thinking=["Plan"],
            thinking_signature="c2ln",
            content=["Hel", "lo"],
            tool_calls=[ToolCallScript("get_weather", ['{"city": ', '"Paris"}']), ToolCallScript("noop", [])],
            usage=Usage(prompt=50, completion=30, cached_read=20, reasoning=10),
        )
    )
    events = stream(gemini_sim)
    assert parts(events[0]) == [{"text": "Plan", "thought": True}]
    assert parts(events[1]) == [{"text": "Hel"}]
    assert parts(events[2]) == [{"text": "lo"}]
    assert parts(events[3]) == [
        {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "c2ln"},
        {"functionCall": {"name": "noop", "args": {}}},
    ]
    assert all("finishReason" not in e["candidates"][0] for e in events[:-1])
    last = events[-1]
    assert last["candidates"][0]["finishReason"] == "STOP"
    assert last["modelVersion"] == "gemini-2.5-flash" and last["responseId"]
    usage = last["usageMetadata"]
    assert usage["promptTokenCount"] == 50
    assert usage["candidatesTokenCount"] == 20  # thoughts excluded
    assert usage["thoughtsTokenCount"] == 10
    assert usage["cachedContentTokenCount"] == 20
    assert usage["totalTokenCount"] == 80


def test_max_tokens_and_signature_on_text(gemini_sim: GeminiSim) -> None:
    gemini_sim.enqueue(Turn(content=["a", "b"], thinking_signature="sig", finish="length"))
    events = stream(gemini_sim)
    assert parts(events[0]) == [{"text": "a", "thoughtSignature": "sig"}]
    assert events[-1]["candidates"][0]["finishReason"] == "MAX_TOKENS"


def test_stream_without_alt_sse_is_a_json_array(gemini_sim: GeminiSim) -> None:
    gemini_sim.enqueue(Turn(content=["a", "b"]))
    response = raw_request(gemini_sim, BASE + ":streamGenerateContent", BODY)
    array = json.loads(response.body)
    assert [parts(e)[0]["text"] for e in array] == ["a", "b"]


def test_blocking_generate_content(gemini_sim: GeminiSim) -> None:
    gemini_sim.enqueue(Turn(thinking="Plan", content=["Hel", "lo"], tool_calls=[ToolCallScript("f", '{"x": 1}')]))
    response = request(gemini_sim, BASE + ":generateContent", BODY, headers={"x-goog-api-key": "k"})
    body = response.json
    assert parts(body) == [
        {"text": "Plan", "thought": True},
        {"text": "Hello"},
        {"functionCall": {"name": "f", "args": {"x": 1}}},
    ]
    assert body["candidates"][0]["finishReason"] == "STOP"
    assert gemini_sim.last_request.headers["x-goog-api-key"] == "k"
    assert raw_request(gemini_sim, BASE + ":generateContent", BODY).status == 500  # queue empty


def test_v1_paths_and_count_tokens(gemini_sim: GeminiSim) -> None:
    gemini_sim.enqueue(Turn(content="ok"))
    assert request(gemini_sim, "/v1/models/gemini-2.5-flash:generateContent", BODY).status == 200
    counted = request(gemini_sim, BASE + ":countTokens", BODY).json
    assert counted["totalTokens"] >= 1
    gemini_sim.enqueue(99, route="count_tokens")
    assert request(gemini_sim, BASE + ":countTokens", BODY).json["totalTokens"] == 99


def test_cached_contents_lifecycle(gemini_sim: GeminiSim) -> None:
    create = {
        "model": "models/gemini-2.5-flash",
        "ttl": "300s",
        "contents": [{"role": "user", "parts": [{"text": "long document"}]}],
        "systemInstruction": {"parts": [{"text": "be brief"}]},
    }
    gemini_sim.cache_token_count = 5000
    created = request(gemini_sim, "/v1/cachedContents", create).json
    assert created["name"].startswith("cachedContents/")
    assert created["model"] == "models/gemini-2.5-flash"
    assert created["usageMetadata"] == {"totalTokenCount": 5000}
    expire = dt.datetime.fromisoformat(created["expireTime"].replace("Z", "+00:00"))
    assert 290 < (expire - dt.datetime.now(dt.timezone.utc)).total_seconds() <= 300
    assert gemini_sim.caches[created["name"]].request_body == create
    fetched = request(gemini_sim, "/v1beta/" + created["name"]).json
    assert fetched == created
    assert [c["name"] for c in request(gemini_sim, "/v1beta/cachedContents").json["cachedContents"]] == [
        created["name"]
    ]

    gemini_sim.enqueue(Turn(content="ok", usage=Usage(prompt=5100, completion=1, cached_read=5000)))
    answer = request(gemini_sim, BASE + ":generateContent", {**BODY, "cachedContent": created["name"]}).json
    assert answer["usageMetadata"]["cachedContentTokenCount"] == 5000

    gemini_sim.enqueue(Turn(content="ok"))
    missing = request(gemini_sim, BASE + ":generateContent", {**BODY, "cachedContent": "cachedContents/nope"})
    assert missing.status == 403 and missing.json["error"]["status"] == "PERMISSION_DENIED"

    patched = request(gemini_sim, "/v1beta/" + created["name"], {"ttl": "10s"}, method="PATCH").json
    assert patched["expireTime"] < created["expireTime"]
    assert request(gemini_sim, "/v1beta/" + created["name"], method="DELETE").json == {}
    assert request(gemini_sim, "/v1beta/" + created["name"]).status == 403


def test_cache_minimum_size(gemini_sim: GeminiSim) -> None:
    gemini_sim.min_cache_tokens = 1024
    response = request(gemini_sim, "/v1beta/cachedContents", {"model": "models/gemini-2.5-flash", "contents": []})
    assert response.status == 400
    assert "too small" in response.json["error"]["message"]


def test_errors(gemini_sim: GeminiSim) -> None:
    gemini_sim.enqueue(Fault.status(404), Fault.status(429))
    not_found = request(gemini_sim, BASE + ":generateContent", BODY).json["error"]
    assert not_found["status"] == "NOT_FOUND" and "models/gemini-2.5-flash is not found" in not_found["message"]
    quota = request(gemini_sim, BASE + ":generateContent", BODY).json["error"]
    assert quota["status"] == "RESOURCE_EXHAUSTED"
    assert {d["@type"].rsplit(".", 1)[1] for d in quota["details"]} == {"QuotaFailure", "RetryInfo"}


def test_in_band_error_is_what_google_genai_raises_on(gemini_sim: GeminiSim) -> None:
    gemini_sim.enqueue(Turn(content=["a", "b"]).with_faults(Fault.in_band_error(after=1)))
    response = raw_request(gemini_sim, BASE + ":streamGenerateContent?alt=sse", BODY)
    second = response.body.split(b"\r\n\r\n")[1]
    assert second.startswith(b'data: {"error":')

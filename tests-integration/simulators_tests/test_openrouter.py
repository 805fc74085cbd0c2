"""OpenRouter wire shapes: models list, reasoning details, usage accounting, in-band errors."""

from __future__ import annotations

from typing import Any

from simulators import Fault, OpenRouterSim, ToolCallScript, Turn, Usage

from simulators_tests._wire import data_events, parse_sse, raw_request, request

PATH = "/api/v1/chat/completions"
BODY = {"model": "anthropic/claude-sonnet-4.5", "messages": [{"role": "user", "content": "hi"}], "stream": True}


def events(sim: OpenRouterSim, body: dict[str, Any] = BODY) -> list[dict[str, Any]]:
    response = raw_request(sim, PATH, body)
    assert response.status == 200 and response.body.endswith(b"data: [DONE]\n\n")
    return data_events(response.body)


def test_models_list(openrouter_sim: OpenRouterSim) -> None:
    response = request(openrouter_sim, "/api/v1/models")
    assert response.status == 200
    models = {m["id"]: m for m in response.json["data"]}
    for model_id in [
        "google/gemini-2.5-flash",
        "anthropic/claude-sonnet-4.5",
        "openai/gpt-4o-mini",
        "deepseek/deepseek-v3.2",
        "openai/gpt-5",
    ]:
        model = models[model_id]
        assert model["name"] and model["context_length"] > 0
        assert float(model["pricing"]["prompt"]) > 0 and float(model["pricing"]["completion"]) > 0
        assert "tools" in model["supported_parameters"]
        assert model["top_provider"]["max_completion_tokens"] > 0
    assert "reasoning" in models["openai/gpt-5"]["supported_parameters"]
    assert "temperature" not in models["openai/gpt-5"]["supported_parameters"]
    assert "reasoning" not in models["openai/gpt-4o-mini"]["supported_parameters"]
    assert "tools" not in models["meta-llama/llama-3.2-1b-instruct"]["supported_parameters"]
    openrouter_sim.models = openrouter_sim.models[:1]
    assert len(request(openrouter_sim, "/api/v1/models").json["data"]) == 1
    openrouter_sim.enqueue(Fault.status(503), route="models")
    assert request(openrouter_sim, "/api/v1/models").status == 503


def test_chunk_shape_and_usage_with_cost(openrouter_sim: OpenRouterSim) -> None:
    usage = Usage(prompt=100, completion=20, cached_read=60, cache_write=30, reasoning=5, cost=0.0012)
    openrouter_sim.enqueue(Turn(content=["Hi"], usage=usage))
    got = events(openrouter_sim, {**BODY, "usage": {"include": True}})
    first = got[0]
    assert first["id"].startswith("gen-") and first["provider"] and first["object"] == "chat.completion.chunk"
    assert first["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    finish = got[-2]["choices"][0]
    assert (finish["finish_reason"], finish["native_finish_reason"]) == ("stop", "stop")
    last = got[-1]
    assert last["choices"] == []
    assert last["usage"]["cost"] == 0.0012
    assert last["usage"]["prompt_tokens_details"] == {
        "cached_tokens": 60,
        "cache_write_tokens": 30,
        "audio_tokens": 0,
        "video_tokens": 0,
    }
    assert last["usage"]["completion_tokens_details"]["reasoning_tokens"] == 5


def test_usage_only_when_asked(openrouter_sim: OpenRouterSim) -> None:
    openrouter_sim.set_default(Turn(content="x"))
    assert all("usage" not in e for e in events(openrouter_sim))
    assert "usage" in events(openrouter_sim, {**BODY, "stream_options": {"include_usage": True}})[-1]


def test_reasoning_text_signature_and_encrypted(openrouter_sim: OpenRouterSim) -> None:
    openrouter_sim.enqueue(
        Turn(thinking=["Let me ", "think"], thinking_signature="sig==", redacted_thinking="opaque", content="4")
    )
    deltas = [e["choices"][0]["delta"] for e in events(openrouter_sim)]
    reasoning = [d for d in deltas if d.get("reasoning_details")]
    assert [d["reasoning"] for d in reasoning] == ["Let me ", "think", None, None]
    details = [d["reasoning_details"][0] for d in reasoning]
    assert details[0] == {"type": "reasoning.text", "text": "Let me ", "format": "anthropic-claude-v1", "index": 0}
    assert details[2]["signature"] == "sig=="
    assert details[3]["type"] == "reasoning.encrypted" and details[3]["data"] == "opaque"


def test_reasoning_summary_items(openrouter_sim: OpenRouterSim) -> None:
    openrouter_sim.enqueue(Turn(thinking=["Plan"], reasoning_detail_type="reasoning.summary", content="ok"))
    deltas = [e["choices"][0]["delta"] for e in events(openrouter_sim)]
    detail = next(d["reasoning_details"][0] for d in deltas if d.get("reasoning_details"))
    assert detail["type"] == "reasoning.summary" and detail["summary"] == "Plan"


def test_processing_comments_and_mid_stream_error(openrouter_sim: OpenRouterSim) -> None:
    openrouter_sim.enqueue(
        Turn(content=["a", "b", "c"]).with_faults(
            Fault.keepalives(3), Fault.in_band_error(after=2, code=400, message="Token limit reached")
        )
    )
    response = raw_request(openrouter_sim, PATH, BODY)
    assert response.status == 200
    parsed = parse_sse(response.body)
    assert parsed.comments == ["OPENROUTER PROCESSING"] * 3
    error = parsed.events[2].json
    assert error["error"] == {"code": 400, "message": "Token limit reached"}
    assert error["choices"][0]["finish_reason"] == "error"
    assert parsed.events[-1].data == "[DONE]"


def test_cache_control_markers_are_recorded(openrouter_sim: OpenRouterSim) -> None:
    openrouter_sim.enqueue(Turn(content="ok"))
    body = {
        "model": "anthropic/claude-sonnet-4.5",
        "cache_control": {"type": "ephemeral"},
        "messages": [
            {
                "role": "system",
                "content": [
                    {"type": "text", "text": "long prompt", "cache_control": {"type": "ephemeral", "ttl": "1h"}}
                ],
            },
            {"role": "user", "content": "hi"},
        ],
    }
    request(openrouter_sim, PATH, body)
    sent = openrouter_sim.last_request.json
    assert sent["cache_control"] == {"type": "ephemeral"}
    assert sent["messages"][0]["content"][0]["cache_control"]["ttl"] == "1h"


def test_blocking_reply(openrouter_sim: OpenRouterSim) -> None:
    openrouter_sim.enqueue(
        Turn(thinking="why", thinking_signature="s", content="ok", tool_calls=[ToolCallScript("f", "{}")])
    )
    body = request(openrouter_sim, PATH, {"model": "openai/gpt-5"}).json
    assert body["object"] == "chat.completion" and body["provider"]
    choice = body["choices"][0]
    assert choice["native_finish_reason"] == "tool_calls"
    assert choice["message"]["reasoning"] == "why"
    assert choice["message"]["reasoning_details"][0]["signature"] == "s"
    assert "cost" in body["usage"]


def test_error_shape(openrouter_sim: OpenRouterSim) -> None:
    openrouter_sim.enqueue(Fault.status(402), Fault.status(502))
    assert request(openrouter_sim, PATH, BODY).json["error"]["code"] == 402
    error = request(openrouter_sim, PATH, BODY).json["error"]
    assert error["code"] == 502 and error["metadata"]["provider_name"]

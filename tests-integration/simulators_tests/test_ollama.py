"""Ollama wire shapes: NDJSON chat, validation like the daemon, tags, show, pull, version."""

from __future__ import annotations

from typing import Any

from simulators import Fault, OllamaModel, OllamaSim, ToolCallScript, Turn, Usage

from simulators_tests._wire import parse_ndjson, raw_request, request

BODY = {"model": "qwen3:0.6b", "messages": [{"role": "user", "content": "hi"}], "tools": [], "stream": True}


def lines(sim: OllamaSim, body: dict[str, Any] = BODY) -> list[dict[str, Any]]:
    response = raw_request(sim, "/api/chat", body)
    assert response.status == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.headers["transfer-encoding"] == "chunked"
    assert response.chunks and all(c.endswith(b"\n") and c.count(b"\n") == 1 for c in response.chunks)
    return parse_ndjson(response.body)


def test_stream_thinking_content_tool_calls_and_done(ollama_sim: OllamaSim) -> None:
    ollama_sim.enqueue(
        Turn(
            thinking=["Let me ", "think"],
            content=["Hel", "lo"],
            tool_calls=[ToolCallScript("get_weather", ['{"city": ', '"Paris"}'])],
            usage=Usage(prompt=30, completion=12),
        )
    )
    got = lines(ollama_sim)
    assert [line["message"].get("thinking") for line in got[:2]] == ["Let me ", "think"]
    assert all(line["message"]["content"] == "" for line in got[:2])
    assert [line["message"]["content"] for line in got[2:4]] == ["Hel", "lo"]
    call = got[4]["message"]["tool_calls"][0]
    assert call["function"] == {"index": 0, "name": "get_weather", "arguments": {"city": "Paris"}}
    assert all(line["done"] is False and line["model"] == "qwen3:0.6b" and line["created_at"] for line in got[:-1])
    final = got[-1]
    assert final["done"] is True and final["done_reason"] == "stop"
    assert (final["prompt_eval_count"], final["eval_count"]) == (30, 12)
    assert all(final[k] > 0 for k in ("total_duration", "load_duration", "prompt_eval_duration", "eval_duration"))


def test_blocking_chat_and_length(ollama_sim: OllamaSim) -> None:
    ollama_sim.enqueue(Turn(thinking="hmm", content=["a", "b"], finish="length", usage=Usage(prompt=9, completion=1)))
    response = request(ollama_sim, "/api/chat", {**BODY, "stream": False})
    body = response.json
    assert response.headers["content-type"].startswith("application/json")
    assert body["message"] == {"role": "assistant", "content": "ab", "thinking": "hmm"}
    assert (body["done"], body["done_reason"], body["prompt_eval_count"]) == (True, "length", 9)


def test_stream_is_the_default_and_think_false_drops_thinking(ollama_sim: OllamaSim) -> None:
    ollama_sim.enqueue(Turn(thinking="hidden", content="shown"))
    body: dict[str, Any] = {"model": "qwen3:0.6b", "messages": [], "think": False}
    got = lines(ollama_sim, body)
    assert all("thinking" not in line["message"] for line in got)


def test_prompt_eval_count_for_token_counting(ollama_sim: OllamaSim) -> None:
    ollama_sim.enqueue(Turn(usage=Usage(prompt=123, completion=0)))
    body = {**BODY, "stream": False, "options": {"num_predict": 0}}
    reply = request(ollama_sim, "/api/chat", body).json
    assert reply["prompt_eval_count"] == 123 and "eval_count" not in reply


def test_validation_like_the_daemon(ollama_sim: OllamaSim) -> None:
    ollama_sim.set_default(Turn(content="ok"))
    unknown = request(ollama_sim, "/api/chat", {**BODY, "model": "nope"})
    assert (unknown.status, unknown.json) == (404, {"error": 'model "nope" not found, try pulling it first'})
    tools: list[dict[str, Any]] = [{"type": "function", "function": {"name": "f", "parameters": {}}}]
    no_tools = request(ollama_sim, "/api/chat", {**BODY, "model": "gemma3:1b", "tools": tools})
    assert (no_tools.status, no_tools.json["error"]) == (
        400,
        "registry.ollama.ai/library/gemma3:1b does not support tools",
    )
    no_think = request(ollama_sim, "/api/chat", {**BODY, "model": "llama3.2", "think": True})
    assert (no_think.status, no_think.json["error"]) == (400, '"llama3.2" does not support thinking')
    assert request(ollama_sim, "/api/chat", {**BODY, "model": "llama3.2", "stream": False}).status == 200
    ollama_sim.validate = False
    assert request(ollama_sim, "/api/chat", {**BODY, "model": "nope", "stream": False}).status == 200


def test_rejected_requests_do_not_consume_scripts(ollama_sim: OllamaSim) -> None:
    ollama_sim.enqueue(Turn(content="kept"))
    assert request(ollama_sim, "/api/chat", {**BODY, "model": "nope"}).status == 404
    assert ollama_sim.pending() == 1
    assert request(ollama_sim, "/api/chat", {**BODY, "stream": False}).json["message"]["content"] == "kept"


def test_tags_show_version_ps(ollama_sim: OllamaSim) -> None:
    names = [m["name"] for m in request(ollama_sim, "/api/tags").json["models"]]
    assert "llama3.2:latest" in names and "qwen3:0.6b" in names
    ollama_sim.install(OllamaModel("custom:7b", family="qwen2", context_length=8192, capabilities=("completion",)))
    tag = next(m for m in request(ollama_sim, "/api/tags").json["models"] if m["name"] == "custom:7b")
    assert tag["details"]["family"] == "qwen2" and len(tag["digest"]) == 64
    show = request(ollama_sim, "/api/show", {"model": "custom:7b"}).json
    assert show["model_info"]["qwen2.context_length"] == 8192
    assert show["model_info"]["general.architecture"] == "qwen2"
    assert show["capabilities"] == ["completion"]
    thinking = request(ollama_sim, "/api/show", {"model": "qwen3:0.6b"}).json
    assert set(thinking["capabilities"]) >= {"tools", "thinking"}
    missing = request(ollama_sim, "/api/show", {"model": "ghost"})
    assert (missing.status, missing.json) == (404, {"error": "model 'ghost' not found"})
    assert request(ollama_sim, "/api/version").json == {"version": ollama_sim.version}
    assert request(ollama_sim, "/api/ps").json == {"models": []}
    assert request(ollama_sim, "/").text == "Ollama is running"


def test_pull_progress_adds_the_model(ollama_sim: OllamaSim) -> None:
    response = raw_request(ollama_sim, "/api/pull", {"model": "llama3.1:8b"})
    progress = parse_ndjson(response.body)
    statuses = [p["status"] for p in progress]
    assert statuses[0] == "pulling manifest"
    assert statuses[-3:] == ["verifying sha256 digest", "writing manifest", "success"]
    layer = [p for p in progress if p["status"].startswith("pulling ") and p["status"] != "pulling manifest"]
    assert layer[0]["digest"].startswith("sha256:") and layer[0]["total"] > 0 and "completed" not in layer[0]
    assert layer[ollama_sim.pull_steps - 1]["completed"] == layer[0]["total"]
    assert layer[0]["status"] == "pulling " + layer[0]["digest"][7:19]
    assert "llama3.1:8b" in [m["name"] for m in request(ollama_sim, "/api/tags").json["models"]]


def test_pull_unknown_model(ollama_sim: OllamaSim) -> None:
    response = raw_request(ollama_sim, "/api/pull", {"model": "nope"})
    assert response.status == 200
    assert parse_ndjson(response.body) == [
        {"status": "pulling manifest"},
        {"error": "pull model manifest: file does not exist"},
    ]
    blocking = request(ollama_sim, "/api/pull", {"model": "nope", "stream": False})
    assert (blocking.status, blocking.json) == (500, {"error": "pull model manifest: file does not exist"})
    assert request(ollama_sim, "/api/pull", {"model": "smollm2:135m", "stream": False}).json == {"status": "success"}


def test_pull_and_delete_with_faults(ollama_sim: OllamaSim) -> None:
    ollama_sim.enqueue(Fault.cut_after(2), route="pull")
    response = raw_request(ollama_sim, "/api/pull", {"model": "qwen3:8b"})
    assert not response.complete and response.body.count(b"\n") == 2
    assert request(ollama_sim, "/api/delete", {"model": "gemma3:1b"}, method="DELETE").status == 200
    assert request(ollama_sim, "/api/delete", {"model": "gemma3:1b"}, method="DELETE").status == 404


def test_in_band_error_line(ollama_sim: OllamaSim) -> None:
    ollama_sim.enqueue(Turn(content=["a", "b"]).with_faults(Fault.in_band_error(after=1)))
    got = lines(ollama_sim)
    assert got[-1] == {"error": "an error was encountered while running the model: unexpected EOF"}

"""Replaying every recorded provider response byte for byte, as the fixtures' README prescribes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from simulators import FIXTURES_DIR, Fault, ProtocolSim, fixture_names, read_fixture

from simulators_tests._wire import parse_sse, raw_request

SIM_FOR = {
    "openai": "openai_sim",
    "openrouter": "openrouter_sim",
    "anthropic": "anthropic_sim",
    "gemini": "gemini_sim",
    "ollama": "ollama_sim",
}
PATH_FOR = {
    "openai": "/v1/chat/completions",
    "openrouter": "/api/v1/chat/completions",
    "anthropic": "/v1/messages",
    "gemini": "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
    "ollama": "/api/chat",
}
NAMES = fixture_names()


def expected_body(name: str) -> bytes:
    """The README's serving rules, written out independently of the simulator's code."""
    data = read_fixture(name)
    provider = name.split("/")[0]
    if name.endswith(".chunks.txt"):
        lines = [line for line in data.decode().split("\n") if line]
        if provider == "anthropic":
            return "".join(f"event: {json.loads(x)['type']}\ndata: {x}\n\n" for x in lines).encode()
        if provider == "gemini":
            return "".join(f"data: {x}\r\n\r\n" for x in lines).encode()
        return ("".join(f"data: {x}\n\n" for x in lines) + "data: [DONE]\n\n").encode()
    if name.endswith(".httprr"):
        response = data[data.index(b"HTTP/1.1 200 OK") :]
        body = response.split(b"\r\n\r\n", 1)[1]
        out, offset = b"", 0
        while True:
            line_end = body.index(b"\r\n", offset)
            size = int(body[offset:line_end], 16)
            if size == 0:
                return out
            out += body[line_end + 2 : line_end + 2 + size]
            offset = line_end + 2 + size + 2
    return data


def test_every_recorded_file_and_the_attribution_are_here() -> None:
    assert len(NAMES) == 41
    readme = (Path(FIXTURES_DIR) / "README.md").read_text()
    for name in NAMES:
        assert f"`{name}`" in readme, name


@pytest.mark.parametrize("name", NAMES)
def test_replay_is_byte_exact(name: str, request: pytest.FixtureRequest) -> None:
    provider = name.split("/")[0]
    sim: ProtocolSim = request.getfixturevalue(SIM_FOR[provider])
    sim.replay(name)
    response = raw_request(sim, PATH_FOR[provider], {"model": "llama3.2", "stream": True})
    assert response.complete
    assert response.body == expected_body(name)
    if name.endswith(".json"):
        if "/error-" in name:
            payload: dict[str, Any] = json.loads(response.body)
            error: dict[str, Any] | str = payload["error"]  # Ollama's error is a string
            code = None if isinstance(error, str) else error.get("code")
            assert response.status == (code if isinstance(code, int) else 400)  # Gemini: code; others 400
        else:
            assert response.status == 200
    elif name.endswith((".sse", ".chunks.txt")):
        assert response.headers["content-type"] == "text/event-stream"
        for event in parse_sse(response.body).events:
            if event.data != "[DONE]":
                assert isinstance(event.json, dict)
        assert response.chunks is not None and len(response.chunks) == len(parse_sse(response.body).events) + len(
            parse_sse(response.body).comments
        )
    else:
        assert response.headers["content-type"] == "application/x-ndjson"
        assert all(isinstance(json.loads(line), dict) for line in response.body.splitlines())


@pytest.mark.parametrize(
    "name", ["openai/tool-call-args.sse", "anthropic/thinking-text.sse", "gemini/thought-parts.sse"]
)
def test_replay_rechunked_and_cut(name: str, request: pytest.FixtureRequest) -> None:
    provider = name.split("/")[0]
    sim: ProtocolSim = request.getfixturevalue(SIM_FOR[provider])
    sim.replay(name, Fault.write_sizes(7))
    sim.replay(name, Fault.cut_after(3))
    rechunked = raw_request(sim, PATH_FOR[provider], {"model": "llama3.2", "stream": True})
    assert rechunked.body == read_fixture(name)
    assert rechunked.chunks and {len(c) for c in rechunked.chunks[:-1]} == {7}
    cut = raw_request(sim, PATH_FOR[provider], {"model": "llama3.2", "stream": True})
    assert not cut.complete and len(parse_sse(cut.body).events) == 3
    assert read_fixture(name).startswith(cut.body)

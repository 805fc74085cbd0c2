"""The ``toki`` command end to end: a subprocess talking to a simulator or the embedded local model."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from simulators import OllamaSim, OpenRouterSim, Turn, Usage


def _toki(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "toki_cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=full_env,
    )


@pytest.fixture
def openrouter() -> Iterator[OpenRouterSim]:
    with OpenRouterSim() as sim:
        yield sim


def _openrouter_args(sim: OpenRouterSim) -> list[str]:
    return ["--model", "openrouter:google/gemini-2.5-flash", "--base-url", sim.base_url + "/api/v1"]


KEY = {"OPENROUTER_API_KEY": "sk-or-test"}


def test_ask_streams_the_answer(openrouter: OpenRouterSim) -> None:
    openrouter.enqueue(Turn(content=["Hello", " from", " the simulator"]))
    result = _toki("ask", *_openrouter_args(openrouter), "--system", "Be brief.", "Say hello", env=KEY)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Hello from the simulator\n"
    sent = openrouter.last_request.json
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]
    assert sent["stream"] is True


def test_ask_with_think_shows_thinking_apart_from_the_answer(openrouter: OpenRouterSim) -> None:
    openrouter.enqueue(Turn(thinking=["Pondering..."], content="42"))
    result = _toki("ask", *_openrouter_args(openrouter), "--think", "Meaning?", env=KEY)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "42"
    assert "Pondering..." in result.stderr  # not a terminal: thinking goes to stderr, the answer to stdout


def test_missing_key_is_one_line_and_exit_1(openrouter: OpenRouterSim) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENROUTER_API_KEY"}
    result = subprocess.run(
        [sys.executable, "-m", "toki_cli", "ask", *_openrouter_args(openrouter), "hi"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "OPENROUTER_API_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_provider_error_is_one_line(openrouter: OpenRouterSim) -> None:
    from simulators import Fault

    openrouter.enqueue(Fault.status(401))
    result = _toki("ask", *_openrouter_args(openrouter), "hi", env=KEY)
    assert result.returncode == 1
    assert "401" in result.stderr and result.stderr.strip().count("\n") == 0


def test_unreachable_ollama_daemon_is_one_line() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = _toki("ask", "--model", "ollama:qwen3:0.6b", "--base-url", f"http://127.0.0.1:{port}", "hi")
    assert result.returncode == 1
    assert f"127.0.0.1:{port}" in result.stderr
    assert "ollama serve" in result.stderr
    assert result.stderr.strip().count("\n") == 0


def test_chat_keeps_history_and_resets(openrouter: OpenRouterSim) -> None:
    openrouter.enqueue(Turn(content="Paris."), Turn(content="2.1 million."), Turn(content="Hi again."))
    script = "Capital of France?\nIts population?\n/reset\nHello?\n/exit\n"
    result = _toki("chat", *_openrouter_args(openrouter), stdin=script, env=KEY)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["Paris.", "2.1 million.", "(conversation reset)", "Hi again."]
    second, third = openrouter.requests_for("chat")[1:]
    assert [m["content"] for m in second.json["messages"]] == ["Capital of France?", "Paris.", "Its population?"]
    assert [m["content"] for m in third.json["messages"]] == ["Hello?"]


def test_chat_survives_a_provider_error(openrouter: OpenRouterSim) -> None:
    from simulators import Fault

    openrouter.enqueue(Fault.status(400), Turn(content="Fine now."))
    result = _toki("chat", *_openrouter_args(openrouter), stdin="first\nsecond\n", env=KEY)
    assert result.returncode == 0
    assert "400" in result.stderr
    assert result.stdout.strip() == "Fine now."
    # The failed question was dropped from history: the second request carries only "second".
    assert [m["content"] for m in openrouter.last_request.json["messages"]] == ["second"]


def test_models_lists_ids_with_flags() -> None:
    result = _toki("models", "ollama", "--thinking")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines and all("thinking=yes" in line for line in lines)
    assert any(line.startswith("qwen3:") for line in lines)


def test_tokens_counts_a_file(tmp_path: Path) -> None:
    with OllamaSim() as sim:
        sim.enqueue(Turn(content="x", usage=Usage(prompt=23, completion=1)))
        text = tmp_path / "notes.md"
        text.write_text("Some notes worth counting.", encoding="utf-8")
        result = _toki("tokens", str(text), "--model", "ollama:qwen3:0.6b", "--base-url", sim.base_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "23"


@pytest.mark.slow
def test_the_embedded_default_answers_offline() -> None:
    # No --model: the local backend's packaged SmolLM2, no key, no network.
    result = _toki("ask", "Say hello in 5 words", "--max-tokens", "24", env={"HF_HUB_OFFLINE": "1"})
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip()) > 0

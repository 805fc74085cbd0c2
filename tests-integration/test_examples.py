"""The programs in ``examples/`` run, as a user runs them: each one is a subprocess.

Most talk to a wire simulator started here with the cooperative responder of
``examples/simulated_provider.py`` (a tool call when tools are offered to a user turn, thinking
when it is asked for, else a short answer), reached through the examples' own ``--model`` and
``--base-url`` options; the assertions look at what they print and at what went over the wire.
The chat REPL also runs once on its default, the embedded local model, for real. The documented
offline route, ``simulated_provider.py`` served in one process and an example pointed at it from
another, is exercised end to end.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from harness import Protocol, chat_requests, conversation
from simulators import ProtocolSim

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
TIMEOUT = 600

#: The wire protocol each backend's simulator speaks, in harness terms.
PROTOCOLS: dict[str, Protocol] = {
    "openrouter": "openrouter",
    "openai": "openai",
    "anthropic": "anthropic",
    "google": "gemini",
    "ollama": "ollama",
}


def _load_simulated_provider() -> ModuleType:
    name = "toki_examples_simulated_provider"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / "simulated_provider.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


provider = _load_simulated_provider()
BACKENDS = list(provider.BACKENDS)


def example_environment() -> dict[str, str]:
    """Any key works against a simulator; real ones are kept out, and nothing reaches a real host."""
    dropped = ("_API_KEY", "_BASE_URL", "_API_BASE")
    env = {k: v for k, v in os.environ.items() if not k.endswith(dropped) and k != "OLLAMA_HOST"}
    env.update(
        {
            "OPENROUTER_API_KEY": "sk-or-sim",
            "OPENAI_API_KEY": "sk-sim",
            "ANTHROPIC_API_KEY": "sk-ant-sim",
            "GEMINI_API_KEY": "gemini-sim",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "HF_HUB_OFFLINE": "1",
            "NO_PROXY": ",".join(filter(None, [os.environ.get("NO_PROXY", ""), "127.0.0.1", "localhost"])),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def run_example(name: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        input=stdin,
        env=example_environment(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def _report(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit status {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sim(backend: str) -> Iterator[ProtocolSim]:
    started = provider.start(backend)
    try:
        yield started
    finally:
        started.stop()


def model_args(backend: str, sim: ProtocolSim) -> list[str]:
    return ["--model", f"{backend}:{provider.DEFAULT_MODELS[backend]}", "--base-url", provider.base_url(backend, sim)]


def one_backend(name: str) -> Iterator[ProtocolSim]:
    started = provider.start(name)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def openrouter() -> Iterator[ProtocolSim]:
    yield from one_backend("openrouter")


@pytest.fixture
def ollama() -> Iterator[ProtocolSim]:
    yield from one_backend("ollama")


ANSWER = "".join(provider.ANSWER)
THOUGHT = "".join(provider.THINKING)


# ---------------------------------------------------------------------------------------- chat_repl.py


def test_chat_repl_streams_each_line_and_forgets_on_reset(openrouter: ProtocolSim) -> None:
    result = run_example(
        "chat_repl.py", *model_args("openrouter", openrouter), stdin="Hi!\n\nWhat did I say?\n/reset\nHello again\n"
    )
    assert result.returncode == 0, _report(result)
    assert result.stdout.count(ANSWER) == 3
    assert "(conversation forgotten)" in result.stdout
    sent = [conversation("openrouter", request) for request in chat_requests(openrouter)]
    assert len(sent) == 3  # the empty line asked nothing
    assert [m.role for m in sent[1]] == ["system", "user", "assistant", "user"]  # the history is kept...
    assert [m.text for m in sent[1]][-1] == "What did I say?"
    assert [m.role for m in sent[2]] == ["system", "user"]  # ...until /reset
    assert all(request.json["stream"] is True for request in chat_requests(openrouter))


def test_chat_repl_keeps_going_after_an_error(openrouter: ProtocolSim) -> None:
    from simulators import Fault

    openrouter.enqueue(Fault.status(400, message="simulated refusal"))
    result = run_example("chat_repl.py", *model_args("openrouter", openrouter), stdin="First\nSecond\n")
    assert result.returncode == 0, _report(result)
    assert "simulated refusal" in result.stderr
    assert result.stdout.count(ANSWER) == 1
    second = conversation("openrouter", chat_requests(openrouter)[-1])
    assert [m.role for m in second] == ["system", "user"]  # the failed question was dropped


@pytest.mark.slow
def test_chat_repl_default_is_the_embedded_model() -> None:
    result = run_example("chat_repl.py", "--max-tokens", "24", stdin="Say hello in 5 words\n")
    assert result.returncode == 0, _report(result)
    assert result.stdout.strip(), _report(result)


def test_a_bad_model_is_one_line_of_error() -> None:
    result = run_example("chat_repl.py", "--model", "nowhere:model")
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and result.stderr.strip().count("\n") == 0, result.stderr


# ---------------------------------------------------------------------------------------- tool_round_trip.py


def test_tool_round_trip_on_every_backend(backend: str, sim: ProtocolSim) -> None:
    result = run_example("tool_round_trip.py", *model_args(backend, sim))
    assert result.returncode == 0, _report(result)
    assert "[tool] get_weather(city='Paris', unit='celsius') -> " in result.stdout
    assert "Here is what the tool said:" in result.stdout and '"temperature": 24' in result.stdout
    requests = chat_requests(sim)
    assert len(requests) == 2
    last = conversation(PROTOCOLS[backend], requests[1])
    assert last[-1].role == "tool" and "sunny" in last[-1].text


@pytest.mark.parametrize("name", ["openrouter", "ollama"])
def test_tool_round_trip_streaming(name: str) -> None:
    sim = provider.start(name)
    try:
        result = run_example("tool_round_trip.py", "--stream", *model_args(name, sim))
    finally:
        sim.stop()
    assert result.returncode == 0, _report(result)
    lines = result.stdout.splitlines()
    assert lines[0] == "[tool call] get_weather(city='Paris', unit='celsius')"
    assert lines[1].startswith("[tool] -> {'city': 'Paris'")
    assert lines[2].startswith("Here is what the tool said:")
    assert all(request.json.get("stream", True) is True for request in chat_requests(sim))


# ---------------------------------------------------------------------------------------- streaming_patch.py


def test_streaming_patch_streams_the_replacement_and_applies_it(openrouter: ProtocolSim) -> None:
    result = run_example("streaming_patch.py", *model_args("openrouter", openrouter))
    assert result.returncode == 0, _report(result)
    out = result.stdout
    assert '--- greet.py\n- print("hi " + name)\n+ print("Hello, " + name + "! Great to see you!")' in out
    pieces = re.search(r"\((\d+) pieces\)", out)
    assert pieces is not None and int(pieces[1]) > 1, "the replacement should arrive in several pieces"
    assert 'greet.py now reads:\ndef greet(name):\n    print("Hello, " + name + "! Great to see you!")' in out
    sent = chat_requests(openrouter)
    assert len(sent) == 2 and "applied" in conversation("openrouter", sent[1])[-1].text


def test_streaming_patch_on_ollama_gets_whole_arguments(ollama: ProtocolSim) -> None:
    result = run_example("streaming_patch.py", *model_args("ollama", ollama))
    assert result.returncode == 0, _report(result)
    assert "(1 pieces)" in result.stdout and "greet.py now reads:" in result.stdout
    assert "TokiBackendQuirkWarning" in result.stderr  # Ollama sends tool calls whole, and toki says so


# ---------------------------------------------------------------------------------------- react_state_machine.py


def test_react_loop_thinks_acts_observes_and_answers(ollama: ProtocolSim) -> None:
    result = run_example("react_state_machine.py", *model_args("ollama", ollama))
    assert result.returncode == 0, _report(result)
    lines = result.stdout.splitlines()
    assert lines == [
        f"Thought: {THOUGHT}",
        "Action: search(query='Paris')",
        "Observation: Paris is the capital of France. About 2.1 million people live in the city itself.",
        f"Thought: {THOUGHT}",
        "Answer: Here is what the tool said: Paris is the capital of France. About 2.1 million people live "
        "in the city itself.",
        "(states: THINK -> ACT -> OBSERVE -> THINK -> ANSWER)",
    ]
    sent = chat_requests(ollama)
    assert [request.json["think"] for request in sent] == [True, True]
    assert {tool["function"]["name"] for tool in sent[0].json["tools"]} == {"search", "calculate"}


def test_react_loop_without_thinking(openrouter: ProtocolSim) -> None:
    result = run_example("react_state_machine.py", "--no-think", *model_args("openrouter", openrouter))
    assert result.returncode == 0, _report(result)
    assert "Thought:" not in result.stdout
    assert "Action: search(query='Paris')" in result.stdout
    assert all("reasoning" not in request.json for request in chat_requests(openrouter))


def test_react_tools_work_offline() -> None:
    spec = importlib.util.spec_from_file_location("toki_examples_react", EXAMPLES / "react_state_machine.py")
    assert spec is not None and spec.loader is not None
    react = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = react  # dataclasses look their module up while the class is built
    spec.loader.exec_module(react)
    assert react.calculate("2.1 * (1 + 1) - 0.2") == "4"
    assert react.calculate("__import__('os')").startswith("error:")
    assert "Lisbon" in react.search("What is the capital of Portugal?")


# ---------------------------------------------------------------------------------------- simulated_provider.py


def test_the_documented_offline_route() -> None:
    """`simulated_provider.py ollama` in one process, an example pointed at it from another."""
    server = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "simulated_provider.py"), "ollama"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=example_environment(),
    )
    try:
        assert server.stdout is not None
        server.stdout.readline()
        usage = server.stdout.readline().split()
        assert usage[0] == "--model" and usage[2] == "--base-url", usage
        result = run_example("tool_round_trip.py", *usage)
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert result.returncode == 0, _report(result)
    assert "Here is what the tool said:" in result.stdout


def test_responder_arguments_follow_the_schema() -> None:
    schema = {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "path": {"type": "string", "description": "the file, e.g. notes.md"},
            "code": {"type": "string", "description": "e.g. `x = 1`, or anything"},
            "days": {"type": "integer"},
            "ratio": {"type": ["number", "null"]},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "flags": {"type": "array", "items": {"type": "boolean"}},
            "where": {"type": "object", "properties": {"lat": {"type": "number"}}},
        },
    }
    assert provider.example_arguments(schema) == {
        "city": "Paris",
        "path": "notes.md",
        "code": "x = 1",
        "days": 1,
        "ratio": 1,
        "unit": "celsius",
        "flags": [True],
        "where": {"lat": 1},
    }
    json.dumps(provider.example_arguments(schema))  # always JSON

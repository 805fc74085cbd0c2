"""Construction: the availability check, auto-pull with progress, the async factory, an absent daemon."""

from __future__ import annotations

import asyncio
import io
import time
from typing import Any

import pytest
from simulators import Fault, OllamaSim, Turn
from toki.errors import TokiConfigurationError, TokiConnectionError, TokiNotFoundError, TokiStreamTruncatedError
from toki_ollama import OllamaModel

from .conftest import MakeModel, Runner

USER = [{"role": "user", "content": "hi"}]


class Terminal(io.StringIO):
    """A stderr that claims to be a terminal."""

    def isatty(self) -> bool:
        return True


def routes(sim: OllamaSim) -> list[str | None]:
    return [request.route for request in sim.requests]


def test_installed_model_is_checked_not_pulled(sim: OllamaSim, run: Runner) -> None:
    model = run.create("qwen3:0.6b", host=sim.base_url)
    try:
        assert routes(sim) == ["tags", "show"]
        assert sim.requests_for("show")[0].json_object()["model"] == "qwen3:0.6b"
        assert model.capabilities == frozenset({"completion", "tools", "thinking"})
    finally:
        model.close()


def test_a_bare_name_means_latest(sim: OllamaSim, run: Runner) -> None:
    model = run.create("llama3.2", host=sim.base_url)
    model.close()
    assert routes(sim) == ["tags", "show"]


def test_missing_model_is_pulled_quietly_off_a_terminal(
    sim: OllamaSim, run: Runner, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "qwen3:8b" not in sim.installed
    model = run.create("qwen3:8b", host=sim.base_url)
    model.close()
    assert routes(sim) == ["tags", "pull", "show"]
    assert sim.requests_for("pull")[0].json_object() == {"model": "qwen3:8b", "insecure": False, "stream": True}
    assert "qwen3:8b" in sim.installed
    assert model.capabilities == frozenset({"completion", "tools", "thinking"})
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out == ""


def test_pull_shows_progress_on_a_terminal(sim: OllamaSim, run: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    run.create("smollm2:135m", host=sim.base_url).close()
    drawn = terminal.getvalue()
    digest = sim.registry["smollm2:135m"].digest[:12]
    assert "pulling manifest" in drawn
    assert f"pulling {digest}" in drawn
    assert "100%" in drawn
    assert drawn.rstrip().endswith("success")


@pytest.mark.parametrize(("tty", "progress", "drawn"), [(True, False, False), (False, True, True)])
def test_progress_can_be_forced(
    sim: OllamaSim, monkeypatch: pytest.MonkeyPatch, tty: bool, progress: bool, drawn: bool
) -> None:
    stderr = Terminal() if tty else io.StringIO()
    monkeypatch.setattr("sys.stderr", stderr)
    OllamaModel("llama3.1:8b", host=sim.base_url, progress=progress).close()
    assert ("100%" in stderr.getvalue()) is drawn


def test_pulling_an_unknown_model_fails_clearly(sim: OllamaSim, run: Runner) -> None:
    with pytest.raises(TokiNotFoundError, match=r"cannot pull 'no-such-model:1b'.*file does not exist"):
        run.create("no-such-model:1b", host=sim.base_url)
    assert routes(sim) == ["tags", "pull"]


def test_a_pull_that_never_reports_success_fails(sim: OllamaSim, run: Runner) -> None:
    sim.enqueue(Fault.no_terminal_event(), route="pull")
    with pytest.raises(TokiStreamTruncatedError, match="without reporting success"):
        run.create("qwen3:8b", host=sim.base_url, max_retries=0)


def test_a_broken_pull_is_retried(sim: OllamaSim, make_model: MakeModel) -> None:
    sim.enqueue(Fault.cut_after(2), route="pull")
    model = make_model("qwen3:8b", max_retries=1)
    model.ensure_available()
    assert routes(sim) == ["tags", "pull", "pull", "show"]
    assert "qwen3:8b" in sim.installed


def test_show_failure_leaves_capabilities_unknown(sim: OllamaSim, make_model: MakeModel) -> None:
    sim.enqueue(Fault.status(500, message="boom"), Fault.status(500), Fault.status(500), route="show")
    model = make_model("qwen3:0.6b")
    model.ensure_available()
    assert model.capabilities is None
    assert model._supports_thinking() is True  # pyright: ignore[reportPrivateUsage]  # from the snapshot


def test_pull_false_touches_no_network(sim: OllamaSim, run: Runner) -> None:
    model = run.create("qwen3:8b", host=sim.base_url, pull=False)
    assert sim.requests == []
    assert model.capabilities is None
    model.close()


def test_without_pull_a_missing_model_fails_on_the_first_call(
    sim: OllamaSim, make_model: MakeModel, run: Runner
) -> None:
    model = make_model("qwen3:8b")
    with pytest.raises(TokiNotFoundError, match="not found, try pulling it first") as caught:
        run.complete(model, USER)
    assert caught.value.status_code == 404
    assert len(sim.requests_for("chat")) == 1  # a 404 is never retried


def _assert_says_how_to_start(error: BaseException, host: str) -> None:
    assert isinstance(error, TokiConnectionError)
    assert "ollama serve" in str(error)
    assert host in str(error)


def test_no_daemon_at_construction(dead_host: str, run: Runner) -> None:
    started = time.monotonic()
    with pytest.raises(TokiConnectionError) as caught:
        run.create("qwen3:0.6b", host=dead_host, max_retries=0)
    _assert_says_how_to_start(caught.value, dead_host)
    assert time.monotonic() - started < 5


def test_no_daemon_at_ollama_host(dead_host: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", dead_host.removeprefix("http://"))
    with pytest.raises(TokiConnectionError) as caught:
        OllamaModel("qwen3:0.6b", max_retries=0)
    _assert_says_how_to_start(caught.value, dead_host)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"reasoning_effort": "extreme"}, "reasoning_effort"),
        ({"timeout": -1}, "positive"),
        ({"max_retries": -1}, "max_retries"),
        ({"options": ["num_ctx"]}, "options"),
        ({"host": "localhost:port"}, "invalid Ollama host"),
    ],
)
def test_bad_arguments_are_configuration_errors(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(TokiConfigurationError, match=match):
        OllamaModel("qwen3:0.6b", pull=False, **kwargs)


@pytest.mark.parametrize("name", ["", "   "])
def test_a_model_name_is_required(name: str) -> None:
    with pytest.raises(TokiConfigurationError, match="model"):
        OllamaModel(name, pull=False)


async def test_acreate_does_not_block_the_loop(sim: OllamaSim) -> None:
    # While acreate pulls (stalled by the simulator), other tasks of the loop keep running.
    sim.enqueue(Turn(faults=[Fault.stall(0.5, after=2)]), route="pull")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    task = asyncio.create_task(ticker())
    model = await OllamaModel.acreate("qwen3:8b", host=sim.base_url)
    task.cancel()
    await model.aclose()
    assert ticks >= 20
    assert routes(sim) == ["tags", "pull", "show"]

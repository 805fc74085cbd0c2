"""The availability check and the pull progress display, without I/O."""

from __future__ import annotations

import io
import logging

import ollama
import pytest
from toki_ollama.pull import PullProgress, capabilities_of, is_installed, show_progress_by_default

DIGEST = "sha256:" + "ab" * 32


def tags(*names: str) -> ollama.ListResponse:
    return ollama.ListResponse(models=[ollama.ListResponse.Model(model=name) for name in names])


def progress_lines() -> list[ollama.ProgressResponse]:
    raw: list[dict[str, object]] = [
        {"status": "pulling manifest"},
        {"status": f"pulling {DIGEST[7:19]}", "digest": DIGEST, "total": 2000},
        {"status": f"pulling {DIGEST[7:19]}", "digest": DIGEST, "total": 2000, "completed": 1000},
        {"status": f"pulling {DIGEST[7:19]}", "digest": DIGEST, "total": 2000, "completed": 2000},
        {"status": "verifying sha256 digest"},
        {"status": "writing manifest"},
        {"status": "success"},
    ]
    return [ollama.ProgressResponse.model_validate(line) for line in raw]


@pytest.mark.parametrize(
    ("model", "listed", "expected"),
    [
        ("llama3.2", ["llama3.2:latest"], True),  # a bare name means :latest
        ("llama3.2:latest", ["llama3.2:latest"], True),
        ("llama3.2:1b", ["llama3.2:latest"], False),
        ("llama3.2", ["llama3.2:1b"], False),
        ("qwen3:0.6b", ["llama3.2:latest", "qwen3:0.6b"], True),
        ("qwen3", [], False),
    ],
)
def test_is_installed(model: str, listed: list[str], expected: bool) -> None:
    assert is_installed(model, tags(*listed)) is expected


def test_capabilities_of_show() -> None:
    show = ollama.ShowResponse.model_validate({"capabilities": ["completion", "tools"], "model_info": {}})
    assert capabilities_of(show) == frozenset({"completion", "tools"})
    assert capabilities_of(ollama.ShowResponse.model_validate({"model_info": {}})) is None


def test_progress_draws_a_bar_per_layer_and_the_statuses() -> None:
    out = io.StringIO()
    progress = PullProgress("qwen3:8b", enabled=True, file=out)
    for line in progress_lines():
        progress.update(line)
    progress.close()
    text = out.getvalue()
    assert "pulling manifest" in text
    assert f"pulling {DIGEST[7:19]}" in text
    assert "100%" in text
    assert "verifying sha256 digest" in text
    assert text.rstrip().endswith("success")
    assert progress.succeeded
    assert progress.statuses == [
        "pulling manifest",
        f"pulling {DIGEST[7:19]}",
        "verifying sha256 digest",
        "writing manifest",
        "success",
    ]


def test_disabled_progress_writes_nothing_but_logs(caplog: pytest.LogCaptureFixture) -> None:
    out = io.StringIO()
    progress = PullProgress("qwen3:8b", enabled=False, file=out)
    with caplog.at_level(logging.INFO, logger="toki_ollama"):
        for line in progress_lines():
            progress.update(line)
        progress.close()
    assert out.getvalue() == ""
    assert progress.succeeded
    assert "success" in caplog.text


def test_a_pull_that_stops_early_has_not_succeeded() -> None:
    progress = PullProgress("m", enabled=False)
    for line in progress_lines()[:3]:
        progress.update(line)
    progress.close()
    assert not progress.succeeded


def test_progress_goes_to_terminals_only(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stderr", Terminal())
    assert show_progress_by_default()
    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert not show_progress_by_default()

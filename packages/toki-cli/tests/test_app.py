"""The command's own behaviour that needs no backend: usage errors, exit codes, one-line errors."""

from __future__ import annotations

import subprocess
import sys

import pytest
from toki_cli.app import main


def _toki(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "toki_cli", *args], input=stdin, capture_output=True, text=True, timeout=120, check=False
    )


def test_help_lists_the_four_commands() -> None:
    result = _toki("--help")
    assert result.returncode == 0
    for command in ("ask", "chat", "models", "tokens"):
        assert command in result.stdout


def test_a_malformed_model_is_a_one_line_usage_error() -> None:
    result = _toki("ask", "--model", "gpt-4o", "hi")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "backend:model-id" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_empty_prompt_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "   "]) == 2
    assert "empty" in capsys.readouterr().err


def test_a_missing_file_for_tokens_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tokens", "/nonexistent/file.txt", "--model", "openrouter:x"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("toki: ") and err.count("\n") == 1

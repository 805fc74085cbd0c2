from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import toki_statemachine

README = Path(__file__).parents[1] / "README.md"


def test_public_names() -> None:
    assert sorted(toki_statemachine.__all__) == sorted(
        [
            "END_STATE",
            "ClassStateMachine",
            "DuplicateHandlerError",
            "EndState",
            "InvalidTransitionError",
            "MissingHandlersError",
            "StateMachine",
            "StateMachineError",
            "StateMachineStepLimitWarning",
            "UnknownStateError",
            "on",
        ]
    )
    for name in toki_statemachine.__all__:
        assert getattr(toki_statemachine, name) is not None


def test_public_symbols_are_documented() -> None:
    for name in toki_statemachine.__all__:
        if name != "END_STATE":  # an Enum member carries its class's docstring
            assert getattr(toki_statemachine, name).__doc__, name


def test_importing_does_not_import_toki_core() -> None:
    # In a fresh interpreter: this test session may well have imported toki already.
    code = (
        "import sys, toki_statemachine; print(sorted(m for m in sys.modules if m == 'toki' or m.startswith('toki.')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def _readme_examples() -> list[tuple[str, str]]:
    """Each ``python`` block of the README that is followed by a ``text`` block of its output."""
    pattern = re.compile(r"```python\n([^`]*)```\n\nprints\n\n```text\n([^`]*)```")
    return [(code, output) for code, output in pattern.findall(README.read_text(encoding="utf-8"))]


def test_the_readme_has_two_examples() -> None:
    assert len(_readme_examples()) == 2


@pytest.mark.parametrize(
    ("code", "output"), _readme_examples(), ids=[f"example-{i}" for i in range(1, len(_readme_examples()) + 1)]
)
def test_readme_examples_print_what_the_readme_says(code: str, output: str) -> None:
    # As a script in a fresh interpreter, the way a reader would run it.
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout == output

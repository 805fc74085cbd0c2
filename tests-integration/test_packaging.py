"""The packages as users get them: built wheels installed into fresh virtual environments.

Proves that each distribution owns its import package, that ``toki``'s lazy re-exports and alias
modules work (and type-check) with only ``toki-core`` plus one backend installed, that an extra
pulls in only what it needs, and that the spec's hello example runs from such an install.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from simulators import OpenRouterSim, Turn

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ROOT / "packages"

pytestmark = pytest.mark.slow


def _run(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _uv() -> str:
    from shutil import which

    found = which("uv")
    assert found, "uv must be on PATH to build wheels"
    return found


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every workspace package built as a wheel, the way it would be published."""
    out = tmp_path_factory.mktemp("wheels")
    for package in sorted(p for p in PACKAGES.iterdir() if (p / "pyproject.toml").exists()):
        _run(_uv(), "build", "--no-sources", "--wheel", "--quiet", "--out-dir", out, package)
    return out


def _venv(tmp: Path, wheelhouse: Path, *requirements: str) -> Path:
    """A fresh venv with ``requirements`` installed from our wheels (their dependencies from the index).

    Each requirement names one of our distributions (with extras); it is pinned to the built wheel
    by URL, because an unrelated, older project also publishes a ``toki`` distribution on PyPI.
    """
    env_dir = tmp / "venv"
    _run(_uv(), "venv", "--quiet", "--python", sys.executable, env_dir)
    python = env_dir / "bin" / "python"
    pinned: list[str] = []
    for requirement in requirements:
        name = requirement.split("[")[0]
        (wheel,) = wheelhouse.glob(name.replace("-", "_") + "-*.whl")
        pinned.append(f"{requirement} @ {wheel.as_uri()}")
    _run(_uv(), "pip", "install", "--quiet", "--python", python, "--find-links", wheelhouse, *pinned)
    return python


def _installed(python: Path) -> set[str]:
    code = "import json, importlib.metadata as m; print(json.dumps([d.metadata['Name'] for d in m.distributions()]))"
    out = _run(python, "-c", code)
    return {name.lower().replace("_", "-") for name in json.loads(out)}


@pytest.fixture
def openrouter_sim() -> Iterator[OpenRouterSim]:
    with OpenRouterSim() as sim:
        yield sim


def test_core_plus_openrouter_from_wheels(tmp_path: Path, wheelhouse: Path, openrouter_sim: OpenRouterSim) -> None:
    python = _venv(tmp_path, wheelhouse, "toki[openrouter]")
    installed = _installed(python)
    assert {"toki", "toki-core", "toki-openrouter", "toki-statemachine", "httpx"} <= installed
    # The extra brings only what it needs.
    assert not installed & {"litellm", "torch", "ollama", "google-genai", "requests", "transformers"}

    openrouter_sim.enqueue(Turn(content="Hello from five words exactly!"))
    script = textwrap.dedent(
        f"""
        import sys
        import toki
        assert [m for m in sys.modules if m.startswith(("httpx", "toki_"))] == [], "import toki must stay lazy"
        from toki import Agent, OpenRouterModel
        from toki.openrouter import OpenRouterModelName, attributes_map, list_openrouter_models
        from toki.helpers.jsonstream import streaming_parse_json
        from toki.helpers.statemachine import StateMachine, END_STATE
        assert len(list_openrouter_models()) > 10
        base_url = "{openrouter_sim.base_url}/api/v1"
        model = OpenRouterModel("deepseek/deepseek-v3.2", api_key="sk-test", base_url=base_url)
        agent = Agent(model)
        agent.add_user_message("Say hello in 5 words")
        print(f"openrouter says {{agent.execute()}}")
        try:
            toki.OllamaModel
        except ImportError as exc:
            print("missing:", exc)
        """
    )
    out = _run(python, "-c", script)
    assert "openrouter says Hello from five words exactly!" in out
    assert "missing: toki.OllamaModel needs the toki-ollama package: pip install 'toki[ollama]'" in out


def test_jsonstream_alone_with_nothing_else(tmp_path: Path, wheelhouse: Path) -> None:
    python = _venv(tmp_path, wheelhouse, "toki-core")
    assert _installed(python) == {"toki-core", "typing-extensions"}
    out = _run(
        python,
        "-c",
        "from toki.helpers.jsonstream import streaming_parse_json;"
        "print(streaming_parse_json(iter(['{\"a\": [1, ', '2]}'])).value)",
    )
    assert out.strip() == "{'a': [1, 2]}"
    # Without toki-statemachine, its alias module says what to install; the rest of toki.helpers works.
    out = _run(
        python,
        "-c",
        "import toki.helpers\ntry:\n import toki.helpers.statemachine\nexcept ImportError as e:\n print(e)",
    )
    assert "pip install toki-statemachine" in out


def test_type_checkers_resolve_backend_names_in_a_wheel_install(tmp_path: Path, wheelhouse: Path) -> None:
    python = _venv(tmp_path, wheelhouse, "toki[openrouter]")
    probe = tmp_path / "probe.py"
    probe.write_text(
        textwrap.dedent(
            """
            from typing_extensions import assert_type
            from toki import Agent, OpenRouterModel
            from toki.openrouter import OpenRouterModel as DirectOpenRouterModel
            from toki.openrouter import OpenRouterModelName
            from toki_openrouter import OpenRouterModel as PackageOpenRouterModel

            name: OpenRouterModelName = "google/gemini-2.5-flash"
            model = OpenRouterModel(name, api_key="k")
            # Exact types, not Any: the lazy re-export is visible to the type checker.
            assert_type(model, DirectOpenRouterModel)
            assert_type(model, PackageOpenRouterModel)
            agent = Agent(model)
            assert_type(agent.execute(), str)
            """
        )
    )
    tools = Path(sys.executable).parent
    env = dict(os.environ)
    _run(tools / "pyright", "--pythonpath", python, probe, cwd=tmp_path, env=env)
    _run(
        tools / "mypy",
        "--strict",
        "--python-executable",
        python,
        "--cache-dir",
        tmp_path / ".mypy",
        probe,
        cwd=tmp_path,
    )

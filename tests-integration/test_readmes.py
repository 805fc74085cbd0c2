"""The READMEs' code runs in CI, so the docs cannot rot.

Every ```python block of ``README.md`` and ``packages/*/README.md`` runs as a script of its own,
in a subprocess, exactly as written: a block reads like code for a real provider
(``OpenRouterModel("google/gemini-2.5-flash")`` with the key taken from the environment), and
the environment it runs in points every backend at a wire simulator started for the test:

==============  =========================================================================
OpenRouter      ``OPENROUTER_API_KEY``, ``OPENROUTER_BASE_URL=<sim>/api/v1``
Ollama          ``OLLAMA_HOST=<sim>`` (the models a block names are installed in the daemon)
OpenAI          ``OPENAI_API_KEY``, ``OPENAI_BASE_URL=<sim>/v1``
Anthropic       ``ANTHROPIC_API_KEY``, ``ANTHROPIC_BASE_URL=<sim>``
Google          ``GEMINI_API_KEY``, ``GEMINI_API_BASE=<sim>/v1beta`` (litellm) and
                ``GOOGLE_GEMINI_BASE_URL=<sim>`` (google-genai, which creates explicit caches)
==============  =========================================================================

Each simulator answers with the cooperative responder of ``examples/simulated_provider.py``
(a tool call when tools are offered to a user turn, thinking when it is asked for, else a short
answer), so a tool round trip really round-trips. Blocks using the embedded
``LocalModel("smollm2-135m-instruct")`` run the model for real, offline.

* A block that uses a backend whose package is missing fails (CI installs every package): no
  block is ever skipped. A block that must not run is not ```python (shell is ```bash).
* Blocks run with toki's warnings turned into errors: an example that would greet its reader
  with a ``TokiWarning`` fails, unless the block handles the warning itself.
* A block followed by a ```text block introduced by a line that says "prints" must print
  exactly that text.
* Every ``toki`` command in a ```bash block runs too, against the same simulators.

Test ids are ``<readme>:<line of the opening fence>``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
from simulators import OllamaSim, ProtocolSim

ROOT = Path(__file__).resolve().parents[1]
READMES = [ROOT / "README.md", *sorted(ROOT.glob("packages/*/README.md"))]
#: Generous: the embedded model loads and generates on a small, shared CPU.
TIMEOUT = 600

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\s]*)")
#: Runs a block as ``__main__`` with toki's warnings as errors. (``-W error::toki.warnings.TokiWarning``
#: would be ignored: -W options are read before site-packages, hence toki, are importable.)
_RUNNER = (
    "import runpy, sys, warnings; from toki.warnings import TokiWarning; "
    "warnings.simplefilter('error', TokiWarning); sys.argv = sys.argv[1:]; "
    "runpy.run_path(sys.argv[0], run_name='__main__')"
)
_PRINTS = re.compile(r"^(it )?(prints|outputs?)\b[^.\n]*[:.]?$", re.IGNORECASE)
_OLLAMA_NAMES = (
    re.compile(r"OllamaModel(?:\.acreate)?\(\s*[\"']([^\"']+)[\"']"),
    re.compile(r"ollama:([\w.:/-]+)"),
)


def _load_simulated_provider() -> ModuleType:
    """``examples/simulated_provider.py``: the responder the examples' offline mode uses, too."""
    name = "toki_examples_simulated_provider"  # shared with test_examples.py
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / "simulated_provider.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


provider = _load_simulated_provider()


# ---------------------------------------------------------------------------------------- markdown


@dataclass(frozen=True)
class Block:
    """One fenced code block of a README."""

    readme: Path
    line: int  # 1-based line of the opening fence
    language: str
    code: str
    prose_before: str  # the text between the previous block (or the file start) and this one

    @property
    def id(self) -> str:
        return f"{self.readme.relative_to(ROOT).as_posix()}:{self.line}"


def fenced_blocks(readme: Path) -> list[Block]:
    """The fenced code blocks of a Markdown file, in order (nested fences are kept as content)."""
    lines = readme.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    prose: list[str] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            prose.append(lines[index])
            index += 1
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        body: list[str] = []
        end = index + 1
        while end < len(lines):
            closing = _FENCE.match(lines[end])
            if closing and not closing["info"] and closing["fence"].startswith(fence):  # same char, as long or longer
                break
            body.append(lines[end][indent:] if lines[end][:indent].strip() == "" else lines[end])
            end += 1
        blocks.append(Block(readme, index + 1, opening["info"].lower(), "\n".join(body) + "\n", "\n".join(prose)))
        prose = []
        index = end + 1
    return blocks


def _expected_output(blocks: list[Block], position: int) -> str | None:
    """The text a python block must print: a following ```text block introduced by "prints"."""
    if position + 1 >= len(blocks):
        return None
    following = blocks[position + 1]
    intro = following.prose_before.strip()
    if following.language != "text" or not _PRINTS.match(intro):
        return None
    return following.code


@dataclass(frozen=True)
class PythonCase:
    block: Block
    expected: str | None


def python_cases() -> list[PythonCase]:
    cases: list[PythonCase] = []
    for readme in READMES:
        blocks = fenced_blocks(readme)
        for position, block in enumerate(blocks):
            if block.language in ("python", "py"):
                cases.append(PythonCase(block, _expected_output(blocks, position)))
    return cases


@dataclass(frozen=True)
class CommandCase:
    id: str
    argv: tuple[str, ...]  # arguments of the toki command


def toki_commands() -> list[CommandCase]:
    """Every ``toki ...`` (or ``uv run toki ...``) command of the READMEs' bash blocks, once per argv."""
    seen: dict[tuple[str, ...], CommandCase] = {}
    for readme in READMES:
        for block in fenced_blocks(readme):
            if block.language not in ("bash", "sh", "shell", "console"):
                continue
            for offset, line in enumerate(block.code.splitlines()):
                words = shlex.split(line, comments=True)
                segment: list[str] = []
                for word in [*words, "&&"]:
                    if word not in ("&&", ";", "||"):
                        segment.append(word)
                        continue
                    if segment[:3] == ["uv", "run", "toki"]:
                        segment = segment[2:]
                    if segment[:1] == ["toki"] and tuple(segment[1:]) not in seen:
                        case_id = f"{readme.relative_to(ROOT).as_posix()}:{block.line + 1 + offset}"
                        seen[tuple(segment[1:])] = CommandCase(case_id, tuple(segment[1:]))
                    segment = []
    return list(seen.values())


PYTHON_CASES = python_cases()
COMMANDS = toki_commands()


# ---------------------------------------------------------------------------------------- the environment


def _ollama_names(text: str) -> set[str]:
    return {name for pattern in _OLLAMA_NAMES for name in pattern.findall(text)}


@pytest.fixture
def sims() -> Iterator[dict[str, ProtocolSim]]:
    """One simulator per hosted backend (and the Ollama daemon), each with the cooperative responder."""
    started: dict[str, ProtocolSim] = {}
    try:
        for backend in provider.BACKENDS:
            started[backend] = provider.start(backend)
        yield started
    finally:
        for sim in started.values():
            sim.stop()


def block_environment(sims: dict[str, ProtocolSim]) -> dict[str, str]:
    """The process environment of a block: real keys and addresses removed, the simulators in."""
    dropped = ("_API_KEY", "_BASE_URL", "_API_BASE")
    env = {k: v for k, v in os.environ.items() if not k.endswith(dropped) and k != "OLLAMA_HOST"}
    url = {backend: provider.base_url(backend, sim) for backend, sim in sims.items()}
    env.update(
        {
            "OPENROUTER_API_KEY": "sk-or-sim",
            "OPENROUTER_BASE_URL": url["openrouter"],
            "OLLAMA_HOST": url["ollama"],
            "OPENAI_API_KEY": "sk-sim",
            "OPENAI_BASE_URL": url["openai"],
            "ANTHROPIC_API_KEY": "sk-ant-sim",
            "ANTHROPIC_BASE_URL": url["anthropic"],
            "GEMINI_API_KEY": "gemini-sim",
            "GEMINI_API_BASE": url["google"] + "/v1beta",
            # google-genai (GoogleModel's explicit caches) reads this, not GEMINI_API_BASE.
            "GOOGLE_GEMINI_BASE_URL": url["google"],
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "HF_HUB_OFFLINE": "1",
            "NO_PROXY": ",".join(filter(None, [os.environ.get("NO_PROXY", ""), "127.0.0.1", "localhost"])),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def _report(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit status {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def _normalized(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


# ---------------------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("case", PYTHON_CASES, ids=[case.block.id for case in PYTHON_CASES])
def test_python_block_runs(case: PythonCase, sims: dict[str, ProtocolSim], tmp_path: Path) -> None:
    block = case.block
    ollama = sims["ollama"]
    assert isinstance(ollama, OllamaSim)
    provider.install_ollama_models(ollama, _ollama_names(block.code))
    script = tmp_path / f"{block.readme.parent.name}_README_{block.line}.py"
    script.write_text(block.code, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-c", _RUNNER, str(script)],
        cwd=tmp_path,
        env=block_environment(sims),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, f"{block.id} failed:\n{_report(result)}"
    if case.expected is not None:
        assert _normalized(result.stdout) == _normalized(case.expected), f"{block.id} printed:\n{result.stdout}"


@pytest.mark.parametrize("case", COMMANDS, ids=[case.id for case in COMMANDS])
def test_toki_command_runs(case: CommandCase, sims: dict[str, ProtocolSim], tmp_path: Path) -> None:
    ollama = sims["ollama"]
    assert isinstance(ollama, OllamaSim)
    provider.install_ollama_models(ollama, _ollama_names(" ".join(case.argv)))
    for argument in case.argv:  # a file the command reads (e.g. `toki tokens notes.md`)
        if re.fullmatch(r"[\w-]+\.(md|txt)", argument):
            (tmp_path / argument).write_text("Some notes worth counting.\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "toki_cli", *case.argv],
        cwd=tmp_path,
        env=block_environment(sims),
        input="Say hello in 5 words\n" if case.argv[0] == "chat" else "",  # one turn, then end of input
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, f"{case.id}: toki {shlex.join(case.argv)} failed:\n{_report(result)}"
    if case.argv[0] in ("ask", "chat", "models", "tokens"):
        assert result.stdout.strip(), f"{case.id}: toki {shlex.join(case.argv)} printed nothing"


def test_the_readme_keeps_the_fresh_machine_commands() -> None:
    """The set-up and test commands the README promises are the ones CI runs."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shell = "\n".join(b.code for b in fenced_blocks(ROOT / "README.md") if b.language == "bash")
    assert "python3 -m pip install uv && bash .ci/setup" in shell
    assert re.search(r"^\S.*\buv run pytest\b", shell, re.MULTILINE)
    assert 'uv run toki ask "Say hello in 5 words"' in shell
    assert (ROOT / ".ci" / "setup").is_file()
    assert re.search(r"^uv run pytest\s*$", (ROOT / ".ci" / "run").read_text(encoding="utf-8"), re.MULTILINE)
    assert "uv run pytest -m live" in readme


def test_blocks_are_found() -> None:
    """The extraction itself: every README with code has its blocks, ids are unique."""
    ids = [case.block.id for case in PYTHON_CASES]
    assert len(ids) == len(set(ids))
    assert any(case.block.readme.name == "README.md" and case.block.readme.parent == ROOT for case in PYTHON_CASES)
    assert sum(case.expected is not None for case in PYTHON_CASES) >= 1
    assert COMMANDS, "no toki command found in the READMEs' bash blocks"


def test_the_reliability_table_names_tests_that_exist() -> None:
    """Every test the README's reliability table cites (names, ``*`` patterns, ``[param]`` ids) is
    a test function of the file it points at (``F`` is the fault suite), so the table cannot rot."""
    import fnmatch

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Reliability\n") :]
    section = section[: section.index("\n### ", 1)]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "test_" in line]
    assert len(rows) >= 10, "the reliability table lost its rows"
    files = {"F": ROOT / "tests-integration" / "test_faults.py"}
    defined: dict[Path, set[str]] = {}

    def tests_in(path: Path) -> set[str]:
        if path not in defined:
            source = path.read_text(encoding="utf-8")
            defined[path] = set(re.findall(r"^(?:async )?def (test_\w+)", source, re.MULTILINE))
        return defined[path]

    cited = 0
    for row in rows:
        proofs = row.rstrip(" |").rsplit(" | ", 1)[1]
        current: Path | None = None
        for token in re.findall(r"`[^`]+`|\bF\b", proofs):
            if token == "F":
                current = files["F"]
                continue
            name = token.strip("`")
            if name.endswith(".py"):
                matches = [p for p in ROOT.glob(f"**/{name}") if ".venv" not in p.parts]
                assert matches, f"{name} does not exist"
                current = next((p for p in matches if str(p).endswith(name)), matches[0])
                continue
            assert current is not None, f"{name!r} is cited without its file: {row[:80]}"
            pattern = name.split("[", 1)[0]
            assert fnmatch.filter(tests_in(current), pattern), f"{current.name} has no test {pattern}"
            cited += 1
    assert cited >= 25

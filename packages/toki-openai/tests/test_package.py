"""The package surface: lazy imports, the ``toki.openai`` alias, and a tool call from a fresh process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import toki
import toki.openai
import toki_openai
from simulators import OpenAIChatSim, ToolCallScript, Turn

TESTS = Path(__file__).resolve().parents[3] / "tests-integration"


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_importing_the_backend_does_not_import_litellm() -> None:
    result = _python(
        """
        import sys
        import toki
        from toki.openai import OpenAIModelName, OpenAIModel
        import toki_openai
        heavy = [m for m in ("litellm", "openai", "httpx", "google.genai") if m in sys.modules]
        print(heavy)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_alias_module_and_lazy_toki_name() -> None:
    assert toki.openai.OpenAIModel is toki_openai.OpenAIModel
    assert toki.OpenAIModel is toki_openai.OpenAIModel
    assert set(toki.openai.__all__) == set(toki_openai.__all__)


def test_tool_call_from_a_fresh_process() -> None:
    # litellm imports the optional ``mcp`` package on any call with tools: the dependency must be there.
    with OpenAIChatSim() as sim:
        sim.enqueue(Turn(tool_calls=[ToolCallScript("get_weather", '{"city": "Paris"}', id="call_1")]))
        result = _python(
            f"""
            from toki_openai import OpenAIModel
            tool = {{"type": "function", "function": {{"name": "get_weather",
                     "parameters": {{"type": "object", "properties": {{"city": {{"type": "string"}}}}}}}}}}
            with OpenAIModel("gpt-4o-mini", api_key="k", base_url="{sim.base_url}/v1", max_retries=0) as model:
                reply = model.complete([{{"role": "user", "content": "weather?"}}], [tool])
            print(reply.tool_calls[0].function.arguments)
            """
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "{'city': 'Paris'}"
    import importlib.util

    assert importlib.util.find_spec("mcp") is not None
    assert TESTS.is_dir()

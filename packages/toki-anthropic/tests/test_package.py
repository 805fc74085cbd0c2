"""The package surface: lazy imports, the ``toki.anthropic`` alias, and the model-name snapshot."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import get_args

import toki
import toki.anthropic
import toki_anthropic
from toki_anthropic import AnthropicModelName, attributes_map, list_anthropic_models


def test_importing_the_backend_does_not_import_litellm() -> None:
    code = textwrap.dedent(
        """
        import sys
        from toki.anthropic import AnthropicModelName, AnthropicModel
        print([m for m in ("litellm", "openai", "httpx", "google.genai") if m in sys.modules])
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_alias_module_and_lazy_toki_name() -> None:
    assert toki.anthropic.AnthropicModel is toki_anthropic.AnthropicModel
    assert toki.AnthropicModel is toki_anthropic.AnthropicModel
    assert set(toki.anthropic.__all__) == set(toki_anthropic.__all__)


def test_spec_examples_are_known_reasoning_models() -> None:
    for model_id in ("claude-sonnet-4-5", "claude-haiku-4-5"):
        assert attributes_map[model_id].supports_thinking is True
        assert attributes_map[model_id].supports_tools is True
        assert (attributes_map[model_id].context_size or 0) >= 200_000


def test_literal_map_and_list_agree() -> None:
    names = list(get_args(AnthropicModelName))
    assert names == sorted(set(names)) == list_anthropic_models() == list(attributes_map)

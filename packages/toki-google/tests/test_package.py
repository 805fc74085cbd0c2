"""The package surface: lazy imports, the ``toki.google`` alias, and the model-name snapshot."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import get_args

import toki
import toki.google
import toki_google
from toki_google import GoogleModelName, attributes_map, list_google_models


def test_importing_the_backend_does_not_import_litellm() -> None:
    code = textwrap.dedent(
        """
        import sys
        from toki.google import GoogleModelName, GoogleModel
        print([m for m in ("litellm", "openai", "httpx", "google.genai") if m in sys.modules])
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_alias_module_and_lazy_toki_name() -> None:
    assert toki.google.GoogleModel is toki_google.GoogleModel
    assert toki.GoogleModel is toki_google.GoogleModel
    assert set(toki.google.__all__) == set(toki_google.__all__)


def test_spec_examples_are_known_reasoning_models() -> None:
    for model_id in ("gemini-2.5-flash", "gemini-2.5-pro"):
        assert attributes_map[model_id].supports_thinking is True
        assert attributes_map[model_id].supports_tools is True
        assert (attributes_map[model_id].context_size or 0) >= 200_000


def test_literal_map_and_list_agree() -> None:
    names = list(get_args(GoogleModelName))
    assert names == sorted(set(names)) == list_google_models() == list(attributes_map)

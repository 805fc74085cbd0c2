"""The public surface: names, docstrings, the ``toki.local`` alias, and a cheap import."""

from __future__ import annotations

import subprocess
import sys

import toki
import toki.local
import toki_local


def test_public_names() -> None:
    assert sorted(toki_local.__all__) == [
        "Attr",
        "LocalModel",
        "LocalModelName",
        "attributes_map",
        "list_huggingface_models",
        "list_local_models",
    ]
    for name in toki_local.__all__:
        assert getattr(toki_local, name) is not None


def test_public_symbols_are_documented() -> None:
    for name in ("Attr", "LocalModel", "list_huggingface_models", "list_local_models"):
        assert getattr(toki_local, name).__doc__, name
    for name in dir(toki_local.LocalModel):
        member = getattr(toki_local.LocalModel, name)
        if not name.startswith("_") and callable(member):
            assert member.__doc__, name


def test_the_toki_local_alias_and_the_lazy_root_name() -> None:
    assert toki.local.__all__ == toki_local.__all__
    for name in toki_local.__all__:
        assert getattr(toki.local, name) is getattr(toki_local, name)
    assert toki.LocalModel is toki_local.LocalModel


def test_importing_the_package_does_not_import_torch_or_transformers() -> None:
    code = "import sys, toki_local; print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"

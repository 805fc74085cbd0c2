"""The public surface: names, the toki.ollama alias, docstrings."""

from __future__ import annotations

import importlib

import toki
import toki_ollama


def test_public_names() -> None:
    assert sorted(toki_ollama.__all__) == [
        "Attr",
        "OllamaModel",
        "OllamaModelName",
        "attributes_map",
        "list_ollama_models",
    ]


def test_alias_module_reexports_the_same_objects() -> None:
    alias = importlib.import_module("toki.ollama")
    assert sorted(alias.__all__) == sorted(toki_ollama.__all__)
    for name in toki_ollama.__all__:
        assert getattr(alias, name) is getattr(toki_ollama, name)
    assert toki.OllamaModel is toki_ollama.OllamaModel


def test_public_symbols_are_documented() -> None:
    for name in ("Attr", "OllamaModel", "list_ollama_models"):
        assert getattr(toki_ollama, name).__doc__, name
    model = toki_ollama.OllamaModel
    for method in (
        "acreate",
        "ensure_available",
        "aensure_available",
        "close",
        "aclose",
        "count_tokens",
        "acount_tokens",
    ):
        assert getattr(model, method).__doc__, method


def test_provider_name() -> None:
    assert toki_ollama.OllamaModel.provider == "ollama"

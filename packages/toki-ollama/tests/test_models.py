"""The model-name snapshot is well formed and says what the spec relies on."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import get_args

import pytest
from toki_ollama import Attr, OllamaModelName, attributes_map, list_ollama_models

MODELS_PY = Path(__file__).parents[1] / "src" / "toki_ollama" / "models.py"


def test_literal_matches_the_map_sorted_and_unique() -> None:
    names = list(get_args(OllamaModelName))
    assert names == sorted(names)
    assert len(names) == len(set(names))
    assert set(names) == set(attributes_map)


def test_list_ollama_models() -> None:
    assert list_ollama_models() == sorted(attributes_map)
    assert list_ollama_models() is not list_ollama_models()


@pytest.mark.parametrize("name", ["gemma4:e2b", "qwen3:1.7b", "qwen3:0.6b", "gpt-oss:20b", "deepseek-r1:8b", "qwq"])
def test_names_the_spec_uses_are_known(name: str) -> None:
    assert name in attributes_map


@pytest.mark.parametrize("family", ["qwen3", "deepseek-r1", "gpt-oss", "qwq"])
def test_thinking_families_are_flagged(family: str) -> None:
    tags = [name for name in attributes_map if name == family or name.startswith(family + ":")]
    assert tags
    assert all(attributes_map[name].supports_thinking for name in tags)


@pytest.mark.parametrize("name", ["llama3.2", "gemma3:1b", "mistral", "phi4", "qwen2.5:7b"])
def test_non_thinking_models_are_not_flagged(name: str) -> None:
    assert not attributes_map[name].supports_thinking


def test_attrs_are_plausible() -> None:
    for name, attr in attributes_map.items():
        assert 2048 <= attr.context_size <= 10_000_000, name
        assert attr.context_size % 1024 == 0 or attr.context_size == 1024000, name
    assert attributes_map["gemma3:1b"] == Attr(context_size=32768, supports_tools=False, supports_thinking=False)


def test_attr_is_frozen_with_the_spec_fields() -> None:
    assert [f.name for f in dataclasses.fields(Attr)] == ["context_size", "supports_tools", "supports_thinking"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        attributes_map["qwen3"].context_size = 1  # type: ignore[misc]


def test_header_says_how_the_snapshot_was_made() -> None:
    header = MODELS_PY.read_text().split('"""')[1]
    assert "Hand-curated snapshot of the ollama.com library" in header
    assert "toki-fetch-ollama-models" in header

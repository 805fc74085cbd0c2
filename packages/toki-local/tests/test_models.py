"""The model-name snapshot: Literal, attributes, listing functions."""

from __future__ import annotations

import dataclasses
from typing import get_args

from toki_local.models import Attr, LocalModelName, attributes_map, list_huggingface_models, list_local_models


def test_the_literal_is_sorted_unique_and_matches_the_map() -> None:
    names = list(get_args(LocalModelName))
    assert names == sorted(set(names))
    assert names == sorted(attributes_map)


def test_listing_functions_agree() -> None:
    assert list_local_models() == list_huggingface_models() == sorted(attributes_map)
    assert "smollm2-135m-instruct" in list_local_models()
    assert "Qwen/Qwen3-0.6B" in list_local_models()


def test_attr_deliberately_has_no_thinking_flag() -> None:
    assert [field.name for field in dataclasses.fields(Attr)] == ["context_size", "supports_tools"]


def test_attributes_are_plausible() -> None:
    for name, attr in attributes_map.items():
        assert 2048 <= attr.context_size <= 1_048_576, name
    assert attributes_map["smollm2-135m-instruct"] == Attr(context_size=8192, supports_tools=False)
    assert attributes_map["Qwen/Qwen2.5-7B-Instruct"].supports_tools
    assert not attributes_map["meta-llama/Llama-3.1-8B-Instruct"].supports_tools  # its tool syntax is not <tool_call>

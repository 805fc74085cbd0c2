"""The model-name snapshot: real litellm metadata and the spec's example ids.

That the file is exactly the render of its saved input is checked by ``toki-fetch-openai-models --check``
(toki-tools), which CI runs.
"""

from __future__ import annotations

from typing import get_args

from toki_openai import Attr, OpenAIModelName, attributes_map, list_openai_models


def test_spec_examples_are_known_reasoning_models() -> None:
    for model_id in ("gpt-5.4-mini", "gpt-5.4"):
        assert attributes_map[model_id].supports_thinking is True
        assert attributes_map[model_id].supports_tools is True
    assert attributes_map["gpt-5.4-mini"] == Attr(context_size=272000, supports_tools=True, supports_thinking=True)
    assert attributes_map["gpt-4o-mini"].supports_thinking is False


def test_literal_map_and_list_agree() -> None:
    names = list(get_args(OpenAIModelName))
    assert names == sorted(set(names))
    assert names == list_openai_models() == list(attributes_map)
    assert all(not name.startswith("ft:") and "/" not in name for name in names)

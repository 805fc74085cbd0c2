"""The model-name snapshot: shape, the spec's example ids, and what the model derives from it."""

from __future__ import annotations

from typing import get_args

import pytest
from toki import TokiThinkingSupportWarning, TokiToolMismatchWarning
from toki.openrouter import Attr, OpenRouterModelName, attributes_map, list_openrouter_models
from toki_openrouter import OpenRouterModel


def test_literal_map_and_list_agree() -> None:
    ids = list(get_args(OpenRouterModelName))
    assert ids == sorted(set(ids))
    assert list_openrouter_models() == ids == list(attributes_map)
    assert len(ids) > 50
    assert all("/" in model_id and not model_id.startswith("openrouter/openrouter/") for model_id in ids)
    assert "openrouter/auto" in attributes_map  # OpenRouter's own router keeps its vendor prefix


@pytest.mark.parametrize(
    "model_id",
    ["google/gemini-2.5-pro", "google/gemini-2.5-flash", "anthropic/claude-sonnet-4.5", "deepseek/deepseek-v3.2"],
)
def test_spec_example_ids_are_known_reasoning_tool_models(model_id: str) -> None:
    attr = attributes_map[model_id]
    assert attr.supports_tools is True
    assert attr.supports_thinking is True
    assert attr.context_size is not None and attr.context_size >= 128_000


def test_attr_is_frozen() -> None:
    attr = Attr(context_size=1, supports_tools=None, supports_thinking=False)
    with pytest.raises(AttributeError):
        attr.context_size = 2  # type: ignore[misc]


def test_known_thinking_model_does_not_warn() -> None:
    model = OpenRouterModel("google/gemini-2.5-pro", api_key="k")
    assert model._supports_thinking() is True  # pyright: ignore[reportPrivateUsage]
    model._before_call(None, stream=False, capture_thinking=True)  # pyright: ignore[reportPrivateUsage]


def test_unknown_model_warns_once() -> None:
    model = OpenRouterModel("someone/unknown-model", api_key="k")
    assert model._supports_thinking() is None and model._supports_tools() is None  # pyright: ignore[reportPrivateUsage]
    with pytest.warns(TokiThinkingSupportWarning, match="no verified thinking support"):
        model._before_call(None, stream=False, capture_thinking=True)  # pyright: ignore[reportPrivateUsage]
    model._before_call(None, stream=False, capture_thinking=True)  # pyright: ignore[reportPrivateUsage]


def test_non_thinking_model_warns() -> None:
    non_thinking = next(m for m, a in attributes_map.items() if a.supports_thinking is False)
    model = OpenRouterModel(non_thinking, api_key="k")
    with pytest.warns(TokiThinkingSupportWarning, match="does not produce thinking text"):
        model._before_call(None, stream=False, capture_thinking=True)  # pyright: ignore[reportPrivateUsage]


def test_openai_route_gets_the_unreliable_notice_once() -> None:
    model = OpenRouterModel("openai/gpt-5", api_key="k")
    with pytest.warns(TokiThinkingSupportWarning, match="do not reliably return"):
        model._before_call(None, stream=True, capture_thinking=True)  # pyright: ignore[reportPrivateUsage]
    model._before_call(None, stream=True, capture_thinking=True)  # pyright: ignore[reportPrivateUsage]


def test_tool_support_flag_reaches_the_agent(monkeypatch: pytest.MonkeyPatch) -> None:
    from toki import Agent

    no_tools = "vendor/no-tools"
    monkeypatch.setitem(
        attributes_map, no_tools, Attr(context_size=4096, supports_tools=False, supports_thinking=False)
    )
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    with pytest.warns(TokiToolMismatchWarning, match="does not support tools"):
        Agent(OpenRouterModel(no_tools, api_key="k"), tools=[tool])

"""count_tokens' offline path: lazy litellm, the extra's error text, the safety factor."""

from __future__ import annotations

import importlib.util
import sys
import types
from typing import Any

import pytest
from toki import TokenCountEstimate
from toki_openrouter import OpenRouterModel

USER = [{"role": "user", "content": "hello there, how are you?"}]
TOOL: dict[str, Any] = {
    "type": "function",
    "function": {"name": "f", "parameters": {"type": "object", "properties": {}}},
}


class FakeLitellm(types.ModuleType):
    def __init__(self) -> None:
        super().__init__("litellm")
        self.calls: list[dict[str, Any]] = []

    def token_counter(self, **kwargs: Any) -> int:
        self.calls.append(kwargs)
        return 100


@pytest.fixture
def fake_litellm(monkeypatch: pytest.MonkeyPatch) -> FakeLitellm:
    fake = FakeLitellm()
    monkeypatch.setitem(sys.modules, "litellm", fake)
    return fake


def test_offline_estimate_applies_the_safety_factor(fake_litellm: FakeLitellm) -> None:
    model = OpenRouterModel("openai/gpt-4o-mini:free", api_key="k")
    estimate = model.count_tokens(USER, tools=[TOOL], kind="offline")
    assert estimate == TokenCountEstimate(prompt_tokens=115, raw_prompt_tokens=100, safety_factor=1.15)
    assert model.count_tokens(USER, kind="offline", safety_factor=1.5) == TokenCountEstimate(150, 100, 1.5)
    call = fake_litellm.calls[0]
    assert call["model"] == "gpt-4o-mini"  # keyed off the upstream id
    assert call["messages"] == USER
    assert call["tools"] == [TOOL]
    with pytest.raises(ValueError, match="safety_factor"):
        model.count_tokens(USER, kind="offline", safety_factor=0)


async def test_async_offline_estimate(fake_litellm: FakeLitellm) -> None:
    model = OpenRouterModel("anthropic/claude-sonnet-4.5", api_key="k")
    assert await model.acount_tokens(USER, kind="offline") == TokenCountEstimate(115, 100, 1.15)
    assert fake_litellm.calls[0]["model"] == "claude-sonnet-4.5"


def test_missing_litellm_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "litellm", None)
    with pytest.raises(ImportError, match=r"^install toki\[litellm\]$"):
        OpenRouterModel("openai/gpt-4o", api_key="k").count_tokens(USER, kind="offline")


@pytest.mark.slow
def test_offline_count_with_whatever_is_installed() -> None:
    # The offline count is opt-in: with litellm installed (the workspace) it estimates; in an
    # install of toki-openrouter alone (CI's isolated environment) it names the extra to install.
    model = OpenRouterModel("openai/gpt-4o-mini", api_key="k")
    if importlib.util.find_spec("litellm") is None:
        with pytest.raises(ImportError, match=r"^install toki\[litellm\]$"):
            model.count_tokens(USER, kind="offline")
        return
    estimate = model.count_tokens(USER, kind="offline")
    assert isinstance(estimate, TokenCountEstimate)
    assert 5 <= estimate.raw_prompt_tokens <= 30
    assert estimate.prompt_tokens >= estimate.raw_prompt_tokens

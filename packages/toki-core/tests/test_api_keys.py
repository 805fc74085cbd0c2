"""``toki.api_keys``: reading each hosted backend's key from its environment variable."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from toki.api_keys import (
    get_anthropic_api_key,
    get_google_api_key,
    get_openai_api_key,
    get_openrouter_api_key,
    read_api_key,
)
from toki.errors import TokiMissingAPIKeyError

HELPERS: list[tuple[Callable[[], str], str, str]] = [
    (get_openrouter_api_key, "OPENROUTER_API_KEY", "openrouter"),
    (get_openai_api_key, "OPENAI_API_KEY", "openai"),
    (get_anthropic_api_key, "ANTHROPIC_API_KEY", "anthropic"),
    (get_google_api_key, "GEMINI_API_KEY", "google"),
]
IDS = [env for _, env, _ in HELPERS]


@pytest.mark.parametrize(("helper", "env_var", "provider"), HELPERS, ids=IDS)
def test_the_key_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, helper: Callable[[], str], env_var: str, provider: str
) -> None:
    monkeypatch.setenv(env_var, "  sk-test-123\n")
    assert helper() == "sk-test-123"


@pytest.mark.parametrize("value", [None, "", "   "], ids=["unset", "empty", "blank"])
@pytest.mark.parametrize(("helper", "env_var", "provider"), HELPERS, ids=IDS)
def test_a_missing_key_raises_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, helper: Callable[[], str], env_var: str, provider: str, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv(env_var, raising=False)
    else:
        monkeypatch.setenv(env_var, value)
    with pytest.raises(TokiMissingAPIKeyError) as info:
        helper()
    assert isinstance(info.value, ValueError)
    assert info.value.env_var == env_var
    assert info.value.provider == provider
    assert env_var in str(info.value)


def test_read_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKI_TEST_KEY", "abc")
    assert read_api_key("TOKI_TEST_KEY", provider="test") == "abc"
    monkeypatch.delenv("TOKI_TEST_KEY")
    with pytest.raises(ValueError, match="TOKI_TEST_KEY"):
        read_api_key("TOKI_TEST_KEY", provider="test")

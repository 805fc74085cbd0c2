"""Routes: how each provider's server address is spelled, and which bytes end its streams."""

from __future__ import annotations

import pytest
from toki_litellm.routes import ANTHROPIC, GEMINI, GENERIC, OPENAI, route_for


@pytest.mark.parametrize(
    ("model", "route"),
    [
        ("openai/gpt-4o-mini", OPENAI),
        ("anthropic/claude-sonnet-4-5", ANTHROPIC),
        ("gemini/gemini-2.5-flash", GEMINI),
        ("deepseek/deepseek-chat", GENERIC),
        ("gpt-4o-mini", GENERIC),
        ("vertex_ai/gemini-2.5-flash", GENERIC),
    ],
)
def test_route_for(model: str, route: object) -> None:
    assert route_for(model) is route


@pytest.mark.parametrize(
    ("route", "given", "expected"),
    [
        (OPENAI, "http://h:1/v1/", "http://h:1/v1"),
        (ANTHROPIC, "http://h:1", "http://h:1"),
        (ANTHROPIC, "http://h:1/v1", "http://h:1"),  # litellm would post to /v1/v1/messages
        (GEMINI, "http://h:1", "http://h:1/v1beta"),
        (GEMINI, "http://h:1/v1beta/", "http://h:1/v1beta"),
        (GEMINI, "http://h:1/v1", "http://h:1/v1"),
        (GENERIC, "http://h:1/x/", "http://h:1/x"),
        (OPENAI, None, None),
    ],
)
def test_api_base(route: object, given: str | None, expected: str | None) -> None:
    assert route.api_base(given) == expected  # type: ignore[attr-defined]


def test_markers_by_path() -> None:
    assert OPENAI.markers_for("/v1/chat/completions") == OPENAI.terminal
    assert b'"type":"response.completed"' in OPENAI.markers_for("/v1/responses")
    assert GEMINI.markers_for("/v1beta/models/x:streamGenerateContent") == (b'"finishReason"',)
    assert GENERIC.markers_for("/anything") == ()

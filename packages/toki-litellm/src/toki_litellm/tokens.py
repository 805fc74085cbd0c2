"""Offline token counting with litellm's counter (tiktoken for OpenAI models, its heuristics elsewhere)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from toki.types import TokenCountEstimate, TokiMessage

from toki_litellm.lazy import load_litellm
from toki_litellm.wire import wire_messages

__all__ = ["DEFAULT_SAFETY_FACTOR", "count_offline", "estimate"]

#: Margin applied to heuristic counts so that they are usable as a budget.
DEFAULT_SAFETY_FACTOR = 1.15


def count_offline(model: str, messages: Sequence[TokiMessage], tools: list[dict[str, Any]] | None) -> int:
    """litellm's local token count of a prompt (no network)."""
    litellm = load_litellm()
    return int(litellm.token_counter(model=model, messages=wire_messages(messages), tools=tools or None))


def estimate(raw: int, safety_factor: float) -> TokenCountEstimate:
    """A heuristic count with its safety margin applied (rounded up)."""
    if not safety_factor >= 1.0:
        raise ValueError(f"safety_factor must be >= 1.0, got {safety_factor!r}")
    return TokenCountEstimate(
        prompt_tokens=math.ceil(raw * safety_factor), raw_prompt_tokens=raw, safety_factor=safety_factor
    )

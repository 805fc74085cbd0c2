"""Building the arguments of one ``litellm.completion`` call (pure: no I/O, no litellm import).

Everything a call sends is decided here from the model's settings and the call's arguments:
the messages in the OpenAI chat shape litellm accepts for every provider, the tools, whether
parallel calls are allowed, how reasoning is engaged, streaming usage, and the options that
keep litellm from retrying behind toki's back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from toki.types import ReasoningEffort, TokiMessage

__all__ = ["PROTECTED_OPTIONS", "Request", "build_request", "reasoning_options", "wire_messages"]

#: Options toki always sets itself; a call's ``**kwargs`` cannot replace them.
PROTECTED_OPTIONS = frozenset({"model", "messages", "stream", "stream_options", "num_retries", "max_retries", "client"})

#: Effort used when ``capture_thinking=True`` is the only reasoning request.
CAPTURE_EFFORT: ReasoningEffort = "medium"


@dataclass(slots=True)
class Request:
    """One litellm call being prepared.

    Attributes:
        source: the validated conversation (never modified).
        messages: the per-call wire copies litellm receives (backends may decorate or trim them).
        options: every other keyword argument of ``litellm.completion``.
    """

    source: list[TokiMessage]
    messages: list[dict[str, Any]]
    options: dict[str, Any] = field(default_factory=lambda: dict[str, Any]())


def wire_messages(messages: Sequence[TokiMessage]) -> list[dict[str, Any]]:
    """The conversation in the OpenAI chat shape (fresh dicts, safe to decorate per call)."""
    return [message.to_dict() for message in messages]


def reasoning_options(
    call_kwargs: Mapping[str, Any],
    *,
    effort: ReasoningEffort | None,
    capture_thinking: bool,
    supports_thinking: bool | None,
) -> dict[str, Any]:
    """How this call engages server-side reasoning.

    An explicit ``thinking=`` (or ``reasoning_effort=``) in the call's kwargs wins and is passed
    through as given; otherwise the constructor's ``reasoning_effort``; otherwise
    ``capture_thinking=True`` alone engages a medium effort, except on a model known not to
    reason (which would reject the parameter).
    """
    if "thinking" in call_kwargs or "reasoning_effort" in call_kwargs:
        return {}
    if effort is not None:
        return {"reasoning_effort": effort}
    if capture_thinking and supports_thinking is not False:
        return {"reasoning_effort": CAPTURE_EFFORT}
    return {}


def build_request(
    model: str,
    messages: list[TokiMessage],
    tools: list[dict[str, Any]] | None,
    *,
    stream: bool,
    reasoning: Mapping[str, Any],
    forbid_parallel_calls: bool,
    transport: Mapping[str, Any],
    call_kwargs: Mapping[str, Any],
) -> Request:
    """Assemble one call.

    Args:
        model: litellm's model string (``"anthropic/claude-sonnet-4-5"``).
        messages: the validated conversation.
        tools: OpenAI-style tool schemas, or ``None``.
        stream: whether the call streams (streaming always asks for the usage chunk).
        reasoning: the output of :func:`reasoning_options`.
        forbid_parallel_calls: send ``parallel_tool_calls=False`` (only with tools).
        transport: api key, base, timeout and client options.
        call_kwargs: the caller's extra options (``temperature``, ``max_tokens``, ``thinking``...).
    """
    options: dict[str, Any] = dict(transport)
    options.update(reasoning)
    if tools:
        options["tools"] = tools
        if forbid_parallel_calls:
            options["parallel_tool_calls"] = False
    for key, value in call_kwargs.items():
        if key not in PROTECTED_OPTIONS:
            options[key] = value
    options["model"] = model
    options["stream"] = stream
    if stream:
        options["stream_options"] = {"include_usage": True}
    # toki's retry policy is the only one: litellm's wrapper and the SDKs under it make one attempt.
    options["num_retries"] = 0
    options["max_retries"] = 0
    return Request(source=messages, messages=wire_messages(messages), options=options)

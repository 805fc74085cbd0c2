"""Render a conversation into the model's prompt with its chat template, and tokenize it.

Generation and :meth:`~toki_local.LocalModel.count_tokens` both go through :func:`build_prompt`,
so a token count is exactly the length of the input the model is given. The rendered text
already contains the template's special tokens (BOS, turn markers), so it is encoded with
``add_special_tokens=False``: encoding it the default way would add a second BOS.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from toki.errors import TokiInputError
from toki.types import TokiMessage

__all__ = ["Prompt", "build_prompt", "chat_messages", "opens_thinking"]


@dataclass(frozen=True, slots=True)
class Prompt:
    """A rendered, tokenized prompt.

    Attributes:
        text: the chat template's output.
        input_ids: its token ids, as the model receives them.
        thinking_open: the template opened ``<think>`` for the reply (the reply starts inside it).
    """

    text: str
    input_ids: list[int]
    thinking_open: bool


def chat_messages(messages: Sequence[TokiMessage]) -> list[dict[str, Any]]:
    """Convert toki messages to the dicts HuggingFace chat templates expect.

    Tool-call arguments are passed as dicts (templates serialise them with ``tojson``) and tool
    results carry the called tool's ``name``; a missing assistant text becomes ``""`` because
    many templates concatenate ``message['content']`` unconditionally.
    """
    out: list[dict[str, Any]] = []
    for message in messages:
        entry: dict[str, Any] = {"role": message.role, "content": message.content or ""}
        if message.tool_calls:
            entry["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.function.name, "arguments": dict(call.function.arguments)},
                }
                for call in message.tool_calls
            ]
        if message.role == "tool":
            entry["tool_call_id"] = message.tool_call_id
            if message.name is not None:
                entry["name"] = message.name
        out.append(entry)
    return out


def opens_thinking(prompt: str) -> bool:
    """Whether the template opened ``<think>`` for the reply (DeepSeek-R1, QwQ, Qwen3-Thinking templates).

    Only the very end of the prompt counts: a ``<think>`` earlier (in a user message, say) does not.
    """
    return prompt.rstrip().endswith("<think>")


def build_prompt(
    tokenizer: Any,
    messages: Sequence[TokiMessage],
    tools: Sequence[Mapping[str, Any]] | None,
    template_kwargs: Mapping[str, Any],
) -> Prompt:
    """Render ``messages`` (and ``tools``) with the tokenizer's chat template and tokenize the result.

    Raises:
        TokiInputError: the template rejected the conversation (templates raise for, e.g.,
            roles that do not alternate or a system message they do not support).
    """
    try:
        text = tokenizer.apply_chat_template(
            chat_messages(messages),
            tools=[dict(tool) for tool in tools] if tools else None,
            add_generation_prompt=True,
            tokenize=False,
            **template_kwargs,
        )
    except Exception as exc:  # jinja2's TemplateError, or whatever a template's raise_exception raised
        raise TokiInputError(f"the model's chat template rejected the conversation: {exc}") from exc
    if not isinstance(text, str):
        raise TokiInputError(f"the chat template rendered a {type(text).__name__}, not text")
    input_ids = list(tokenizer(text, add_special_tokens=False)["input_ids"])
    return Prompt(text=text, input_ids=input_ids, thinking_open=opens_thinking(text))

"""Validate and normalise the message lists handed to toki.

Callers may pass :class:`~toki.types.TokiMessage` objects or OpenAI-style dicts; everything
downstream (backends, caching, the Agent) sees validated ``TokiMessage`` objects.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, cast, get_args

from toki.errors import TokiInputError
from toki.types import Role, TokiMessage, TokiToolCall, TokiToolFunction

__all__ = ["MessageLike", "normalize_message", "normalize_messages"]

#: What a message may be given as.
MessageLike = TokiMessage | Mapping[str, Any]

_ROLES: frozenset[str] = frozenset(get_args(Role))


def normalize_messages(messages: Iterable[MessageLike]) -> list[TokiMessage]:
    """Return ``messages`` as validated ``TokiMessage`` objects; raise :class:`TokiInputError` on the first bad one."""
    if isinstance(messages, (str, bytes, Mapping)):
        raise TokiInputError(
            f"messages must be a list of messages, got a single {type(cast(object, messages)).__name__}; "
            "wrap it in a list"
        )
    out: list[TokiMessage] = []
    for position, message in enumerate(messages):
        out.append(normalize_message(message, position=position))
    return out


def normalize_message(message: MessageLike, *, position: int = 0) -> TokiMessage:
    """Validate one message; ``position`` is only used to make error messages point at it."""
    if isinstance(message, TokiMessage):
        _check(message, position)
        return message
    if not isinstance(message, Mapping):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise TokiInputError(
            f"message {position} is a {type(message).__name__}; "
            "expected a TokiMessage or a dict with 'role' and 'content'"
        )
    role = message.get("role")
    if role not in _ROLES:
        raise TokiInputError(
            f"message {position} has role {role!r}; expected one of {sorted(_ROLES)}"
            if "role" in message
            else f"message {position} has no 'role'; expected one of {sorted(_ROLES)}"
        )
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        raise TokiInputError(
            f"message {position} content is a {type(content).__name__}; toki messages carry text (str) content"
        )
    tool_calls = message.get("tool_calls")
    parsed_calls = [_parse_tool_call(call, position) for call in tool_calls] if tool_calls else None
    result = TokiMessage(
        role=cast(Role, role),
        content=content,
        tool_calls=parsed_calls,
        tool_call_id=message.get("tool_call_id"),
        name=message.get("name"),
    )
    _check(result, position)
    return result


def _parse_tool_call(call: object, position: int) -> TokiToolCall:
    if isinstance(call, TokiToolCall):
        return call
    if not isinstance(call, Mapping):
        raise TokiInputError(f"message {position} has a tool call of type {type(call).__name__}; expected a dict")
    call_map = cast(Mapping[str, Any], call)
    function = call_map.get("function")
    if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):  # pyright: ignore[reportUnknownMemberType]
        raise TokiInputError(f"message {position} has a tool call without function.name")
    function_map = cast(Mapping[str, Any], function)
    arguments: Any = function_map.get("arguments") or {}
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError as exc:
            raise TokiInputError(f"message {position}: tool call arguments are not valid JSON ({exc})") from exc
    if not isinstance(arguments, dict):
        raise TokiInputError(f"message {position}: tool call arguments must be a JSON object")
    call_id = call_map.get("id")
    if not isinstance(call_id, str) or not call_id:
        raise TokiInputError(f"message {position} has a tool call without an id")
    return TokiToolCall(
        id=call_id, function=TokiToolFunction(name=function_map["name"], arguments=cast(dict[str, Any], arguments))
    )


def _check(message: TokiMessage, position: int) -> None:
    if message.role not in _ROLES:
        raise TokiInputError(f"message {position} has role {message.role!r}; expected one of {sorted(_ROLES)}")
    # TokiMessage objects are not type-checked at run time; without this, e.g. a list content
    # reached the backend unvalidated (dicts were already checked in normalize_message).
    content = cast(object, message.content)
    if content is not None and not isinstance(content, str):
        raise TokiInputError(
            f"message {position} content is a {type(content).__name__}; toki messages carry text (str) content"
        )
    if message.role == "tool" and not message.tool_call_id:
        raise TokiInputError(f"message {position} is a tool result without tool_call_id")
    if message.content is None and not (message.role == "assistant" and message.tool_calls):
        raise TokiInputError(f"message {position} ({message.role}) has no content")
    if message.tool_calls and message.role != "assistant":
        raise TokiInputError(f"message {position} ({message.role}) carries tool_calls; only assistant messages may")

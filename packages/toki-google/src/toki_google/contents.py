"""A conversation prefix in Gemini's own shape, for an explicit cache (``cachedContents``).

An explicit cache holds the first part of the conversation (plus the system instruction and the
tools, which Gemini refuses to take next to a cache); the live request then carries only the
rest. The cache is created with google-genai, so this module translates toki messages the way
litellm translates the live part, so that the model sees one consistent conversation:

* ``system`` messages join the cache's system instruction, one part each;
* ``user`` -> a ``user`` turn with a text part;
* ``assistant`` -> a ``model`` turn: its text, then one ``function_call`` part per tool call,
  with the call's thought signature when litellm packed one into the call id
  (``<id>__thought__<signature>``);
* ``tool`` -> a ``function_response`` part in a ``user`` turn, named after the function of the
  matching call (Gemini pairs responses with calls by name), with a JSON-object result passed
  as is and anything else as ``{"content": text}``, like litellm;
* consecutive turns of one role are merged (parallel calls' responses share one turn).

The values are plain dicts in the API's JSON shape; google-genai validates them into its types.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from toki.types import TokiMessage

__all__ = ["CachePayload", "cache_payload", "function_declarations", "response_object", "split_call_id"]

_SIGNATURE_SEPARATOR = "__thought__"


@dataclass(slots=True)
class CachePayload:
    """What goes into ``caches.create``: contents, the system instruction and the tools."""

    contents: list[dict[str, Any]] = field(default_factory=lambda: list[dict[str, Any]]())
    system_instruction: dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None


def split_call_id(call_id: str) -> tuple[str, bytes | None]:
    """A litellm Gemini call id and the thought signature packed into it (``None`` if none)."""
    plain, separator, signature = call_id.partition(_SIGNATURE_SEPARATOR)
    if not separator or not signature:
        return call_id, None
    try:
        return plain, base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return plain, None


def response_object(content: str | None) -> dict[str, Any]:
    """A tool result as a ``function_response.response`` object (litellm's rule)."""
    text = content or ""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            parsed = json.loads(stripped)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            return cast(dict[str, Any], parsed)
    return {"content": text}


def function_declarations(tools: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """OpenAI-style tool schemas as Gemini function declarations (JSON schema kept as is)."""
    declarations: list[dict[str, Any]] = []
    for tool in tools:
        function = cast(dict[str, Any], tool.get("function", tool))
        declaration: dict[str, Any] = {"name": function["name"]}
        if function.get("description"):
            declaration["description"] = function["description"]
        if function.get("parameters"):
            declaration["parameters_json_schema"] = function["parameters"]
        declarations.append(declaration)
    return [{"function_declarations": declarations}]


def cache_payload(
    messages: Sequence[TokiMessage], tools: Sequence[dict[str, Any]] | None, *, tool_names: dict[str, str]
) -> CachePayload:
    """Translate a conversation prefix; ``tool_names`` maps call ids to function names (whole conversation)."""
    payload = CachePayload(tools=function_declarations(tools) if tools else None)
    system_parts: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            system_parts.append({"text": message.content or ""})
            continue
        if message.role == "user":
            role, parts = "user", [{"text": message.content or ""}]
        elif message.role == "assistant":
            role, parts = "model", list[dict[str, Any]]()
            if message.content:
                parts.append({"text": message.content})
            for call in message.tool_calls or ():
                part: dict[str, Any] = {"function_call": {"name": call.function.name, "args": call.function.arguments}}
                _, signature = split_call_id(call.id)
                if signature is not None:
                    part["thought_signature"] = signature
                parts.append(part)
        else:
            name = message.name or tool_names.get(message.tool_call_id or "", "")
            role = "user"
            parts = [{"function_response": {"name": name, "response": response_object(message.content)}}]
        if not parts:
            continue
        if payload.contents and payload.contents[-1]["role"] == role:
            payload.contents[-1]["parts"].extend(parts)
        else:
            payload.contents.append({"role": role, "parts": parts})
    if system_parts:
        payload.system_instruction = {"parts": system_parts}
    return payload

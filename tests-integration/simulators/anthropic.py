"""Anthropic Messages simulator: `POST /v1/messages` (JSON and SSE) and `POST /v1/messages/count_tokens`.

Follows the Anthropic API reference: "Messages" (the message object, content blocks `text`,
`thinking`, `redacted_thinking`, `tool_use`; `stop_reason` end_turn / tool_use / max_tokens; usage
with `cache_creation_input_tokens` / `cache_read_input_tokens`), "Streaming Messages" (`message_start`,
`content_block_start` / `content_block_delta` (`text_delta`, `thinking_delta`, `signature_delta`,
`input_json_delta`) / `content_block_stop`, `ping`, `message_delta`, `message_stop`, and `event: error`
with e.g. `overloaded_error` after a 200), "Errors" (`{"type": "error", "error": {"type", "message"},
"request_id"}`: 400 invalid_request_error, 401 authentication_error, 403 permission_error, 404
not_found_error, 413 request_too_large, 429 rate_limit_error, 500 api_error, 529 overloaded_error)
and "Count tokens" (`{"input_tokens": N}`). The recorded streams under `fixtures/recorded/anthropic/`
were the byte-level reference (a `ping` right after the first `content_block_start`, an
`input_json_delta` with `partial_json: ""` first).

Streaming is chosen by `"stream": true` in the request body.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .messages import RecordedRequest, Reply
from .protocol import ProtocolSim, RenderContext, estimate_tokens
from .script import Fault, Usage
from .wire import Frame, InsertedFrames, compact, sse_comment, sse_event

__all__ = ["AnthropicSim"]

_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Invalid request."),
    401: ("authentication_error", "invalid x-api-key"),
    402: ("billing_error", "Your credit balance is too low to access the Anthropic API."),
    403: ("permission_error", "Your API key does not have permission to use the specified resource."),
    404: ("not_found_error", "model: {model}"),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: ("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit."),
    500: ("api_error", "Internal server error"),
    529: ("overloaded_error", "Overloaded"),
}

_STOP_REASONS = {"stop": "end_turn", "tool_calls": "tool_use", "length": "max_tokens", "content_filter": "refusal"}


class AnthropicSim(ProtocolSim):
    """Simulated Anthropic Messages API: routes "messages" and "count_tokens"."""

    default_route = "messages"
    id_prefix = "msg_sim"

    def __init__(self) -> None:
        super().__init__()
        self.add_route("messages", "POST", r"/v1/messages", self._handle_messages)
        self.add_route("count_tokens", "POST", r"/v1/messages/count_tokens", self._handle_count, scripted=False)
        #: Fixed answer of count_tokens (None: estimate from the request size). An int enqueued on
        #: route "count_tokens" overrides it once.
        self.token_count: int | Callable[[RecordedRequest], int] | None = None

    # -- routes --------------------------------------------------------------------------------

    def _handle_messages(self, request: RecordedRequest, item: Any) -> Reply:
        body = request.json_object()
        return self.serve(request, item, stream=body.get("stream") is True, model=str(body.get("model", "")))

    def _handle_count(self, request: RecordedRequest, item: Any) -> Reply:
        count: int
        if isinstance(item, int):
            count, item = item, None
        elif callable(self.token_count):
            count = self.token_count(request)
        elif self.token_count is not None:
            count = self.token_count
        else:
            count = estimate_tokens(request.body)
        return self.serve_json(request, item, lambda: {"input_tokens": count})

    # -- hooks ---------------------------------------------------------------------------------

    def response_headers(self, ctx: RenderContext) -> list[tuple[str, str]]:
        return [("request-id", f"req_sim{ctx.response_id[-6:]}")]

    def error_body(self, status: int, fault: Fault | None, ctx: RenderContext | None) -> object:
        default_type = "api_error" if status >= 500 else "invalid_request_error"
        error_type, message = _ERRORS.get(status, (default_type, f"HTTP {status}"))
        model = ctx.model if ctx else "claude-sonnet-4-5"
        return {
            "type": "error",
            "error": {
                "type": (fault.error_type if fault and fault.error_type else error_type),
                "message": (fault.message if fault and fault.message else message.replace("{model}", model)),
            },
            "request_id": f"req_sim{ctx.response_id[-6:]}" if ctx else "req_sim000000",
        }

    def inserted_frames(self, ctx: RenderContext) -> InsertedFrames:
        eol = ctx.eol

        def keepalive(text: str | None) -> bytes:
            if text is not None:
                return sse_comment(text, eol=eol)
            return sse_event('{"type": "ping"}', event="ping", eol=eol)

        def in_band_error(fault: Fault) -> list[bytes]:
            error = {
                "type": "error",
                "error": {
                    "type": fault.error_type or "overloaded_error",
                    "message": fault.message or "Overloaded",
                },
            }
            return [sse_event(compact(error), event="error", eol=eol)]

        return InsertedFrames(
            keepalive=keepalive,
            malformed=lambda: sse_event(
                '{"type":"content_block_delta","index":0,"delta":{"type":"text_del',
                event="content_block_delta",
                eol=eol,
            ),
            non_object=lambda value: sse_event(value, event="content_block_delta", eol=eol),
            in_band_error=in_band_error,
        )

    # -- rendering -----------------------------------------------------------------------------

    def usage_object(self, usage: Usage, *, output_tokens: int) -> dict[str, Any]:
        """Anthropic usage: `input_tokens` excludes cache reads and writes."""
        return {
            "input_tokens": usage.uncached_prompt,
            "cache_creation_input_tokens": usage.cache_write,
            "cache_read_input_tokens": usage.cached_read,
            "cache_creation": {"ephemeral_5m_input_tokens": usage.cache_write, "ephemeral_1h_input_tokens": 0},
            "output_tokens": output_tokens,
            "service_tier": "standard",
        }

    def signature(self, ctx: RenderContext) -> str:
        """The thinking block's signature (scripted, or a stand-in: the real API always sends one)."""
        return ctx.turn.thinking_signature or f"sim-signature-{ctx.response_id}"

    def render_stream(self, ctx: RenderContext) -> list[Frame]:
        events: list[dict[str, Any]] = []
        message = self._message_shell(ctx)
        message["usage"] = self.usage_object(ctx.usage, output_tokens=1)
        events.append({"type": "message_start", "message": message})
        index = 0

        def block(start: dict[str, Any], deltas: list[dict[str, Any]]) -> None:
            nonlocal index
            events.append({"type": "content_block_start", "index": index, "content_block": start})
            if index == 0:
                events.append({"type": "ping"})
            events.extend({"type": "content_block_delta", "index": index, "delta": d} for d in deltas)
            events.append({"type": "content_block_stop", "index": index})
            index += 1

        turn = ctx.turn
        if turn.thinking:
            deltas = [{"type": "thinking_delta", "thinking": f} for f in turn.thinking]
            deltas.append({"type": "signature_delta", "signature": self.signature(ctx)})
            block({"type": "thinking", "thinking": "", "signature": ""}, deltas)
        if turn.redacted_thinking is not None:
            block({"type": "redacted_thinking", "data": turn.redacted_thinking}, [])
        if ctx.content or not (turn.thinking or turn.tool_calls or turn.redacted_thinking):
            block({"type": "text", "text": ""}, [{"type": "text_delta", "text": f} for f in ctx.content])
        for position, call in enumerate(turn.tool_calls):
            deltas = [{"type": "input_json_delta", "partial_json": f} for f in ("", *call.fragments)]
            start: dict[str, Any] = {
                "type": "tool_use",
                "id": call.id or f"toolu_sim_{position}",
                "name": call.name,
                "input": {},
            }
            block(start, deltas)
        usage = ctx.usage
        events.append(
            {
                "type": "message_delta",
                "delta": {"stop_reason": _STOP_REASONS[turn.finish_reason], "stop_sequence": None},
                "usage": {
                    "input_tokens": usage.uncached_prompt,
                    "cache_creation_input_tokens": usage.cache_write,
                    "cache_read_input_tokens": usage.cached_read,
                    "output_tokens": usage.completion,
                },
            }
        )
        frames = [Frame(sse_event(compact(e), event=str(e["type"]), eol=ctx.eol)) for e in events]
        frames.append(Frame(sse_event(compact({"type": "message_stop"}), event="message_stop", eol=ctx.eol), True))
        return frames

    def _message_shell(self, ctx: RenderContext) -> dict[str, Any]:
        return {
            "id": ctx.response_id,
            "type": "message",
            "role": "assistant",
            "model": ctx.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
        }

    def render_blocking(self, ctx: RenderContext) -> bytes:
        turn = ctx.turn
        content: list[dict[str, Any]] = []
        if turn.thinking:
            content.append({"type": "thinking", "thinking": turn.thinking_text, "signature": self.signature(ctx)})
        if turn.redacted_thinking is not None:
            content.append({"type": "redacted_thinking", "data": turn.redacted_thinking})
        if ctx.content or not content and not turn.tool_calls:
            content.append({"type": "text", "text": ctx.text})
        for position, call in enumerate(turn.tool_calls):
            try:
                arguments = call.parsed_arguments()
            except json.JSONDecodeError as exc:
                raise ValueError(f"tool call {call.name!r}: a blocking Anthropic reply needs JSON arguments") from exc
            content.append(
                {"type": "tool_use", "id": call.id or f"toolu_sim_{position}", "name": call.name, "input": arguments}
            )
        message = self._message_shell(ctx)
        message["content"] = content
        message["stop_reason"] = _STOP_REASONS[turn.finish_reason]
        message["usage"] = self.usage_object(ctx.usage, output_tokens=ctx.usage.completion)
        return compact(message).encode()

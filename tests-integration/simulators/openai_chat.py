"""OpenAI Chat Completions simulator: `POST {base}/chat/completions`, JSON and SSE.

Follows the OpenAI API reference for Chat Completions ("Create chat completion", "The chat
completion object", "The chat completion chunk object", streaming `stream_options.include_usage`)
and the behaviour of openai-python's `Stream` (a `data:` payload with an `error` key raises;
`data: [DONE]` ends the stream). Recorded OpenAI streams under `fixtures/recorded/openai/` served as
the byte-level reference (first delta with `role`, tool-call deltas with `index`/`id`/`name` and
`arguments: ""`, a last chunk with `choices: []` and the usage, then `[DONE]`).

Streaming is chosen by `"stream": true` in the request body. Every path ending in `/chat/completions`
is served (`/v1/chat/completions`, OpenRouter's `/api/v1/chat/completions`, a bare base).
"""

from __future__ import annotations

import json
from typing import Any

from .messages import RecordedRequest, Reply
from .protocol import ProtocolSim, RenderContext
from .script import Fault, Usage
from .wire import Frame, InsertedFrames, compact, sse_comment, sse_event

__all__ = ["OpenAIChatSim"]

_DEFAULT_ERRORS: dict[int, tuple[str, str, str | None]] = {
    400: ("invalid_request_error", "We could not parse the JSON body of your request.", None),
    401: (
        "invalid_request_error",
        "Incorrect API key provided: sk-sim****. You can find your API key at https://platform.openai.com/account/api-keys.",
        "invalid_api_key",
    ),
    403: ("invalid_request_error", "You are not allowed to sample from this model", None),
    404: (
        "invalid_request_error",
        "The model `{model}` does not exist or you do not have access to it.",
        "model_not_found",
    ),
    409: ("invalid_request_error", "The request conflicted with another request.", None),
    422: ("invalid_request_error", "Unprocessable request.", None),
    429: (
        "requests",
        "Rate limit reached for {model} in organization org-sim on requests per min (RPM): Limit 3, Used 3, "
        "Requested 1. Please try again in 20s.",
        "rate_limit_exceeded",
    ),
    500: ("server_error", "The server had an error while processing your request. Sorry about that!", None),
    502: ("server_error", "Bad gateway.", None),
    503: ("server_error", "The engine is currently overloaded, please try again later", None),
    504: ("server_error", "Gateway timeout.", None),
}


class OpenAIChatSim(ProtocolSim):
    """Simulated OpenAI Chat Completions endpoint (route "chat"), plus `GET {base}/models` (route "models")."""

    default_route = "chat"
    id_prefix = "chatcmpl-sim"
    keepalive_text = "keep-alive"
    provider_name = "openai"

    def __init__(self) -> None:
        super().__init__()
        self.add_route("chat", "POST", r"(?:/.*)?/chat/completions", self._handle_chat)
        self.add_route("models", "GET", r"(?:/.*)?/models", self._handle_models, scripted=False)
        #: Model ids listed by `GET {base}/models`.
        self.model_ids: list[str] = ["gpt-4o-mini", "gpt-4.1-nano", "gpt-5"]

    # -- routes --------------------------------------------------------------------------------

    def _handle_chat(self, request: RecordedRequest, item: Any) -> Reply:
        body = request.json_object()
        return self.serve(request, item, stream=body.get("stream") is True, model=str(body.get("model", "")))

    def _handle_models(self, request: RecordedRequest, item: Any) -> Reply:
        return self.serve_json(request, item, self.models_body)

    def models_body(self) -> object:
        """The `GET /models` body."""
        return {
            "object": "list",
            "data": [{"id": m, "object": "model", "created": 1700000000, "owned_by": "system"} for m in self.model_ids],
        }

    # -- hooks ---------------------------------------------------------------------------------

    def response_headers(self, ctx: RenderContext) -> list[tuple[str, str]]:
        return [("x-request-id", f"req_{ctx.response_id[-6:]}")]

    def encode_error(self, value: object) -> bytes:
        """Pretty-printed with two-space indents, as the provider sends errors."""
        return (json.dumps(value, indent=2) + "\n").encode()

    def error_body(self, status: int, fault: Fault | None, ctx: RenderContext | None) -> object:
        error_type, message, code = _DEFAULT_ERRORS.get(
            status, ("server_error" if status >= 500 else "invalid_request_error", f"HTTP {status}", None)
        )
        model = ctx.model if ctx else "gpt-4o-mini"
        return {
            "error": {
                "message": (fault.message if fault and fault.message else message.replace("{model}", model)),
                "type": (fault.error_type if fault and fault.error_type else error_type),
                "param": None,
                "code": (fault.code if fault and fault.code is not None else code),
            }
        }

    def inserted_frames(self, ctx: RenderContext) -> InsertedFrames:
        eol = ctx.eol
        return InsertedFrames(
            keepalive=lambda text: sse_comment(text or self.keepalive_text, eol=eol),
            malformed=lambda: sse_event(
                '{"id":"' + ctx.response_id + '","object":"chat.completion.chunk","choices":[{', eol=eol
            ),
            non_object=lambda value: sse_event(value, eol=eol),
            in_band_error=lambda fault: self.in_band_error_events(ctx, fault),
        )

    def in_band_error_events(self, ctx: RenderContext, fault: Fault) -> list[bytes]:
        """OpenAI sends `data: {"error": {...}}` and ends the stream (no [DONE])."""
        body = self.error_body(500, fault, ctx)
        return [sse_event(compact(body), eol=ctx.eol)]

    # -- rendering: streaming ----------------------------------------------------------------------

    def wants_usage(self, ctx: RenderContext) -> bool:
        """Whether a streamed reply ends with a usage chunk (`stream_options.include_usage`)."""
        options = ctx.body.get("stream_options")
        return isinstance(options, dict) and options.get("include_usage") is True  # pyright: ignore[reportUnknownMemberType]

    def chunk(self, ctx: RenderContext, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        """One `chat.completion.chunk` with a single choice."""
        chunk: dict[str, Any] = {
            "id": ctx.response_id,
            "object": "chat.completion.chunk",
            "created": ctx.created,
            "model": ctx.model,
            "system_fingerprint": "fp_sim",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if self.wants_usage(ctx):
            chunk["usage"] = None
        return chunk

    def role_delta(self, ctx: RenderContext) -> dict[str, Any]:
        """The first delta: the role, with empty content when text follows, else null content."""
        starts_with_text = bool(ctx.content) and not ctx.turn.thinking
        return {"role": "assistant", "content": "" if starts_with_text else None, "refusal": None}

    def thinking_deltas(self, ctx: RenderContext) -> list[dict[str, Any]]:
        """Reasoning deltas: DeepSeek-style `reasoning_content` (OpenAI itself streams none)."""
        return [{"content": None, "reasoning_content": fragment} for fragment in ctx.turn.thinking]

    def tool_call_deltas(self, ctx: RenderContext) -> list[dict[str, Any]]:
        """Per call: a delta with index, id, type, name and `arguments: ""`, then one per fragment."""
        deltas: list[dict[str, Any]] = []
        for position, call in enumerate(ctx.turn.tool_calls):
            index = call.index if call.index is not None else position
            first = {
                "index": index,
                "id": call.id or f"call_sim_{position}",
                "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }
            deltas.append({"tool_calls": [first]})
            deltas.extend({"tool_calls": [{"index": index, "function": {"arguments": f}}]} for f in call.fragments)
        return deltas

    def finish_chunk(self, ctx: RenderContext) -> dict[str, Any]:
        """The chunk with an empty delta and the finish reason."""
        return self.chunk(ctx, {}, ctx.turn.finish_reason)

    def usage_chunk(self, ctx: RenderContext) -> dict[str, Any]:
        """The last chunk: no choices, the usage."""
        chunk = self.chunk(ctx, {})
        chunk["choices"] = []
        chunk["usage"] = self.usage_object(ctx.usage)
        return chunk

    def render_stream(self, ctx: RenderContext) -> list[Frame]:
        chunks = [self.chunk(ctx, self.role_delta(ctx))]
        chunks.extend(self.chunk(ctx, d) for d in self.thinking_deltas(ctx))
        chunks.extend(self.chunk(ctx, {"content": fragment}) for fragment in ctx.content)
        chunks.extend(self.chunk(ctx, d) for d in self.tool_call_deltas(ctx))
        chunks.append(self.finish_chunk(ctx))
        if self.wants_usage(ctx):
            chunks.append(self.usage_chunk(ctx))
        frames = [Frame(sse_event(compact(c), eol=ctx.eol)) for c in chunks]
        frames.append(Frame(sse_event("[DONE]", eol=ctx.eol), terminal=True))
        return frames

    # -- rendering: blocking ---------------------------------------------------------------------

    def usage_object(self, usage: Usage) -> dict[str, Any]:
        """The `usage` object: cached reads in `prompt_tokens_details`, reasoning in completion details."""
        return {
            "prompt_tokens": usage.prompt,
            "completion_tokens": usage.completion,
            "total_tokens": usage.total,
            "prompt_tokens_details": {"cached_tokens": usage.cached_read, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": usage.reasoning,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }

    def message(self, ctx: RenderContext) -> dict[str, Any]:
        """The blocking reply's `message`."""
        message: dict[str, Any] = {"role": "assistant", "content": ctx.text or None, "refusal": None, "annotations": []}
        if ctx.turn.thinking:
            message["reasoning_content"] = ctx.turn.thinking_text
        if ctx.turn.tool_calls:
            message["tool_calls"] = [
                {
                    "id": call.id or f"call_sim_{position}",
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments_text},
                }
                for position, call in enumerate(ctx.turn.tool_calls)
            ]
        return message

    def completion(self, ctx: RenderContext) -> dict[str, Any]:
        """The blocking `chat.completion` object."""
        return {
            "id": ctx.response_id,
            "object": "chat.completion",
            "created": ctx.created,
            "model": ctx.model,
            "choices": [
                {"index": 0, "message": self.message(ctx), "logprobs": None, "finish_reason": ctx.turn.finish_reason}
            ],
            "usage": self.usage_object(ctx.usage),
            "service_tier": "default",
            "system_fingerprint": "fp_sim",
        }

    def render_blocking(self, ctx: RenderContext) -> bytes:
        return compact(self.completion(ctx)).encode()

"""OpenRouter simulator: OpenAI-compatible chat plus OpenRouter's own fields, and `GET /api/v1/models`.

Follows the OpenRouter API reference: "Streaming" (`: OPENROUTER PROCESSING` comment lines; errors
after the first byte arrive as a `data:` chunk with a top-level `error: {code, message}` and
`finish_reason: "error"` in a 200 stream), "Errors" (`{"error": {"code", "message", "metadata"?}}`
with the HTTP status in `code`), "Reasoning tokens" (`delta.reasoning` plus `reasoning_details`
items of type `reasoning.text` / `reasoning.summary` / `reasoning.encrypted`), "Usage accounting"
(`usage: {include: true}`; `cost`, `prompt_tokens_details.cached_tokens` / `cache_write_tokens`,
`completion_tokens_details.reasoning_tokens`) and "Models" (`{"data": [Model]}` with `id`, `name`,
`context_length`, `architecture`, `pricing`, `top_provider`, `supported_parameters`). The recorded
OpenRouter streams under `fixtures/recorded/openrouter/` were the byte-level reference.

Requests are recorded as sent, so tests can assert on top-level `cache_control` and per-block
`cache_control` markers inside `messages`.
"""

from __future__ import annotations

import copy
from typing import Any

from .messages import RecordedRequest, Reply
from .openai_chat import OpenAIChatSim
from .protocol import RenderContext
from .script import Fault, Usage
from .wire import compact, sse_event

__all__ = ["DEFAULT_OPENROUTER_MODELS", "OpenRouterSim", "openrouter_model"]

_ERROR_MESSAGES = {
    400: "Invalid request",
    401: "No auth credentials found",
    402: "Insufficient credits. Add more using https://openrouter.ai/settings/credits",
    403: "Your chosen model requires moderation and your input was flagged",
    404: "No endpoints found for {model}.",
    408: "Request timed out",
    429: "Rate limit exceeded: free-models-per-min.",
    500: "Internal Server Error",
    502: "Provider returned error",
    503: "No available model provider that meets your routing requirements",
}

_COMMON = ["max_tokens", "temperature", "top_p", "stop", "seed", "response_format", "structured_outputs"]


def openrouter_model(
    model_id: str,
    name: str,
    *,
    context_length: int,
    max_completion_tokens: int,
    prompt_price: str,
    completion_price: str,
    supported_parameters: list[str],
    cache_read_price: str | None = None,
    cache_write_price: str | None = None,
    input_modalities: tuple[str, ...] = ("text",),
    tokenizer: str = "Other",
) -> dict[str, Any]:
    """A model entry shaped like OpenRouter's `GET /api/v1/models` items (prices in USD per token)."""
    pricing = {"prompt": prompt_price, "completion": completion_price, "request": "0", "image": "0"}
    if cache_read_price is not None:
        pricing["input_cache_read"] = cache_read_price
    if cache_write_price is not None:
        pricing["input_cache_write"] = cache_write_price
    return {
        "id": model_id,
        "canonical_slug": model_id,
        "hugging_face_id": "",
        "name": name,
        "created": 1750000000,
        "description": f"{name} (simulated listing).",
        "context_length": context_length,
        "architecture": {
            "modality": "+".join(input_modalities) + "->text",
            "input_modalities": list(input_modalities),
            "output_modalities": ["text"],
            "tokenizer": tokenizer,
            "instruct_type": None,
        },
        "pricing": pricing,
        "top_provider": {
            "context_length": context_length,
            "max_completion_tokens": max_completion_tokens,
            "is_moderated": model_id.startswith("openai/"),
        },
        "per_request_limits": None,
        "supported_parameters": supported_parameters,
        "default_parameters": {},
    }


DEFAULT_OPENROUTER_MODELS: list[dict[str, Any]] = [
    openrouter_model(
        "google/gemini-2.5-flash",
        "Google: Gemini 2.5 Flash",
        context_length=1048576,
        max_completion_tokens=65535,
        prompt_price="0.0000003",
        completion_price="0.0000025",
        cache_read_price="0.00000003",
        cache_write_price="0.0000003833",
        supported_parameters=["tools", "tool_choice", "reasoning", "include_reasoning", *_COMMON],
        input_modalities=("text", "image", "file"),
        tokenizer="Gemini",
    ),
    openrouter_model(
        "anthropic/claude-sonnet-4.5",
        "Anthropic: Claude Sonnet 4.5",
        context_length=1000000,
        max_completion_tokens=64000,
        prompt_price="0.000003",
        completion_price="0.000015",
        cache_read_price="0.0000003",
        cache_write_price="0.00000375",
        supported_parameters=["tools", "tool_choice", "reasoning", "include_reasoning", "top_k", *_COMMON],
        input_modalities=("text", "image", "file"),
        tokenizer="Claude",
    ),
    openrouter_model(
        "openai/gpt-4o-mini",
        "OpenAI: GPT-4o-mini",
        context_length=128000,
        max_completion_tokens=16384,
        prompt_price="0.00000015",
        completion_price="0.0000006",
        cache_read_price="0.000000075",
        supported_parameters=["tools", "tool_choice", "frequency_penalty", "presence_penalty", "logprobs", *_COMMON],
        input_modalities=("text", "image", "file"),
        tokenizer="GPT",
    ),
    openrouter_model(
        "deepseek/deepseek-v3.2",
        "DeepSeek: DeepSeek V3.2",
        context_length=163840,
        max_completion_tokens=65536,
        prompt_price="0.00000028",
        completion_price="0.0000004",
        cache_read_price="0.000000028",
        supported_parameters=["tools", "tool_choice", "reasoning", "include_reasoning", *_COMMON],
        tokenizer="DeepSeek",
    ),
    openrouter_model(
        "openai/gpt-5",
        "OpenAI: GPT-5",
        context_length=400000,
        max_completion_tokens=128000,
        prompt_price="0.00000125",
        completion_price="0.00001",
        cache_read_price="0.000000125",
        # GPT-5 takes no temperature/top_p: a realistic trap for parameter filtering.
        supported_parameters=[
            "tools",
            "tool_choice",
            "reasoning",
            "include_reasoning",
            "max_tokens",
            "seed",
            "response_format",
            "structured_outputs",
        ],
        input_modalities=("text", "image", "file"),
        tokenizer="GPT",
    ),
    openrouter_model(
        "meta-llama/llama-3.2-1b-instruct",
        "Meta: Llama 3.2 1B Instruct",
        context_length=131072,
        max_completion_tokens=16384,
        prompt_price="0.000000005",
        completion_price="0.00000001",
        supported_parameters=["max_tokens", "temperature", "top_p", "stop", "seed"],
        tokenizer="Llama3",
    ),
]


class OpenRouterSim(OpenAIChatSim):
    """Simulated OpenRouter: chat on any `.../chat/completions` (route "chat"), models on "models"."""

    id_prefix = "gen-sim"
    keepalive_text = "OPENROUTER PROCESSING"
    provider_name = "openrouter"

    def __init__(self) -> None:
        super().__init__()
        #: The `GET /api/v1/models` entries; edit freely.
        self.models: list[dict[str, Any]] = copy.deepcopy(DEFAULT_OPENROUTER_MODELS)
        #: The `provider` field of every chunk.
        self.upstream_provider = "OpenAI"

    def models_body(self) -> object:
        return {"data": self.models}

    def _handle_models(self, request: RecordedRequest, item: Any) -> Reply:
        return self.serve_json(request, item, self.models_body)

    # -- errors --------------------------------------------------------------------------------

    def response_headers(self, ctx: RenderContext) -> list[tuple[str, str]]:
        return [("x-generation-id", ctx.response_id)]

    def error_body(self, status: int, fault: Fault | None, ctx: RenderContext | None) -> object:
        model = ctx.model if ctx else "openai/gpt-4o-mini"
        message = _ERROR_MESSAGES.get(status, f"HTTP {status}").replace("{model}", model)
        code: Any = status
        if fault is not None:
            message = fault.message or message
            code = fault.code if fault.code is not None else status
        error: dict[str, Any] = {"code": code, "message": message}
        if status in (502, 503) and ctx is not None:
            error["metadata"] = {"provider_name": self.upstream_provider, "raw": message}
        return {"error": error, "user_id": "user_sim"}

    def in_band_error_events(self, ctx: RenderContext, fault: Fault) -> list[bytes]:
        """A chunk with top-level `error` and `finish_reason: "error"`, then `[DONE]`."""
        chunk = self.chunk(ctx, {"content": ""}, "error")
        chunk["error"] = {
            "code": fault.code if fault.code is not None else "server_error",
            "message": fault.message or "Provider disconnected unexpectedly",
        }
        return [sse_event(compact(chunk), eol=ctx.eol), sse_event("[DONE]", eol=ctx.eol)]

    # -- streaming -----------------------------------------------------------------------------

    def wants_usage(self, ctx: RenderContext) -> bool:
        usage = ctx.body.get("usage")
        if isinstance(usage, dict) and usage.get("include") is True:  # pyright: ignore[reportUnknownMemberType]
            return True
        return super().wants_usage(ctx)

    def chunk(self, ctx: RenderContext, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        native = None if finish is None else _native_finish(finish)
        return {
            "id": ctx.response_id,
            "provider": self.upstream_provider,
            "model": ctx.model,
            "object": "chat.completion.chunk",
            "created": ctx.created,
            "choices": [
                {"index": 0, "delta": delta, "finish_reason": finish, "native_finish_reason": native, "logprobs": None}
            ],
        }

    def role_delta(self, ctx: RenderContext) -> dict[str, Any]:
        return {"role": "assistant", "content": ""}

    def reasoning_detail(self, ctx: RenderContext, fragment: str) -> dict[str, Any]:
        """One `reasoning_details` item for a thinking fragment."""
        if ctx.turn.reasoning_detail_type == "reasoning.summary":
            return {"type": "reasoning.summary", "summary": fragment, "format": "openai-responses-v1", "index": 0}
        return {"type": "reasoning.text", "text": fragment, "format": "anthropic-claude-v1", "index": 0}

    def thinking_deltas(self, ctx: RenderContext) -> list[dict[str, Any]]:
        deltas: list[dict[str, Any]] = [
            {"role": "assistant", "content": "", "reasoning": f, "reasoning_details": [self.reasoning_detail(ctx, f)]}
            for f in ctx.turn.thinking
        ]
        if ctx.turn.thinking_signature is not None:
            detail = {
                "type": "reasoning.text",
                "signature": ctx.turn.thinking_signature,
                "format": "anthropic-claude-v1",
                "index": 0,
            }
            deltas.append({"role": "assistant", "content": "", "reasoning": None, "reasoning_details": [detail]})
        if ctx.turn.redacted_thinking is not None:
            detail = {
                "type": "reasoning.encrypted",
                "data": ctx.turn.redacted_thinking,
                "format": "anthropic-claude-v1",
                "index": 1 if ctx.turn.thinking else 0,
            }
            deltas.append({"role": "assistant", "content": "", "reasoning": None, "reasoning_details": [detail]})
        return deltas

    def usage_object(self, usage: Usage) -> dict[str, Any]:
        cost = usage.cost if usage.cost is not None else round(usage.prompt * 1.5e-7 + usage.completion * 6e-7, 10)
        return {
            "prompt_tokens": usage.prompt,
            "completion_tokens": usage.completion,
            "total_tokens": usage.total,
            "cost": cost,
            "is_byok": False,
            "prompt_tokens_details": {
                "cached_tokens": usage.cached_read,
                "cache_write_tokens": usage.cache_write,
                "audio_tokens": 0,
                "video_tokens": 0,
            },
            "cost_details": {"upstream_inference_cost": None},
            "completion_tokens_details": {"reasoning_tokens": usage.reasoning, "image_tokens": 0},
        }

    # -- blocking ------------------------------------------------------------------------------

    def message(self, ctx: RenderContext) -> dict[str, Any]:
        message = super().message(ctx)
        message.pop("reasoning_content", None)
        message.pop("annotations", None)
        details: list[dict[str, Any]] = []
        if ctx.turn.thinking:
            detail = self.reasoning_detail(ctx, ctx.turn.thinking_text)
            if ctx.turn.thinking_signature is not None and detail["type"] == "reasoning.text":
                detail["signature"] = ctx.turn.thinking_signature
            details.append(detail)
        if ctx.turn.redacted_thinking is not None:
            details.append(
                {
                    "type": "reasoning.encrypted",
                    "data": ctx.turn.redacted_thinking,
                    "format": "anthropic-claude-v1",
                    "index": len(details),
                }
            )
        message["reasoning"] = ctx.turn.thinking_text or None
        if details:
            message["reasoning_details"] = details
        return message

    def completion(self, ctx: RenderContext) -> dict[str, Any]:
        completion = super().completion(ctx)
        completion["provider"] = self.upstream_provider
        completion.pop("service_tier", None)
        completion.pop("system_fingerprint", None)
        choice = completion["choices"][0]
        choice["native_finish_reason"] = _native_finish(ctx.turn.finish_reason)
        return completion


def _native_finish(finish: str) -> str:
    return {"stop": "stop", "tool_calls": "tool_calls", "length": "length", "error": "error"}.get(finish, finish)

"""Gemini API (AI Studio) simulator: generateContent, streamGenerateContent, countTokens, cachedContents.

Follows the Gemini API reference (generativelanguage, `v1beta` and `v1`): "models.generateContent"
and "models.streamGenerateContent" (`?alt=sse` gives `data: {GenerateContentResponse}` events
separated by CRLF; without it, a JSON array), the `GenerateContentResponse` object (`candidates[].
content.parts[]` with `text`, `thought: true`, `thoughtSignature`, whole `functionCall {name, args}`
parts; `finishReason` STOP / MAX_TOKENS / SAFETY; `usageMetadata` with `promptTokenCount`,
`candidatesTokenCount`, `totalTokenCount`, `cachedContentTokenCount`, `thoughtsTokenCount`),
"models.countTokens" (`{"totalTokens"}`), "cachedContents" (create / get / list / patch / delete;
`name`, `model`, `createTime`, `updateTime`, `expireTime`, `usageMetadata.totalTokenCount`) and the
Google API error model (`{"error": {"code", "message", "status", "details"?}}`, `RetryInfo.retryDelay`
on 429). google-genai's `_api_client.py` was read for what it parses: `data: ` lines, a streamed chunk
starting with `{"error":` raises. The recorded streams under `fixtures/recorded/gemini/` were the
byte-level reference (JSON with "," between items and ": " after keys, CRLF event separators).

Streaming is chosen by the path (`:streamGenerateContent`); the model comes from the path.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .messages import RecordedRequest, Reply
from .protocol import ProtocolError, ProtocolSim, RenderContext, estimate_tokens
from .script import Fault, LineEnding, Usage
from .wire import Frame, InsertedFrames, sse_comment, sse_event

__all__ = ["CachedContent", "GeminiSim"]

_STATUS_NAMES = {
    400: ("INVALID_ARGUMENT", "Request contains an invalid argument."),
    401: ("UNAUTHENTICATED", "Request had invalid authentication credentials."),
    403: ("PERMISSION_DENIED", "The caller does not have permission"),
    404: (
        "NOT_FOUND",
        "models/{model} is not found for API version v1beta, or is not supported for generateContent. "
        "Call ListModels to see the list of available models and their supported methods.",
    ),
    409: ("ABORTED", "The operation was aborted."),
    429: ("RESOURCE_EXHAUSTED", "You exceeded your current quota, please check your plan and billing details."),
    499: ("CANCELLED", "The operation was cancelled."),
    500: (
        "INTERNAL",
        "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
    ),
    503: ("UNAVAILABLE", "The model is overloaded. Please try again later."),
    504: ("DEADLINE_EXCEEDED", "Deadline expired before operation could complete."),
}

_FINISH = {"stop": "STOP", "tool_calls": "STOP", "length": "MAX_TOKENS", "content_filter": "SAFETY"}
_VERSION = r"/(?:v1|v1beta|v1alpha)"


def _dumps(value: object) -> str:
    """Google's separators: no space after commas, one after colons."""
    return json.dumps(value, separators=(",", ": "), ensure_ascii=False)


def _timestamp(moment: _dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class CachedContent:
    """A cache created on the simulator; `request_body` is the create request as sent."""

    name: str
    model: str
    total_tokens: int
    create_time: _dt.datetime
    expire_time: _dt.datetime
    request_body: dict[str, Any]
    display_name: str = ""

    def resource(self) -> dict[str, Any]:
        """The CachedContent resource as the API returns it (contents are never echoed)."""
        resource: dict[str, Any] = {
            "name": self.name,
            "model": self.model,
            "createTime": _timestamp(self.create_time),
            "updateTime": _timestamp(self.create_time),
            "expireTime": _timestamp(self.expire_time),
            "usageMetadata": {"totalTokenCount": self.total_tokens},
        }
        if self.display_name:
            resource["displayName"] = self.display_name
        return resource


class GeminiSim(ProtocolSim):
    """Simulated Gemini API under `/v1beta` and `/v1`.

    Routes: "generate" (generateContent and streamGenerateContent share one queue), "count_tokens",
    "cache_create", "cache_list", "cache" (get / patch / delete one).
    """

    default_route = "generate"
    default_line_ending: LineEnding = "crlf"
    stream_content_type = "text/event-stream"
    json_content_type = "application/json; charset=UTF-8"
    id_prefix = "sim-response-"

    def __init__(self) -> None:
        super().__init__()
        model = r"/models/(?P<model>[^/:]+)"
        self.add_route(
            "generate",
            "POST",
            _VERSION + model + r":(?:generateContent|streamGenerateContent)",
            self._generate,
            precheck=self.precheck(self._check_cache),
        )
        self.add_route("count_tokens", "POST", _VERSION + model + r":countTokens", self._count, scripted=False)
        self.add_route("cache_create", "POST", _VERSION + r"/cachedContents", self._cache_create, scripted=False)
        self.add_route("cache_list", "GET", _VERSION + r"/cachedContents", self._cache_list, scripted=False)
        for method in ("GET", "PATCH", "DELETE"):
            self.add_route("cache", method, _VERSION + r"/cachedContents/[^/]+", self._cache_one, scripted=False)
        #: Caches by name ("cachedContents/…").
        self.caches: dict[str, CachedContent] = {}
        #: Reject generation requests naming a cache this simulator did not create (as the API does).
        self.strict_caches = True
        #: Token count of a created cache (None: estimate from the create request's size).
        self.cache_token_count: int | None = None
        #: Minimum cache size in tokens; smaller creates fail with 400 like the real API (0 = no minimum).
        self.min_cache_tokens = 0
        #: countTokens answer (None: estimate). An int enqueued on "count_tokens" overrides it once.
        self.token_count: int | Callable[[RecordedRequest], int] | None = None
        self._cache_ids = itertools.count(1)

    # -- generation ------------------------------------------------------------------------------

    def _generate(self, request: RecordedRequest, item: Any) -> Reply:
        stream = request.path.endswith(":streamGenerateContent")
        model = _model_from_path(request.path)
        sse = request.query.get("alt") == "sse"
        if stream and not sse:
            return self.serve(
                request,
                item,
                stream=True,
                model=model,
                render_stream=self._render_json_array,
                stream_content_type=self.json_content_type,
            )
        return self.serve(request, item, stream=stream, model=model)

    def _check_cache(self, request: RecordedRequest) -> None:
        """Like the API, refuse a `cachedContent` this simulator never created (before a script is taken)."""
        name = request.json_object().get("cachedContent")
        if isinstance(name, str) and self.strict_caches and name not in self.caches:
            raise ProtocolError(
                403,
                {
                    "error": {
                        "code": 403,
                        "message": "CachedContent not found (or permission denied)",
                        "status": "PERMISSION_DENIED",
                    }
                },
            )

    def usage_metadata(self, usage: Usage, *, final: bool, emitted: int = 0) -> dict[str, Any]:
        """`usageMetadata`: candidates exclude thoughts; cached tokens are part of the prompt."""
        metadata: dict[str, Any] = {"promptTokenCount": usage.prompt}
        candidates = max(0, usage.completion - usage.reasoning) if final else emitted
        if candidates:
            metadata["candidatesTokenCount"] = candidates
        metadata["totalTokenCount"] = usage.prompt + (usage.completion if final else emitted)
        if usage.cached_read:
            metadata["cachedContentTokenCount"] = usage.cached_read
        metadata["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": usage.prompt}]
        if usage.cached_read:
            metadata["cacheTokensDetails"] = [{"modality": "TEXT", "tokenCount": usage.cached_read}]
        if usage.reasoning:
            metadata["thoughtsTokenCount"] = usage.reasoning
        return metadata

    def _function_call_parts(self, ctx: RenderContext) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = []
        for call in ctx.turn.tool_calls:
            try:
                args = call.parsed_arguments()
            except json.JSONDecodeError as exc:
                raise ValueError(
                    f"tool call {call.name!r}: Gemini sends whole calls, so arguments must be JSON"
                ) from exc
            parts.append({"functionCall": {"name": call.name, "args": args}})
        return parts

    def _part_groups(self, ctx: RenderContext) -> list[list[dict[str, Any]]]:
        """The parts of each streamed event: one per thought and text fragment, one for all calls."""
        turn = ctx.turn
        groups: list[list[dict[str, Any]]] = [[{"text": f, "thought": True}] for f in turn.thinking]
        text_groups: list[list[dict[str, Any]]] = [[{"text": f}] for f in ctx.content]
        calls = self._function_call_parts(ctx)
        signature = turn.thinking_signature
        if signature is not None:
            target = calls[0] if calls else (text_groups[0][0] if text_groups else None)
            if target is not None:
                target["thoughtSignature"] = signature
            else:
                text_groups.append([{"text": "", "thoughtSignature": signature}])
        groups.extend(text_groups)
        if calls:
            groups.append(calls)
        return groups

    def _response(
        self, ctx: RenderContext, parts: list[dict[str, Any]], *, final: bool, emitted: int
    ) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}}
        if final:
            candidate["finishReason"] = _FINISH[ctx.turn.finish_reason]
        candidate["index"] = 0
        return {
            "candidates": [candidate],
            "usageMetadata": self.usage_metadata(ctx.usage, final=final, emitted=emitted),
            "modelVersion": ctx.model,
            "responseId": ctx.response_id,
        }

    def _responses(self, ctx: RenderContext) -> list[dict[str, Any]]:
        groups = self._part_groups(ctx) or [[{"text": ""}]]
        last = len(groups) - 1
        return [
            self._response(ctx, parts, final=ctx.terminal and i == last, emitted=i + 1)
            for i, parts in enumerate(groups)
        ]

    def render_stream(self, ctx: RenderContext) -> list[Frame]:
        responses = self._responses(ctx)
        frames = [Frame(sse_event(_dumps(r), eol=ctx.eol)) for r in responses]
        if ctx.terminal:
            frames[-1] = Frame(frames[-1].data, terminal=True)
        return frames

    def _render_json_array(self, ctx: RenderContext) -> list[Frame]:
        responses = self._responses(ctx)
        frames: list[Frame] = []
        for i, response in enumerate(responses):
            prefix = "[" if i == 0 else ",\r\n"
            frames.append(Frame((prefix + _dumps(response)).encode()))
        frames.append(Frame(b"]", terminal=True))
        return frames

    def render_blocking(self, ctx: RenderContext) -> bytes:
        turn = ctx.turn
        parts: list[dict[str, Any]] = []
        if turn.thinking:
            parts.append({"text": turn.thinking_text, "thought": True})
        calls = self._function_call_parts(ctx)
        if ctx.content:
            parts.append({"text": ctx.text})
        if turn.thinking_signature is not None:
            target = calls[0] if calls else (parts[-1] if parts and not parts[-1].get("thought") else None)
            if target is None:
                target = {"text": ""}
                parts.append(target)
            target["thoughtSignature"] = turn.thinking_signature
        parts.extend(calls)
        if not parts:
            parts.append({"text": ""})
        response = self._response(ctx, parts, final=True, emitted=0)
        return _dumps(response).encode()

    # -- hooks ---------------------------------------------------------------------------------

    def encode_error(self, value: object) -> bytes:
        """Pretty-printed with two-space indents, as the provider sends errors."""
        return (json.dumps(value, indent=2) + "\n").encode()

    def error_body(self, status: int, fault: Fault | None, ctx: RenderContext | None) -> object:
        name, message = _STATUS_NAMES.get(
            status, ("INTERNAL" if status >= 500 else "FAILED_PRECONDITION", f"HTTP {status}")
        )
        model = ctx.model if ctx else "gemini-2.5-flash"
        error: dict[str, Any] = {
            "code": fault.code if fault and isinstance(fault.code, int) else status,
            "message": (fault.message if fault and fault.message else message.replace("{model}", model)),
            "status": (fault.error_type if fault and fault.error_type else name),
        }
        if status == 429:
            retry = dict(fault.headers).get("Retry-After") if fault else None
            delay = f"{retry}s" if retry and retry.replace(".", "", 1).isdigit() else "30s"
            error["details"] = [
                {
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [{"quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}],
                },
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay},
            ]
        return {"error": error}

    def inserted_frames(self, ctx: RenderContext) -> InsertedFrames:
        eol = ctx.eol

        def in_band_error(fault: Fault) -> list[bytes]:
            body = self.error_body(503, fault, ctx)
            return [sse_event(_dumps(body), eol=eol)]

        return InsertedFrames(
            keepalive=lambda text: sse_comment(text or "keep-alive", eol=eol),
            malformed=lambda: sse_event('{"candidates": [{"content": {"parts": [{"text": ', eol=eol),
            non_object=lambda value: sse_event(value, eol=eol),
            in_band_error=in_band_error,
        )

    # -- countTokens ---------------------------------------------------------------------------

    def _count(self, request: RecordedRequest, item: Any) -> Reply:
        if isinstance(item, int):
            count, item = item, None
        elif callable(self.token_count):
            count = self.token_count(request)
        else:
            count = self.token_count if self.token_count is not None else estimate_tokens(request.body)
        value = {"totalTokens": count, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": count}]}
        return self.serve_json(request, item, lambda: value, model=_model_from_path(request.path))

    # -- cachedContents ------------------------------------------------------------------------

    def add_cache(
        self, *, model: str = "models/gemini-2.5-flash", total_tokens: int = 4096, ttl_seconds: float = 300
    ) -> CachedContent:
        """Create a cache directly (as if a previous run had made it)."""
        now = _dt.datetime.now(_dt.timezone.utc)
        cache = CachedContent(
            name=f"cachedContents/sim-cache-{next(self._cache_ids)}",
            model=model,
            total_tokens=total_tokens,
            create_time=now,
            expire_time=now + _dt.timedelta(seconds=ttl_seconds),
            request_body={},
        )
        self.caches[cache.name] = cache
        return cache

    def _cache_create(self, request: RecordedRequest, item: Any) -> Reply:
        body = request.json_object()

        def create() -> object:
            tokens = self.cache_token_count if self.cache_token_count is not None else estimate_tokens(request.body)
            if tokens < self.min_cache_tokens:
                raise ProtocolError(
                    400,
                    {
                        "error": {
                            "code": 400,
                            "message": f"Cached content is too small. total_token_count={tokens}, "
                            f"min_total_token_count={self.min_cache_tokens}",
                            "status": "INVALID_ARGUMENT",
                        }
                    },
                )
            now = _dt.datetime.now(_dt.timezone.utc)
            expire = _expire_time(body, now)
            cache = CachedContent(
                name=f"cachedContents/sim-cache-{next(self._cache_ids)}",
                model=str(body.get("model", "")),
                total_tokens=tokens,
                create_time=now,
                expire_time=expire,
                request_body=body,
                display_name=str(body.get("displayName", "")),
            )
            self.caches[cache.name] = cache
            return cache.resource()

        return self.serve_json(request, item, create)

    def _cache_list(self, request: RecordedRequest, item: Any) -> Reply:
        return self.serve_json(request, item, lambda: {"cachedContents": [c.resource() for c in self.caches.values()]})

    def _cache_one(self, request: RecordedRequest, item: Any) -> Reply:
        name = "cachedContents/" + request.path.rsplit("/", 1)[1]

        def answer() -> object:
            cache = self.caches.get(name)
            if cache is None:
                raise ProtocolError(
                    403,
                    {
                        "error": {
                            "code": 403,
                            "message": "CachedContent not found (or permission denied)",
                            "status": "PERMISSION_DENIED",
                        }
                    },
                )
            if request.method == "DELETE":
                del self.caches[name]
                return {}
            if request.method == "PATCH":
                cache.expire_time = _expire_time(request.json_object(), _dt.datetime.now(_dt.timezone.utc))
            return cache.resource()

        return self.serve_json(request, item, answer)


def _model_from_path(path: str) -> str:
    match = re.search(r"/models/([^/:]+)", path)
    return match.group(1) if match else ""


def _expire_time(body: dict[str, Any], now: _dt.datetime) -> _dt.datetime:
    expire = body.get("expireTime")
    if isinstance(expire, str):
        try:
            return _dt.datetime.fromisoformat(expire.replace("Z", "+00:00"))
        except ValueError:
            pass
    ttl = body.get("ttl")
    seconds = 3600.0
    if isinstance(ttl, str) and ttl.endswith("s"):
        with contextlib.suppress(ValueError):
            seconds = float(ttl[:-1])
    return now + _dt.timedelta(seconds=seconds)

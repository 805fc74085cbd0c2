"""The base of every provider simulator: turns scripts into replies through protocol hooks.

A `ProtocolSim` is a `SimServer` whose route handlers call `serve()`. `serve()` resolves the
scripted item (a function of the request, a lone `Fault`, a `RawReply` or a `Turn`), renders it with
the protocol's hooks (`render_stream`, `render_blocking`, `error_body`, `inserted_frames`) and applies
the faults, so every protocol gets every fault with the same meaning.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from .messages import Data, Framing, RecordedRequest, Reply
from .recorded import recorded_reply
from .script import Fault, LineEnding, RawReply, Script, Turn, Usage
from .server import SimServer
from .wire import EOL, Frame, InsertedFrames, reply_options, stream_steps

__all__ = ["ProtocolError", "ProtocolSim", "RenderContext", "estimate_tokens"]

_WHOLE_BODY_FAULTS = ("stall", "cut", "patch_bytes")
_EOL_BY_NAME: dict[str, str] = {str(name): eol for name, eol in EOL.items()}


class ProtocolError(Exception):
    """Raised by a renderer to answer with a provider error instead (e.g. unknown model)."""

    def __init__(self, status: int, body: object, headers: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(f"{status}: {body!r}")
        self.status = status
        self.body = body
        self.headers = list(headers)


def estimate_tokens(text: str | bytes) -> int:
    """A deterministic stand-in for a tokenizer: one token per 4 bytes, at least 1."""
    return max(1, len(text) // 4)


@dataclass
class RenderContext:
    """Everything a renderer needs for one reply."""

    request: RecordedRequest
    body: dict[str, Any]
    turn: Turn
    stream: bool
    eol: str
    model: str
    response_id: str
    created: int
    terminal: bool
    huge: Fault | None

    @cached_property
    def usage(self) -> Usage:
        """The turn's usage, or counts derived from the request size and the fragments."""
        if self.turn.usage is not None:
            return self.turn.usage
        reasoning = len(self.turn.thinking)
        tools = sum(max(1, len(call.fragments)) for call in self.turn.tool_calls)
        completion = len(self.turn.content) + reasoning + tools
        return Usage(prompt=estimate_tokens(self.request.body), completion=max(1, completion), reasoning=reasoning)

    @cached_property
    def content(self) -> tuple[str, ...]:
        """The content fragments, with the huge event's text first if the turn has one."""
        fragments = tuple(self.turn.content)
        if self.huge is not None:
            return ((self.huge.text or "x") * self.huge.size, *fragments)
        return fragments

    @cached_property
    def text(self) -> str:
        """The joined content (huge text included)."""
        return "".join(self.content)


StreamRenderer = Callable[[RenderContext], list[Frame]]
BlockingRenderer = Callable[[RenderContext], bytes]


class ProtocolSim(SimServer):
    """A simulator for one provider protocol. Subclasses implement the hooks below."""

    #: Line ending of SSE streams unless a `Fault.line_ending` says otherwise.
    default_line_ending: LineEnding = "lf"
    stream_content_type = "text/event-stream; charset=utf-8"
    json_content_type = "application/json"
    id_prefix = "sim-"

    def __init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(1)

    # -- scripting (typed front of SimServer's) -------------------------------------------------

    def enqueue(self, *items: Script | int, route: str | None = None) -> None:
        """Append scripts to a route's FIFO (default: the model route); the next requests get them in order.

        Items: `Turn`, a lone `Fault`, `RawReply`, a function of the request returning one of those,
        or (count_tokens routes only) an int.
        """
        super().enqueue(*items, route=route)

    def set_default(self, item: Script | int | None, *, route: str | None = None) -> None:
        """What a route serves when its FIFO is empty (None removes the default)."""
        super().set_default(item, route=route)

    # -- hooks ---------------------------------------------------------------------------------

    def render_stream(self, ctx: RenderContext) -> list[Frame]:
        """The events of a streamed turn, encoded."""
        raise NotImplementedError

    def render_blocking(self, ctx: RenderContext) -> bytes:
        """The JSON body of a blocking turn."""
        raise NotImplementedError

    def error_body(self, status: int, fault: Fault | None, ctx: RenderContext | None) -> object:
        """The provider's error body for a status (fault fields override message/type/code)."""
        message = (fault.message if fault else None) or f"HTTP {status}"
        return {"error": {"message": message}}

    def encode_error(self, value: object) -> bytes:
        """Serialize an error body the way the provider does (compact by default)."""
        return json.dumps(value, separators=(",", ":")).encode()

    def inserted_frames(self, ctx: RenderContext) -> InsertedFrames:
        """How this protocol encodes keep-alives, malformed/non-object events and in-band errors."""
        raise NotImplementedError

    def response_headers(self, ctx: RenderContext) -> list[tuple[str, str]]:
        """Extra headers the provider sends on every reply (e.g. a request id)."""
        return []

    # -- helpers for subclasses ----------------------------------------------------------------

    def new_id(self) -> str:
        """A fresh response id: the protocol's prefix and a counter."""
        return f"{self.id_prefix}{next(self._ids):06d}"

    def error_reply(self, status: int, message: str) -> Reply:
        """A simulator-level problem, in the provider's own error shape."""
        body = self.error_body(status, Fault.status(status, message=message), None)
        return Reply(status, [("Content-Type", self.json_content_type)], [Data(self.encode_error(body))])

    def context(self, request: RecordedRequest, turn: Turn, *, stream: bool, model: str) -> RenderContext:
        """Build the render context for a turn."""
        ending = turn.fault("line_ending")
        eol = _EOL_BY_NAME.get(ending.text or "", "\n") if ending else EOL[self.default_line_ending]
        return RenderContext(
            request=request,
            body=request.json_object(),
            turn=turn,
            stream=stream,
            eol=eol,
            model=turn.model or model,
            response_id=turn.id or self.new_id(),
            created=int(time.time()),
            terminal=turn.fault("no_terminal") is None,
            huge=turn.fault("huge"),
        )

    # -- serving -------------------------------------------------------------------------------

    def serve(
        self,
        request: RecordedRequest,
        item: Any,
        *,
        stream: bool,
        model: str,
        render_stream: StreamRenderer | None = None,
        render_blocking: BlockingRenderer | None = None,
        stream_content_type: str | None = None,
    ) -> Reply:
        """Render a scripted item (None means an empty `Turn`) into a reply."""
        script = _resolve(item, request)
        if isinstance(script, RawReply):
            return self._serve_raw(request, script, stream=stream, model=model)
        turn = script
        ctx = self.context(request, turn, stream=stream, model=model)
        headers = [*self.response_headers(ctx), *turn.headers.items()]
        status_fault = turn.fault("status")
        if status_fault is not None:
            return self._status_reply(ctx, status_fault, turn.faults, headers)
        try:
            if stream:
                frames = (render_stream or self.render_stream)(ctx)
                reply = Reply(
                    headers=[("Content-Type", stream_content_type or self.stream_content_type), *headers],
                    steps=stream_steps(frames, turn.faults, self.inserted_frames(ctx)),
                )
                return reply_options(reply, turn.faults, default_framing="chunked")
            body = (render_blocking or self.render_blocking)(ctx)
        except ProtocolError as exc:
            reply = self.protocol_error_reply(exc, headers)
            return reply_options(reply, turn.faults, default_framing="length")
        return self._blocking_reply(ctx, body, turn.faults, [("Content-Type", self.json_content_type), *headers])

    def precheck(self, check: Callable[[RecordedRequest], None]) -> Callable[[RecordedRequest], Reply | None]:
        """Wrap a validation function that raises `ProtocolError` into a route precheck."""

        def run(request: RecordedRequest) -> Reply | None:
            try:
                check(request)
            except ProtocolError as exc:
                return self.protocol_error_reply(exc, [])
            return None

        return run

    def protocol_error_reply(self, exc: ProtocolError, headers: Sequence[tuple[str, str]]) -> Reply:
        """The reply for a `ProtocolError`."""
        return Reply(
            exc.status,
            [("Content-Type", self.json_content_type), *headers, *exc.headers],
            [Data(self.encode_error(exc.body))],
        )

    def replay(self, name: str, *faults: Fault, route: str | None = None) -> RawReply:
        """Enqueue a recorded fixture ("openai/text.chunks.txt", ...) served byte for byte, with faults."""
        reply = recorded_reply(name).with_faults(*faults)
        self.enqueue(reply, route=route)
        return reply

    def serve_json(self, request: RecordedRequest, item: Any, value: Callable[[], object], *, model: str = "") -> Reply:
        """Serve a JSON value on a non-model route, honouring a scripted Fault or RawReply if any."""
        return self.serve(
            request,
            item,
            stream=False,
            model=model,
            render_blocking=lambda _ctx: json.dumps(value()).encode(),
        )

    def _blocking_reply(
        self, ctx: RenderContext, body: bytes, faults: Sequence[Fault], headers: list[tuple[str, str]]
    ) -> Reply:
        if any(f.kind == "malformed" for f in faults):
            body = body[: max(1, len(body) // 2)]
        non_object = next((f for f in faults if f.kind == "non_object"), None)
        if non_object is not None:
            body = (non_object.text or "[1, 2, 3]").encode()
        whole = [f for f in faults if f.kind in _WHOLE_BODY_FAULTS]
        reply = Reply(headers=headers, steps=stream_steps([Frame(body)], whole, self.inserted_frames(ctx)))
        return reply_options(reply, faults, default_framing="length")

    def _status_reply(
        self, ctx: RenderContext, fault: Fault, faults: Sequence[Fault], headers: list[tuple[str, str]]
    ) -> Reply:
        if fault.body is None:
            body = self.encode_error(self.error_body(fault.status_code, fault, ctx))
            content_type = fault.content_type or self.json_content_type
        else:
            body = fault.body
            html = body.lstrip().startswith(b"<")
            content_type = fault.content_type or ("text/html; charset=utf-8" if html else "text/plain; charset=utf-8")
        whole = [f for f in faults if f.kind in _WHOLE_BODY_FAULTS]
        reply = Reply(
            status=fault.status_code,
            headers=[("Content-Type", content_type), *headers, *fault.headers],
            steps=stream_steps([Frame(body)], whole, self.inserted_frames(ctx)),
        )
        return reply_options(reply, faults, default_framing="length")

    def _serve_raw(self, request: RecordedRequest, raw: RawReply, *, stream: bool, model: str) -> Reply:
        ctx = self.context(request, Turn(faults=raw.faults), stream=stream, model=model)
        headers = [*raw.headers.items()]
        if raw.content_type:
            headers.insert(0, ("Content-Type", raw.content_type))
        status_fault = ctx.turn.fault("status")
        if status_fault is not None:
            return self._status_reply(ctx, status_fault, raw.faults, headers)
        frames = [Frame(part) for part in raw.parts]
        reply = Reply(
            status=raw.status, headers=headers, steps=stream_steps(frames, raw.faults, self.inserted_frames(ctx))
        )
        framing: Framing = raw.framing
        return reply_options(reply, raw.faults, default_framing=framing)


def _resolve(item: Any, request: RecordedRequest) -> Turn | RawReply:
    for _ in range(16):
        if item is None:
            return Turn()
        if isinstance(item, (Turn, RawReply)):
            return item
        if isinstance(item, Fault):
            return Turn(faults=(item,))
        if callable(item):
            item = item(request)
            continue
        raise TypeError(f"cannot serve {item!r}: expected a Turn, Fault, RawReply or a function of the request")
    raise TypeError("a scripted function kept returning functions")

"""The litellm providers toki knows how to drive closely, and how each one is reached.

litellm hides the HTTP exchange, but three things about it matter to toki and differ per
provider: who sends the request (the ``openai`` SDK on the OpenAI route, litellm's own httpx
handler on the others), how a server address must be spelled, and which bytes mark the end of
a complete stream. A :class:`Route` records those facts; any other provider string goes
through :data:`GENERIC`, where litellm keeps its own clients.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["ANTHROPIC", "GEMINI", "GENERIC", "OPENAI", "Route", "route_for"]

ClientKind = Literal["openai", "httpx", "litellm"]


@dataclass(frozen=True, slots=True)
class Route:
    """How toki reaches one litellm provider.

    Attributes:
        provider: litellm's provider name (the model-string prefix).
        client: ``"openai"`` (toki hands litellm an ``openai`` client), ``"httpx"`` (a litellm
            ``HTTPHandler`` over toki's httpx client) or ``"litellm"`` (litellm's own clients).
        terminal: byte sequences of which one must appear in a complete streamed body; empty
            when the route's stream is not watched on the wire.
        terminal_by_path: other markers for requests whose URL path ends with a given suffix
            (litellm sends some OpenAI calls to the Responses API, whose streams end differently).
        base_suffixes: path suffixes litellm expects at the end of ``api_base``.
        default_suffix: suffix appended to a bare server address (``None``: use it as given).
    """

    provider: str
    client: ClientKind
    terminal: tuple[bytes, ...] = ()
    terminal_by_path: tuple[tuple[str, tuple[bytes, ...]], ...] = ()
    base_suffixes: tuple[str, ...] = ()
    default_suffix: str | None = None
    strip_suffixes: tuple[str, ...] = ()

    def api_base(self, base_url: str | None) -> str | None:
        """The ``api_base`` litellm needs for a user-given server address (``None`` stays ``None``)."""
        if base_url is None:
            return None
        base = base_url.rstrip("/")
        for suffix in self.strip_suffixes:
            if base.endswith(suffix):
                base = base[: -len(suffix)]
        if self.default_suffix is not None and not base.endswith(self.base_suffixes):
            base += self.default_suffix
        return base

    def markers_for(self, path: str) -> tuple[bytes, ...]:
        """The terminal markers of a streamed response to a request for ``path``."""
        for suffix, markers in self.terminal_by_path:
            if path.endswith(suffix):
                return markers
        return self.terminal


#: OpenAI Chat Completions: the address includes ``/v1``; a stream ends with ``data: [DONE]``.
#: litellm sends gpt-5.4+ calls that combine function tools with reasoning to the Responses API
#: (Chat Completions rejects that combination), whose streams end with a ``response.completed``,
#: ``response.incomplete`` or ``response.failed`` event.
OPENAI = Route(
    "openai",
    "openai",
    terminal=(b"\ndata: [DONE]", b"\rdata: [DONE]", b"\ndata:[DONE]", b"\rdata:[DONE]"),
    terminal_by_path=(
        (
            "/responses",
            (b'"type":"response.completed"', b'"type":"response.incomplete"', b'"type":"response.failed"'),
        ),
    ),
)

#: Anthropic Messages: litellm appends ``/v1/messages`` to a bare address (a trailing ``/v1``
#: would be doubled, so it is removed); a stream ends with ``event: message_stop``.
ANTHROPIC = Route(
    "anthropic",
    "httpx",
    terminal=(
        b"\nevent: message_stop",
        b"\revent: message_stop",
        b"\nevent:message_stop",
        b"\revent:message_stop",
    ),
    strip_suffixes=("/v1",),
)

#: Gemini API: litellm wants the address with its API version (``/v1beta``); the last event of a
#: complete stream carries ``finishReason`` (litellm itself reports "stop" on every chunk, so the
#: wire is the only place where a cut stream shows).
GEMINI = Route(
    "gemini",
    "httpx",
    terminal=(b'"finishReason"',),
    base_suffixes=("/v1beta", "/v1", "/v1alpha"),
    default_suffix="/v1beta",
)

#: Any other litellm provider: litellm's own clients and end-of-stream handling.
GENERIC = Route("", "litellm")

_KNOWN = {route.provider: route for route in (OPENAI, ANTHROPIC, GEMINI)}


def route_for(model: str) -> Route:
    """The route of a litellm model string (``"anthropic/claude-..."`` and so on)."""
    prefix, slash, _ = model.partition("/")
    if slash:
        known = _KNOWN.get(prefix)
        if known is not None:
            return known
    return GENERIC

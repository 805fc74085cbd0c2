"""One table of how to call each simulated protocol, so fault tests can run against all of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulators import ProtocolSim

from simulators_tests._wire import data_events, parse_ndjson, parse_sse

MESSAGES = [{"role": "user", "content": "Hello"}]


@dataclass(frozen=True)
class Proto:
    """How to reach one protocol's model route, streaming and blocking, and read its events."""

    name: str
    fixture: str
    stream_path: str
    blocking_path: str
    stream_body: dict[str, Any]
    blocking_body: dict[str, Any]
    ndjson: bool = False

    def events(self, body: bytes) -> list[Any]:
        """The JSON payloads of a streamed body, in order (SSE `[DONE]` excluded)."""
        if self.ndjson:
            return parse_ndjson(body)
        return data_events(body)

    def event_count(self, body: bytes) -> int:
        """Complete events in a (possibly truncated) streamed body, terminal markers included."""
        if self.ndjson:
            return body.count(b"\n")
        return len(parse_sse(body).events)  # an event without its blank line is not an event

    def content(self, body: bytes) -> str:
        """The text content of a streamed body, joined."""
        return self.content_of(self.events(body))

    def content_of(self, events: list[Any]) -> str:
        """The text content of parsed stream events, joined."""
        out: list[str] = []
        for event in events:
            if self.name in ("openai", "openrouter"):
                for choice in event.get("choices", []):
                    out.append(choice["delta"].get("content") or "")
            elif self.name == "anthropic":
                delta = event.get("delta", {})
                if delta.get("type") == "text_delta":
                    out.append(delta["text"])
            elif self.name == "gemini":
                for candidate in event.get("candidates", []):
                    for part in candidate["content"]["parts"]:
                        if not part.get("thought"):
                            out.append(part.get("text", ""))
            else:
                out.append(event.get("message", {}).get("content", ""))
        return "".join(out)

    def has_terminal(self, body: bytes) -> bool:
        """Whether the stream carries its protocol's end marker."""
        if self.name in ("openai", "openrouter"):
            return b"data: [DONE]" in body
        events = self.events(body)
        if self.name == "anthropic":
            return events[-1]["type"] == "message_stop"
        if self.name == "gemini":
            return "finishReason" in events[-1]["candidates"][0]
        return events[-1].get("done") is True


PROTOCOLS = [
    Proto(
        "openai",
        "openai_sim",
        "/v1/chat/completions",
        "/v1/chat/completions",
        {"model": "gpt-4o-mini", "messages": MESSAGES, "stream": True},
        {"model": "gpt-4o-mini", "messages": MESSAGES},
    ),
    Proto(
        "openrouter",
        "openrouter_sim",
        "/api/v1/chat/completions",
        "/api/v1/chat/completions",
        {"model": "openai/gpt-4o-mini", "messages": MESSAGES, "stream": True},
        {"model": "openai/gpt-4o-mini", "messages": MESSAGES},
    ),
    Proto(
        "anthropic",
        "anthropic_sim",
        "/v1/messages",
        "/v1/messages",
        {"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": MESSAGES, "stream": True},
        {"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": MESSAGES},
    ),
    Proto(
        "gemini",
        "gemini_sim",
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
        "/v1beta/models/gemini-2.5-flash:generateContent",
        {"contents": [{"role": "user", "parts": [{"text": "Hello"}]}]},
        {"contents": [{"role": "user", "parts": [{"text": "Hello"}]}]},
    ),
    Proto(
        "ollama",
        "ollama_sim",
        "/api/chat",
        "/api/chat",
        {"model": "llama3.2", "messages": MESSAGES, "stream": True},
        {"model": "llama3.2", "messages": MESSAGES, "stream": False},
        ndjson=True,
    ),
]

PROTOCOL_IDS = [p.name for p in PROTOCOLS]

SimGetter = Callable[[str], ProtocolSim]

"""Checks a successful response body before litellm parses it.

litellm's parsers are forgiving in ways toki must not be: an event whose JSON is cut or
malformed is skipped (Anthropic, Gemini) or buffered until the stream ends, ``data: null`` is
dropped (OpenAI), a keep-alive comment before Gemini's first event switches its parser into a
mode that loses the content, and a blocking body that is not a JSON object comes back as an
invented 500 (OpenAI) or a 422 (Gemini). litellm also builds an object per SSE line, comments
included.

A guard sits between the socket and litellm and sees every piece of the body first:

* :class:`EventGuard` (a successful event stream) decodes it with toki's own SSE decoder (any
  line ending, any split of the bytes), requires each event's data to be a JSON object (or
  ``[DONE]``), and hands litellm the events re-encoded canonically (``event:``/``data:`` lines
  ending in LF; comments dropped);
* :class:`DocumentGuard` (a successful blocking body, whatever its declared type) holds the body
  until it is complete, requires it to be a JSON object, and hands it on with any invalid UTF-8
  replaced by U+FFFD, as toki's SSE decoder does in streams.

A bad body becomes a :class:`~toki.errors.TokiResponseError` on the guard's ``error``: the byte
stream hands on what came before the fault and then raises it, and toki's error mapping looks
at the guard first, because litellm wraps whatever its reads raise.
"""

from __future__ import annotations

import json
from typing import cast

from toki.errors import TokiResponseError
from toki.sse import SSEDecoder, SSEEvent

__all__ = ["DocumentGuard", "EventGuard", "Guard"]

_DONE = "[DONE]"
_PREVIEW = 80
_JSON_KINDS: dict[type, str] = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
}


def _problem(text: str) -> str | None:
    """What is wrong with ``text`` as a JSON object (``None``: nothing)."""
    try:
        value = json.loads(text)
    except ValueError:
        return "is not valid JSON"
    if isinstance(value, dict):
        return None
    kind: str = "null" if value is None else _JSON_KINDS.get(type(cast(object, value)), "not an object")
    return f"is {kind}, not a JSON object"


def _preview(text: str) -> str:
    return repr(text if len(text) <= _PREVIEW else text[:_PREVIEW] + "...")


class Guard:
    """A checker of one response body, fed in arbitrary pieces.

    Args:
        provider: the backend's name, for errors.

    Attributes:
        error: what is wrong with the body, once something is; nothing is handed on after it.
    """

    __slots__ = ("error", "provider")

    def __init__(self, provider: str | None) -> None:
        self.provider = provider
        self.error: TokiResponseError | None = None

    def feed(self, data: bytes) -> bytes:
        """The bytes to hand on for the next piece ``data`` (``b""``: nothing yet); then check ``error``."""
        raise NotImplementedError

    def finish(self) -> bytes:
        """The body has ended: the last bytes to hand on; then check ``error``."""
        raise NotImplementedError

    def _refuse(self, message: str) -> None:
        self.error = TokiResponseError(message, provider=self.provider)


class EventGuard(Guard):
    """Validates and re-encodes an SSE body."""

    __slots__ = ("_decoder",)

    def __init__(self, provider: str | None) -> None:
        super().__init__(provider)
        self._decoder = SSEDecoder()

    def feed(self, data: bytes) -> bytes:
        if self.error is not None:
            return b""
        events = self._decoder.feed(data)
        return self._encode(events) if events else b""

    def finish(self) -> bytes:
        if self.error is not None:
            return b""
        events = self._decoder.finish()
        return self._encode(events) if events else b""

    def _encode(self, events: list[SSEEvent]) -> bytes:
        parts: list[str] = []
        for event in events:
            data = event.data
            if data != _DONE:
                problem = _problem(data)
                if problem is not None:
                    what = f"a malformed {event.event!r} event: its data {problem}"
                    self._refuse(f"the provider streamed {what} ({_preview(data)})")
                    break
            if event.event != "message":
                parts.append(f"event: {event.event}\n")
            parts.append("data: " + (data.replace("\n", "\ndata: ") if "\n" in data else data) + "\n\n")
        return "".join(parts).encode()


class DocumentGuard(Guard):
    """Requires a whole body to be a JSON object.

    Args:
        provider: the backend's name, for errors.
        content_type: the body's declared type, named in the error (a proxy's web page says so).
    """

    __slots__ = ("_content_type", "_parts")

    def __init__(self, provider: str | None, content_type: str = "") -> None:
        super().__init__(provider)
        self._content_type = content_type
        self._parts: list[bytes] = []

    def feed(self, data: bytes) -> bytes:
        self._parts.append(data)
        return b""  # held back: litellm reads a blocking body whole anyway

    def finish(self) -> bytes:
        body = b"".join(self._parts)
        self._parts = []
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            # As in streamed answers: invalid bytes become U+FFFD (litellm would fail on them).
            text = body.decode("utf-8", "replace")
            body = text.encode("utf-8")
        problem = _problem(text)
        if problem is not None:
            declared = f", declared as {self._content_type!r}" if self._content_type else ""
            self._refuse(f"the provider's answer {problem}{declared} ({_preview(text)})")
            return b""
        return body

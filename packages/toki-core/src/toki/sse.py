"""A push-based, byte-level decoder for Server-Sent Events (sans-I/O).

Every HTTP backend that streams SSE feeds the raw body bytes it receives, in whatever pieces
the network delivers them, into one :class:`SSEDecoder` and gets complete events back::

    decoder = SSEDecoder()
    for data in response.iter_bytes():
        for event in decoder.feed(data):
            handle(event.event, event.data)
    for event in decoder.finish():
        handle(event.event, event.data)

The decoder does no I/O, so the same object serves sync and async drivers. It follows the
WHATWG HTML standard, "Server-sent events", section "Interpreting an event stream":

* lines end with LF, CRLF or a lone CR, in any mix, and a CRLF may be split across two feeds;
* the stream is UTF-8 (a leading byte-order mark is dropped, invalid bytes become U+FFFD); a
  character split across feeds is decoded whole, because decoding happens per complete line;
* ``data:`` lines of one event are joined with ``"\\n"``; ``event:`` names the event (default
  ``"message"``); ``id:`` sets the last event id, which persists across events; ``retry:`` and
  unknown fields are ignored (toki never reconnects); a blank line dispatches the event; an
  event with no ``data:`` line is not dispatched;
* lines starting with ``:`` are comments (keep-alives such as ``: OPENROUTER PROCESSING``) and
  are dropped without being buffered.

One deliberate leniency at the end of the stream, in :meth:`SSEDecoder.finish`: an event whose
lines were all terminated but which lacks the final blank line is still dispatched (some servers
end with ``data: [DONE]\\n``), while an unterminated trailing line is dropped because it may
have been cut off.

Cost is linear in the input: each byte is scanned once (the search for a line end resumes where
the previous feed stopped, so one 32 MB event arriving in small pieces is not re-scanned), and
consumed bytes are released at the end of every feed.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["SSEDecoder", "SSEEvent"]

_BOM = b"\xef\xbb\xbf"
_LF = 0x0A
_CR = 0x0D
_COLON = 0x3A


class SSEEvent(NamedTuple):
    """One dispatched event (a named tuple: cheap to build, one per streamed chunk).

    Attributes:
        event: the event type (``"message"`` when the stream did not name one).
        data: the data lines joined with ``"\\n"``.
        id: the last event id seen on the stream so far, if any.
    """

    event: str
    data: str
    id: str | None = None


class SSEDecoder:
    """Turns an SSE byte stream, fed in arbitrary pieces, into :class:`SSEEvent` objects."""

    __slots__ = ("_buffer", "_data", "_event", "_last_id", "_scan_from", "_skip_lf", "_started")

    def __init__(self) -> None:
        self._buffer = bytearray()  # bytes of the current, unterminated line
        self._scan_from = 0  # the buffer holds no line end before this offset
        self._skip_lf = False  # the last line ended with CR: an LF right after belongs to it
        self._started = False  # whether the first line (where a BOM may sit) has been seen
        self._data: list[str] = []
        self._event = ""
        self._last_id: str | None = None

    def feed(self, data: bytes) -> list[SSEEvent]:
        """Decode the next piece of the stream; return the events it completed, in order."""
        if not data:
            return []
        events: list[SSEEvent] = []
        if self._skip_lf:
            self._skip_lf = False
            if data[0] == _LF:
                data = data[1:]
                if not data:
                    return events
        buffer = self._buffer
        if buffer:
            buffer += data
            source: bytes | bytearray = buffer
            position = 0
            scan = self._scan_from
        else:
            # Nothing pending: work on the new bytes directly and copy only the unterminated tail.
            source = data
            position = 0
            scan = 0
        end = len(source)
        has_cr = source.find(b"\r", scan) >= 0
        line = self._line
        while True:
            lf = source.find(b"\n", scan)
            if has_cr:
                cr = source.find(b"\r", scan, lf if lf >= 0 else end)
                if cr >= 0:
                    line(source[position:cr], events)
                    if cr + 1 < end:
                        if source[cr + 1] == _LF:
                            cr += 1
                    else:
                        self._skip_lf = True
                    position = scan = cr + 1
                    continue
            if lf < 0:
                break
            raw = source[position:lf]
            # Inlined fast paths for the two lines every event has: "data: ..." and the blank line.
            if raw.startswith(b"data: ") and self._started:
                self._data.append(raw[6:].decode("utf-8", "replace"))
            elif not raw and self._started:
                if self._data:
                    self._dispatch(events)
                else:
                    self._event = ""
            else:
                line(raw, events)
            position = scan = lf + 1
        if source is buffer:
            del buffer[:position]
        else:
            buffer += source[position:]
        self._scan_from = len(buffer)
        return events

    def finish(self) -> list[SSEEvent]:
        """The stream has ended: return a last event whose lines were complete, and reset."""
        self._buffer.clear()  # an unterminated line may have been cut off: never trust it
        self._scan_from = 0
        self._skip_lf = False
        events: list[SSEEvent] = []
        self._dispatch(events)
        self._started = False
        self._last_id = None
        return events

    def _line(self, raw: bytes | bytearray, events: list[SSEEvent]) -> None:
        if not self._started:
            self._started = True
            if raw.startswith(_BOM):
                raw = raw[3:]
        if not raw:
            self._dispatch(events)
            return
        if raw.startswith(b"data:"):
            value = raw[6:] if raw[5:6] == b" " else raw[5:]
            self._data.append(value.decode("utf-8", "replace"))
            return
        if raw[0] == _COLON:
            return  # a comment
        colon = raw.find(b":")
        if colon < 0:
            name, value = raw, b""
        else:
            name = raw[:colon]
            value = raw[colon + 2 :] if raw[colon + 1 : colon + 2] == b" " else raw[colon + 1 :]
        if name == b"event":
            self._event = value.decode("utf-8", "replace")
        elif name == b"data":
            self._data.append(value.decode("utf-8", "replace"))
        elif name == b"id" and b"\x00" not in value:
            self._last_id = value.decode("utf-8", "replace")

    def _dispatch(self, events: list[SSEEvent]) -> None:
        if self._data:
            data = self._data[0] if len(self._data) == 1 else "\n".join(self._data)
            events.append(SSEEvent(self._event or "message", data, self._last_id))
            self._data = []
        self._event = ""

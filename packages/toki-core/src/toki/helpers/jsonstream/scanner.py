"""Push-based JSON event scanner: the sans-I/O core of :mod:`toki.helpers.jsonstream`.

:class:`JsonEventScanner` is fed text in arbitrary chunks (``feed(text) -> events``,
``finish()``) and reports what it has seen as flat :data:`Event` tuples.  It never
re-scans consumed text: it keeps an offset into the current chunk and carries across a
chunk boundary only a partial escape (at most 11 characters) or a partial literal
(``tru``); the pieces of an unfinished number are collected and joined once.  String
content is handled a run at a time (C-level searches, escapes decoded by the C ``json``
string scanner), so one chunk yields at most one decoded string piece.  The only bounded
exception is :meth:`JsonEventScanner.capture`, whose C-parser probe may re-read a small
container (at most 2048 characters, 4 times) before falling back to bracket counting.

The pull API in :mod:`toki.helpers.jsonstream.streams` is a thin driver over this class;
it is public so that toki's engine can drive it from push-style sources too.
"""

from __future__ import annotations

import enum
import json.decoder as _json_decoder
import re
from collections.abc import Callable
from typing import Any, Final, NoReturn, TypeAlias

from .errors import JsonStreamError

__all__ = ["Event", "EventKind", "JsonEventScanner"]


class EventKind(enum.IntEnum):
    """What an :data:`Event` reports; the payload (second tuple item) depends on it.

    ========== ==========================================================================
    kind       payload
    ========== ==========================================================================
    OBJ_START  ``None`` -- ``{`` opened an object
    OBJ_END    ``None`` -- the innermost object closed
    ARR_START  ``None`` -- ``[`` opened an array
    ARR_END    ``None`` -- the innermost array closed
    KEY        ``str`` -- a complete, decoded object key (the member's value follows)
    STR_START  ``None`` -- a string value opened
    STR_PIECE  ``str`` -- decoded, non-empty string content (at most one per fed chunk)
    STR_END    ``None`` -- the string value closed
    VALUE      a complete value: ``int``/``float``/``bool``/``None``, or the whole
               ``dict``/``list`` of a container handed over by :meth:`JsonEventScanner.capture`
    ========== ==========================================================================
    """

    OBJ_START = 0
    OBJ_END = 1
    ARR_START = 2
    ARR_END = 3
    KEY = 4
    STR_START = 5
    STR_PIECE = 6
    STR_END = 7
    VALUE = 8


Event: TypeAlias = tuple[EventKind, Any]
"""One scanner event: ``(kind, payload)``; see :class:`EventKind` for the payloads."""

_OBJ_START: Final = EventKind.OBJ_START
_OBJ_END: Final = EventKind.OBJ_END
_ARR_START: Final = EventKind.ARR_START
_ARR_END: Final = EventKind.ARR_END
_KEY_EV: Final = EventKind.KEY
_STR_START: Final = EventKind.STR_START
_STR_PIECE: Final = EventKind.STR_PIECE
_STR_END: Final = EventKind.STR_END
_VALUE_EV: Final = EventKind.VALUE

# payload-less events are shared instead of allocated per occurrence
_EV_OBJ_START: Final[Event] = (_OBJ_START, None)
_EV_OBJ_END: Final[Event] = (_OBJ_END, None)
_EV_ARR_START: Final[Event] = (_ARR_START, None)
_EV_ARR_END: Final[Event] = (_ARR_END, None)
_EV_STR_START: Final[Event] = (_STR_START, None)
_EV_STR_END: Final[Event] = (_STR_END, None)

# scanner states: what the next significant character may be
_VALUE: Final = 0  # a value is required (top level, after ':', after ',' in an array)
_ARR_FIRST: Final = 1  # just after '[': a value or ']'
_OBJ_FIRST: Final = 2  # just after '{': a key or '}'
_KEY: Final = 3  # after ',' in an object: a key is required
_COLON: Final = 4
_AFTER: Final = 5  # after a member/element: ',' or the closer
_STR: Final = 6  # inside a string value
_KEYSTR: Final = 7  # inside an object key
_NUM: Final = 8  # inside a number that reached the end of the fed text
_CAPTURE: Final = 9  # raw-capturing a container for capture()
_DONE: Final = 10
_FAILED: Final = 11  # an error was raised; every later call raises it again

_WS_CHARS: Final = " \t\n\r"
_WS: Final = re.compile(r"[ \t\n\r]*")
_STR_STOP: Final = re.compile(r'["\\\x00-\x1f]')
_SIMPLE_STR: Final = re.compile(r'"([^"\\\x00-\x1f]*)"')
_SIMPLE_KEY: Final = re.compile(r'"([^"\\\x00-\x1f]*)"[ \t\n\r]*:[ \t\n\r]*')
# only used to locate an error once the C string scanner refused a run
_STR_CHECK: Final = re.compile(r'(?:[^"\\\x00-\x1f]+|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*')
# lenient, so that "1.", "-" or "1e" at a chunk end are carried whole and "01" is reported
# as one bad number instead of "0" followed by garbage
_NUM_RUN: Final = re.compile(r"[-+.eE0-9]*")
_NUMBER: Final = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
# capture mode: skip everything but brackets, stepping over complete strings in one go
# (unrolled loops rather than alternations: several times faster in sre)
_CAP_RUN: Final = re.compile(r'[^"\[\]{}]*(?:"[^"\\]*(?:\\.[^"\\]*)*"[^"\[\]{}]*)*', re.DOTALL)
# probe mode limits: beyond them the C parser's failed tries could add up
_PROBE_MAX: Final = 2048
_PROBE_TRIES: Final = 4
_CAP_SPECIAL: Final = re.compile(r"[\\\[\]{}]")
# the rest of a string: stops at its closing quote, at the end, or before a cut-off backslash
_CAP_IN_STR: Final = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*', re.DOTALL)
_LITERALS: Final[dict[str, tuple[str, bool | None]]] = {
    "t": ("true", True),
    "f": ("false", False),
    "n": ("null", None),
}

# typeshed does not declare json.decoder.scanstring; at run time it is the C scanner
# (pure-Python fallback elsewhere), which validates and decodes a whole run per call
_scanstring: Final[Callable[[str, int], tuple[str, int]]] = getattr(_json_decoder, "scanstring")  # noqa: B009


class _ConstantRejected(ValueError):
    pass


def _reject_constant(name: str) -> NoReturn:
    # json.loads accepts NaN/Infinity; strict JSON (and the token path) does not
    raise _ConstantRejected(name)


_DECODER: Final = _json_decoder.JSONDecoder(parse_constant=_reject_constant)
_scan_once: Final[Callable[[str, int], tuple[Any, int]]] = getattr(_DECODER, "scan_once")  # noqa: B009


class JsonEventScanner:
    """Incremental, push-based scanner for exactly one JSON value.

    Feed text in chunks of any size; each :meth:`feed` returns the events completed by
    that chunk, in document order.  Call :meth:`finish` when the input ends: it completes
    a top-level number (``42`` cannot end before the input does) and raises
    :class:`~toki.helpers.jsonstream.errors.JsonStreamError` if the value is truncated.
    Malformed input raises the same error from :meth:`feed`, with the absolute position.

    Strictness follows ``json.loads`` except that ``NaN``, ``Infinity`` and ``-Infinity``
    are rejected (they are not JSON).  Lone ``\\uD800``-style surrogates are kept, as
    ``json.loads`` does; an escaped surrogate pair becomes one character even when the
    pair is split across chunks.

    Text after the value is not parsed: once :attr:`done`, :meth:`feed` returns no
    events and appends its text to :attr:`rest`.

    Pull drivers can set ``pause_on_container=True``: the scanner then stops right after
    each ``OBJ_START``/``ARR_START`` event (:attr:`paused`), keeping the unread rest of
    the chunk.  The driver either calls :meth:`resume` to continue with fine-grained
    events, or :meth:`capture` first to receive the whole container as a single
    ``VALUE`` event (parsed by the C ``json`` scanner, no per-token Python work).

    Args:
        pause_on_container: pause after every container start (see above).
        start_position: absolute position of the first character fed, for error
            messages when the text is a slice of a larger stream.
    """

    __slots__ = (
        "_base",
        "_cap_close",
        "_cap_depth",
        "_cap_esc",
        "_cap_instr",
        "_cap_len",
        "_cap_parts",
        "_cap_probe",
        "_cap_start",
        "_cap_tries",
        "_error",
        "_key_parts",
        "_num_parts",
        "_num_start",
        "_pause",
        "_paused",
        "_pos",
        "_rest",
        "_stack",
        "_state",
        "_tail",
        "_text",
    )

    def __init__(self, *, pause_on_container: bool = False, start_position: int = 0) -> None:
        self._pause = pause_on_container
        self._state = _VALUE
        self._stack: list[bool] = []  # True for an object, False for an array
        self._text = ""  # text being scanned; _text[0] is at absolute position _base
        self._pos = 0
        self._base = start_position
        self._tail = ""  # unfinished escape or literal, re-read in front of the next chunk
        self._paused = False
        self._rest = ""
        self._key_parts: list[str] = []
        self._num_parts: list[str] = []
        self._num_start = 0
        self._cap_parts: list[str] = []
        self._cap_probe = False
        self._cap_close = ""
        self._cap_len = 0
        self._cap_tries = 0
        self._cap_depth = 0
        self._cap_instr = False
        self._cap_esc = False
        self._cap_start = 0
        self._error: JsonStreamError | None = None

    # ------------------------------------------------------------------ public API
    @property
    def done(self) -> bool:
        """True once the top-level value is complete."""
        return self._state == _DONE

    @property
    def paused(self) -> bool:
        """True while paused after a container start (``pause_on_container=True`` only)."""
        return self._paused

    @property
    def depth(self) -> int:
        """Number of containers currently open (one being captured is not counted)."""
        return len(self._stack)

    @property
    def position(self) -> int:
        """Absolute position of the next character to scan.

        Once :attr:`done`, this is the position just after the value (where :attr:`rest`
        starts).  An incomplete escape or literal carried to the next chunk counts as
        not yet scanned.
        """
        return self._base + self._pos

    @property
    def rest(self) -> str:
        """Text received after the value ended (never parsed)."""
        return self._rest

    def feed(self, text: str) -> list[Event]:
        """Scan the next chunk of input and return the events it completes.

        Raises:
            JsonStreamError: the input is not valid JSON (raised again by every later
                call: the scanner cannot recover).
            RuntimeError: called while :attr:`paused`.
        """
        state = self._state
        try:
            if state == _CAPTURE and not self._paused:
                if not self._cap_probe:
                    return self._capture_exact(text)
                # Probe mode, inlined because it runs once per chunk: a small container is
                # only buffered, and handed to the C parser whenever a chunk carries its
                # closing character.  Too many failed tries, or too much text, switch to
                # exact bracket matching (_capture_exact), so the extra work stays bounded.
                n = len(text)
                parts = self._cap_parts
                parts.append(text)
                size = self._cap_len + n
                self._cap_len = size
                if self._cap_close not in text:
                    if size <= _PROBE_MAX:
                        self._base += n
                        return []
                    return self._probe_failed()
                raw = "".join(parts)
                try:
                    value, end = _scan_once(raw, 0)
                except (ValueError, StopIteration, RecursionError):
                    self._cap_tries += 1
                    if self._cap_tries < _PROBE_TRIES and size <= _PROBE_MAX:
                        self._cap_parts = [raw]
                        self._base += n
                        return []
                    return self._probe_failed()
                self._cap_parts = []
                self._base = self._cap_start  # raw[0] is the opening bracket
                return self._after_capture((_VALUE_EV, value), raw, end)
            if self._paused:
                raise RuntimeError("JsonEventScanner is paused after a container start: call resume() or capture()")
            if state >= _DONE:
                if self._error is not None:
                    raise self._error
                self._rest += text
                return []
            tail = self._tail
            if tail:
                text = tail + text
                self._tail = ""
            self._text = text
            self._pos = 0
            return self._run()
        except JsonStreamError as exc:
            # after an error the state is meaningless: every later call raises it again
            self._state = _FAILED
            self._error = exc
            raise

    def _capture_exact(self, text: str) -> list[Event]:
        """Exact capture: track brackets outside strings; strings are stepped over by regex."""
        n = len(text)
        if not n:
            return []
        pos = 0
        if self._cap_esc:
            pos = 1  # the character escaped by the previous chunk's last backslash
            self._cap_esc = False
        if _CAP_SPECIAL.search(text, pos) is None:
            # no bracket, no escape: only whether we end inside a string can change
            if text.count('"', pos) & 1:
                self._cap_instr = not self._cap_instr
            self._cap_parts.append(text)
            self._base += n
            return []
        if self._cap_instr:
            e = _CAP_IN_STR.match(text, pos).end()  # type: ignore[union-attr]  # always matches
            if e >= n or text[e] == "\\":
                self._cap_esc = e < n  # a backslash whose escaped character comes next
                self._cap_parts.append(text)
                self._base += n
                return []
            self._cap_instr = False
            pos = e + 1
        depth = self._cap_depth
        while True:
            e = _CAP_RUN.match(text, pos).end()  # type: ignore[union-attr]  # always matches
            if e == n:
                break
            c = text[e]
            if c == '"':
                # a string this chunk does not close
                e = _CAP_IN_STR.match(text, e + 1).end()  # type: ignore[union-attr]  # always matches
                self._cap_instr = True
                self._cap_esc = e < n
                break
            pos = e + 1
            if c == "{" or c == "[":
                depth += 1
                continue
            depth -= 1
            if depth:
                continue
            self._cap_parts.append(text[:pos])
            return self._after_capture(self._captured_event(), text, pos)
        self._cap_depth = depth
        self._cap_parts.append(text)
        self._base += n
        return []

    def _probe_failed(self) -> list[Event]:
        # re-read the buffered text once with exact bracket matching
        raw = "".join(self._cap_parts)
        self._cap_probe = False
        self._cap_parts = [raw[0]]
        self._base = self._cap_start + 1
        return self._capture_exact(raw[1:])

    def _after_capture(self, event: Event, text: str, pos: int) -> list[Event]:
        """Emit a captured container and scan on from ``text[pos]`` (``_base`` is ``text[0]``)."""
        if not self._stack:
            self._state = _DONE
            self._rest = text[pos:]
            self._base += pos
            return [event]
        self._state = _AFTER
        self._text = text
        self._pos = pos
        return self._run([event])

    def feed_in_string(self, text: str) -> str | None:
        """Fast path for long strings: consume ``text`` if it stays inside the current string.

        When the scanner is inside a string value and ``text`` does not close it, the
        chunk is consumed and its decoded content returned (possibly ``""`` when it only
        completes part of an escape sequence); this is exactly what :meth:`feed` would
        report as a ``STR_PIECE`` event, minus the list and tuple.  Otherwise nothing is
        consumed and ``None`` is returned: call :meth:`feed` with the same text.
        """
        if self._state != _STR:
            return None
        tail = self._tail
        if tail:
            text = tail + text
        if "\\" not in text:
            if '"' in text or not text.isprintable():
                return None  # closing quote, or maybe a control character: let feed() decide
            if tail:
                self._tail = ""
            self._base += len(text)
            return text
        n = len(text)
        if text[-1] != "\\" and "\\u" not in text:
            # the common case: no escape can be cut by the chunk end
            try:
                piece, end = _scanstring(text + '"', 0)
            except ValueError:
                return None  # feed() reports the error with its position
            if end <= n:
                return None  # the string closes here: feed() produces the events
            if tail:
                self._tail = ""
            self._base += n
            return piece
        # Same decoding as _body(), inlined: this runs once per chunk of a long string.
        # The text starts on an escape boundary (a cut escape always goes to the tail).
        cut = n
        k = text.rfind("\\", n - 5 if n > 5 else 0)
        if k >= 0 and (k == n - 1 or (text[k + 1] == "u" and n - k < 6)):
            # looks cut; it is an escape start only if the run of backslashes is odd
            i = k
            while i and text[i - 1] == "\\":
                i -= 1
            if not (k - i) & 1:
                cut = k
        try:
            piece, end = _scanstring((text[:cut] if cut < n else text) + '"', 0)
        except ValueError:
            return None  # feed() reports the error with its position
        if end <= cut:
            return None  # the string closes here: feed() produces the events
        if cut >= 6 and text[cut - 6] == "\\" and text[cut - 5] == "u" and "\ud800" <= piece[-1] <= "\udbff":
            cut -= 6
            piece = piece[:-1]
        self._tail = text[cut:] if cut < n else ""
        self._base += cut
        return piece

    def resume(self) -> list[Event]:
        """Continue after a pause with the rest of the held chunk; returns its events.

        May pause again at the next container start.  A no-op returning ``[]`` when not
        paused.
        """
        if not self._paused:
            return []
        self._paused = False
        if self._state == _CAPTURE:
            # hand the rest of the held chunk to feed()'s capture loop
            held = self._text[self._pos :]
            self._base += self._pos
            self._text = ""
            self._pos = 0
            return self.feed(held)
        return self._run()

    def capture(self) -> None:
        """Deliver the container that was just opened as one ``VALUE`` event.

        Only valid while :attr:`paused` (right after its ``OBJ_START``/``ARR_START``).
        Its text is then buffered and the C ``json`` parser builds the value; the scanner
        carries on after it.  No ``OBJ_END``/``ARR_END`` is emitted for it.  No Python
        work is done per token: while the container is small (up to 2048 characters and
        4 failed tries) a chunk holding the closing character triggers a parse attempt;
        beyond that, brackets outside strings are counted (strings are stepped over by
        regex) to find the end.  Either way a valid value is emitted with the chunk
        that closes it.  Malformed content is reported with the same message and
        position as in normal mode (the text is re-scanned in token mode to find them),
        possibly a few chunks later: once the probe gives up.  Call :meth:`resume` (or
        :meth:`feed` once the held chunk is used up) next.
        """
        if not self._paused or self._state not in (_OBJ_FIRST, _ARR_FIRST):
            raise RuntimeError("capture() is only valid right after a container start")
        is_obj = self._stack.pop()
        self._state = _CAPTURE
        self._cap_parts = ["{" if is_obj else "["]
        self._cap_probe = True
        self._cap_close = "}" if is_obj else "]"
        self._cap_len = 1
        self._cap_tries = 0
        self._cap_depth = 1
        self._cap_instr = False
        self._cap_esc = False
        self._cap_start = self._base + self._pos - 1

    def finish(self) -> list[Event]:
        """Signal the end of input; returns the events this completes (a top-level number).

        Raises:
            JsonStreamError: the value is incomplete (truncated input, or no value at all).
            RuntimeError: called while :attr:`paused`.
        """
        if self._paused:
            raise RuntimeError("JsonEventScanner is paused after a container start: call resume() first")
        state = self._state
        if state == _DONE:
            return []
        if self._error is not None:
            raise self._error
        end = self._base + self._pos
        stack = self._stack
        try:
            return self._finish(state, end, stack)
        except JsonStreamError as exc:
            self._state = _FAILED
            self._error = exc
            raise

    def _finish(self, state: int, end: int, stack: list[bool]) -> list[Event]:
        if state == _NUM:
            value = self._number("".join(self._num_parts), self._num_start)
            if not stack:
                self._state = _DONE
                return [(_VALUE_EV, value)]
            state = _AFTER  # the number is fine, the closing bracket is missing
        if state == _CAPTURE:
            self._revalidate("".join(self._cap_parts), self._cap_start, final=True)
            raise JsonStreamError("unterminated value", end)  # not reached: the re-scan raised
        tail = self._tail
        if tail:
            if tail[0] == "\\":
                raise JsonStreamError("unterminated string", end + len(tail))
            raise JsonStreamError("invalid literal", end, tail)
        if state == _AFTER:
            raise JsonStreamError("expected ',' or '}'" if stack[-1] else "expected ',' or ']'", end)
        raise JsonStreamError(_EXPECTED[state], end)

    # ------------------------------------------------------------------ scanning
    def _fail(self, reason: str, index: int, got: str | None) -> NoReturn:
        raise JsonStreamError(reason, self._base + index, got)

    def _run(self, events: list[Event] | None = None) -> list[Event]:
        text = self._text
        pos = self._pos
        n = len(text)
        if events is None:
            events = []
        emit = events.append
        stack = self._stack
        state = self._state
        try:
            while pos < n:
                if state == _STR:
                    piece, end = self._body(text, pos)
                    if piece:
                        emit((_STR_PIECE, piece))
                    if end < 0:
                        pos = n - len(self._tail)
                        break
                    emit(_EV_STR_END)
                    pos = end
                    state = _AFTER if stack else _DONE
                    if state == _DONE:
                        break
                    continue
                if state == _KEYSTR:
                    piece, end = self._body(text, pos)
                    if piece:
                        self._key_parts.append(piece)
                    if end < 0:
                        pos = n - len(self._tail)
                        break
                    key_parts = self._key_parts
                    emit((_KEY_EV, key_parts[0] if len(key_parts) == 1 else "".join(key_parts)))
                    key_parts.clear()
                    pos = end
                    state = _COLON
                    continue
                if state == _NUM:
                    e = _NUM_RUN.match(text, pos).end()  # type: ignore[union-attr]  # always matches
                    self._num_parts.append(text[pos:e])
                    if e == n:
                        pos = n
                        break
                    emit((_VALUE_EV, self._number("".join(self._num_parts), self._num_start)))
                    pos = e
                    state = _AFTER if stack else _DONE
                    if state == _DONE:
                        break
                    continue
                c = text[pos]
                if c in _WS_CHARS:
                    pos += 1  # mostly a single space: skip the regex for it
                    if pos < n and text[pos] in _WS_CHARS:
                        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]  # always matches
                    if pos == n:
                        break
                    c = text[pos]

                if state == _AFTER:
                    if c == ",":
                        pos += 1
                        state = _KEY if stack[-1] else _VALUE
                    elif c == ("}" if stack[-1] else "]"):
                        pos += 1
                        emit(_EV_OBJ_END if stack.pop() else _EV_ARR_END)
                        if not stack:
                            state = _DONE
                            break
                    else:
                        self._fail("expected ',' or '}'" if stack[-1] else "expected ',' or ']'", pos, c)
                elif state == _COLON:
                    if c != ":":
                        self._fail("expected ':'", pos, c)
                    pos += 1
                    state = _VALUE
                elif state in (_KEY, _OBJ_FIRST):
                    if c == '"':
                        m = _SIMPLE_KEY.match(text, pos)
                        if m is not None:
                            # the usual short key, its colon and spaces in one step
                            emit((_KEY_EV, m.group(1)))
                            pos = m.end()
                            state = _VALUE
                        else:
                            pos += 1
                            state = _KEYSTR
                    elif c == "}" and state == _OBJ_FIRST:
                        pos += 1
                        stack.pop()
                        emit(_EV_OBJ_END)
                        state = _AFTER if stack else _DONE
                        if state == _DONE:
                            break
                    else:
                        self._fail("expected a string key" if state == _KEY else "expected a string key or '}'", pos, c)
                # state is _VALUE or _ARR_FIRST: a value starts here
                elif c == '"':
                    emit(_EV_STR_START)
                    m = _SIMPLE_STR.match(text, pos)
                    if m is None:
                        pos += 1
                        state = _STR
                    else:
                        # a short string without escapes that ends in this chunk
                        piece = m.group(1)
                        if piece:
                            emit((_STR_PIECE, piece))
                        emit(_EV_STR_END)
                        pos = m.end()
                        state = _AFTER if stack else _DONE
                        if state == _DONE:
                            break
                elif c == "{" or c == "[":
                    pos += 1
                    is_obj = c == "{"
                    stack.append(is_obj)
                    if is_obj:
                        emit(_EV_OBJ_START)
                        state = _OBJ_FIRST
                    else:
                        emit(_EV_ARR_START)
                        state = _ARR_FIRST
                    if self._pause:
                        self._paused = True
                        break
                elif c in "-0123456789":
                    e = _NUM_RUN.match(text, pos).end()  # type: ignore[union-attr]  # always matches
                    if e == n:
                        # the number may continue in the next chunk
                        self._num_parts = [text[pos:]]
                        self._num_start = self._base + pos
                        pos = n
                        state = _NUM
                        break
                    emit((_VALUE_EV, self._number(text[pos:e], self._base + pos)))
                    pos = e
                    state = _AFTER if stack else _DONE
                    if state == _DONE:
                        break
                elif c in "tfn":
                    word, value = _LITERALS[c]
                    if text.startswith(word, pos):
                        emit((_VALUE_EV, value))
                        pos += len(word)
                        state = _AFTER if stack else _DONE
                        if state == _DONE:
                            break
                    elif n - pos < len(word) and word.startswith(text[pos:]):
                        self._tail = text[pos:]
                        pos = n - len(self._tail)
                        break
                    else:
                        # report up to the first wrong character: the same for any chunking
                        i = 0
                        while pos + i < n and text[pos + i] == word[i]:
                            i += 1
                        self._fail("invalid literal", pos, text[pos : pos + i + 1])
                elif c == "]" and state == _ARR_FIRST:
                    pos += 1
                    stack.pop()
                    emit(_EV_ARR_END)
                    state = _AFTER if stack else _DONE
                    if state == _DONE:
                        break
                else:
                    self._fail(
                        "expected a JSON value or ']'" if state == _ARR_FIRST else "expected a JSON value", pos, c
                    )
        except JsonStreamError as exc:
            self._error = exc
            state = _FAILED
            raise
        finally:
            self._state = state
        if self._paused:
            self._pos = pos
        else:
            if state == _DONE:
                self._rest = text[pos:]
            # the tail (if any) is text[pos:], counted as not yet scanned
            self._base += pos
            self._pos = 0
            self._text = ""
        return events

    def _body(self, text: str, pos: int) -> tuple[str, int]:
        """Decode string content starting at ``pos``.

        Returns ``(piece, end)``: ``end`` is the index after the closing quote, or -1
        when the string continues past ``text``; an escape sequence cut by the chunk end
        (or a high surrogate escape that may pair with the next chunk) becomes the tail.
        """
        m = _STR_STOP.search(text, pos)
        if m is None:
            return text[pos:], -1
        j = m.start()
        c = text[j]
        if c == '"':
            return text[pos:j], j + 1
        if c != "\\":
            self._fail("invalid control character in string", j, c)
        n = len(text)
        cut = n
        # an escape cut by the chunk end starts in the last 5 characters; a backslash
        # there starts an escape only if the run of backslashes ending at it is odd
        k = text.rfind("\\", max(j, n - 5))
        if k >= 0 and (k == n - 1 or (text[k + 1] == "u" and n - k < 6)):
            i = k
            while i > j and text[i - 1] == "\\":
                i -= 1
            if not (k - i) & 1:
                cut = k
        try:
            piece, end = _scanstring(text[pos:cut] + '"', 0)
        except ValueError:
            self._string_error(text[pos:cut], pos)
        end += pos
        if end <= cut:
            return piece, end  # closed before the quote we appended
        if cut - pos >= 6 and text[cut - 6] == "\\" and text[cut - 5] == "u" and "\ud800" <= piece[-1] <= "\udbff":
            # a high surrogate escape at the end may pair with a low one in the next chunk
            cut -= 6
            piece = piece[:-1]
        if cut < n:
            self._tail = text[cut:]
        return piece, -1

    def _string_error(self, run: str, pos: int) -> NoReturn:
        e = _STR_CHECK.match(run).end()  # type: ignore[union-attr]  # always matches
        if e < len(run):
            c = run[e]
            if c == "\\":
                self._fail("invalid escape", pos + e, run[e : e + 6] if run[e + 1 : e + 2] == "u" else run[e : e + 2])
            if c != '"':
                self._fail("invalid control character in string", pos + e, c)
        self._fail("invalid string", pos, run[:20])

    def _number(self, token: str, start: int) -> int | float:
        m = _NUMBER.fullmatch(token)
        if m is None:
            raise JsonStreamError("invalid number", start, token)
        try:
            # as json.loads: a fraction or an exponent makes a float
            return float(token) if m.lastindex else int(token)
        except ValueError as exc:  # int() digit limit
            raise JsonStreamError(f"number cannot be converted ({exc})", start, token[:20]) from None

    # ------------------------------------------------------------------ capture mode
    def _captured_event(self) -> Event:
        raw = "".join(self._cap_parts)
        self._cap_parts = []
        return (_VALUE_EV, self._parse_captured(raw, self._cap_start))

    def _parse_captured(self, raw: str, start: int) -> Any:
        try:
            value, end = _scan_once(raw, 0)
        except (ValueError, StopIteration, RecursionError):
            pass
        else:
            if end == len(raw):
                return value

        return self._revalidate(raw, start, final=False)

    @staticmethod
    def _revalidate(raw: str, start: int, *, final: bool) -> Any:
        # Rare path: re-scan the captured text in token mode, for the same error message
        # and position as without capture.  If it is valid after all (nesting too deep
        # for the C parser's recursion limit), build the value iteratively instead.
        checker = JsonEventScanner(start_position=start)
        events = checker.feed(raw)
        if final or not checker.done:
            events += checker.finish()
        return _build_value(events)


_EXPECTED: Final[dict[int, str]] = {
    _VALUE: "expected a JSON value",
    _ARR_FIRST: "expected a JSON value or ']'",
    _OBJ_FIRST: "expected a string key or '}'",
    _KEY: "expected a string key",
    _COLON: "expected ':'",
    _STR: "unterminated string",
    _KEYSTR: "unterminated string",
}


def _build_value(events: list[Event]) -> Any:
    """Assemble the value described by a complete event list, without recursion."""
    containers: list[dict[str, Any] | list[Any]] = []
    key = ""
    parts: list[str] = []
    result: Any = None
    for kind, payload in events:
        if kind is _STR_PIECE:
            parts.append(payload)
            continue
        if kind is _KEY_EV:
            key = payload
            continue
        if kind is _STR_START:
            parts = []
            continue
        if kind is _OBJ_END or kind is _ARR_END:
            containers.pop()
            continue
        value: Any
        if kind is _OBJ_START:
            value = {}
        elif kind is _ARR_START:
            value = []
        elif kind is _STR_END:
            value = "".join(parts)
        else:
            value = payload
        if containers:
            parent = containers[-1]
            if isinstance(parent, dict):
                parent[key] = value
            else:
                parent.append(value)
        else:
            result = value
        if kind is _OBJ_START or kind is _ARR_START:
            containers.append(value)
    return result

"""Split a tool call's streamed JSON arguments into per-argument pieces as they arrive.

The arguments of a tool call are one JSON object delivered in arbitrary fragments. This
push parser reads the fragments once, left to right, and reports each top-level member to
an :class:`ArgumentSink`: string values as *decoded* text pieces, every other value as its
raw JSON text. Work is per fragment, not per character: runs of plain text and complete
escapes are matched by one regular expression, and only an incomplete escape (at most a
dozen characters) is carried from one fragment to the next.

Validation here is structural (enough to find where members start and end); the complete
text is validated by ``json.loads`` once the object closes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from json import decoder as _json_decoder
from typing import Protocol

__all__ = ["ArgumentSink", "ArgumentSplitter", "ArgumentSyntaxError"]

# The C string scanner behind json.loads; untyped in the standard library's stubs.
_scanstring: Callable[[str, int, bool], tuple[str, int]] = _json_decoder.scanstring  # pyright: ignore[reportUnknownMemberType, reportAttributeAccessIssue, reportUnknownVariableType]

# A maximal run of string content with only complete escapes.
_STRING_RUN = re.compile(r'(?:[^"\\]+|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*')
# Prefixes of a valid escape that may be completed by the next fragment.
_PARTIAL_ESCAPE = re.compile(r"\\(?:u[0-9a-fA-F]{0,3})?\Z")
_HIGH_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}\Z")
# Inside a raw (non-string) value: the next character that changes nesting or ends the value.
_RAW_SPECIAL = re.compile(r'[{}\[\]",]')
# Skips the inside of a string nested in a raw value, stopping at the closing quote.
_NESTED_STRING = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*', re.DOTALL)
_WHITESPACE = re.compile(r"[ \t\n\r]*")

_BEFORE_OBJECT, _EXPECT_KEY, _EXPECT_KEY_AFTER_COMMA, _IN_KEY, _EXPECT_COLON = range(5)
_EXPECT_VALUE, _IN_STRING, _IN_RAW, _AFTER_VALUE, _CLOSED = range(5, 10)


class ArgumentSyntaxError(ValueError):
    """The argument text is not a JSON object; ``position`` is the offending character's offset."""

    def __init__(self, reason: str, position: int) -> None:
        super().__init__(f"{reason} at position {position}")
        self.reason = reason
        self.position = position


class ArgumentSink(Protocol):
    """Receives the members of the arguments object as the splitter finds them."""

    def arg_start(self, name: str, is_string: bool) -> None:
        """A member ``name`` starts; its value is a string (decoded pieces follow) or raw JSON text."""
        ...

    def arg_piece(self, text: str) -> None:
        """More of the current member's value."""
        ...

    def arg_end(self) -> None:
        """The current member's value is complete."""
        ...


def _decode(segment: str) -> str:
    # Control characters are tolerated (strict=False): models routinely put raw newlines in
    # string arguments, and rejecting them would throw away an otherwise usable call.
    # scanstring is the C core of json.loads, without building a decoder per call.
    if "\\" not in segment:
        return segment
    return _scanstring(segment + '"', 0, False)[0]


def _escape_is_real(buffer: str, backslash: int) -> bool:
    # A backslash starts an escape only if it is not itself escaped (odd run length).
    start = backslash
    while start > 0 and buffer[start - 1] == "\\":
        start -= 1
    return (backslash - start) % 2 == 0


class ArgumentSplitter:
    """Push parser for one tool call's arguments object.

    ``feed`` each fragment as it arrives; ``closed`` turns true when the object's closing brace
    has been read. ``text`` is everything fed so far (for the final ``json.loads``).
    """

    __slots__ = ("_carry", "_depth", "_key", "_nested_escape", "_offset", "_parts", "_sink", "_state", "closed")

    def __init__(self, sink: ArgumentSink) -> None:
        self._sink = sink
        self._state = _BEFORE_OBJECT
        self._carry = ""
        self._key: list[str] = []
        self._depth = 0
        self._nested_escape: bool | None = None  # None: not inside a nested string
        self._offset = 0  # characters consumed before the current buffer
        self._parts: list[str] = []
        self.closed = False

    @property
    def text(self) -> str:
        """All argument text received so far."""
        if len(self._parts) > 1:
            self._parts = ["".join(self._parts)]
        return self._parts[0] if self._parts else ""

    @property
    def started(self) -> bool:
        """Whether any non-whitespace argument text has arrived."""
        return self._state != _BEFORE_OBJECT

    def feed(self, fragment: str) -> None:
        """Consume one fragment, reporting complete or partial members to the sink."""
        if not fragment:
            return
        if self._state == _IN_STRING and not self._carry and '"' not in fragment and fragment.rfind("\\", -6) < 0:
            # Fast path for the middle of a long string value: no quote means the string goes on,
            # and with no backslash among the last six characters (the longest escape) every
            # escape in the fragment is complete. An invalid one takes the slow path, which says so.
            try:
                piece = _decode(fragment)
            except ValueError:
                pass
            else:
                self._parts.append(fragment)
                self._offset += len(fragment)
                self._sink.arg_piece(piece)
                return
        self._parts.append(fragment)
        buffer = self._carry + fragment if self._carry else fragment
        base = self._offset - len(self._carry)
        self._carry = ""
        self._offset += len(fragment)
        pos = 0
        end = len(buffer)
        sink = self._sink
        while pos < end:
            state = self._state
            if state == _IN_STRING:
                match = _STRING_RUN.match(buffer, pos)
                stop = match.end()  # type: ignore[union-attr]  # the pattern always matches
                if stop < end and buffer[stop] == '"':
                    if stop > pos:
                        sink.arg_piece(_decode(buffer[pos:stop]))
                    sink.arg_end()
                    self._state = _AFTER_VALUE
                    pos = stop + 1
                    continue
                hold = stop
                # A backslash that does not start a complete escape must be the start of one.
                if stop < end and not _PARTIAL_ESCAPE.match(buffer, stop):
                    raise ArgumentSyntaxError("invalid escape in string", base + stop)
                if (
                    stop - pos >= 6
                    and _HIGH_SURROGATE_ESCAPE.search(buffer, pos, stop)
                    and _escape_is_real(buffer, stop - 6)
                ):
                    # Keep a high-surrogate escape back: its low half may be in the next fragment.
                    hold = stop - 6
                if hold > pos:
                    sink.arg_piece(_decode(buffer[pos:hold]))
                self._carry = buffer[hold:]
                return
            if state == _IN_RAW:
                pos = self._scan_raw(buffer, pos, end, base)
                continue
            if state == _IN_KEY:
                # Handled before the whitespace skip below: spaces are part of a key (a key
                # like " a", or "a b" split at the space, used to lose them).
                match = _STRING_RUN.match(buffer, pos)
                stop = match.end()  # type: ignore[union-attr]
                if stop < end and buffer[stop] == '"':
                    self._key.append(buffer[pos:stop])
                    self._key = [_decode("".join(self._key))]
                    self._state = _EXPECT_COLON
                    pos = stop + 1
                    continue
                # As in string values, a backslash that does not start a complete escape must be
                # an incomplete one at the very end (a length check let e.g. '{"\\x":1}' through,
                # which then surfaced as a truncated call instead of invalid arguments).
                if stop < end and not _PARTIAL_ESCAPE.match(buffer, stop):
                    raise ArgumentSyntaxError("invalid escape in key", base + stop)
                self._key.append(buffer[pos:stop])
                self._carry = buffer[stop:]
                return
            match = _WHITESPACE.match(buffer, pos)
            pos = match.end()  # type: ignore[union-attr]
            if pos >= end:
                return
            char = buffer[pos]
            if state == _EXPECT_VALUE:
                name = "".join(self._key)
                if char == '"':
                    sink.arg_start(name, True)
                    self._state = _IN_STRING
                    pos += 1
                else:
                    if char in "]},:":
                        raise ArgumentSyntaxError(f"expected a value, got {char!r}", base + pos)
                    sink.arg_start(name, False)
                    self._state = _IN_RAW
                    self._depth = 0
            elif state == _AFTER_VALUE:
                if char == ",":
                    self._state = _EXPECT_KEY_AFTER_COMMA
                elif char == "}":
                    self._close(buffer, pos + 1, base)
                    return
                else:
                    raise ArgumentSyntaxError(f"expected ',' or '}}' after a value, got {char!r}", base + pos)
                pos += 1
            elif state in (_EXPECT_KEY, _EXPECT_KEY_AFTER_COMMA):
                if char == '"':
                    self._key = []
                    self._state = _IN_KEY
                elif char == "}" and state == _EXPECT_KEY:
                    self._close(buffer, pos + 1, base)
                    return
                else:
                    raise ArgumentSyntaxError(f"expected a property name in double quotes, got {char!r}", base + pos)
                pos += 1
            elif state == _EXPECT_COLON:
                if char != ":":
                    raise ArgumentSyntaxError(f"expected ':' after a property name, got {char!r}", base + pos)
                self._state = _EXPECT_VALUE
                pos += 1
            elif state == _BEFORE_OBJECT:
                if char != "{":
                    raise ArgumentSyntaxError(f"tool arguments must be a JSON object, got {char!r}", base + pos)
                self._state = _EXPECT_KEY
                pos += 1
            else:  # _CLOSED
                raise ArgumentSyntaxError(f"unexpected {char!r} after the arguments object", base + pos)

    def _scan_raw(self, buffer: str, pos: int, end: int, base: int) -> int:
        """Advance through a non-string value; returns the new position."""
        start = pos
        sink = self._sink
        while pos < end:
            if self._nested_escape is not None:
                # Inside a string nested in an array/object value.
                if self._nested_escape:
                    pos += 1
                    self._nested_escape = False
                    continue
                match = _NESTED_STRING.match(buffer, pos)
                pos = match.end()  # type: ignore[union-attr]
                if pos >= end:
                    break
                if buffer[pos] == '"':
                    self._nested_escape = None
                    pos += 1
                else:  # a trailing backslash: its escaped character is in the next fragment
                    self._nested_escape = True
                    pos += 1
                continue
            match = _RAW_SPECIAL.search(buffer, pos)
            if match is None:
                pos = end
                break
            pos = match.start()
            char = buffer[pos]
            if char == '"':
                self._nested_escape = False
                pos += 1
            elif char in "{[":
                self._depth += 1
                pos += 1
            elif self._depth > 0 and char in "}]":
                self._depth -= 1
                pos += 1
            elif self._depth > 0:  # a comma inside a container
                pos += 1
            elif char in ",}":
                if pos > start:
                    sink.arg_piece(buffer[start:pos].rstrip())
                sink.arg_end()
                self._state = _AFTER_VALUE
                return pos
            else:
                raise ArgumentSyntaxError(f"unexpected {char!r} in a value", base + pos)
        if pos > start:
            sink.arg_piece(buffer[start:pos])
        return end

    def _close(self, buffer: str, pos: int, base: int) -> None:
        self._state = _CLOSED
        self.closed = True
        rest = buffer[pos:]
        if rest.strip():
            offset = len(rest) - len(rest.lstrip())
            raise ArgumentSyntaxError(
                f"unexpected {rest.lstrip()[0]!r} after the arguments object", base + pos + offset
            )

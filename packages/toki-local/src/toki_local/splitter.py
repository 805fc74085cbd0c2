"""Split a local model's generated text into answer, thinking and tool-call events.

Chat models served through transformers have no structured streaming protocol: reasoning
arrives inline as ``<think>...</think>`` and tool calls as Hermes/Qwen-style envelopes::

    <tool_call>
    {"name": "get_weather", "arguments": {"city": "Paris"}}
    </tool_call>

:class:`OutputSplitter` is a push parser (``feed(text) -> events``, ``finish()``) over the decoded
text pieces. It works per piece, not per character: tags are found with ``str.find`` from an
offset, JSON structure with one regular expression per step, and only a possible partial tag (a
few characters) is carried from one piece to the next, so the total work is linear in the text.

Rules (the ones a caller can observe):

* Thinking is recognised only at the very start of the output (leading whitespace ignored), or
  from the start when the rendered prompt already opened ``<think>`` (``thinking_open=True``).
  A ``<think>`` later in the answer is ordinary text. Unclosed thinking at the end stays thinking.
* Whitespace is layout around tags: leading whitespace of the output, of the thinking and of
  the text after ``</think>``/``</tool_call>`` is dropped, as is whitespace right before
  ``</think>`` and ``<tool_call>``. Other whitespace is kept.
* A ``<tool_call>`` whose first non-blank character is not ``{`` is ordinary text. Otherwise the
  envelope is parsed as a JSON object: ``name`` is reported once known, and the value of
  ``arguments`` (or ``parameters``) is streamed verbatim as argument fragments while it is being
  generated. A string-encoded arguments value is decoded and reported in one fragment.
  ``</tool_call>`` inside a JSON string is just text. A missing ``</tool_call>`` after a complete
  envelope is tolerated (so is a missing final ``}``).
* A malformed envelope raises :class:`~toki.errors.TokiResponseError`; an envelope still open
  when the output ends (its arguments incomplete) raises
  :class:`~toki.errors.TokiToolCallTruncatedError`: a cut-off call is never reported as complete.
"""

from __future__ import annotations

import json
import re
from typing import NoReturn

from toki.errors import TokiResponseError, TokiToolCallTruncatedError
from toki.raw_events import RawChunk, _RawContentChunk, _RawThoughtChunk, _RawToolCallChunk

__all__ = ["OutputSplitter"]

_THINK_OPEN = "<think>"
_THINK_CLOSE = "</think>"
_CALL_OPEN = "<tool_call>"
_CALL_CLOSE = "</tool_call>"
_ARGUMENT_KEYS = frozenset({"arguments", "parameters"})

_NON_SPACE = re.compile(r"\S")
# Outside strings, the next character that changes nesting or opens a string.
_STRUCTURAL = re.compile(r'[{}\[\]"]')
# Inside a string, the next character that may end it.
_STRING_SPECIAL = re.compile(r'["\\]')
# A bare scalar (number, true, false, null) ends at the first delimiter.
_SCALAR_END = re.compile(r"[\s,}\]]")

# Top-level states.
_START, _THINK, _CONTENT, _CALL = range(4)
# Envelope states, inside _CALL.
_E_OPEN, _E_KEY_OR_END, _E_KEY, _E_COLON, _E_VALUE_START, _E_VALUE, _E_COMMA_OR_END, _E_CLOSE = range(8)


class _ValueScanner:
    """Finds where one JSON value ends, fed in pieces; it tracks nesting and strings, nothing else."""

    __slots__ = ("depth", "escape", "in_string", "scalar")

    def __init__(self, first: str) -> None:
        self.depth = 1 if first in "{[" else 0
        self.in_string = first == '"'
        self.scalar = first not in '{["'
        self.escape = False

    def scan(self, data: str, pos: int) -> int | None:
        """Consume ``data[pos:]``; return the offset just past the value's end, or ``None`` if it continues."""
        end = len(data)
        if self.scalar:
            match = _SCALAR_END.search(data, pos)
            return None if match is None else match.start()
        while pos < end:
            if self.escape:
                self.escape = False
                pos += 1
                continue
            if self.in_string:
                match = _STRING_SPECIAL.search(data, pos)
                if match is None:
                    return None
                pos = match.end()
                if match.group() == "\\":
                    self.escape = True
                    continue
                self.in_string = False
                if self.depth == 0:
                    return pos
                continue
            match = _STRUCTURAL.search(data, pos)
            if match is None:
                return None
            pos = match.end()
            char = match.group()
            if char == '"':
                self.in_string = True
            elif char in "{[":
                self.depth += 1
            else:
                self.depth -= 1
                if self.depth == 0:
                    return pos
        return None


def _partial_tag(data: str, pos: int, tag: str) -> int:
    """Length of the longest suffix of ``data[pos:]`` that is a proper prefix of ``tag`` (a tag split across pieces)."""
    start = max(pos, len(data) - len(tag) + 1)
    index = data.find("<", start)
    while index != -1:
        if tag.startswith(data[index:]):
            return len(data) - index
        index = data.find("<", index + 1)
    return 0


class OutputSplitter:
    """Push parser turning generated text into ``_RawContentChunk``/``_RawThoughtChunk``/``_RawToolCallChunk``.

    Args:
        thinking_open: the prompt already opened ``<think>``, so the output starts inside the
            thinking and only the closing tag will appear.

    Attributes:
        tool_calls: how many tool-call envelopes have been opened so far.
    """

    def __init__(self, *, thinking_open: bool = False) -> None:
        self._state = _THINK if thinking_open else _START
        self._held = ""  # a possible partial tag carried to the next piece
        self._skip_space = True  # drop leading whitespace of what comes next
        self._space: list[str] = []  # trailing whitespace held until we know it is not layout
        self._events: list[RawChunk] = []
        self.tool_calls = 0
        self._reset_envelope()

    def _reset_envelope(self) -> None:
        self._env = _E_OPEN
        self._env_prefix = ""  # the whitespace after <tool_call>, to restore it if this is not an envelope
        self._scanner: _ValueScanner | None = None
        self._key_parts: list[str] = []
        self._key = ""
        self._value_parts: list[str] = []
        self._streaming_arguments = False
        self._name: str | None = None
        self._name_sent = False
        self._arguments_started = False
        self._arguments_done = False
        self._argument_parts: list[str] = []

    # ------------------------------------------------------------------ public API

    def feed(self, text: str) -> list[RawChunk]:
        """Process the next piece of generated text; return the events it completes."""
        data = self._held + text if self._held else text
        self._held = ""
        pos = 0
        end = len(data)
        while pos < end:
            state = self._state
            if state == _CONTENT:
                pos = self._content(data, pos)
            elif state == _THINK:
                pos = self._think(data, pos)
            elif state == _CALL:
                pos = self._call(data, pos)
            else:
                pos = self._start(data, pos)
        return self._take()

    def finish(self, *, token_limit: bool = False) -> list[RawChunk]:
        """The output has ended: flush held text; raise if a tool call was left open.

        ``token_limit`` says the output was cut by the token limit (it only changes the error message).
        """
        held, self._held = self._held, ""
        state = self._state
        if state == _CALL:
            self._finish_call(held, token_limit)
        elif held:
            if state == _THINK:
                self._text(_RawThoughtChunk, held)
            else:
                self._text(_RawContentChunk, held)
        if self._state != _THINK and self._space:
            self._events.append(_RawContentChunk("".join(self._space)))
        self._space.clear()
        return self._take()

    # ------------------------------------------------------------------ text states

    def _take(self) -> list[RawChunk]:
        events = self._events
        self._events = []
        return events

    def _text(self, kind: type[_RawContentChunk] | type[_RawThoughtChunk], text: str) -> None:
        """Emit text, dropping layout whitespace: leading (when asked) and trailing (held until more text comes)."""
        if self._skip_space:
            text = text.lstrip()
            if not text:
                return
            self._skip_space = False
        body = text.rstrip()
        if body:
            if self._space:
                self._events.append(kind("".join(self._space) + body))
                self._space.clear()
            else:
                self._events.append(kind(body))
        if len(body) < len(text):
            self._space.append(text[len(body) :])

    def _layout_break(self) -> None:
        """A tag was reached: held trailing whitespace was layout, and so is leading whitespace after it."""
        self._space.clear()
        self._skip_space = True

    def _start(self, data: str, pos: int) -> int:
        match = _NON_SPACE.search(data, pos)
        if match is None:
            return len(data)
        pos = match.start()
        if data.startswith(_THINK_OPEN, pos):
            self._state = _THINK
            return pos + len(_THINK_OPEN)
        if _THINK_OPEN.startswith(data[pos : pos + len(_THINK_OPEN)]):
            self._held = data[pos:]  # could still become <think>
            return len(data)
        self._state = _CONTENT
        return pos

    def _think(self, data: str, pos: int) -> int:
        index = data.find(_THINK_CLOSE, pos)
        if index != -1:
            if index > pos:
                self._text(_RawThoughtChunk, data[pos:index])
            self._layout_break()
            self._state = _CONTENT
            return index + len(_THINK_CLOSE)
        held = _partial_tag(data, pos, _THINK_CLOSE)
        cut = len(data) - held
        if cut > pos:
            self._text(_RawThoughtChunk, data[pos:cut])
        self._held = data[cut:]
        return len(data)

    def _content(self, data: str, pos: int) -> int:
        index = data.find(_CALL_OPEN, pos)
        if index != -1:
            if index > pos:
                self._text(_RawContentChunk, data[pos:index])
            self._state = _CALL
            self._reset_envelope()
            return index + len(_CALL_OPEN)
        held = _partial_tag(data, pos, _CALL_OPEN)
        cut = len(data) - held
        if cut > pos:
            self._text(_RawContentChunk, data[pos:cut])
        self._held = data[cut:]
        return len(data)

    # ------------------------------------------------------------------ tool-call envelopes

    def _call(self, data: str, pos: int) -> int:
        env = self._env
        if env in (_E_VALUE, _E_KEY):
            return self._scan_value(data, pos)
        match = _NON_SPACE.search(data, pos)
        if match is None:
            if env == _E_OPEN:
                self._env_prefix += data[pos:]
            return len(data)
        at = match.start()
        char = data[at]
        if env == _E_OPEN:
            if char != "{":
                # Not an envelope: the tag was ordinary text.
                self._state = _CONTENT
                self._text(_RawContentChunk, _CALL_OPEN + self._env_prefix + data[pos:at])
                return at
            self._begin_call()
            self._env = _E_KEY_OR_END
            return at + 1
        if env == _E_KEY_OR_END:
            if char == '"':
                self._scanner = _ValueScanner('"')
                self._key_parts = ['"']
                self._env = _E_KEY
                return at + 1
            if char == "}":
                self._env = _E_CLOSE
                return at + 1
            self._malformed("expected a member name", data, at)
        if env == _E_COLON:
            if char != ":":
                self._malformed("expected ':'", data, at)
            self._env = _E_VALUE_START
            return at + 1
        if env == _E_VALUE_START:
            scanner = self._scanner = _ValueScanner(char)
            self._value_parts = []
            self._streaming_arguments = self._key in _ARGUMENT_KEYS and char != '"'
            self._env = _E_VALUE
            if self._streaming_arguments:
                self._arguments_started = True
            if scanner.scalar:
                return at  # a scalar has no opening character: the scanner looks for its end
            if self._streaming_arguments:
                self._arguments(char)
            else:
                self._value_parts.append(char)
            return at + 1
        if env == _E_COMMA_OR_END:
            if char == ",":
                self._env = _E_KEY_OR_END
                return at + 1
            if char == "}":
                self._env = _E_CLOSE
                return at + 1
            if char != "<":  # "<": the closing tag without the envelope's final brace, tolerated
                self._malformed("expected ',' or '}'", data, at)
            self._env = _E_CLOSE
            return at
        # _E_CLOSE
        if data.startswith(_CALL_CLOSE, at):
            self._end_call()
            return at + len(_CALL_CLOSE)
        if _CALL_CLOSE.startswith(data[at : at + len(_CALL_CLOSE)]):
            self._held = data[at:]
            return len(data)
        self._malformed(f"expected {_CALL_CLOSE}", data, at)

    def _scan_value(self, data: str, pos: int) -> int:
        scanner = self._scanner
        assert scanner is not None
        end = scanner.scan(data, pos)
        stop = len(data) if end is None else end
        piece = data[pos:stop]
        if self._env == _E_KEY:
            self._key_parts.append(piece)
            if end is not None:
                self._key = self._decode("".join(self._key_parts), data, pos)
                self._env = _E_COLON
            return stop
        if self._streaming_arguments:
            if piece:
                self._arguments(piece)
        else:
            self._value_parts.append(piece)
        if end is not None:
            self._end_value(data, pos)
            self._env = _E_COMMA_OR_END
        return stop

    def _end_value(self, data: str, pos: int) -> None:
        key = self._key
        if self._streaming_arguments:
            self._arguments_done = True
            return
        value = self._decode("".join(self._value_parts), data, pos)
        if key in _ARGUMENT_KEYS:
            # String-encoded arguments ("arguments": "{\"city\": ...}"): decoded, sent whole.
            self._arguments_started = True
            self._arguments(str(value))
            self._arguments_done = True
        elif key == "name":
            if not isinstance(value, str) or not value:
                self._malformed("the tool name is not a non-empty string", data, pos)
            self._name = value
            self._send_name()

    def _decode(self, text: str, data: str, pos: int) -> object:
        try:
            return json.loads(text)
        except ValueError:
            self._malformed(f"invalid JSON {text[:80]!r}", data, pos)

    def _begin_call(self) -> None:
        self.tool_calls += 1
        self._layout_break()

    def _send_name(self) -> None:
        if not self._name_sent:
            self._name_sent = True
            self._events.append(_RawToolCallChunk(index=self.tool_calls - 1, name=self._name))

    def _arguments(self, fragment: str) -> None:
        self._argument_parts.append(fragment)
        self._events.append(_RawToolCallChunk(index=self.tool_calls - 1, arguments_fragment=fragment))

    def _end_call(self) -> None:
        if self._name is None:
            self._malformed("the envelope has no tool name", "".join(self._argument_parts), 0)
        if not self._arguments_started:
            self._arguments("{}")  # a call without arguments takes none
        self._state = _CONTENT
        self._layout_break()
        self._reset_envelope()

    def _finish_call(self, held: str, token_limit: bool) -> None:
        env = self._env
        if env == _E_OPEN:
            # "<tool_call>" and whitespace at the very end: nothing announced a call yet.
            self._state = _CONTENT
            self._text(_RawContentChunk, _CALL_OPEN + self._env_prefix + held)
            return
        if env in (_E_COMMA_OR_END, _E_CLOSE) and (self._arguments_done or not self._arguments_started):
            self._end_call()
            return
        why = "the token limit was reached" if token_limit else "generation ended"
        raise TokiToolCallTruncatedError(
            f"tool call {self._name!r} is incomplete: {why} inside its <tool_call> envelope; it must not be executed",
            tool_name=self._name,
            tool_call_id="",
            partial_arguments="".join(self._argument_parts),
            provider="local",
        )

    def _malformed(self, why: str, data: str, at: int) -> NoReturn:
        raise TokiResponseError(
            f"the model produced a malformed <tool_call> envelope ({why}) near {data[max(0, at - 40) : at + 40]!r}",
            provider="local",
        )

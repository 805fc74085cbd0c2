"""``trash_skipper``: cut the first JSON value of the wanted types out of surrounding text."""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable, Iterator
from typing import Any, Final, TypeAlias

from .errors import JsonStreamError
from .scanner import JsonEventScanner

__all__ = ["LookFor", "trash_skipper"]

LookFor: TypeAlias = type[Any] | None | Iterable[type[Any] | None]
"""One of ``dict, list, str, int, float, bool, None`` (``type(None)`` works too), or a
collection of them."""

_NoneType: Final = type(None)
# regex character-class pieces for what can start a value of each type
_START_CHARS: Final[dict[type[Any], str]] = {
    dict: r"\{",
    list: r"\[",
    str: '"',
    int: r"\-0-9",
    float: r"\-0-9",
    bool: "tf",
    _NoneType: "n",
}
_NUM_RUN: Final = re.compile(r"[-+.eE0-9]*")
_NUMBER: Final = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_LITERALS: Final[dict[str, tuple[str, type[Any]]]] = {
    "t": ("true", bool),
    "f": ("false", bool),
    "n": ("null", _NoneType),
}
_NEED_MORE: Final = -2
_REJECT: Final = -1


def trash_skipper(
    chunks: Iterable[str],
    look_for: LookFor = (dict, list),
    *,
    commit_after: int | None = 256,
) -> Iterator[str]:
    """Yield the text of the first valid JSON value of the wanted types, and nothing else.

    Walks ``chunks`` (e.g. an LLM reply that wraps JSON in prose or a markdown fence)
    looking for a character that can start a value of one of the ``look_for`` types,
    checks the candidate with :class:`JsonEventScanner`, and yields exactly the value's
    text, in chunks; leading and trailing noise are dropped and no chunk after the value
    is pulled.  Feed the result to :func:`~toki.helpers.jsonstream.streaming_parse_json`.

    ``look_for`` defaults to ``(dict, list)``.  Types follow ``json.loads``: ``int`` is
    a number without fraction or exponent,
    ``float`` one with (pass ``(int, float)`` for any number), ``bool`` is
    ``true``/``false``, ``None`` is ``null``.  Bare numbers and literals must stand
    alone: ``true`` in ``truthfully`` or ``untrue``, ``2`` in ``v2`` or ``1.2.3`` are not
    values.  A ``{`` (or ``[``, ``"``) that does not start a valid value is skipped and
    the search resumes at the next character.

    A candidate object, array or string is held back until it is complete, or until
    ``commit_after`` characters of it have been validated: then it is committed and
    streamed as it arrives (bounded buffering for long values).  If a committed
    candidate turns out invalid later, :class:`JsonStreamError` is raised (its text was
    already yielded, so the search cannot resume).  ``commit_after=None`` holds every
    candidate until it is complete: never raises for bad candidates, but buffers the
    whole value.

    Raises:
        JsonStreamError: while iterating: no value of the wanted types in the input
            (position = the input's length), or a committed candidate turned out
            malformed (position of the error).
        TypeError: at call time, ``look_for`` names something that is not a JSON type.
        ValueError: at call time, ``look_for`` is empty or ``commit_after`` < 1.
    """
    kinds = _normalize(look_for)
    if commit_after is not None and commit_after < 1:
        raise ValueError("commit_after must be positive or None")
    # checked eagerly above; the generator does the work
    return _skip(iter(chunks), kinds, commit_after)


def _normalize(look_for: LookFor) -> frozenset[type[Any]]:
    wanted: Iterable[type[Any] | None]
    wanted = (look_for,) if look_for is None or isinstance(look_for, type) else look_for
    kinds: set[type[Any]] = set()
    for kind in wanted:
        kind = _NoneType if kind is None else kind
        if kind not in _START_CHARS:
            raise TypeError(f"look_for: {kind!r} is not one of dict, list, str, int, float, bool, None")
        kinds.add(kind)
    if not kinds:
        raise ValueError("look_for is empty")
    return frozenset(kinds)


def _names(kinds: frozenset[type[Any]]) -> str:
    names = sorted("None" if kind is _NoneType else kind.__name__ for kind in kinds)
    return ", ".join(names)


def _glued(char: str) -> bool:
    """True if a number or literal right after ``char`` would be part of a larger word."""
    return char != "" and (char.isalnum() or char in "_.+-")


def _skip(src: Iterator[str], kinds: frozenset[type[Any]], commit_after: int | None) -> Iterator[str]:
    starts = re.compile("[" + "".join(sorted({_START_CHARS[kind] for kind in kinds})) + "]")
    buf = ""  # text not yet ruled out; buf[0] is at absolute position `base`
    base = 0
    prev = ""  # the character before buf[0], for word-boundary checks
    i = 0  # where to search next in buf
    exhausted = False
    while True:
        m = starts.search(buf, i)
        if m is None:
            if buf:
                prev = buf[-1]
                base += len(buf)
                buf = ""
            i = 0
            chunk = None if exhausted else next(src, None)
            if chunk is None:
                raise JsonStreamError(f"no JSON value of type {_names(kinds)} found", base)
            buf = chunk
            continue
        start = m.start()
        if start:
            prev = buf[start - 1]
            base += start
            buf = buf[start:]
        first = buf[0]
        if first in '{["':
            outcome = yield from _structured(buf, base, src, commit_after)
            if outcome is None:
                return
            buf, exhausted = outcome
            prev = first
            base += 1
            i = 0
            continue
        if _glued(prev):
            i = 1
            continue
        while True:
            end = _primitive(buf, kinds, exhausted)
            if end != _NEED_MORE:
                break
            chunk = next(src, None)
            if chunk is None:
                exhausted = True
            else:
                buf += chunk
        if end >= 0:
            yield buf[:end]
            return
        i = 1


def _primitive(buf: str, kinds: frozenset[type[Any]], exhausted: bool) -> int:
    """Check a number or literal at ``buf[0]``: its length, ``_REJECT`` or ``_NEED_MORE``."""
    first = buf[0]
    literal = _LITERALS.get(first)
    if literal is not None:
        word, kind = literal
        if len(buf) <= len(word) and not exhausted and word.startswith(buf):
            return _NEED_MORE  # need the word and the character after it
        if kind not in kinds or not buf.startswith(word):
            return _REJECT
        if len(buf) > len(word) and (buf[len(word)].isalnum() or buf[len(word)] == "_"):
            return _REJECT
        return len(word)
    run_end = _NUM_RUN.match(buf).end()  # type: ignore[union-attr]  # always matches
    if run_end == len(buf) and not exhausted:
        return _NEED_MORE  # the number may go on, or be glued to what follows
    m = _NUMBER.match(buf)
    if m is None:
        return _REJECT
    end = m.end()
    if end < len(buf):
        after = buf[end]
        if after.isalnum() or after == "_":
            return _REJECT
        if after in ".+-" and end + 1 < len(buf) and buf[end + 1].isdigit():
            return _REJECT  # 1.2.3, 1-2
    kind = float if m.lastindex else int
    return end if kind in kinds else _REJECT


def _structured(
    first: str, base: int, src: Iterator[str], commit_after: int | None
) -> Generator[str, None, tuple[str, bool] | None]:
    """Validate an object/array/string candidate starting at ``first[0]`` (position ``base``).

    Yields its text and returns ``None`` if valid; otherwise returns the text after its
    first character (to search again) and whether the source ran out.
    """
    scanner = JsonEventScanner(start_position=base)
    held: list[str] = [first]  # the candidate's text while it is not committed
    held_len = len(first)
    committed = False
    chunk = first
    chunk_start = base
    exhausted = False
    try:
        while True:
            scanner.feed(chunk)
            if scanner.done:
                break
            if committed:
                yield chunk
            elif commit_after is not None and held_len >= commit_after:
                committed = True
                yield "".join(held)
                held = []
            nxt = next(src, None)
            if nxt is None:
                exhausted = True
                scanner.finish()  # an object, array or string cannot end here: raises
                break
            chunk_start += len(chunk)
            chunk = nxt
            if not committed:
                held.append(chunk)
                held_len += len(chunk)
    except JsonStreamError:
        if committed:
            raise
        return "".join(held)[1:], exhausted
    end = scanner.position
    if committed:
        yield chunk[: end - chunk_start]
    else:
        yield "".join(held)[: end - base]
    return None

"""Pull API over :class:`~toki.helpers.jsonstream.scanner.JsonEventScanner`.

:func:`streaming_parse_json` wraps an iterable of text chunks; the stream objects it
returns pull chunks from it on demand and feed them to one shared scanner.  Every stream
is a lazily filled buffer with a read cursor:

* iterating yields what has not been yielded yet, pulling more input as needed; breaking
  out and iterating again continues where it stopped;
* when a parent advances past an unfinished child, it drains the child first: the
  child's remaining content is buffered and a later iteration of the child still yields
  it;
* ``.value`` drains everything (including the part already yielded) and returns the
  plain Python value; the stream is then locked: iterating it raises
  :class:`~toki.helpers.jsonstream.errors.JsonStreamLockedError`.

Reading ``.value`` of an object or array that has not been iterated at all (or letting
a parent drain it) hands the whole container to the C ``json`` parser (see
:meth:`JsonEventScanner.capture`): no Python work per token, only per chunk.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any, Final, Generic, TypeAlias, TypeVar

from .errors import JsonStreamLockedError
from .scanner import Event, EventKind, JsonEventScanner

__all__ = [
    "JsonArrStream",
    "JsonDictStream",
    "JsonItem",
    "JsonPrimitive",
    "JsonStrStream",
    "JsonStream",
    "JsonValue",
    "streaming_parse_json",
]

JsonPrimitive: TypeAlias = int | float | bool | None
"""A JSON number, ``true``/``false`` or ``null`` as Python sees it."""

JsonValue: TypeAlias = JsonPrimitive | str | list["JsonValue"] | dict[str, "JsonValue"]
"""Any fully parsed JSON value (what ``json.loads`` returns)."""

_OBJ_START: Final = EventKind.OBJ_START
_OBJ_END: Final = EventKind.OBJ_END
_ARR_START: Final = EventKind.ARR_START
_ARR_END: Final = EventKind.ARR_END
_KEY: Final = EventKind.KEY
_STR_START: Final = EventKind.STR_START
_STR_PIECE: Final = EventKind.STR_PIECE
_STR_END: Final = EventKind.STR_END
_VALUE: Final = EventKind.VALUE

_T = TypeVar("_T")


class _Driver:
    """The shared state of one parse: the chunk source, the scanner and pending events."""

    __slots__ = ("queue", "scanner", "src")

    def __init__(self, chunks: Iterable[str]) -> None:
        self.src: Iterator[str] = iter(chunks)
        self.scanner = JsonEventScanner(pause_on_container=True)
        self.queue: deque[Event] = deque()

    def next_event(self) -> Event:
        queue = self.queue
        if queue:
            return queue.popleft()
        scanner = self.scanner
        if scanner.paused:
            events = scanner.resume()
            if events:
                return self._deliver(events)
        feed = scanner.feed
        for chunk in self.src:
            # feed() only returns no events when it is not paused: just keep feeding
            events = feed(chunk)
            if events:
                return self._deliver(events)
        events = scanner.finish()  # raises if the value is incomplete
        if not events:
            raise RuntimeError("jsonstream: read past the end of the value")
        return self._deliver(events)

    def _deliver(self, events: list[Event]) -> Event:
        if len(events) == 1:
            return events[0]
        queue = self.queue
        queue.extend(events)
        return queue.popleft()


def _unexpected(kind: EventKind, where: str) -> RuntimeError:
    return RuntimeError(f"jsonstream: unexpected {kind.name} event in {where}")


def _open(kind: EventKind, payload: Any, drv: _Driver) -> JsonItem:
    """The item for the value whose first event is ``(kind, payload)``."""
    if kind is _VALUE:
        return payload  # type: ignore[no-any-return]  # a primitive
    if kind is _STR_START:
        return JsonStrStream(drv)
    if kind is _OBJ_START:
        return JsonDictStream(drv)
    if kind is _ARR_START:
        return JsonArrStream(drv)
    raise _unexpected(kind, "value position")


def _wrap(value: JsonValue) -> JsonItem:
    """A finished stream replaying ``value`` (for containers parsed in one go)."""
    if isinstance(value, str):
        return JsonStrStream(None, value)
    if isinstance(value, list):
        return JsonArrStream(None, value)
    if isinstance(value, dict):
        return JsonDictStream(None, value)
    return value


def _collect(item: JsonItem) -> JsonValue:
    return item._collect() if isinstance(item, JsonStream) else item  # pyright: ignore[reportPrivateUsage]


class JsonStream(Generic[_T]):
    """Common base of :class:`JsonStrStream`, :class:`JsonArrStream` and :class:`JsonDictStream`."""

    __slots__ = ("_cursor", "_done", "_drv", "_locked", "_result")

    def __init__(self, drv: _Driver | None, result: _T | None = None) -> None:
        self._drv = drv
        self._done = drv is None  # without a driver the stream is born finished
        self._locked = False
        self._cursor = 0  # how many buffered pieces/items have been yielded
        self._result: _T | None = result

    @property
    def done(self) -> bool:
        """True once this stream has reached the end of its value.

        Everything in it has then been read from the input and is either yielded or
        buffered (for replay and ``.value``); no more input will be pulled for it.
        """
        return self._done

    @property
    def value(self) -> _T:
        """The fully parsed value, reading the rest of it from the input if needed.

        Includes what was already yielded by iteration.  Afterwards the stream is locked:
        iterating it raises :class:`~toki.helpers.jsonstream.errors.JsonStreamLockedError`.
        """
        result = self._collect()
        if not self._locked:
            self._locked = True
            self._release()
        return result

    def _collect(self) -> _T:
        raise NotImplementedError

    def _drain(self) -> None:
        raise NotImplementedError

    def _release(self) -> None:
        """Drop buffers only needed for replay (called once locked)."""

    def _locked_error(self) -> JsonStreamLockedError:
        name = type(self).__name__
        return JsonStreamLockedError(f"{name}.value was read: the stream is locked against further iteration")

    def _finished(self) -> None:
        self._done = True
        self._drv = None  # let the source be collected once the root is done


class JsonStrStream(JsonStream[str]):
    """A JSON string being received.

    Iterating yields the decoded text in pieces as chunks arrive: about one piece per
    input chunk (a chunk ending inside an escape sequence holds those few characters
    back), never one per character, never empty.  ``.value`` is the whole string.
    """

    __slots__ = ("_parts",)

    def __init__(self, drv: _Driver | None, result: str | None = None) -> None:
        super().__init__(drv, result)
        self._parts: list[str] = [] if result is None else [result]

    def __iter__(self) -> Iterator[str]:
        if self._locked:
            raise self._locked_error()
        return self._iterate()

    def __repr__(self) -> str:
        text = self._result if self._result is not None else "".join(self._parts)
        return f"JsonStrStream({text!r})" if self._done else f"JsonStrStream(<partial {text!r}>)"

    def _iterate(self) -> Iterator[str]:
        parts = self._parts
        while True:
            if not self._done:
                # while live, every buffered piece has been yielded by some iteration
                self._cursor = len(parts)
            while self._cursor < len(parts):
                if self._locked:
                    raise self._locked_error()
                i = self._cursor
                self._cursor = i + 1
                yield parts[i]
            if self._done:
                if self._locked:
                    raise self._locked_error()
                return
            drv = self._drv
            assert drv is not None
            queue = drv.queue
            src = drv.src
            scanner = drv.scanner
            fast = scanner.feed_in_string
            # hot loop: one chunk in, one piece out, without building events; the
            # cursor is implicit (== len(parts)) until the string ends or is drained
            if not queue:
                for chunk in src:
                    piece = fast(chunk)
                    if piece is None:
                        queue.extend(scanner.feed(chunk))
                        break
                    if piece:
                        parts.append(piece)
                        yield piece
                        if self._done:
                            break  # drained while we were suspended
            # queued events, or the source ran out (next_event() then raises)
            while not self._done:
                piece = self._next_piece(drv)
                if piece is None:
                    self._cursor = len(parts)  # we read the end: all was yielded
                    break
                parts.append(piece)
                yield piece
                if not queue:
                    break  # back to the hot loop

    def _next_piece(self, drv: _Driver) -> str | None:
        kind, payload = drv.next_event()
        if kind is _STR_PIECE:
            return payload  # type: ignore[no-any-return]
        if kind is _STR_END:
            self._finished()
            return None
        raise _unexpected(kind, "a string")

    def _drain(self) -> None:
        parts = self._parts
        if not self._done:
            self._cursor = len(parts)  # what follows was not yielded: keep it for replay
        while not self._done:
            drv = self._drv
            assert drv is not None
            queue = drv.queue
            scanner = drv.scanner
            if not queue:
                chunk = next(drv.src, None)
                if chunk is not None:
                    piece = scanner.feed_in_string(chunk)
                    if piece is None:
                        queue.extend(scanner.feed(chunk))
                    elif piece:
                        parts.append(piece)
                    continue
            piece = self._next_piece(drv)
            if piece:
                parts.append(piece)

    def _collect(self) -> str:
        result = self._result
        if result is None:
            self._drain()
            result = self._result = "".join(self._parts)
        return result

    def _release(self) -> None:
        self._parts = []


class _ContainerStream(JsonStream[_T]):
    """Shared machinery of arrays and objects: items, the open child, capture."""

    __slots__ = ("_captured", "_child", "_fresh", "_items")

    def __init__(self, drv: _Driver | None, result: _T | None = None) -> None:
        super().__init__(drv, result)
        self._child: JsonStream[Any] | None = None
        # no event pulled since creation: the scanner is paused right after our opening
        # bracket, so .value / a parent's drain can capture() the whole container
        self._fresh = drv is not None
        # parsed in one go: _items are only built if someone iterates afterwards
        self._captured = result is not None
        self._items: list[Any] = []

    def _advance(self) -> None:
        """Read the next item into ``_items`` (or finish)."""
        raise NotImplementedError

    def _materialize(self) -> None:
        """Fill ``_items`` from a value parsed in one go, for replay."""
        raise NotImplementedError

    def _iterate(self) -> Iterator[Any]:
        items = self._items
        while True:
            while self._cursor < len(items):
                if self._locked:
                    raise self._locked_error()
                i = self._cursor
                self._cursor = i + 1
                yield items[i]
            if self._done:
                if self._locked:
                    raise self._locked_error()
                if self._captured:
                    self._captured = False
                    self._materialize()
                    items = self._items
                    continue
                return
            self._advance()

    def _drain_child(self) -> None:
        child = self._child
        if child is not None:
            self._child = None
            if not child._done:  # pyright: ignore[reportPrivateUsage]
                child._drain()  # pyright: ignore[reportPrivateUsage]
        self._fresh = False

    def _drain(self) -> None:
        if self._done:
            return
        if self._fresh:
            drv = self._drv
            assert drv is not None
            drv.scanner.capture()
            kind, payload = drv.next_event()
            if kind is not _VALUE:
                raise _unexpected(kind, "a captured container")
            self._result = payload
            self._fresh = False
            self._captured = True
            self._finished()
            return
        while not self._done:
            self._advance()

    def _release(self) -> None:
        self._items = []
        self._child = None


class JsonArrStream(_ContainerStream[list[JsonValue]]):
    """A JSON array being received.

    Iterating yields each element as soon as it starts: primitives as Python values,
    strings/arrays/objects as :class:`JsonStrStream`/:class:`JsonArrStream`/
    :class:`JsonDictStream`.  ``.value`` is the whole list.
    """

    __slots__ = ()

    def __iter__(self) -> Iterator[JsonItem]:
        if self._locked:
            raise self._locked_error()
        return self._iterate()

    def __repr__(self) -> str:
        if self._result is not None:
            return f"JsonArrStream({self._result!r})"
        return f"JsonArrStream(<{'done' if self._done else 'streaming'}, {len(self._items)} items read>)"

    def _advance(self) -> None:
        self._drain_child()
        drv = self._drv
        assert drv is not None
        kind, payload = drv.next_event()
        if kind is _VALUE:
            self._items.append(payload)
        elif kind is _ARR_END:
            self._finished()
        else:
            item = _open(kind, payload, drv)
            self._child = item  # type: ignore[assignment]  # a stream: _VALUE was handled above
            self._items.append(item)

    def _materialize(self) -> None:
        assert self._result is not None
        self._items = [_wrap(v) for v in self._result]

    def _collect(self) -> list[JsonValue]:
        result = self._result
        if result is None:
            self._drain()
            result = self._result
            if result is None:
                result = self._result = [_collect(item) for item in self._items]
        return result


class JsonDictStream(_ContainerStream[dict[str, JsonValue]]):
    """A JSON object being received.

    :meth:`items` yields ``(key, item)`` for each member as soon as its value starts
    (the item as in :class:`JsonArrStream`), including repeated keys.  Iterating the
    stream itself yields just the keys, like a ``dict``; the values are still read and
    kept for ``.value``.  ``.value`` is the whole ``dict`` (for repeated keys the last
    one wins, as with ``json.loads``).
    """

    __slots__ = ()

    def items(self) -> Iterator[tuple[str, JsonItem]]:
        """Yield ``(key, item)`` pairs as members arrive."""
        if self._locked:
            raise self._locked_error()
        return self._iterate()

    def __iter__(self) -> Iterator[str]:
        if self._locked:
            raise self._locked_error()
        return (key for key, _ in self._iterate())

    def __repr__(self) -> str:
        if self._result is not None:
            return f"JsonDictStream({self._result!r})"
        return f"JsonDictStream(<{'done' if self._done else 'streaming'}, {len(self._items)} members read>)"

    def _advance(self) -> None:
        self._drain_child()
        drv = self._drv
        assert drv is not None
        kind, payload = drv.next_event()
        if kind is _OBJ_END:
            self._finished()
            return
        if kind is not _KEY:
            raise _unexpected(kind, "an object")
        key: str = payload
        kind, payload = drv.next_event()
        item = _open(kind, payload, drv)
        if kind is not _VALUE:
            self._child = item  # type: ignore[assignment]  # a stream
        self._items.append((key, item))

    def _materialize(self) -> None:
        assert self._result is not None
        self._items = [(k, _wrap(v)) for k, v in self._result.items()]

    def _collect(self) -> dict[str, JsonValue]:
        result = self._result
        if result is None:
            self._drain()
            result = self._result
            if result is None:
                result = self._result = {key: _collect(item) for key, item in self._items}
        return result


JsonItem: TypeAlias = JsonPrimitive | JsonStrStream | JsonArrStream | JsonDictStream
"""What the pull API hands out: primitives directly, strings and containers as streams."""


def streaming_parse_json(chunks: Iterable[str]) -> JsonItem:
    """Start parsing one JSON value from an iterable of text chunks.

    Pulls chunks until the first character of the value (leading whitespace is
    skipped).  Returns an ``int``/``float``/``bool``/``None`` directly (a top-level
    number needs the next character or the end of input), or a :class:`JsonStrStream`,
    :class:`JsonArrStream` or :class:`JsonDictStream` that pulls further chunks on demand.

    Exactly one value is read: once it is complete no further chunk is pulled, and text
    after it in the last chunk is ignored (use :func:`~toki.helpers.jsonstream.trash_skipper`
    to cut a value out of surrounding text).  Strict JSON: ``NaN``/``Infinity`` are
    rejected; numbers, escapes and lone surrogates otherwise behave as in ``json.loads``.

    Raises:
        JsonStreamError: malformed or truncated input; raised by whichever call reads
            the offending chunk (this function, an iteration step or ``.value``).
    """
    drv = _Driver(chunks)
    kind, payload = drv.next_event()
    return _open(kind, payload, drv)

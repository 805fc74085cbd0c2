"""Streaming JSON for LLM output: a pull-based parser over a push-based scanner.

``streaming_parse_json(chunks)`` returns primitives directly and strings, arrays and
objects as stream objects that yield their content while it arrives
(:class:`JsonStrStream`, :class:`JsonArrStream`, :class:`JsonDictStream`).
``trash_skipper(chunks, look_for=...)`` cuts the first JSON value of the wanted types out
of surrounding prose or markdown.  :class:`JsonEventScanner` is the sans-I/O core
(``feed(text) -> events``, ``finish()``) both are built on.  Standard library only.

Behaviour in brief (details in each docstring):

* Values match ``json.loads`` (int vs float, ``-0``, big ints, lone surrogates, last
  duplicate key wins in ``.value``), except that ``NaN``/``Infinity`` are rejected.
* Malformed or truncated input raises :class:`JsonStreamError` (a ``ValueError``) naming
  the reason and the character position in the whole stream.
* Exactly one value is read: no chunk is pulled after it, and text after it in the last
  chunk is ignored.
* Streams are lazily filled buffers: iteration resumes where it stopped, parents drain
  unfinished children (which can still be iterated later), ``.value`` returns
  everything (including what was yielded) and then locks the stream against iteration
  (:class:`JsonStreamLockedError`).  Iterating a :class:`JsonDictStream` yields its keys;
  ``.items()`` yields ``(key, item)`` pairs.
"""

from .errors import JsonStreamError, JsonStreamLockedError
from .scanner import Event, EventKind, JsonEventScanner
from .streams import (
    JsonArrStream,
    JsonDictStream,
    JsonItem,
    JsonPrimitive,
    JsonStream,
    JsonStrStream,
    JsonValue,
    streaming_parse_json,
)
from .trash import LookFor, trash_skipper

__all__ = [
    "Event",
    "EventKind",
    "JsonArrStream",
    "JsonDictStream",
    "JsonEventScanner",
    "JsonItem",
    "JsonPrimitive",
    "JsonStrStream",
    "JsonStream",
    "JsonStreamError",
    "JsonStreamLockedError",
    "JsonValue",
    "LookFor",
    "streaming_parse_json",
    "trash_skipper",
]

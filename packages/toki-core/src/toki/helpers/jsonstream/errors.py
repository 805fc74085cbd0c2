"""Exceptions raised by :mod:`toki.helpers.jsonstream`."""

from __future__ import annotations

__all__ = ["JsonStreamError", "JsonStreamLockedError"]


class JsonStreamError(ValueError):
    """Malformed or truncated JSON.

    The message names the reason, the 0-based character position in the concatenated
    input and what was found there, e.g. ``expected ',' or '}' at position 17, got 'x'``
    or ``unterminated string at position 12, got end of input``.

    Attributes:
        reason: what went wrong, without the position.
        position: 0-based character offset in the whole stream (all chunks concatenated).
        got: the offending text, or ``None`` when the input ended.
    """

    reason: str
    position: int
    got: str | None

    def __init__(self, reason: str, position: int, got: str | None = None) -> None:
        self.reason = reason
        self.position = position
        self.got = got
        found = "end of input" if got is None else repr(got)
        super().__init__(f"{reason} at position {position}, got {found}")

    def __reduce__(self) -> tuple[type[JsonStreamError], tuple[str, int, str | None]]:
        # the default reduce would call cls(message) and lose the fields
        return (type(self), (self.reason, self.position, self.got))


class JsonStreamLockedError(RuntimeError):
    """A stream was iterated after its ``.value`` was read.

    Reading ``.value`` drains the stream and hands ownership of the data to the caller;
    iterating afterwards would be ambiguous (replay? nothing?), so it is refused.
    """

"""Streaming tool calls: read each argument of a tool call while the model is still writing it.

The sync classes (:class:`TokiToolCallStream`, :class:`TokiArgStream`) and their async
siblings share the engine's buffers (:class:`~toki.engine.CallState`); they differ only in how
they ask for more input: a sync ``advance()`` that pulls the next raw event, or an awaited one.
Everything received is buffered, so arguments can be claimed in any order and replayed.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

from toki.engine import ArgBuffer, CallState
from toki.errors import TokiMissingArgumentError, TokiToolArgumentsError, TokiToolStreamError

__all__ = ["AsyncTokiArgStream", "AsyncTokiToolCallStream", "TokiArgStream", "TokiToolCallStream"]


def _decode_value(call: CallState, buffer: ArgBuffer) -> Any:
    text = "".join(buffer.pieces)
    if buffer.is_string:
        return text
    try:
        return json.loads(text, strict=False)
    except ValueError as exc:
        # Report bad JSON as toki's own error (json's JSONDecodeError used to escape from .value).
        raise TokiToolArgumentsError(
            f"argument {buffer.name!r} of tool call {call.name!r} is not valid JSON: {exc}",
            tool_name=call.name,
            raw_arguments=call.splitter.text,
        ) from exc


def _missing(call: CallState, name: str) -> TokiMissingArgumentError:
    produced = ", ".join(repr(arg.name) for arg in call.args_in_order) or "none"
    return TokiMissingArgumentError(
        f"tool call {call.name!r} has no argument {name!r} (the model produced: {produced})"
    )


class _CallView:
    """What the sync and async tool-call streams share: identity, claims and bookkeeping."""

    __slots__ = ("_call", "_claimed", "_mode")

    def __init__(self, call: CallState) -> None:
        self._call = call
        self._mode: str | None = None  # "expect_arg" or "items" once chosen
        # Names claimed with expect_arg, including arguments the model has not started yet
        # (ArgBuffer.claimed alone let an early claim be made twice).
        self._claimed: set[str] = set()

    @property
    def id(self) -> str:
        """The tool call's id (pass it to ``Agent.add_tool_message``)."""
        return self._call.id or ""

    @property
    def name(self) -> str:
        """The called tool's name."""
        return self._call.name or ""

    @property
    def done(self) -> bool:
        """Whether the whole call has been received."""
        return self._call.finished or self._call.splitter.closed

    def _choose(self, mode: str) -> None:
        if self._mode is None:
            self._mode = mode
        elif self._mode != mode or mode == "items":
            raise TokiToolStreamError(
                "expect_arg() and items() are mutually exclusive and items() can be used once per tool call"
                if self._mode != mode
                else "items() can only be iterated once per tool call"
            )

    def _claim(self, name: str) -> None:
        self._choose("expect_arg")
        buffer = self._call.args.get(name)
        if name in self._claimed or (buffer is not None and buffer.claimed):
            raise TokiToolStreamError(f"argument {name!r} of tool call {self.name!r} was already claimed")
        if buffer is not None:
            buffer.claimed = True
        elif self._call.finished and self._call.error is None:
            raise _missing(self._call, name)
        self._claimed.add(name)

    def _raise_if_failed(self) -> None:
        if self._call.error is not None:
            raise self._call.error

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, name={self.name!r}, done={self.done})"


class TokiArgStream:
    """One argument of a streaming tool call.

    Iterating yields decoded text for a string argument, raw JSON text for any other value.
    ``value`` reads the rest and returns the parsed value.
    """

    __slots__ = ("_advance", "_call", "_name", "_position")

    def __init__(self, call: CallState, name: str, advance: Callable[[], bool]) -> None:
        self._call = call
        self._name = name
        self._advance = advance
        self._position = 0

    @property
    def name(self) -> str:
        """The argument's name."""
        return self._name

    def _buffer(self) -> ArgBuffer:
        call = self._call
        while True:
            buffer = call.args.get(self._name)
            if buffer is not None:
                buffer.claimed = True
                return buffer
            if call.finished or call.splitter.closed:
                if call.error is not None:
                    raise call.error
                raise _missing(call, self._name)
            if not self._advance():
                if call.error is not None:
                    raise call.error
                raise _missing(call, self._name)

    def __iter__(self) -> Iterator[str]:
        buffer = self._buffer()
        pieces = buffer.pieces
        advance = self._advance
        while True:
            position = self._position
            while position < len(pieces):
                position += 1
                self._position = position
                yield pieces[position - 1]
            if buffer.done:
                if self._call.error is not None:
                    raise self._call.error
                return
            if not advance() and not buffer.done:
                raise self._call.error or TokiToolStreamError("the stream ended inside an argument")

    @property
    def value(self) -> Any:
        """The argument's complete value (reads whatever has not been read yet)."""
        for _ in self:
            pass
        return _decode_value(self._call, self._buffer())


class TokiToolCallStream(_CallView):
    """A call to a :class:`~toki.types.StreamingToolSchema` tool whose arguments are still arriving."""

    __slots__ = ("_advance",)

    def __init__(self, call: CallState, advance: Callable[[], bool]) -> None:
        super().__init__(call)
        self._advance = advance

    def expect_arg(self, name: str) -> TokiArgStream:
        """Claim the argument ``name``: a stream of its value, in any order, replayed if already complete.

        Raises :class:`~toki.errors.TokiMissingArgumentError` (now, or when read) if the model
        never produces it, and :class:`~toki.errors.TokiToolStreamError` if it was claimed before.
        """
        self._claim(name)
        return TokiArgStream(self._call, name, self._advance)

    def items(self) -> Iterator[tuple[str, TokiArgStream]]:
        """Yield ``(name, stream)`` for each argument in the order the model writes them."""
        self._choose("items")
        call = self._call
        index = 0
        while True:
            while index < len(call.args_in_order):
                buffer = call.args_in_order[index]
                index += 1
                buffer.claimed = True
                yield buffer.name, TokiArgStream(call, buffer.name, self._advance)
            if call.finished or call.splitter.closed:
                self._raise_if_failed()
                return
            if not self._advance() and index >= len(call.args_in_order):
                self._raise_if_failed()
                return

    @property
    def arguments(self) -> dict[str, Any]:
        """The complete arguments dict (reads the rest of the call first)."""
        call = self._call
        while not (call.finished or call.splitter.closed) and self._advance():
            pass
        self._raise_if_failed()
        return self._call.parsed_arguments(None)


class AsyncTokiArgStream:
    """The async sibling of :class:`TokiArgStream`: ``async for`` the pieces, ``await value()``."""

    __slots__ = ("_advance", "_call", "_name", "_position")

    def __init__(self, call: CallState, name: str, advance: Callable[[], Awaitable[bool]]) -> None:
        self._call = call
        self._name = name
        self._advance = advance
        self._position = 0

    @property
    def name(self) -> str:
        """The argument's name."""
        return self._name

    async def _buffer(self) -> ArgBuffer:
        call = self._call
        while True:
            buffer = call.args.get(self._name)
            if buffer is not None:
                buffer.claimed = True
                return buffer
            if call.finished or call.splitter.closed or not await self._advance():
                if call.error is not None:
                    raise call.error
                if call.args.get(self._name) is None:
                    raise _missing(call, self._name)

    async def __aiter__(self) -> AsyncIterator[str]:
        buffer = await self._buffer()
        pieces = buffer.pieces
        while True:
            while self._position < len(pieces):
                self._position += 1
                yield pieces[self._position - 1]
            if buffer.done:
                if self._call.error is not None:
                    raise self._call.error
                return
            if not await self._advance() and not buffer.done:
                raise self._call.error or TokiToolStreamError("the stream ended inside an argument")

    async def value(self) -> Any:
        """The argument's complete value (reads whatever has not been read yet)."""
        async for _ in self:
            pass
        return _decode_value(self._call, await self._buffer())


class AsyncTokiToolCallStream(_CallView):
    """The async sibling of :class:`TokiToolCallStream`."""

    __slots__ = ("_advance",)

    def __init__(self, call: CallState, advance: Callable[[], Awaitable[bool]]) -> None:
        super().__init__(call)
        self._advance = advance

    def expect_arg(self, name: str) -> AsyncTokiArgStream:
        """Claim the argument ``name``; see :meth:`TokiToolCallStream.expect_arg`."""
        self._claim(name)
        return AsyncTokiArgStream(self._call, name, self._advance)

    async def items(self) -> AsyncIterator[tuple[str, AsyncTokiArgStream]]:
        """Yield ``(name, stream)`` for each argument in the order the model writes them."""
        self._choose("items")
        call = self._call
        index = 0
        while True:
            while index < len(call.args_in_order):
                buffer = call.args_in_order[index]
                index += 1
                buffer.claimed = True
                yield buffer.name, AsyncTokiArgStream(call, buffer.name, self._advance)
            if call.finished or call.splitter.closed:
                self._raise_if_failed()
                return
            if not await self._advance() and index >= len(call.args_in_order):
                self._raise_if_failed()
                return

    async def arguments(self) -> dict[str, Any]:
        """The complete arguments dict (reads the rest of the call first)."""
        call = self._call
        while not (call.finished or call.splitter.closed) and await self._advance():
            pass
        self._raise_if_failed()
        return self._call.parsed_arguments(None)

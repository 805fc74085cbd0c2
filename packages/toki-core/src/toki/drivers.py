"""The two thin fronts over the stream engine: one pulls raw events synchronously, one awaits them.

Both do the same four things: feed each raw event to the :class:`~toki.engine.StreamEngine`,
hand its outputs to the caller, let streaming tool calls pull more input on demand, and on a
normal end report the finished :class:`~toki.engine.TurnResult` through ``on_complete``. The
raw source is always closed on the way out (break, error, garbage collection, cancellation),
which is what releases a backend's HTTP response.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any

from toki.engine import CallState, StreamEngine, TurnResult
from toki.raw_events import RawChunk
from toki.tool_schemas import ToolSet
from toki.tool_streams import AsyncTokiToolCallStream, TokiToolCallStream

if TYPE_CHECKING:
    import asyncio

__all__ = ["AsyncPump", "SyncPump", "drive_async", "drive_sync", "new_async_pump", "new_sync_pump"]


class SyncPump:
    """Pulls raw events from a backend iterator into the engine, one per ``step``."""

    __slots__ = ("_feed", "_next", "engine", "error", "exhausted", "source")

    def __init__(self, source: Iterator[RawChunk], engine_factory: Callable[[SyncPump], StreamEngine]) -> None:
        self.source = source
        self.error: BaseException | None = None
        self.exhausted = False
        self.engine = engine_factory(self)
        # Bound once: step runs once per streamed event.
        self._next = source.__next__
        self._feed = self.engine.feed

    def step(self) -> bool:
        """Feed the next raw event; ``False`` once the source is exhausted (and the engine finished)."""
        if self.error is not None:
            raise self.error
        if self.exhausted:
            return False
        try:
            self._feed(self._next())
        except StopIteration:
            self.exhausted = True
            self._guard(self.engine.finish)
            return False
        except BaseException as exc:
            self._fail(exc)
            raise
        return True

    def _guard(self, action: Callable[..., None], *args: Any) -> None:
        try:
            action(*args)
        except BaseException as exc:
            self._fail(exc)
            raise

    def _fail(self, exc: BaseException) -> None:
        self.error = exc
        self.engine.fail_open_calls(exc)


class AsyncPump:
    """The async twin of :class:`SyncPump`."""

    __slots__ = ("_lock", "engine", "error", "exhausted", "source")

    def __init__(self, source: AsyncIterator[RawChunk], engine_factory: Callable[[AsyncPump], StreamEngine]) -> None:
        self.source = source
        self.error: BaseException | None = None
        self.exhausted = False
        self.engine = engine_factory(self)
        self._lock: asyncio.Lock | None = None

    async def step(self) -> bool:
        """Feed the next raw event; ``False`` once the source is exhausted (and the engine finished)."""
        # Several tasks may pull at once (e.g. asyncio.gather over two expect_arg streams of
        # one call); an async generator cannot be re-entered ("anext(): asynchronous generator
        # is already running"), so pulls are serialised. Created lazily: no asyncio import for
        # sync-only users.
        if self._lock is None:
            import asyncio

            self._lock = asyncio.Lock()
        async with self._lock:
            if self.error is not None:
                raise self.error
            if self.exhausted:
                return False
            try:
                self.engine.feed(await self.source.__anext__())
            except StopAsyncIteration:
                self.exhausted = True
                self._guard(self.engine.finish)
                return False
            except BaseException as exc:
                self._fail(exc)
                raise
            return True

    def _guard(self, action: Callable[..., None], *args: Any) -> None:
        try:
            action(*args)
        except BaseException as exc:
            self._fail(exc)
            raise

    def _fail(self, exc: BaseException) -> None:
        self.error = exc
        self.engine.fail_open_calls(exc)


def _engine_factory(
    tools: ToolSet | None,
    capture_thinking: bool,
    allow_parallel_tool_calls: bool,
    provider: str | None,
    make_tool_stream: Callable[[CallState], object],
) -> StreamEngine:
    return StreamEngine(
        tools=tools,
        capture_thinking=capture_thinking,
        allow_parallel_tool_calls=allow_parallel_tool_calls,
        make_tool_stream=make_tool_stream,
        provider=provider,
    )


def new_sync_pump(
    source: Iterator[RawChunk],
    *,
    tools: ToolSet | None,
    capture_thinking: bool,
    allow_parallel_tool_calls: bool,
    provider: str | None,
) -> SyncPump:
    """A pump whose streaming tool calls are :class:`TokiToolCallStream` objects."""
    return SyncPump(
        source,
        lambda pump: _engine_factory(
            tools,
            capture_thinking,
            allow_parallel_tool_calls,
            provider,
            lambda call: TokiToolCallStream(call, pump.step),
        ),
    )


def new_async_pump(
    source: AsyncIterator[RawChunk],
    *,
    tools: ToolSet | None,
    capture_thinking: bool,
    allow_parallel_tool_calls: bool,
    provider: str | None,
) -> AsyncPump:
    """A pump whose streaming tool calls are :class:`AsyncTokiToolCallStream` objects."""
    return AsyncPump(
        source,
        lambda pump: _engine_factory(
            tools,
            capture_thinking,
            allow_parallel_tool_calls,
            provider,
            lambda call: AsyncTokiToolCallStream(call, pump.step),
        ),
    )


def drive_sync(pump: SyncPump, on_complete: Callable[[TurnResult], None]) -> Generator[Any, None, None]:
    """Yield the public chunks of a stream; call ``on_complete`` once it has ended normally."""
    engine = pump.engine
    outputs = engine.outputs
    popleft = outputs.popleft
    try:
        while True:
            while outputs:
                yield popleft()
            if not pump.step():
                break
        while outputs:
            yield popleft()
        on_complete(engine.result())
    finally:
        close = getattr(pump.source, "close", None)
        if close is not None:
            close()


async def drive_async(pump: AsyncPump, on_complete: Callable[[TurnResult], None]) -> AsyncGenerator[Any, None]:
    """The async twin of :func:`drive_sync`."""
    engine = pump.engine
    outputs = engine.outputs
    popleft = outputs.popleft
    try:
        while True:
            while outputs:
                yield popleft()
            if not await pump.step():
                break
        while outputs:
            yield popleft()
        on_complete(engine.result())
    finally:
        aclose = getattr(pump.source, "aclose", None)
        if aclose is not None:
            await aclose()

"""Resources that belong to one event loop, released when that loop shuts down.

An ``httpx.AsyncClient`` (and any SDK client built on one) is bound to the event loop that
first used it: its connections cannot be reused, or even closed, from another loop. A model
used from several ``asyncio.run`` calls therefore keeps one client per loop, and the client of a
finished loop must be closed before that loop closes, or its sockets are left to the garbage
collector (a ``ResourceWarning`` each).

An event loop offers no close hook, but it does finalize the async generators it has seen,
inside the loop, before it closes (``loop.shutdown_asyncgens()``, which ``asyncio.run`` calls).
:func:`bind_to_loop` rides on that: it parks an async generator whose ``finally`` releases the
resource, and returns it, so the owner can also release the resource earlier with ``aclose()``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable

__all__ = ["bind_to_loop"]


async def _release_at_shutdown(release: Callable[[], Awaitable[object]]) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await release()


async def bind_to_loop(release: Callable[[], Awaitable[object]]) -> AsyncGenerator[None, None]:
    """Have the running loop call ``release()`` when it shuts down its async generators.

    Returns the parked generator: keep a reference to it for as long as the resource lives
    (the loop holds it only weakly), and ``await guard.aclose()`` to release the resource now.
    """
    guard = _release_at_shutdown(release)
    await anext(guard)  # the first step registers the generator with the running loop
    return guard

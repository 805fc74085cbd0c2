"""``toki.event_loops``: a resource released by its own loop's shutdown, or earlier on request."""

from __future__ import annotations

import asyncio

from toki.event_loops import bind_to_loop


class Resource:
    def __init__(self) -> None:
        self.released_in: list[asyncio.AbstractEventLoop] = []

    async def release(self) -> None:
        self.released_in.append(asyncio.get_running_loop())


def test_the_loop_releases_the_resource_when_asyncio_run_ends() -> None:
    resource = Resource()
    kept: list[object] = []
    loops: list[asyncio.AbstractEventLoop] = []

    async def use() -> None:
        loops.append(asyncio.get_running_loop())
        kept.append(await bind_to_loop(resource.release))
        assert resource.released_in == []

    asyncio.run(use())
    assert resource.released_in == loops  # released once, inside the loop it belonged to


def test_aclose_releases_at_once_and_only_once() -> None:
    resource = Resource()

    async def use() -> None:
        guard = await bind_to_loop(resource.release)
        await guard.aclose()
        assert len(resource.released_in) == 1
        await guard.aclose()

    asyncio.run(use())
    assert len(resource.released_in) == 1


def test_each_loop_releases_its_own() -> None:
    first, second = Resource(), Resource()
    kept: list[object] = []

    async def use(resource: Resource) -> None:
        kept.append(await bind_to_loop(resource.release))

    asyncio.run(use(first))
    asyncio.run(use(second))
    assert len(first.released_in) == len(second.released_in) == 1
    assert first.released_in[0] is not second.released_in[0]

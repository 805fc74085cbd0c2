"""The wire view of a call: terminal markers split anywhere, per-call timeouts, per-loop clients."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from toki.timeouts import Timeouts
from toki_litellm.routes import ANTHROPIC, GENERIC, OPENAI
from toki_litellm.transport import ClientPool, WireCall

BODY = b'event: content_block_delta\ndata: {"text":"event: message_stop"}\n\nevent: message_stop\ndata: {}\n\n'


@pytest.mark.parametrize("split", range(1, len(BODY)))
def test_terminal_marker_found_at_any_split(split: int) -> None:
    call = WireCall(Timeouts(), ANTHROPIC)
    assert call.watch("/v1/messages")
    call.observe(BODY[:split])
    call.observe(BODY[split:])
    assert call.terminal_seen and call.body_started


def test_marker_text_inside_content_does_not_count() -> None:
    call = WireCall(Timeouts(), ANTHROPIC)
    call.watch("/v1/messages")
    call.observe(b'event: content_block_delta\ndata: {"text":"event: message_stop"}\n\n')
    assert not call.terminal_seen


def test_unwatched_routes() -> None:
    assert not WireCall(Timeouts(), None).watch("/v1/messages")
    assert not WireCall(Timeouts(), GENERIC).watch("/v1/chat/completions")


def test_timeout_extension() -> None:
    call = WireCall(Timeouts(connect=3, first_chunk=50, idle=20))
    assert call.timeout_extension() == {"connect": 3, "read": 50, "write": 50, "pool": 3}
    capped = WireCall(Timeouts(connect=3, first_chunk=50, idle=20, total=2))
    extension = capped.timeout_extension()
    assert 0 < extension["read"] <= 2 and extension["connect"] <= 2
    assert capped.remaining() is not None


def test_pool_is_only_used_where_toki_owns_the_clients() -> None:
    assert ClientPool(ANTHROPIC, api_key=None, api_base=None, timeouts=Timeouts()).enabled
    assert ClientPool(OPENAI, api_key="k", api_base=None, timeouts=Timeouts()).enabled
    assert not ClientPool(OPENAI, api_key=None, api_base=None, timeouts=Timeouts()).enabled
    generic = ClientPool(GENERIC, api_key="k", api_base=None, timeouts=Timeouts())
    assert generic.client() is None


def test_one_sync_client_reused_and_closed() -> None:
    pool = ClientPool(ANTHROPIC, api_key="k", api_base=None, timeouts=Timeouts())
    first = pool.client()
    assert pool.client() is first
    pool.close()
    assert pool.client() is not first
    pool.close()


def test_async_clients_per_event_loop() -> None:
    pool = ClientPool(OPENAI, api_key="k", api_base="http://127.0.0.1:9/v1", timeouts=Timeouts())

    async def get() -> object:
        client = await pool.aclient()
        assert await pool.aclient() is client
        await pool.aclose()
        return client

    assert asyncio.run(get()) is not asyncio.run(get())


def test_async_client_closes_with_its_event_loop() -> None:
    """A client left open when its ``asyncio.run`` ends is closed by the loop's shutdown, inside it."""
    pool = ClientPool(ANTHROPIC, api_key="k", api_base="http://127.0.0.1:9", timeouts=Timeouts())
    seen: list[Any] = []

    async def use() -> None:
        handler = await pool.aclient()
        seen.append(handler.client)
        assert not handler.client.is_closed

    asyncio.run(use())
    assert seen[0].is_closed
    asyncio.run(use())  # the next loop gets a fresh client
    assert seen[1] is not seen[0] and seen[1].is_closed

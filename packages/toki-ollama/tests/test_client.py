"""Host resolution, and toki's timeouts on the ollama client (over a real socket)."""

from __future__ import annotations

import time

import httpx
import ollama
import pytest
from simulators import Fault, OllamaSim, Turn
from toki.errors import TokiConfigurationError
from toki.timeouts import Timeouts
from toki_ollama.client import DEFAULT_HOST, AttemptClock, make_async_client, make_sync_client, resolve_host


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("localhost", "http://localhost:11434"),
        ("10.0.0.5", "http://10.0.0.5:11434"),
        (":11500", "http://127.0.0.1:11500"),
        ("10.0.0.5:8080", "http://10.0.0.5:8080"),
        ("http://example.com", "http://example.com:80"),
        ("https://example.com", "https://example.com:443"),
        ("https://example.com:8443/ollama/", "https://example.com:8443/ollama"),
        ("0.0.0.0", "http://0.0.0.0:11434"),
        ("[::1]:11434", "http://[::1]:11434"),
        ("  http://127.0.0.1:11434  ", "http://127.0.0.1:11434"),
    ],
)
def test_resolve_host_like_the_ollama_client(host: str, expected: str) -> None:
    assert resolve_host(host) == expected


def test_resolve_host_reads_ollama_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "192.168.1.2:9999")
    assert resolve_host(None) == "http://192.168.1.2:9999"
    assert resolve_host("other") == "http://other:11434"  # an explicit host wins


def test_resolve_host_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    assert resolve_host(None) == DEFAULT_HOST == "http://127.0.0.1:11434"
    monkeypatch.setenv("OLLAMA_HOST", "")
    assert resolve_host(None) == DEFAULT_HOST


def test_bad_port_is_a_configuration_error() -> None:
    with pytest.raises(TokiConfigurationError, match="invalid Ollama host"):
        resolve_host("localhost:notaport")


def test_clock_limits_follow_the_timeouts() -> None:
    clock = AttemptClock(Timeouts(connect=2, first_chunk=30, idle=5))
    assert clock.request_limits() == {"connect": 2, "read": 30, "write": 5, "pool": 2}
    assert clock.idle_limit() == 5
    assert clock.remaining() is None
    assert not clock.expired()


def test_clock_limits_are_capped_by_the_deadline() -> None:
    clock = AttemptClock(Timeouts(connect=2, first_chunk=30, idle=5), deadline=time.monotonic() + 1.0)
    limits = clock.request_limits()
    assert 0.5 < limits["read"] <= 1.0
    assert 0.5 < limits["connect"] <= 1.0
    assert clock.idle_limit() <= 1.0
    late = AttemptClock(Timeouts(), deadline=time.monotonic() - 1)
    assert late.expired()
    assert late.request_limits()["read"] == 0.0


def test_waiting_for_the_headers_uses_the_first_chunk_limit(sim: OllamaSim) -> None:
    sim.enqueue(Turn(content="hi", faults=[Fault.stall(30)]))
    timeouts = Timeouts(connect=1, first_chunk=0.3, idle=30)
    client = make_sync_client(sim.base_url, timeouts)
    clock = AttemptClock(timeouts)
    started = time.monotonic()
    with clock.active(), pytest.raises(httpx.ReadTimeout):
        client.chat("qwen3:0.6b", [{"role": "user", "content": "hi"}], stream=False)  # pyright: ignore[reportUnknownMemberType]
    assert time.monotonic() - started < 5
    assert not clock.headers_received
    client.close()


def test_after_the_headers_the_idle_limit_applies(sim: OllamaSim) -> None:
    # first_chunk is long and idle short: a stall after the first line ends at the idle limit.
    sim.enqueue(Turn(content=["a", "b"], faults=[Fault.stall(30, after=1)]))
    timeouts = Timeouts(connect=1, first_chunk=20, idle=0.3)
    client = make_sync_client(sim.base_url, timeouts)
    clock = AttemptClock(timeouts)
    started = time.monotonic()
    received: list[str] = []
    with pytest.raises(httpx.ReadTimeout):
        with clock.active():
            parts = client.chat("qwen3:0.6b", [{"role": "user", "content": "hi"}], stream=True)  # pyright: ignore[reportUnknownMemberType]
            received.append(next(parts).message.content or "")
        next(parts)
    assert received == ["a"]
    assert clock.headers_received
    assert time.monotonic() - started < 5
    client.close()


async def test_async_client_applies_the_same_limits(sim: OllamaSim) -> None:
    sim.enqueue(Turn(content=["a", "b"], faults=[Fault.stall(30, after=1)]))
    timeouts = Timeouts(connect=1, first_chunk=20, idle=0.3)
    client = make_async_client(sim.base_url, timeouts)
    clock = AttemptClock(timeouts)
    started = time.monotonic()
    try:
        with clock.active():
            parts = await client.chat("qwen3:0.6b", [{"role": "user", "content": "hi"}], stream=True)  # pyright: ignore[reportUnknownMemberType]
            first = await anext(parts)
        assert first.message.content == "a"
        with pytest.raises(httpx.ReadTimeout):
            await anext(parts)
        assert clock.headers_received
        assert time.monotonic() - started < 5
    finally:
        await client.close()


def test_requests_outside_a_clock_get_the_model_limits(sim: OllamaSim) -> None:
    timeouts = Timeouts(connect=1, first_chunk=0.3, idle=0.3)
    client = make_sync_client(sim.base_url, timeouts)
    sim.enqueue(Fault.stall(30), route="tags")
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        client.list()
    assert time.monotonic() - started < 5
    client.close()


def test_error_responses_leave_their_retry_hint_on_the_clock(sim: OllamaSim) -> None:
    timeouts = Timeouts(connect=1, first_chunk=5, idle=5)
    client = make_sync_client(sim.base_url, timeouts)
    sim.enqueue(Fault.status(429, headers={"retry-after": "2.5"}), Fault.status(500))
    for expected in (2.5, None):
        clock = AttemptClock(timeouts)
        with clock.active(), pytest.raises(ollama.ResponseError):
            client.chat("qwen3:0.6b", [], stream=False)  # pyright: ignore[reportUnknownMemberType]
        assert clock.retry_after == expected
    client.close()

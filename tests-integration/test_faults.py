"""The reliability fault suite (issue 9): every wire fault, against every landed backend, over real sockets.

Each backend's wire simulator injects the fault at the exact byte where it belongs; the test then
checks what toki promises (see the README's reliability section):

* the error is typed and provider-neutral, with the provider's message;
* the number of requests on the wire is exactly what the retry policy allows (counted by the
  simulator, so SDK-level retries would show up as extra requests);
* ``Agent.messages`` is unchanged after every failure;
* every HTTP response is released: the client pool shows no request in flight, an abandoned
  response closes its connection without waiting for the model to be closed, and closing the
  model leaves no connection open on the server.

The suite runs with warnings as errors (pyproject's ``filterwarnings``), so an unclosed socket
(``ResourceWarning``) or an exception in a finalizer (unraisable) fails the test that caused it.

Timeouts and backoffs are tiny so the suite stays fast; modes are multiplied only where the code
path differs (sync/async x blocking/streaming for retries and errors; one mode for what only the
decoder sees, such as a 32 MB event).
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import gc
import math
import subprocess
import sys
import time
import traceback
import tracemalloc
import types
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import BACKENDS, MODES, WEATHER, BackendCase, Mode, chat_requests, close_model
from simulators import Fault, ProtocolSim, RawReply, ToolCallScript, Turn
from toki import (
    Agent,
    BaseModel,
    TokiAPIError,
    TokiAuthenticationError,
    TokiBadRequestError,
    TokiConflictError,
    TokiConnectionError,
    TokiError,
    TokiNotFoundError,
    TokiPermissionDeniedError,
    TokiRateLimitError,
    TokiResponseError,
    TokiServerError,
    TokiStreamTruncatedError,
    TokiTimeoutError,
    TokiToolCallTruncatedError,
)
from toki.retry import RetryPolicy
from toki.timeouts import Timeouts

STREAM_MODES = [m for m in MODES if m.stream]
BLOCK_MODES = [m for m in MODES if not m.stream]
SYNC_STREAM = Mode(is_async=False, stream=True)
STREAMED_TOOL_BACKENDS = [case for case in BACKENDS if not case.whole_tool_calls]

#: Limits for tests where nothing should time out: generous for a loaded 2-core machine.
RELAXED = Timeouts(connect=2.0, first_chunk=10.0, idle=10.0)
#: Limits for the timeout tests.
FAST = Timeouts(connect=1.0, first_chunk=0.3, idle=0.3)
#: Limits for tests whose stream hangs after the fault: a client that does not stop at the fault
#: fails in about a second, not after the relaxed limits.
SNAPPY = Timeouts(connect=2.0, first_chunk=2.0, idle=1.0)

#: A scripted reply long enough that every protocol has delivered content after `CUT_AT` events
#: (Anthropic spends three events on message_start, content_block_start and ping), but has not
#: reached its finish reason or terminal event.
PARTS = [f"part{i} " for i in range(8)]
FULL = "".join(PARTS)
CUT_AT = 5

#: A message only the simulator's error body carries: seeing it proves the backend read the body.
PROVIDER_MESSAGE = "toki-sim: the upstream refused this (ref 7f3a)"
HTML_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n"
    "<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
)

#: Status -> the typed error every backend must raise, and whether toki retries it.
STATUSES: dict[int, tuple[type[TokiAPIError], bool]] = {
    400: (TokiBadRequestError, False),
    401: (TokiAuthenticationError, False),
    403: (TokiPermissionDeniedError, False),
    404: (TokiNotFoundError, False),
    422: (TokiBadRequestError, False),
    408: (TokiServerError, True),
    409: (TokiConflictError, True),
    429: (TokiRateLimitError, True),
    500: (TokiServerError, True),
    502: (TokiServerError, True),
    503: (TokiServerError, True),
    504: (TokiServerError, True),
    529: (TokiServerError, True),
}


MakeModel = Callable[..., BaseModel]


# ---------------------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True, scope="module")
def _shared_tls_context() -> Iterator[None]:
    """Every model builds fresh httpx clients, and each loads the CA bundle (~0.15 s) for TLS the
    simulators never use: share one default context so the suite's time goes to the faults."""
    from httpx._transports import default  # pyright: ignore[reportPrivateUsage]

    original = getattr(default, "create_ssl_context", None)
    if original is None:  # another httpx layout: just pay for the contexts
        yield
        return
    shared: dict[str, Any] = {}

    def create_ssl_context(verify: Any = True, cert: Any = None, trust_env: bool = True) -> Any:
        if verify is True and cert is None and trust_env:
            if "context" not in shared:
                shared["context"] = original(verify=verify, cert=cert, trust_env=trust_env)
            return shared["context"]
        return original(verify=verify, cert=cert, trust_env=trust_env)

    default.create_ssl_context = create_ssl_context
    yield
    default.create_ssl_context = original


@pytest.fixture
async def make(case: BackendCase, sim: ProtocolSim) -> AsyncIterator[MakeModel]:
    """Build models aimed at ``sim`` with ``retries`` retries on a tiny backoff; all closed at teardown."""
    made: list[BaseModel] = []

    def build(*, retries: int = 0, timeout: Timeouts = RELAXED, **overrides: Any) -> BaseModel:
        model = _build(case, sim, retries=retries, timeout=timeout, **overrides)
        made.append(model)
        return model

    yield build
    for model in made:
        await close_model(model)


def _build(case: BackendCase, sim: Any, *, retries: int, timeout: Timeouts, **overrides: Any) -> BaseModel:
    model = case.make_model(sim, max_retries=retries, timeout=timeout, **overrides)
    model.retry_policy = tiny_backoff(retries)
    return model


def tiny_backoff(retries: int) -> RetryPolicy:
    """Retries at most 0.05 s apart; provider hints up to 1 s are honoured, longer ones (such as the
    30 s ``RetryInfo`` of Gemini's 429 bodies) fall back to the backoff."""
    return RetryPolicy(max_retries=retries, initial_delay=0.01, max_delay=0.05, max_retry_after=1.0)


# ---------------------------------------------------------------------------------------- helpers


def new_agent(model: BaseModel, tools: Any = None) -> Agent[Any]:
    agent: Agent[Any] = Agent(model, tools=tools) if tools else Agent(model)
    agent.add_system_message("Be brief.")
    agent.add_user_message("Hello?")
    return agent


async def drive(agent: Agent[Any], mode: Mode, received: list[Any] | None = None, **kwargs: Any) -> str:
    """Run ``agent`` once in ``mode``; every chunk lands in ``received`` as it arrives (so a test
    can see what was yielded before an error). Returns the content."""
    sink: list[Any] = received if received is not None else []
    if not mode.stream:
        value = await agent.aexecute(**kwargs) if mode.is_async else agent.execute(**kwargs)
        sink.append(value)
        return value if isinstance(value, str) else value.content
    if mode.is_async:
        async for chunk in agent.aexecute(stream=True, **kwargs):
            sink.append(chunk)
    else:
        for chunk in agent.execute(stream=True, **kwargs):
            sink.append(chunk)
    return text_of(sink)


def text_of(chunks: list[Any]) -> str:
    return "".join(c for c in chunks if isinstance(c, str))


async def fails(
    agent: Agent[Any], mode: Mode, expected: type[TokiError] | tuple[type[TokiError], ...], **kwargs: Any
) -> tuple[TokiError, list[Any]]:
    """Run ``agent``, which must raise ``expected``; the history must be unchanged afterwards."""
    before = list(agent.messages)
    received: list[Any] = []
    with pytest.raises(expected) as caught:
        await drive(agent, mode, received, **kwargs)
    assert agent.messages == before, "a failed call changed Agent.messages"
    return caught.value, received


async def wait_until(condition: Callable[[], bool], what: str, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"after {timeout} s: {what}")
        await asyncio.sleep(0.01)


def _http_clients(root: object) -> list[httpx.Client | httpx.AsyncClient]:
    """The httpx clients reachable from a model's attributes (whatever SDK holds them)."""
    skip = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.CodeType, types.FrameType)
    found: list[httpx.Client | httpx.AsyncClient] = []
    seen: set[int] = set()
    queue: collections.deque[tuple[object, int]] = collections.deque([(root, 0)])
    while queue and len(seen) < 50_000:
        obj, depth = queue.popleft()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, (httpx.Client, httpx.AsyncClient)):
            found.append(obj)
            continue
        if depth >= 8 or isinstance(obj, (str, bytes, bytearray, int, float, *skip)):
            continue
        queue.extend((child, depth + 1) for child in gc.get_referents(obj))
    return found


def pool_requests(model: BaseModel) -> int:
    """Requests in flight (active or queued) in every httpx connection pool the model holds."""
    total = 0
    for client in _http_clients(model):
        transports = [getattr(client, "_transport", None), *getattr(client, "_mounts", {}).values()]
        for transport in transports:
            requests = getattr(getattr(transport, "_pool", None), "_requests", None)
            if isinstance(requests, list):
                total += len(requests)  # pyright: ignore[reportUnknownArgumentType]
    return total


async def assert_released(sim: ProtocolSim, model: BaseModel, *, abandoned: bool = False) -> None:
    """Every response is released.

    * the model's connection pools show no request in flight;
    * ``abandoned``: the responses were left before their end, so their connections cannot be
      reused and must already be closed, before the model is;
    * after closing the model, the server has no connection left.
    """
    await wait_until(lambda: pool_requests(model) == 0, f"requests still in flight: {pool_requests(model)}")
    if abandoned:
        await wait_until(
            lambda: sim.open_connections == 0,
            f"{sim.open_connections} abandoned connection(s) still open while the model is open",
        )
    await close_model(model)
    await wait_until(lambda: sim.open_connections == 0, f"{sim.open_connections} connection(s) open after close")


def gaps(sim: ProtocolSim) -> list[float]:
    """Seconds between consecutive generation requests, as the server received them."""
    times = [r.received_at for r in chat_requests(sim)]
    return [b - a for a, b in zip(times, times[1:], strict=False)]


# ====================================================================== HTTP statuses and retries


async def test_status_errors_are_typed_and_retried_exactly(
    case: BackendCase, sim: ProtocolSim, make: MakeModel, mode: Mode
) -> None:
    """Every 4xx/5xx with the provider's real error body: the right class, the provider's message,
    and exactly 1 + max_retries requests when retryable (max_retries=2), else exactly one."""
    model = make(retries=2)
    problems: list[str] = []
    for status, (error_type, retryable) in STATUSES.items():
        sim.clear()
        sim.enqueue(*[Fault.status(status, message=PROVIDER_MESSAGE)] * 3)
        agent = new_agent(model)
        error, received = await fails(agent, mode, TokiError)
        expected = 3 if retryable else 1
        sent = len(chat_requests(sim))
        if type(error) is not error_type:
            problems.append(f"{status}: {type(error).__name__}, expected {error_type.__name__}")
        if sent != expected or error.attempts != expected:
            problems.append(f"{status}: {sent} requests, attempts={error.attempts}; expected {expected}")
        if not isinstance(error, TokiAPIError) or error.status_code != status:
            problems.append(f"{status}: status_code={getattr(error, 'status_code', None)}")
        if PROVIDER_MESSAGE not in str(error):
            problems.append(f"{status}: the provider's message is missing from {str(error)!r}")
        if error.retryable is not retryable:
            problems.append(f"{status}: retryable={error.retryable}")
        if text_of(received):
            problems.append(f"{status}: content yielded before the error: {received!r}")
    assert not problems, "\n".join(problems)
    await assert_released(sim, model)


async def test_status_errors_with_html_or_empty_bodies(
    case: BackendCase, sim: ProtocolSim, make: MakeModel, mode: Mode
) -> None:
    """A proxy's HTML page or an empty body still gives the right class with a message;
    max_retries=0 makes exactly one request, retryable status or not."""
    model = make(retries=0)
    problems: list[str] = []
    for status, (error_type, _) in STATUSES.items():
        for label, body in (("html", HTML_PAGE), ("empty", "")):
            sim.clear()
            sim.enqueue(Fault.status(status, body=body), Fault.status(status, body=body))
            error, _received = await fails(new_agent(model), mode, TokiError)
            where = f"{status} {label}"
            if type(error) is not error_type:
                problems.append(f"{where}: {type(error).__name__}, expected {error_type.__name__}")
            if len(chat_requests(sim)) != 1 or error.attempts != 1:
                problems.append(f"{where}: {len(chat_requests(sim))} requests, attempts={error.attempts}")
            if not isinstance(error, TokiAPIError) or error.status_code != status:
                problems.append(f"{where}: status_code={getattr(error, 'status_code', None)}")
            if not error.message.strip():
                problems.append(f"{where}: empty message")
    assert not problems, "\n".join(problems)
    await assert_released(sim, model)


@pytest.mark.parametrize("failures", [0, 1, 2, 3])
async def test_transient_failures_then_success(
    case: BackendCase, sim: ProtocolSim, make: MakeModel, mode: Mode, failures: int
) -> None:
    """A 503 N times, then the answer: N <= max_retries (2) succeeds after N + 1 requests, N = 3
    raises the last error with attempts=3 and leaves the answer unrequested."""
    model = make(retries=2)
    sim.enqueue(*[Fault.status(503)] * failures, Turn(content=PARTS))
    agent = new_agent(model)
    if failures <= 2:
        assert await drive(agent, mode) == FULL
        assert len(chat_requests(sim)) == failures + 1
        assert agent.messages[-1].content == FULL
    else:
        error, _ = await fails(agent, mode, TokiServerError)
        assert error.attempts == 3 and len(chat_requests(sim)) == 3
        assert sim.pending() == 1
    await assert_released(sim, model)


# ====================================================================== Retry-After


HONOURED = [
    ("retry-after seconds", 429, {"retry-after": "0.15"}, 0.15),
    ("retry-after-ms alone", 429, {"retry-after-ms": "120"}, 0.12),
    ("retry-after-ms wins over retry-after", 429, {"retry-after-ms": "100", "retry-after": "7"}, 0.1),
    ("retry-after on a 503", 503, {"retry-after": "0.15"}, 0.15),
    ("retry-after 0", 429, {"retry-after": "0"}, 0.0),
    ("HTTP date in the past", 429, {"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),
]

#: Hints that must fall back to the (tiny) backoff: never hang, never crash.
ABSURD = [
    {"retry-after": "-10"},
    {"retry-after": "121"},
    {"retry-after": "1e10"},
    {"retry-after": "9" * 400},
    {"retry-after": "inf"},
    {"retry-after": "nan"},
    {"retry-after": ""},
    {"retry-after": "soon, maybe"},
    {"retry-after": "Fri, 31 Dec 9999 23:59:59 GMT"},
    {"retry-after": "Mon, 99 Foo 2024 99:99:99 GMT"},
    {"retry-after-ms": "-5"},
    {"retry-after-ms": "nan"},
    {"retry-after-ms": "1e12"},
]


async def test_retry_after_is_honoured(case: BackendCase, sim: ProtocolSim, make: MakeModel, mode: Mode) -> None:
    """The wait between the failed and the retried request is at least the provider's hint."""
    model = make(retries=2)
    for label, status, headers, hint in HONOURED:
        sim.clear()
        sim.enqueue(Fault.status(status, headers=headers), Turn(content="ok"))
        assert await drive(new_agent(model), mode) == "ok", label
        (gap,) = gaps(sim)
        assert hint - 0.005 <= gap < hint + 1.0, f"{label}: waited {gap:.3f} s for a hint of {hint} s"
    await assert_released(sim, model)


async def test_absurd_retry_after_falls_back_to_backoff(
    case: BackendCase, sim: ProtocolSim, make: MakeModel, mode: Mode
) -> None:
    model = make(retries=2)
    for headers in ABSURD:
        sim.clear()
        sim.enqueue(Fault.status(429, headers=headers), Turn(content="ok"))
        started = time.monotonic()
        assert await drive(new_agent(model), mode) == "ok", headers
        assert time.monotonic() - started < 2.0, headers
        (gap,) = gaps(sim)
        assert gap < 1.0, f"{headers}: waited {gap:.3f} s; the backoff is at most 0.05 s"
    await assert_released(sim, model)


# ====================================================================== connection failures


async def test_connection_refused(case: BackendCase, mode: Mode) -> None:
    """Nobody listens on the port: TokiConnectionError, retried (attempts = 1 + max_retries)."""
    with case.sim_class() as dead:
        pass  # started and stopped: its port is free and refuses connections
    for retries in (0, 2):
        model = _build(case, dead, retries=retries, timeout=RELAXED)
        try:
            agent = new_agent(model)
            started = time.monotonic()
            error, _ = await fails(agent, mode, TokiConnectionError)
            assert error.attempts == retries + 1
            assert time.monotonic() - started < 2.0
            assert error.message
        finally:
            await close_model(model)


async def test_reset_before_headers_is_retried(
    case: BackendCase, sim: ProtocolSim, make: MakeModel, mode: Mode
) -> None:
    model = make(retries=2)
    sim.enqueue(Fault.reset_before_headers(), Fault.reset_before_headers(), Turn(content=PARTS))
    agent = new_agent(model)
    assert await drive(agent, mode) == FULL
    assert len(chat_requests(sim)) == 3
    sim.clear()
    sim.enqueue(*[Fault.reset_before_headers()] * 3)
    error, _ = await fails(agent, mode, TokiConnectionError)
    assert error.attempts == 3 and len(chat_requests(sim)) == 3
    await assert_released(sim, model, abandoned=True)


@pytest.mark.parametrize("mid_event", [False, True], ids=["between-events", "mid-event"])
@pytest.mark.parametrize("mode", STREAM_MODES, ids=[m.id for m in STREAM_MODES])
async def test_reset_mid_stream_is_not_retried_after_content(
    case: BackendCase, sim: ProtocolSim, make: MakeModel, mode: Mode, mid_event: bool
) -> None:
    """The connection drops after content was yielded: a typed error, and exactly one request
    although two retries were allowed."""
    model = make(retries=2)
    sim.enqueue(*[Turn(content=PARTS).with_faults(Fault.cut_after(CUT_AT, mid_event=mid_event))] * 3)
    error, received = await fails(new_agent(model), mode, (TokiConnectionError, TokiStreamTruncatedError))
    assert text_of(received), "the fault must hit after some content was yielded"
    assert FULL.startswith(text_of(received))
    assert len(chat_requests(sim)) == 1 and error.attempts == 1
    await assert_released(sim, model, abandoned=True)


@pytest.mark.parametrize("mode", BLOCK_MODES, ids=[m.id for m in BLOCK_MODES])
async def test_body_cut_short_is_retried_when_blocking(
    case: BackendCase, sim: ProtocolSim, make: MakeModel, mode: Mode
) -> None:
    """A blocking body cut before its end yielded nothing to the caller, so it is retried."""
    model = make(retries=2)
    cut = Turn(content=PARTS).with_faults(Fault.cut_after(0, mid_event=True))
    sim.enqueue(cut, cut, Turn(content=PARTS))
    assert await drive(new_agent(model), mode) == FULL
    assert len(chat_requests(sim)) == 3
    sim.clear()
    sim.enqueue(cut, cut, cut)
    error, _ = await fails(new_agent(model), mode, (TokiConnectionError, TokiResponseError))
    assert error.attempts == 3 and len(chat_requests(sim)) == 3
    await assert_released(sim, model, abandoned=True)


# ====================================================================== timeouts


async def test_stall_before_the_first_chunk(case: BackendCase, sim: ProtocolSim, make: MakeModel, mode: Mode) -> None:
    """The server accepts and never answers: TokiTimeoutError(first_chunk) after ~first_chunk, retried."""
    model = make(retries=1, timeout=FAST)
    sim.enqueue(*[Turn(content=PARTS).with_faults(Fault.stall(math.inf))] * 2)
    started = time.monotonic()
    error, _ = await fails(new_agent(model), mode, TokiTimeoutError)
    elapsed = time.monotonic() - started
    assert isinstance(error, TokiTimeoutError) and error.phase == "first_chunk"
    assert error.attempts == 2 and len(chat_requests(sim)) == 2
    assert 2 * FAST.first_chunk - 0.05 <= elapsed < 2 * FAST.first_chunk + 1.5
    await assert_released(sim, model, abandoned=True)


@pytest.mark.parametrize("mode", STREAM_MODES, ids=[m.id for m in STREAM_MODES])
async def test_stall_after_headers_before_any_event(
    case: BackendCase, sim: ProtocolSim, make: MakeModel, mode: Mode
) -> None:
    """Headers, then silence: a timeout well before the generous defaults (phase first_chunk or idle)."""
    model = make(retries=0, timeout=FAST)
    sim.enqueue(Turn(content=PARTS).with_faults(Fault.stall(math.inf, headers_sent=True)))
    started = time.monotonic()
    error, _ = await fails(new_agent(model), mode, TokiTimeoutError)
    assert isinstance(error, TokiTimeoutError) and error.phase in ("first_chunk", "idle")
    assert time.monotonic() - started < 2.0
    await assert_released(sim, model, abandoned=True)


@pytest.mark.parametrize("mode", STREAM_MODES, ids=[m.id for m in STREAM_MODES])
async def test_stall_mid_stream(case: BackendCase, sim: ProtocolSim, make: MakeModel, mode: Mode) -> None:
    """Content, then silence: TokiTimeoutError(idle), never retried once content was yielded."""
    model = make(retries=2, timeout=FAST)
    sim.enqueue(*[Turn(content=PARTS).with_faults(Fault.stall(math.inf, after=CUT_AT))] * 3)
    started = time.monotonic()
    error, received = await fails(new_agent(model), mode, TokiTimeoutError)
    assert isinstance(error, TokiTimeoutError) and error.phase == "idle"
    assert text_of(received) and FULL.startswith(text_of(received))
    assert error.attempts == 1 and len(chat_requests(sim)) == 1
    assert time.monotonic() - started < FAST.idle + 1.5
    await assert_released(sim, model, abandoned=True)


@pytest.mark.parametrize("mode", BLOCK_MODES, ids=[m.id for m in BLOCK_MODES])
async def test_stall_mid_body_blocking(case: BackendCase, sim: ProtocolSim, make: MakeModel, mode: Mode) -> None:
    """A blocking answer whose body never comes: a timeout after ~idle, retried (nothing was yielded)."""
    model = make(retries=1, timeout=FAST)
    sim.enqueue(*[Turn(content=PARTS).with_faults(Fault.stall(math.inf, headers_sent=True))] * 2)
    started = time.monotonic()
    error, _ = await fails(new_agent(model), mode, TokiTimeoutError)
    assert isinstance(error, TokiTimeoutError) and error.phase in ("first_chunk", "idle")
    assert error.attempts == 2 and len(chat_requests(sim)) == 2
    assert time.monotonic() - started < 2 * FAST.idle + 1.5
    await assert_released(sim, model, abandoned=True)


def test_timeouts_are_finite_by_default(case: BackendCase, sim: ProtocolSim) -> None:
    """A model built without ``timeout=`` has toki's finite defaults (connect, first chunk, idle)."""
    model = case.make_model(sim)
    try:
        assert getattr(model, "timeouts", None) == Timeouts()
    finally:
        asyncio.run(close_model(model))


async def test_total_deadline_bounds_the_whole_call(
    case: BackendCase, sim: ProtocolSim, make: MakeModel, mode: Mode
) -> None:
    """``Timeouts.total`` is "the whole call, including retries" (toki.timeouts): a server that never
    answers is given up on after ~total, not after (1 + max_retries) x total."""
    total = 0.4
    model = make(retries=2, timeout=Timeouts(connect=1.0, first_chunk=5.0, idle=5.0, total=total))
    sim.enqueue(*[Turn(content=PARTS).with_faults(Fault.stall(math.inf))] * 3)
    started = time.monotonic()
    error, _ = await fails(new_agent(model), mode, TokiTimeoutError)
    elapsed = time.monotonic() - started
    assert isinstance(error, TokiTimeoutError) and error.phase == "total"
    assert total - 0.05 <= elapsed < total + 0.5, f"gave up after {elapsed:.2f} s ({error.attempts} attempts)"
    await assert_released(sim, model, abandoned=True)


@pytest.mark.parametrize("mode", STREAM_MODES, ids=[m.id for m in STREAM_MODES])
async def test_total_deadline_cuts_a_slow_but_live_stream(
    case: BackendCase, sim: ProtocolSim, make: MakeModel, mode: Mode
) -> None:
    """Bytes keep arriving (so idle never fires) but the call outlives ``total``."""
    total = 0.3
    model = make(retries=0, timeout=Timeouts(connect=1.0, first_chunk=5.0, idle=5.0, total=total))
    sim.enqueue(Turn(content=PARTS).with_faults(Fault.drip(0.001)))
    started = time.monotonic()
    error, _ = await fails(new_agent(model), mode, TokiTimeoutError)
    assert isinstance(error, TokiTimeoutError) and error.phase == "total"
    elapsed = time.monotonic() - started
    assert elapsed < total + 1.0, f"the deadline fired after {elapsed:.2f} s"
    await assert_released(sim, model, abandoned=True)


async def test_total_deadline_holds_for_a_stream_consumed_in_another_context(
    case: BackendCase, sim: ProtocolSim, make: MakeModel
) -> None:
    """The call's deadline is kept where the call started; a stream iterated in another context
    (an empty one here) still stops at ``total``, counted from its attempt."""
    total = 0.3
    # A first call pays for lazy imports (seconds with litellm), which must not count against `total`.
    sim.enqueue(Turn(content="warm up"), Turn(content=PARTS).with_faults(Fault.drip(0.001)))
    warm = make(retries=0)
    assert await drive(new_agent(warm), SYNC_STREAM) == "warm up"
    await close_model(warm)
    model = make(retries=0, timeout=Timeouts(connect=1.0, first_chunk=5.0, idle=5.0, total=total))
    stream: Any = model.complete([{"role": "user", "content": "Hello?"}], stream=True)
    started = time.monotonic()
    with pytest.raises(TokiTimeoutError) as caught:
        contextvars.Context().run(lambda: list(stream))
    assert caught.value.phase == "total"
    assert time.monotonic() - started < total + 1.0
    await assert_released(sim, model, abandoned=True)


async def test_slow_drip_under_the_idle_limit_succeeds(
    case: BackendCase, sim: ProtocolSim, make: MakeModel, mode: Mode
) -> None:
    """One byte per write, each well within the idle limit: the answer arrives whole although the
    whole exchange takes longer than the idle limit."""
    limit = 0.15
    model = make(retries=0, timeout=Timeouts(connect=1.0, first_chunk=2.0, idle=limit))
    # Blocking bodies are shorter than streamed ones: pad them so that every body outlasts the limit.
    content = ["Hi", " there", ",", " friend"] + ([] if mode.stream else ["!" * 200])
    sim.enqueue(Turn(content=content).with_faults(Fault.drip(0.0002)))
    started = time.monotonic()
    assert await drive(new_agent(model), mode) == "".join(content)
    elapsed = time.monotonic() - started
    assert elapsed > limit, f"the drip took {elapsed:.3f} s: it must outlast the limits to prove anything"
    assert len(chat_requests(sim)) == 1
    await assert_released(sim, model)


# ====================================================================== broken streams


@pytest.mark.parametrize("mode", STREAM_MODES, ids=[m.id for m in STREAM_MODES])
async def test_eof_without_terminal_event(case: BackendCase, sim: ProtocolSim, make: MakeModel, mode: Mode) -> None:
    """The body ends cleanly (close-delimited) before the finish reason and the terminal event:
    TokiStreamTruncatedError carrying what was received; never a success, never retried after content."""
    model = make(retries=2)
    truncated = Turn(content=PARTS).with_faults(Fault.close_delimited(), Fault.cut_after(CUT_AT))
    sim.enqueue(truncated, truncated, truncated)
    error, received = await fails(new_agent(model), mode, TokiStreamTruncatedError)
    assert isinstance(error, TokiStreamTruncatedError)
    assert text_of(received) and error.received == text_of(received)
    assert len(chat_requests(sim)) == 1
    await assert_released(sim, model, abandoned=True)


@pytest.mark.parametrize("mode", BLOCK_MODES, ids=[m.id for m in BLOCK_MODES])
async def test_blocking_body_ending_early(case: BackendCase, sim: ProtocolSim, make: MakeModel, mode: Mode) -> None:
    """A blocking body that ends cleanly half way (close-delimited): a typed error, not a success."""
    model = make(retries=0)
    sim.enqueue(Turn(content=PARTS).with_faults(Fault.close_delimited(), Fault.cut_after(0, mid_event=True)))
    await fails(new_agent(model), mode, (TokiResponseError, TokiConnectionError))
    assert len(chat_requests(sim)) == 1
    await assert_released(sim, model, abandoned=True)


@pytest.mark.parametrize("case", STREAMED_TOOL_BACKENDS, ids=[c.name for c in STREAMED_TOOL_BACKENDS])
@pytest.mark.parametrize("mode", STREAM_MODES, ids=[m.id for m in STREAM_MODES])
async def test_tool_arguments_cut_by_the_token_limit(
    case: BackendCase, sim: ProtocolSim, make: MakeModel, mode: Mode
) -> None:
    """A `length` finish inside a tool call's arguments marks the call truncated, never complete
    (backends whose provider sends tool calls whole cannot receive half an argument text)."""
    model = make(retries=2)
    sim.enqueue(Turn(tool_calls=[ToolCallScript("get_weather", ['{"ci', 'ty": "Par'], id="call_1")], finish="length"))
    await fails(new_agent(model, tools=[WEATHER]), mode, TokiToolCallTruncatedError)
    assert len(chat_requests(sim)) == 1
    await assert_released(sim, model)


@pytest.mark.parametrize("where", ["first", "after-content"])
async def test_malformed_event(case: BackendCase, sim: ProtocolSim, make: MakeModel, mode: Mode, where: str) -> None:
    """Truncated, invalid JSON in an event (or a blocking body cut in half): TokiResponseError, not retried."""
    if not mode.stream and where != "first":
        return  # a blocking body is one event: "after content" is the same fault
    model = make(retries=2, timeout=SNAPPY)
    at = 0 if where == "first" else CUT_AT
    # The stream then hangs: the client must give up on the connection, not read to the end.
    faults = (Fault.malformed_event(after=at), Fault.stall(math.inf, after=at + 1))
    sim.enqueue(*[Turn(content=PARTS).with_faults(*faults)] * 3)
    error, received = await fails(new_agent(model), mode, TokiResponseError)
    assert error.attempts == 1 and len(chat_requests(sim)) == 1
    assert bool(text_of(received)) is (where != "first")
    await assert_released(sim, model, abandoned=mode.stream)


@pytest.mark.parametrize("value", ["[1, 2, 3]", '"text"', "42", "null"])
async def test_non_object_json_event(
    case: BackendCase, sim: ProtocolSim, make: MakeModel, mode: Mode, value: str
) -> None:
    """Valid JSON that is not an object where an object belongs: TokiResponseError, not retried."""
    model = make(retries=2, timeout=SNAPPY)
    faults = (Fault.non_object_event(after=1, value=value), Fault.stall(math.inf, after=2))
    sim.enqueue(*[Turn(content=PARTS).with_faults(*faults)] * 3)
    error, _ = await fails(new_agent(model), mode, TokiResponseError)
    assert error.attempts == 1 and len(chat_requests(sim)) == 1
    await assert_released(sim, model, abandoned=mode.stream)


async def test_invalid_utf8_becomes_replacement_characters(
    case: BackendCase, sim: ProtocolSim, make: MakeModel, mode: Mode
) -> None:
    """Two bytes that are not UTF-8 inside the answer: U+FFFD for each, the rest of the answer kept,
    the same on every backend and mode (never a failure, never a silently shortened answer)."""
    model = make(retries=0)
    sim.enqueue(Turn(content=["caf", "BADBYTES", " ok"]).with_faults(Fault.patch_bytes(b"BADBYTES", b"\xff\xfe")))
    assert await drive(new_agent(model), mode) == "caf\ufffd\ufffd ok"
    assert len(chat_requests(sim)) == 1
    await assert_released(sim, model)


async def test_a_200_html_page_is_not_an_answer(
    case: BackendCase, sim: ProtocolSim, make: MakeModel, mode: Mode
) -> None:
    """A captive portal or proxy answering 200 with a web page: TokiResponseError naming what came,
    not retried (the same proxy would answer the same), never a success."""
    model = make(retries=2)
    sim.enqueue(*[RawReply.of(HTML_PAGE, content_type="text/html; charset=utf-8")] * 3)
    error, received = await fails(new_agent(model), mode, TokiResponseError)
    assert error.attempts == 1 and len(chat_requests(sim)) == 1
    assert not text_of(received)
    await assert_released(sim, model)


@pytest.mark.parametrize("where", ["first", "after-content"])
@pytest.mark.parametrize("mode", STREAM_MODES, ids=[m.id for m in STREAM_MODES])
async def test_in_band_error(case: BackendCase, sim: ProtocolSim, make: MakeModel, mode: Mode, where: str) -> None:
    """The provider's error event inside a 200 stream: the typed error with its message. Before any
    content it is retried like the same error as a status; after content, never."""
    model = make(retries=2)
    message = "toki-sim: upstream failed mid-answer"
    fault = Fault.in_band_error(after=0 if where == "first" else CUT_AT, message=message)
    sim.enqueue(*[Turn(content=PARTS).with_faults(fault)] * 3)
    error, received = await fails(new_agent(model), mode, TokiServerError)
    assert message in str(error)
    if where == "first":
        assert not text_of(received)
        assert error.attempts == len(chat_requests(sim)) == 3
    else:
        assert text_of(received) and FULL.startswith(text_of(received))
        assert error.attempts == 1 and len(chat_requests(sim)) == 1
    await assert_released(sim, model)


# ====================================================================== framing and size


#: Keep-alives before the first event, per protocol: (count, SSE comment text). SSE protocols get
#: 100,000 comment lines of ~60 bytes (6 MB); Ollama's keep-alives are content-less NDJSON lines
#: of ~100 bytes, each parsed as an event (30,000 make 3 MB).
KEEPALIVES: dict[str, tuple[int, str]] = {"ollama": (30_000, "")}
DEFAULT_KEEPALIVES = (100_000, "keep-alive " + "." * 45)
#: What a client that buffers keep-alives would hold, at least; a flat one stays far below.
PEAK_LIMIT = 1_500_000


def _keepalive_server(case: BackendCase, count: int, text: str) -> subprocess.Popen[str]:
    """The simulator in a child process, so its own buffers do not count in this process's peak."""
    script = (
        "import sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "import simulators\n"
        "from simulators import Fault, Turn\n"
        "keepalives = Fault.keepalives(int(sys.argv[3]), text=sys.argv[4] or None)\n"
        "turn = Turn(content=['after ', 'the ', 'keep-alives']).with_faults(keepalives)\n"
        "with getattr(simulators, sys.argv[2])() as sim:\n"
        "    sim.enqueue(Turn(content=['warm ', 'up']))\n"
        "    sim.set_default(turn)\n"
        "    print(sim.base_url, flush=True)\n"
        "    sys.stdin.read()\n"
    )
    here = str(Path(__file__).resolve().parent)
    return subprocess.Popen(
        [sys.executable, "-c", script, here, case.sim_class.__name__, str(count), text],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


class _Elsewhere:
    """A started simulator's stand-in whose base_url points at another server."""

    def __init__(self, sim: ProtocolSim, base_url: str) -> None:
        self._sim = sim
        self.base_url = base_url

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sim, name)


async def test_keepalives_before_the_first_event_keep_memory_flat(case: BackendCase, sim: ProtocolSim) -> None:
    """Megabytes of keep-alives before the first event (100,000 comment lines on SSE): the answer
    arrives and this process's peak allocation stays far below the keep-alive volume."""
    count, text = KEEPALIVES.get(case.protocol, DEFAULT_KEEPALIVES)
    assert case.protocol == "ollama" or count * (len(text) + 4) > 2 * PEAK_LIMIT
    with _keepalive_server(case, count, text) as server:
        assert server.stdout is not None and server.stdin is not None
        base_url = server.stdout.readline().strip()
        model = _build(case, _Elsewhere(sim, base_url), retries=0, timeout=RELAXED)
        try:
            agent = new_agent(model)
            # The first call sets up the client and imports what streaming needs: not measured.
            assert await drive(new_agent(model), SYNC_STREAM) == "warm up"
            tracemalloc.start()
            try:
                assert await drive(agent, SYNC_STREAM) == "after the keep-alives"
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
        finally:
            await close_model(model)
            server.stdin.close()
            server.wait(10)
    assert peak < PEAK_LIMIT, f"peak {peak / 1e6:.2f} MB while receiving {count} keep-alives"


async def test_one_32_mb_event(case: BackendCase, sim: ProtocolSim, make: MakeModel) -> None:
    size = 32 * 1024 * 1024
    model = make(retries=0)
    sim.enqueue(Turn(content=["!", "?"]).with_faults(Fault.huge_event(size)))
    content = await drive(new_agent(model), SYNC_STREAM)
    assert len(content) == size + 2 and content.endswith("x!?") and content.count("x") == size
    await assert_released(sim, model)


@pytest.mark.parametrize("mode", STREAM_MODES, ids=[m.id for m in STREAM_MODES])
async def test_line_endings(case: BackendCase, sim: ProtocolSim, make: MakeModel, mode: Mode) -> None:
    """LF, CRLF and a lone CR; CRLF and CR also with every byte in its own write (a CRLF split
    across reads, a lone CR at the end of a read)."""
    model = make(retries=0)
    variants = [(Fault.line_ending(ending),) for ending in ("lf", "crlf", "cr")]
    variants += [(Fault.line_ending(ending), Fault.write_sizes(1)) for ending in ("crlf", "cr")]
    for faults in variants:
        sim.enqueue(Turn(content=PARTS).with_faults(*faults))
        assert await drive(new_agent(model), mode) == FULL, faults
    await assert_released(sim, model)


async def test_every_byte_split(case: BackendCase, sim: ProtocolSim, make: MakeModel, mode: Mode) -> None:
    """Every frame split at every byte offset (one byte per write), and at irregular offsets."""
    model = make(retries=0)
    for sizes in ((1,), (7, 1, 13), (4096,)):
        sim.enqueue(Turn(content=["é😀 ", *PARTS]).with_faults(Fault.write_sizes(*sizes)))
        assert await drive(new_agent(model), mode) == "é😀 " + FULL, sizes
    sim.enqueue(Turn(content=PARTS).with_faults(Fault.close_delimited()))
    assert await drive(new_agent(model), mode) == FULL
    await assert_released(sim, model)


# ====================================================================== cancellation and cleanup


def _endless() -> Turn:
    """Some content, then a stall the client must abandon (the server waits until it does)."""
    return Turn(content=PARTS).with_faults(Fault.stall(math.inf, after=CUT_AT))


async def _abandon_sync(agent: Agent[Any], how: str) -> None:
    if how == "break":
        for chunk in agent.execute(stream=True):
            assert isinstance(chunk, str)
            break
    elif how == "close":
        stream = agent.execute(stream=True)
        assert isinstance(next(stream), str)
        stream.close()
    elif how == "gc":
        stream = agent.execute(stream=True)
        assert isinstance(next(stream), str)
        cycle: list[Any] = [stream]
        cycle.append(cycle)  # only the cycle collector can free it
        del stream, cycle
        gc.collect()
    elif how == "user-exception":

        def consume() -> None:
            for _chunk in agent.execute(stream=True):
                raise LookupError("the caller's own bug")

        with pytest.raises(LookupError):
            consume()
    else:  # pragma: no cover
        raise AssertionError(how)


async def _abandon_async(agent: Agent[Any], how: str) -> None:
    if how == "break":
        async for chunk in agent.aexecute(stream=True):
            assert isinstance(chunk, str)
            break
    elif how == "close":
        stream = agent.aexecute(stream=True)
        assert isinstance(await anext(stream), str)
        await stream.aclose()
    elif how == "gc":
        stream = agent.aexecute(stream=True)
        assert isinstance(await anext(stream), str)
        cycle: list[Any] = [stream]
        cycle.append(cycle)
        del stream, cycle
        gc.collect()
    elif how == "user-exception":
        with pytest.raises(LookupError):
            async for _chunk in agent.aexecute(stream=True):
                raise LookupError("the caller's own bug")
    elif how == "cancel":
        first = asyncio.Event()

        async def consume() -> None:
            async for _chunk in agent.aexecute(stream=True):
                first.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(first.wait(), 5)
        await asyncio.sleep(0.02)  # the task is now blocked reading the stalled stream
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    else:  # pragma: no cover
        raise AssertionError(how)


@pytest.mark.parametrize("how", ["break", "close", "gc", "user-exception"])
async def test_leaving_a_sync_stream_releases_the_connection(
    case: BackendCase, sim: ProtocolSim, make: MakeModel, how: str
) -> None:
    model = make(retries=0)
    sim.enqueue(_endless())
    agent = new_agent(model)
    before = list(agent.messages)
    await _abandon_sync(agent, how)
    assert agent.messages == before
    await assert_released(sim, model, abandoned=True)


@pytest.mark.parametrize("how", ["break", "close", "gc", "user-exception", "cancel"])
async def test_leaving_an_async_stream_releases_the_connection(
    case: BackendCase, sim: ProtocolSim, make: MakeModel, how: str
) -> None:
    model = make(retries=0)
    sim.enqueue(_endless())
    agent = new_agent(model)
    before = list(agent.messages)
    await _abandon_async(agent, how)
    assert agent.messages == before
    await assert_released(sim, model, abandoned=True)


async def test_a_released_connection_does_not_break_the_next_call(
    case: BackendCase, sim: ProtocolSim, make: MakeModel, mode: Mode
) -> None:
    """After an abandoned stream and a failed call, the same model and agent carry on normally."""
    model = make(retries=0)
    agent = new_agent(model)
    sim.enqueue(_endless(), Fault.status(500), Turn(content=PARTS))
    if mode.is_async:
        await _abandon_async(agent, "break")
    else:
        await _abandon_sync(agent, "break")
    await fails(agent, mode, TokiServerError)
    assert await drive(agent, mode) == FULL
    assert [m.role for m in agent.messages] == ["system", "user", "assistant"]
    await assert_released(sim, model)


# ====================================================================== async hygiene


ASYNC_MODES = [m for m in MODES if m.is_async]


@pytest.mark.parametrize("mode", ASYNC_MODES, ids=[m.id for m in ASYNC_MODES])
async def test_async_calls_never_block_the_event_loop(
    case: BackendCase, sim: ProtocolSim, make: MakeModel, mode: Mode
) -> None:
    """While an async call waits through a 1 s silence in the answer, the loop keeps running other
    tasks: a heartbeat every 10 ms never misses half a second (blocking I/O would stop it for the
    whole silence)."""
    model = make(retries=0)
    silence = 1.0
    # Mid-stream, or between a blocking answer's headers and its body.
    pause = Fault.stall(silence, after=2) if mode.stream else Fault.stall(silence, headers_sent=True)
    sim.enqueue(Turn(content="warm up"), Turn(content=PARTS).with_faults(pause))
    # The first call imports lazily and builds this loop's client: not what is measured.
    assert await drive(new_agent(model), mode) == "warm up"
    gaps: list[float] = []
    running = True

    async def heartbeat() -> None:
        last = time.monotonic()
        while running:
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    beat = asyncio.create_task(heartbeat())
    started = time.monotonic()
    try:
        assert await drive(new_agent(model), mode) == FULL
    finally:
        running = False
        await beat
    assert time.monotonic() - started >= silence  # the silence really happened during the call
    assert max(gaps) < silence / 2, f"the event loop stood still for {max(gaps):.2f} s"
    await assert_released(sim, model)


async def test_200_concurrent_streams(case: BackendCase, sim: ProtocolSim, make: MakeModel) -> None:
    """200 streams at once on one model (waiting for a pooled connection counts against ``connect``,
    so it gets the default 10 s)."""
    model = make(retries=0, timeout=Timeouts(connect=10.0, first_chunk=10.0, idle=10.0))
    sim.set_default(Turn(content=["a", "b", "c"]))
    messages = [{"role": "user", "content": "Hello?"}]

    async def one() -> str:
        return "".join([chunk async for chunk in model.acomplete(messages, stream=True)])

    results = await asyncio.gather(*(one() for _ in range(200)))
    assert results == ["abc"] * 200
    assert len(chat_requests(sim)) == 200
    assert sim.connections_accepted <= 200
    await assert_released(sim, model)


# Last in the file: a backend that leaves a finished loop's connections open has them collected (with
# ResourceWarnings) whenever it next notices a new loop, which must not be blamed on other tests.
def test_asyncio_run_twice_on_one_model(case: BackendCase, sim: ProtocolSim) -> None:
    """Each ``asyncio.run`` has its own loop: the model must not reuse a client bound to the last one,
    and the connections of a finished loop are closed with it."""
    try:
        _run_twice(case, sim)
    except BaseException as exc:
        traceback.clear_frames(exc.__traceback__)  # drop the model held by the failing frame
        raise
    finally:
        gc.collect()  # sockets of dropped clients warn here, in this test, not in a later one


def _run_twice(case: BackendCase, sim: ProtocolSim) -> None:
    model = _build(case, sim, retries=0, timeout=RELAXED)
    messages = [{"role": "user", "content": "Hello?"}]

    async def streamed() -> str:
        return "".join([chunk async for chunk in model.acomplete(messages, stream=True)])

    try:
        sim.enqueue(Turn(content="one"), Turn(content="two"), Turn(content="three"), Turn(content="four"))
        assert asyncio.run(model.acomplete(messages)) == "one"
        assert asyncio.run(model.acomplete(messages)) == "two"
        assert asyncio.run(streamed()) == "three"
        assert asyncio.run(streamed()) == "four"
        assert len(chat_requests(sim)) == 4
        asyncio.run(wait_until(lambda: sim.open_connections == 0, "a finished loop left connections open"))
    finally:
        asyncio.run(close_model(model))


# ---------------------------------------------------------------------------------------- self-checks


def test_every_status_of_the_policy_is_covered() -> None:
    from toki.errors import RETRYABLE_STATUSES

    assert {s for s, (_, retryable) in STATUSES.items() if retryable} == RETRYABLE_STATUSES
    assert {s for s, (_, retryable) in STATUSES.items() if not retryable} == {400, 401, 403, 404, 422}

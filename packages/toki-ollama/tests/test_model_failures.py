"""Failures end to end: daemon errors, broken streams, timeouts, and exact attempt counts."""

from __future__ import annotations

import contextvars
import time
from typing import Any

import pytest
from simulators import Fault, OllamaSim, ToolCallScript, Turn
from toki.errors import (
    TokiBadRequestError,
    TokiConnectionError,
    TokiError,
    TokiNotFoundError,
    TokiRateLimitError,
    TokiResponseError,
    TokiServerError,
    TokiStreamTruncatedError,
    TokiTimeoutError,
)
from toki.timeouts import Timeouts

from .conftest import MakeModel, Runner

USER = [{"role": "user", "content": "hi"}]
TOOL: dict[str, Any] = {
    "type": "function",
    "function": {"name": "f", "parameters": {"type": "object", "properties": {}}},
}
OOM = "model requires more system memory (12.3 GiB) than is available (4.0 GiB)"


def chat_count(sim: OllamaSim) -> int:
    return len(sim.requests_for("chat"))


# -- daemon errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
def test_unknown_model_is_not_found(sim: OllamaSim, make_model: MakeModel, run: Runner, stream: bool) -> None:
    with pytest.raises(TokiNotFoundError, match='model "ghost:1b" not found') as caught:
        run.complete(make_model("ghost:1b"), USER, stream=stream)
    assert caught.value.status_code == 404
    assert caught.value.attempts == 1
    assert chat_count(sim) == 1


def test_tools_on_a_model_without_tools_is_a_bad_request(sim: OllamaSim, make_model: MakeModel, run: Runner) -> None:
    with pytest.raises(TokiBadRequestError, match="does not support tools") as caught:
        run.complete(make_model("gemma3:1b"), USER, [TOOL])
    assert caught.value.status_code == 400
    assert chat_count(sim) == 1


def test_forced_think_on_a_model_without_thinking_is_a_bad_request(
    sim: OllamaSim, make_model: MakeModel, run: Runner
) -> None:
    with pytest.raises(TokiBadRequestError, match="does not support thinking"):
        run.complete(make_model("gemma3:1b"), USER, think=True)


def test_out_of_memory_is_a_server_error_and_retried(sim: OllamaSim, make_model: MakeModel, run: Runner) -> None:
    sim.enqueue(*[Fault.status(500, message=OOM)] * 3)
    with pytest.raises(TokiServerError, match="more system memory") as caught:
        run.complete(make_model(), USER)
    assert caught.value.status_code == 500
    assert caught.value.attempts == 3
    assert chat_count(sim) == 3


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_never_retried(sim: OllamaSim, make_model: MakeModel, run: Runner, status: int) -> None:
    sim.enqueue(Fault.status(status))
    with pytest.raises(TokiError) as caught:
        run.complete(make_model(), USER)
    assert getattr(caught.value, "status_code", None) == status
    assert chat_count(sim) == 1


@pytest.mark.parametrize("failures", [0, 1, 2, 3])
@pytest.mark.parametrize("mode", ["status", "reset"])
def test_attempts_on_the_wire_equal_tokis_attempts(
    sim: OllamaSim, make_model: MakeModel, run: Runner, failures: int, mode: str
) -> None:
    fault = Fault.status(503) if mode == "status" else Fault.reset_before_headers()
    sim.enqueue(*[fault] * failures, Turn(content="ok"))
    model = make_model()  # max_retries=2: three attempts at most
    if failures <= 2:
        assert run.complete(model, USER, stream=True) == ["ok"]
        assert chat_count(sim) == failures + 1
    else:
        with pytest.raises((TokiServerError, TokiConnectionError)) as caught:
            run.complete(model, USER, stream=True)
        assert caught.value.attempts == 3
        assert chat_count(sim) == 3


@pytest.mark.parametrize(("status", "cls"), [(429, TokiRateLimitError), (503, TokiServerError)])
def test_retry_after_is_honoured(
    sim: OllamaSim, make_model: MakeModel, run: Runner, status: int, cls: type[TokiError]
) -> None:
    # The ollama client keeps only status and body of an error; toki reads the header in a hook.
    sim.enqueue(Fault.status(status, headers={"retry-after": "0.3"}), Turn(content="ok"))
    assert run.complete(make_model(), USER) == "ok"
    first, second = (request.received_at for request in sim.requests_for("chat"))
    assert 0.29 <= second - first < 2.0
    sim.enqueue(Fault.status(status, headers={"retry-after-ms": "50"}))
    with pytest.raises(cls) as caught:
        run.complete(make_model(max_retries=0), USER)
    assert getattr(caught.value, "retry_after", None) == 0.05


@pytest.mark.parametrize("body", ["", "<html><body>502 Bad Gateway</body></html>"])
def test_error_bodies_that_are_not_ollamas_still_give_a_message(
    sim: OllamaSim, make_model: MakeModel, run: Runner, body: str
) -> None:
    sim.enqueue(Fault.status(502, body=body))
    with pytest.raises(TokiServerError) as caught:
        run.complete(make_model(max_retries=0), USER)
    assert caught.value.status_code == 502
    assert caught.value.message.strip()
    assert (body or "HTTP 502") in str(caught.value)


def test_max_retries_zero_means_one_attempt(sim: OllamaSim, run: Runner) -> None:
    from toki_ollama import OllamaModel

    sim.enqueue(Fault.status(503), Turn(content="never"))
    model = OllamaModel("qwen3:0.6b", host=sim.base_url, pull=False, max_retries=0)
    with pytest.raises(TokiServerError):
        run.complete(model, USER)
    model.close()
    assert chat_count(sim) == 1


# -- broken streams -------------------------------------------------------------------------------


def test_in_band_error_mid_stream_is_typed_and_not_retried(sim: OllamaSim, make_model: MakeModel, run: Runner) -> None:
    sim.enqueue(Turn(content=["a", "b", "c"], faults=[Fault.in_band_error(after=2)]), Turn(content="never"))
    with pytest.raises(TokiServerError, match="unexpected EOF") as caught:
        run.complete(make_model(), USER, stream=True)
    assert caught.value.status_code is None
    assert chat_count(sim) == 1  # output had reached the caller


def test_in_band_error_in_a_blocking_call_is_retried(sim: OllamaSim, make_model: MakeModel, run: Runner) -> None:
    # Nothing of a blocking answer reaches the caller before it is complete, so it can be retried.
    sim.enqueue(Turn(content=["a", "b", "c"], faults=[Fault.in_band_error(after=2)]), Turn(content="ok"))
    assert run.complete(make_model(), USER) == "ok"
    assert chat_count(sim) == 2


def test_in_band_error_before_any_output_is_retried(sim: OllamaSim, make_model: MakeModel, run: Runner) -> None:
    sim.enqueue(Turn(faults=[Fault.in_band_error(after=0)]), Turn(content="ok"))
    assert run.complete(make_model(), USER, stream=True) == ["ok"]
    assert chat_count(sim) == 2


def test_in_band_not_found_is_not_found(sim: OllamaSim, make_model: MakeModel, run: Runner) -> None:
    sim.enqueue(Turn(faults=[Fault.in_band_error(message='model "x" not found, try pulling it first')]))
    with pytest.raises(TokiNotFoundError):
        run.complete(make_model(), USER)


@pytest.mark.parametrize("fault", [Fault.malformed_event(after=1), Fault.non_object_event(after=1)])
def test_malformed_lines_are_response_errors(sim: OllamaSim, make_model: MakeModel, run: Runner, fault: Fault) -> None:
    sim.enqueue(Turn(content=["a", "b"], faults=[fault]), Turn(content="never"))
    with pytest.raises(TokiResponseError, match="malformed response"):
        run.complete(make_model(), USER, stream=True)
    assert chat_count(sim) == 1


def test_a_blank_line_is_a_response_error(sim: OllamaSim, make_model: MakeModel, run: Runner) -> None:
    from simulators import RawReply

    line = b'{"model":"m","created_at":"t","message":{"role":"assistant","content":"a"},"done":false}\n'
    sim.enqueue(RawReply((line, b"\n"), content_type="application/x-ndjson", framing="chunked"))
    with pytest.raises(TokiResponseError):
        run.complete(make_model(), USER, stream=True)


@pytest.mark.parametrize("stream", [False, True])
def test_a_stream_without_its_final_line_is_truncated(
    sim: OllamaSim, make_model: MakeModel, run: Runner, stream: bool
) -> None:
    sim.enqueue(Turn(content=["partial ", "answer"], faults=[Fault.no_terminal_event()]))
    with pytest.raises(TokiStreamTruncatedError) as caught:
        run.complete(make_model(), USER, stream=stream)
    assert caught.value.received == "partial answer"
    assert chat_count(sim) == 1


def test_a_truncated_tool_call_turn_is_not_a_success(sim: OllamaSim, make_model: MakeModel, run: Runner) -> None:
    sim.enqueue(Turn(tool_calls=[ToolCallScript("f", "{}")], faults=[Fault.no_terminal_event()]))
    with pytest.raises(TokiStreamTruncatedError):
        run.complete(make_model(), USER, [TOOL])


def test_a_connection_cut_mid_stream_is_a_connection_error(sim: OllamaSim, make_model: MakeModel, run: Runner) -> None:
    sim.enqueue(Turn(content=["a", "b", "c"], faults=[Fault.cut_after(2)]), Turn(content="never"))
    with pytest.raises(TokiConnectionError, match="broke"):
        run.complete(make_model(), USER, stream=True)
    assert chat_count(sim) == 1  # output had reached the caller: no retry


def test_a_close_delimited_stream_cut_short_is_truncated(sim: OllamaSim, make_model: MakeModel, run: Runner) -> None:
    sim.enqueue(Turn(content=["a", "b"], faults=[Fault.close_delimited(), Fault.no_terminal_event()]))
    with pytest.raises(TokiStreamTruncatedError):
        run.complete(make_model(), USER, stream=True)


def test_a_stream_split_at_every_byte_still_decodes(sim: OllamaSim, make_model: MakeModel, run: Runner) -> None:
    sim.enqueue(Turn(content=["héllo ", "wörld ", "🙂"], thinking=["思考"], faults=[Fault.write_sizes(1)]))
    result = run.complete(make_model(), USER, stream=True, capture_thinking=True)
    assert "".join(str(chunk) for chunk in result) == "思考héllo wörld 🙂"


def test_no_daemon_at_call_time(dead_host: str, run: Runner) -> None:
    from toki_ollama import OllamaModel

    model = OllamaModel("qwen3:0.6b", host=dead_host, pull=False, max_retries=0)
    with pytest.raises(TokiConnectionError, match="ollama serve") as caught:
        run.complete(model, USER, stream=True)
    assert dead_host in str(caught.value)
    model.close()


# -- timeouts -------------------------------------------------------------------------------------


def test_first_chunk_timeout(sim: OllamaSim, make_model: MakeModel, run: Runner) -> None:
    sim.enqueue(Turn(content="late", faults=[Fault.stall(30)]))
    model = make_model(timeout=Timeouts(connect=2, first_chunk=0.3, idle=30), max_retries=0)
    started = time.monotonic()
    with pytest.raises(TokiTimeoutError) as caught:
        run.complete(model, USER)
    assert caught.value.phase == "first_chunk"
    assert time.monotonic() - started < 5


def test_idle_timeout_after_output(sim: OllamaSim, make_model: MakeModel, run: Runner) -> None:
    sim.enqueue(Turn(content=["a", "b", "c"], faults=[Fault.stall(30, after=1)]), Turn(content="never"))
    model = make_model(timeout=Timeouts(connect=2, first_chunk=30, idle=0.3))
    received: list[str] = []
    started = time.monotonic()
    with pytest.raises(TokiTimeoutError) as caught:
        if run.aio:
            received = run.complete(model, USER, stream=True)
        else:
            for chunk in model.complete(USER, stream=True):
                received.append(chunk)
    assert caught.value.phase == "idle"
    assert time.monotonic() - started < 5
    assert chat_count(sim) == 1  # output had been delivered: not retried
    if not run.aio:
        assert received == ["a"]


def test_a_timed_out_attempt_is_retried(sim: OllamaSim, make_model: MakeModel, run: Runner) -> None:
    sim.enqueue(Turn(faults=[Fault.stall(30)]), Turn(content="ok"))
    model = make_model(timeout=Timeouts(connect=2, first_chunk=0.3, idle=0.3))
    assert run.complete(model, USER) == "ok"
    assert chat_count(sim) == 2


def test_a_slow_drip_under_the_idle_limit_succeeds(sim: OllamaSim, make_model: MakeModel, run: Runner) -> None:
    sim.enqueue(Turn(content=["slow", " but", " steady"], faults=[Fault.drip(0.001)]))
    model = make_model(timeout=Timeouts(connect=2, first_chunk=1.0, idle=0.5))
    assert run.complete(model, USER) == "slow but steady"


def test_total_timeout_bounds_the_whole_call_and_is_final(sim: OllamaSim, make_model: MakeModel, run: Runner) -> None:
    # Each byte comes well within the idle limit, but the whole answer takes far longer than total.
    sim.enqueue(Turn(content=["x" * 40] * 5, faults=[Fault.drip(0.005)]), Turn(content="never"))
    model = make_model(timeout=Timeouts(connect=2, first_chunk=5, idle=5, total=0.4))
    started = time.monotonic()
    with pytest.raises(TokiTimeoutError) as caught:
        run.complete(model, USER)
    assert caught.value.phase == "total"
    assert time.monotonic() - started < 3
    assert chat_count(sim) == 1  # the time is spent: retrying cannot help


def test_total_holds_for_a_stream_consumed_in_another_context(sim: OllamaSim, make_model: MakeModel) -> None:
    """The call's deadline lives in the context it started in; a stream iterated elsewhere (an
    empty context here) still stops at ``total``, measured from its attempt."""
    sim.enqueue(Turn(content=["x" * 40] * 5, faults=[Fault.drip(0.005)]))
    model = make_model(timeout=Timeouts(connect=2, first_chunk=5, idle=5, total=0.4), max_retries=0)
    stream: Any = model.complete(USER, stream=True)
    started = time.monotonic()
    with pytest.raises(TokiTimeoutError) as caught:
        contextvars.Context().run(lambda: list(stream))
    assert caught.value.phase == "total"
    assert time.monotonic() - started < 3


def test_total_covers_retries(sim: OllamaSim, make_model: MakeModel, run: Runner) -> None:
    sim.enqueue(*[Turn(faults=[Fault.stall(30)])] * 3)
    model = make_model(timeout=Timeouts(connect=2, first_chunk=0.3, idle=0.3, total=0.5))
    started = time.monotonic()
    with pytest.raises(TokiTimeoutError) as caught:
        run.complete(model, USER)
    assert caught.value.phase == "total"
    assert time.monotonic() - started < 1.5
    # 0.3 s, then what is left of the 0.5 s; never the third attempt that max_retries=2 would allow.
    assert 1 <= chat_count(sim) <= 2

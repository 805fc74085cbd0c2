"""Every failure the ollama client can raise becomes the right toki error."""

from __future__ import annotations

import json
import time

import httpx
import ollama
import pytest
from toki.errors import (
    TokiAuthenticationError,
    TokiBadRequestError,
    TokiConfigurationError,
    TokiConnectionError,
    TokiError,
    TokiNotFoundError,
    TokiRateLimitError,
    TokiResponseError,
    TokiServerError,
    TokiTimeoutError,
)
from toki.timeouts import Timeouts
from toki_ollama.client import AttemptClock
from toki_ollama.errors import daemon_errors, from_response_error, total_timeout, unreachable

HOST = "http://127.0.0.1:11434"


def raised(exc: BaseException, clock: AttemptClock | None = None) -> TokiError:
    with pytest.raises(TokiError) as caught, daemon_errors(HOST, clock):
        raise exc
    assert caught.value.__cause__ is exc
    assert caught.value.provider == "ollama"
    return caught.value


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (404, '{"error":"model \\"nope\\" not found, try pulling it first"}', TokiNotFoundError),
        (400, '{"error":"registry.ollama.ai/library/gemma3:1b does not support tools"}', TokiBadRequestError),
        (400, '{"error":"\\"gemma3:1b\\" does not support thinking"}', TokiBadRequestError),
        (401, '{"error":"unauthorized"}', TokiAuthenticationError),
        (429, '{"error":"too many requests"}', TokiRateLimitError),
        (500, '{"error":"model requires more system memory (12.3 GiB) than is available (4.0 GiB)"}', TokiServerError),
        (503, '{"error":"server busy, please try again.  maximum pending requests exceeded"}', TokiServerError),
        (502, "<html>Bad Gateway</html>", TokiServerError),
    ],
)
def test_status_errors(status: int, body: str, cls: type[TokiError]) -> None:
    error = raised(ollama.ResponseError(body, status))
    assert type(error) is cls
    assert getattr(error, "status_code", None) == status
    try:
        expected = json.loads(body)["error"]
    except ValueError:
        expected = body
    assert expected in str(error)


@pytest.mark.parametrize(
    ("message", "cls"),
    [
        ("an error was encountered while running the model: unexpected EOF", TokiServerError),
        ("llama runner process has terminated: cudaMalloc failed: out of memory", TokiServerError),
        ("pull model manifest: file does not exist", TokiNotFoundError),
        ('model "x" not found, try pulling it first', TokiNotFoundError),
        ("invalid character 'x' looking for beginning of value", TokiBadRequestError),
    ],
)
def test_in_band_errors_are_classified_by_message(message: str, cls: type[TokiError]) -> None:
    error = from_response_error(ollama.ResponseError(message))  # status -1: an {"error": ...} line
    assert type(error) is cls
    assert error.status_code is None
    assert error.body == {"error": message}


def test_connection_refused_says_how_to_start_a_daemon() -> None:
    for exc in (ConnectionError("Failed to connect to Ollama."), httpx.ConnectError("refused")):
        error = raised(exc)
        assert isinstance(error, TokiConnectionError)
        assert "ollama serve" in str(error)
        assert HOST in str(error)
        assert error.retryable


def test_broken_connections_are_connection_errors() -> None:
    for exc in (
        httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
        httpx.ReadError("reset"),
    ):
        error = raised(exc)
        assert isinstance(error, TokiConnectionError)
        assert "broke" in str(error)


@pytest.mark.parametrize(
    "exc",
    [
        json.JSONDecodeError("Expecting value", "{", 1),
        AttributeError("'list' object has no attribute 'get'"),
        TypeError("argument after ** must be a mapping"),
        ValueError("1 validation error for ChatResponse"),
        httpx.DecodingError("bad gzip"),
    ],
)
def test_malformed_answers_are_response_errors(exc: BaseException) -> None:
    error = raised(exc)
    assert type(error) is TokiResponseError
    assert not error.retryable


def test_request_errors_are_configuration_errors() -> None:
    assert isinstance(raised(ollama.RequestError("must provide a model")), TokiConfigurationError)


@pytest.mark.parametrize(
    ("exc", "headers", "phase"),
    [
        (httpx.ConnectTimeout("connect"), False, "connect"),
        (httpx.PoolTimeout("pool"), False, "connect"),
        (httpx.WriteTimeout("write"), False, "connect"),
        (httpx.ReadTimeout("read"), False, "first_chunk"),
        (httpx.ReadTimeout("read"), True, "idle"),
    ],
)
def test_timeouts_name_their_phase(exc: httpx.TimeoutException, headers: bool, phase: str) -> None:
    clock = AttemptClock(Timeouts(connect=1, first_chunk=2, idle=3))
    clock.headers_received = headers
    error = raised(exc, clock)
    assert isinstance(error, TokiTimeoutError)
    assert error.phase == phase
    assert error.retryable
    assert "limit:" in str(error)


def test_timeout_without_a_clock_is_a_first_chunk_timeout() -> None:
    error = raised(httpx.ReadTimeout("read"))
    assert isinstance(error, TokiTimeoutError)
    assert error.phase == "first_chunk"


def test_timeout_past_the_deadline_is_a_total_timeout_and_final() -> None:
    clock = AttemptClock(Timeouts(total=5), deadline=time.monotonic() - 0.01)
    clock.headers_received = True
    error = raised(httpx.ReadTimeout("read"), clock)
    assert isinstance(error, TokiTimeoutError)
    assert error.phase == "total"
    assert not error.retryable
    assert type(error).retryable  # only this instance is final
    assert total_timeout(HOST, clock).phase == "total"


def test_toki_errors_pass_through_unchanged() -> None:
    original = unreachable(HOST)
    with pytest.raises(TokiConnectionError) as caught, daemon_errors(HOST):
        raise original
    assert caught.value is original


def test_other_exceptions_are_not_swallowed() -> None:
    with pytest.raises(KeyError), daemon_errors(HOST):
        raise KeyError("a bug, not a daemon failure")


def test_retry_after_from_the_clock_reaches_the_error() -> None:
    clock = AttemptClock(Timeouts())
    clock.retry_after = 1.5
    error = raised(ollama.ResponseError('{"error":"slow down"}', 429), clock)
    assert isinstance(error, TokiRateLimitError)
    assert error.retry_after == 1.5
    error = raised(ollama.ResponseError("", 503), clock)
    assert isinstance(error, TokiServerError)
    assert error.retry_after == 1.5


def test_an_empty_error_body_still_gives_a_message() -> None:
    error = from_response_error(ollama.ResponseError("", 503))
    assert "HTTP 503" in error.message
    assert error.body == {"error": ""}
    assert from_response_error(ollama.ResponseError("   ")).message.strip()

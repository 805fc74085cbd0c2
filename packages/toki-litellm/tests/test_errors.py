"""map_error on exceptions built the way litellm builds them (the simulator tests cover the wire cases)."""

from __future__ import annotations

import httpx
import pytest
from toki.errors import (
    TokiConfigurationError,
    TokiConnectionError,
    TokiError,
    TokiRateLimitError,
    TokiResponseError,
    TokiServerError,
    TokiStreamTruncatedError,
    TokiTimeoutError,
)
from toki.timeouts import Timeouts
from toki_litellm.errors import map_error
from toki_litellm.lazy import load_litellm
from toki_litellm.routes import ANTHROPIC
from toki_litellm.transport import WireCall


def _raised(outer: BaseException, inner: BaseException) -> BaseException:
    try:
        try:
            raise inner
        except BaseException as caught:
            raise outer from caught
    except BaseException as result:
        return result


def test_toki_errors_pass_through() -> None:
    error = TokiError("x")
    assert map_error(error, provider="p") is error


def test_real_status_beats_litellms_guess() -> None:
    litellm = load_litellm()
    request = httpx.Request("POST", "https://api.anthropic.com/v1/messages")
    response = httpx.Response(529, request=request, json={"type": "error", "error": {"message": "Overloaded"}})
    inner = httpx.HTTPStatusError("529", request=request, response=response)
    outer = litellm.InternalServerError(message="litellm.InternalServerError: x", llm_provider="anthropic", model="m")
    mapped = map_error(_raised(outer, inner), provider="anthropic")
    assert isinstance(mapped, TokiServerError) and mapped.status_code == 529 and mapped.message == "Overloaded"


def test_gemini_retry_delay_from_the_body() -> None:
    request = httpx.Request("POST", "https://g/v1beta/models/m:generateContent")
    body = {"error": {"code": 429, "message": "quota", "details": [{"retryDelay": "12.5s"}]}}
    response = httpx.Response(429, request=request, json=body)
    mapped = map_error(httpx.HTTPStatusError("429", request=request, response=response), provider="google")
    assert isinstance(mapped, TokiRateLimitError) and mapped.retry_after == 12.5


def test_connect_timeout_phase() -> None:
    litellm = load_litellm()
    outer = litellm.Timeout(message="timed out", model="m", llm_provider="openai")
    mapped = map_error(_raised(outer, httpx.ConnectTimeout("slow")), provider="openai")
    assert isinstance(mapped, TokiTimeoutError) and mapped.phase == "connect"


def test_read_timeout_phase_follows_the_body() -> None:
    call = WireCall(Timeouts())
    mapped = map_error(httpx.ReadTimeout("slow"), provider="x", call=call)
    assert isinstance(mapped, TokiTimeoutError) and mapped.phase == "first_chunk"
    call.observe(b"data: {}")
    mapped = map_error(httpx.ReadTimeout("slow"), provider="x", call=call)
    assert isinstance(mapped, TokiTimeoutError) and mapped.phase == "idle"


def test_reset_dressed_as_a_500_is_a_connection_error() -> None:
    litellm = load_litellm()
    outer = litellm.InternalServerError(message="[Errno 104] reset", llm_provider="anthropic", model="m")
    mapped = map_error(_raised(outer, ConnectionResetError(104, "reset")), provider="anthropic")
    assert isinstance(mapped, TokiConnectionError)


def test_missing_mcp_names_the_extra() -> None:
    mapped = map_error(ModuleNotFoundError("No module named 'mcp'", name="mcp"), provider="openai")
    assert isinstance(mapped, TokiConfigurationError) and "litellm[mcp]" in str(mapped)


def test_python_error_after_an_answer_is_a_response_error() -> None:
    call = WireCall(Timeouts())
    call.responses.append(object())
    mapped = map_error(KeyError("args"), provider="google", call=call)
    assert isinstance(mapped, TokiResponseError)
    assert isinstance(map_error(KeyError("args"), provider="google"), TokiConfigurationError)


def test_cut_watched_stream_is_truncation() -> None:
    litellm = load_litellm()
    call = WireCall(Timeouts(), ANTHROPIC)
    call.watch("/v1/messages")
    error = litellm.APIConnectionError(message="stream ended", llm_provider="anthropic", model="m")
    mapped = map_error(error, provider="anthropic", call=call, received="abc")
    assert isinstance(mapped, TokiStreamTruncatedError) and mapped.received == "abc"


@pytest.mark.parametrize("status", [500, 503])
def test_litellm_status_as_a_last_resort(status: int) -> None:
    litellm = load_litellm()
    error = litellm.ServiceUnavailableError(message="down", llm_provider="x", model="m")
    error.status_code = status
    mapped = map_error(error, provider="x")
    assert isinstance(mapped, TokiServerError) and mapped.status_code == status

"""Error mapping: HTTP statuses with OpenRouter's bodies, in-band error objects, httpx exceptions."""

from __future__ import annotations

import json

import httpx
import pytest
from toki.errors import (
    TokiAPIError,
    TokiAuthenticationError,
    TokiBadRequestError,
    TokiConfigurationError,
    TokiConnectionError,
    TokiInsufficientCreditsError,
    TokiNotFoundError,
    TokiPermissionDeniedError,
    TokiRateLimitError,
    TokiResponseError,
    TokiServerError,
    TokiTimeoutError,
)
from toki_openrouter.errors import payload_error, status_error, transport_error


def openrouter_body(code: int, message: str, **metadata: str) -> bytes:
    error: dict[str, object] = {"code": code, "message": message}
    if metadata:
        error["metadata"] = metadata
    return json.dumps({"error": error, "user_id": "user_x"}).encode()


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, TokiBadRequestError),
        (401, TokiAuthenticationError),
        (402, TokiInsufficientCreditsError),
        (403, TokiPermissionDeniedError),
        (404, TokiNotFoundError),
        (408, TokiServerError),
        (422, TokiBadRequestError),
        (429, TokiRateLimitError),
        (500, TokiServerError),
        (502, TokiServerError),
        (503, TokiServerError),
        (529, TokiServerError),
        (418, TokiAPIError),
    ],
)
def test_status_classes(status: int, cls: type[TokiAPIError]) -> None:
    error = status_error(status, {}, openrouter_body(status, "provider says no"))
    assert type(error) is cls
    assert error.status_code == status
    assert error.message == "provider says no"
    assert error.provider == "openrouter"
    assert isinstance(error.body, dict)


def test_retry_after_only_on_retryable_statuses() -> None:
    limited = status_error(429, {"Retry-After": "3"}, openrouter_body(429, "slow down"))
    assert isinstance(limited, TokiRateLimitError) and limited.retry_after == 3.0
    ms = status_error(503, {"retry-after-ms": "250"}, openrouter_body(503, "busy"))
    assert isinstance(ms, TokiServerError) and ms.retry_after == 0.25
    garbage = status_error(429, {"Retry-After": "soon"}, openrouter_body(429, "x"))
    assert isinstance(garbage, TokiRateLimitError) and garbage.retry_after is None


def test_metadata_raw_and_upstream_provider_are_kept() -> None:
    error = status_error(
        502, {}, openrouter_body(502, "Provider returned error", raw="upstream 500", provider_name="Azure")
    )
    assert "Provider returned error: upstream 500 (upstream provider: Azure)" in str(error)


def test_non_json_bodies() -> None:
    html = status_error(502, {}, b"<html><body><h1>502 Bad Gateway</h1>nginx</body></html>", reason="Bad Gateway")
    assert isinstance(html, TokiServerError)
    assert html.message == "Bad Gateway 502 Bad Gateway nginx"
    empty = status_error(500, {}, b"", reason="Internal Server Error")
    assert empty.message == "Internal Server Error"
    bare = status_error(500, {}, b"")
    assert bare.message == "no error details in the response"
    other_shape = status_error(400, {}, b'{"message": "plain shape"}')
    assert other_shape.message == "plain shape"


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (400, TokiBadRequestError),
        ("429", TokiRateLimitError),
        (402, TokiInsufficientCreditsError),
        ("rate_limit_exceeded", TokiRateLimitError),
        ("context_length_exceeded", TokiBadRequestError),
        ("server_error", TokiServerError),
        ("something_new", TokiServerError),
        (None, TokiServerError),
        (True, TokiServerError),
    ],
)
def test_payload_errors_by_code(code: object, cls: type[TokiAPIError]) -> None:
    error = payload_error({"code": code, "message": "in band"})
    assert type(error) is cls
    assert "in band" in str(error)


def test_payload_error_that_is_not_an_object() -> None:
    error = payload_error("just text")
    assert isinstance(error, TokiServerError)
    assert "just text" in str(error)
    no_message = payload_error({"code": 500})
    assert '"code": 500' in no_message.message


REQUEST = httpx.Request("POST", "http://x/chat/completions")


@pytest.mark.parametrize(
    ("exc", "cls", "phase"),
    [
        (httpx.ConnectTimeout("t", request=REQUEST), TokiTimeoutError, "connect"),
        (httpx.PoolTimeout("t", request=REQUEST), TokiTimeoutError, "connect"),
        (httpx.ReadTimeout("t", request=REQUEST), TokiTimeoutError, "idle"),
        (httpx.WriteTimeout("t", request=REQUEST), TokiTimeoutError, "idle"),
        (httpx.ConnectError("refused", request=REQUEST), TokiConnectionError, None),
        (httpx.ReadError("reset", request=REQUEST), TokiConnectionError, None),
        (httpx.RemoteProtocolError("peer closed", request=REQUEST), TokiConnectionError, None),
        (httpx.UnsupportedProtocol("ftp://", request=REQUEST), TokiConfigurationError, None),
        (httpx.DecodingError("bad gzip", request=REQUEST), TokiResponseError, None),
    ],
)
def test_transport_errors(exc: httpx.HTTPError, cls: type[Exception], phase: str | None) -> None:
    error = transport_error(exc, phase="idle", seconds=1.5)
    assert type(error) is cls
    if phase is not None:
        assert isinstance(error, TokiTimeoutError) and error.phase == phase

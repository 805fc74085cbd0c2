"""``toki.errors``: the hierarchy, the status mapping, and how errors print."""

from __future__ import annotations

import pytest
from toki import errors
from toki.errors import (
    RETRYABLE_STATUSES,
    TokiAPIError,
    TokiAuthenticationError,
    TokiBadRequestError,
    TokiConfigurationError,
    TokiConflictError,
    TokiConnectionError,
    TokiError,
    TokiInputError,
    TokiInsufficientCreditsError,
    TokiMissingAPIKeyError,
    TokiMissingArgumentError,
    TokiNotFoundError,
    TokiPermissionDeniedError,
    TokiRateLimitError,
    TokiResponseError,
    TokiServerError,
    TokiStreamTruncatedError,
    TokiTimeoutError,
    TokiToolArgumentsError,
    TokiToolCallTruncatedError,
    TokiToolStreamError,
    error_for_status,
)


@pytest.mark.parametrize(
    ("status", "cls", "retryable"),
    [
        (400, TokiBadRequestError, False),
        (401, TokiAuthenticationError, False),
        (402, TokiInsufficientCreditsError, False),
        (403, TokiPermissionDeniedError, False),
        (404, TokiNotFoundError, False),
        (408, TokiServerError, True),
        (409, TokiConflictError, True),
        (422, TokiBadRequestError, False),
        (429, TokiRateLimitError, True),
        (500, TokiServerError, True),
        (502, TokiServerError, True),
        (503, TokiServerError, True),
        (504, TokiServerError, True),
        (529, TokiServerError, True),
        (418, TokiAPIError, False),
    ],
)
def test_error_for_status_maps_statuses_to_classes(status: int, cls: type[TokiAPIError], retryable: bool) -> None:
    error = error_for_status(status, "provider said no", provider="acme", body={"error": "x"})
    assert type(error) is cls
    assert error.retryable is retryable
    assert (status in RETRYABLE_STATUSES) is retryable
    assert error.status_code == status
    assert error.provider == "acme"
    assert error.body == {"error": "x"}
    assert error.message == "provider said no"
    assert str(error) == f"[acme] HTTP {status}: provider said no"


def test_retry_after_is_kept_on_rate_limit_and_server_errors() -> None:
    limited = error_for_status(429, "slow down", retry_after=2.5)
    assert isinstance(limited, TokiRateLimitError)
    assert limited.retry_after == 2.5
    overloaded = error_for_status(529, "overloaded", retry_after=7.0)
    assert isinstance(overloaded, TokiServerError)
    assert overloaded.retry_after == 7.0
    assert TokiRateLimitError("x").status_code == 429


def test_str_mentions_the_provider_and_attempts() -> None:
    error = TokiConnectionError("connection reset", provider="openrouter")
    assert str(error) == "[openrouter] connection reset"
    error.attempts = 3
    assert str(error) == "[openrouter] connection reset (after 3 attempts)"
    assert str(TokiError("plain")) == "plain"
    api = TokiAPIError("bad", status_code=None)
    api.attempts = 2
    assert str(api) == "bad (after 2 attempts)"


def test_the_hierarchy() -> None:
    assert issubclass(TokiMissingAPIKeyError, TokiConfigurationError)
    assert issubclass(TokiMissingAPIKeyError, ValueError)
    assert issubclass(TokiInputError, ValueError)
    for cls in (TokiStreamTruncatedError, TokiToolCallTruncatedError, TokiToolArgumentsError):
        assert issubclass(cls, TokiResponseError)
    assert issubclass(TokiToolStreamError, RuntimeError)
    assert issubclass(TokiMissingArgumentError, TokiToolStreamError)
    assert issubclass(TokiMissingArgumentError, LookupError)
    for cls in (TokiConnectionError, TokiTimeoutError, TokiServerError, TokiRateLimitError, TokiConflictError):
        assert cls.retryable
    for cls in (TokiError, TokiInputError, TokiResponseError, TokiBadRequestError, TokiAuthenticationError):
        assert not cls.retryable


def test_every_public_error_is_a_toki_error() -> None:
    for name in errors.__all__:
        value = getattr(errors, name)
        if isinstance(value, type):
            assert issubclass(value, TokiError), name


def test_error_attributes() -> None:
    timeout = TokiTimeoutError("no first chunk", phase="first_chunk", provider="p")
    assert timeout.phase == "first_chunk"
    truncated = TokiStreamTruncatedError("ended early", received="partial")
    assert truncated.received == "partial"
    missing = TokiMissingAPIKeyError("ACME_KEY", provider="acme")
    assert missing.env_var == "ACME_KEY"
    assert "ACME_KEY" in str(missing)
    assert str(missing).startswith("[acme] ")
    args_error = TokiToolArgumentsError("bad", tool_name="f", raw_arguments="{")
    assert (args_error.tool_name, args_error.raw_arguments) == ("f", "{")
    cut = TokiToolCallTruncatedError("cut", tool_name=None, tool_call_id="c", partial_arguments='{"a')
    assert (cut.tool_name, cut.tool_call_id, cut.partial_arguments) == (None, "c", '{"a')


@pytest.mark.parametrize(
    ("phase", "retryable"), [("connect", True), ("first_chunk", True), ("idle", True), ("total", False)]
)
def test_timeouts_are_retryable_except_the_calls_own_deadline(phase: str, retryable: bool) -> None:
    assert TokiTimeoutError("late", phase=phase).retryable is retryable

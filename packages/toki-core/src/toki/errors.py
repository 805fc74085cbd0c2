"""The one exception hierarchy of toki.

Every failure a caller can see is a :class:`TokiError`. Backends translate their provider's
errors (HTTP statuses, SDK exceptions, in-band error events) onto these classes and chain
the original with ``raise ... from``, so no httpx, litellm, ollama or google-genai
exception ever escapes a toki call.

::

    TokiError
    ├── TokiConfigurationError          bad constructor arguments, a missing API key
    │   └── TokiMissingAPIKeyError      (also a ValueError)
    ├── TokiInputError                  malformed messages or tool schemas (also a ValueError)
    ├── TokiAPIError                    the provider answered with an error
    │   ├── TokiBadRequestError         400, 422
    │   ├── TokiAuthenticationError     401
    │   ├── TokiPermissionDeniedError   403
    │   ├── TokiInsufficientCreditsError 402
    │   ├── TokiNotFoundError           404 (an unknown model, usually)
    │   ├── TokiConflictError           409
    │   ├── TokiRateLimitError          429 (carries ``retry_after``)
    │   └── TokiServerError             5xx, 529 overloaded
    ├── TokiConnectionError             could not reach the provider, or the connection broke
    ├── TokiTimeoutError                connect, first-chunk, idle or total deadline passed
    ├── TokiResponseError               the provider's answer cannot be used
    │   ├── TokiStreamTruncatedError    a stream ended without its terminal event
    │   ├── TokiToolCallTruncatedError  a tool call's arguments were cut off
    │   └── TokiToolArgumentsError      a tool call's arguments are not a JSON object
    └── TokiToolStreamError             misuse of a streaming tool call (also a LookupError
        └── TokiMissingArgumentError    or RuntimeError, see each class)
"""

from __future__ import annotations

__all__ = [
    "TokiAPIError",
    "TokiAuthenticationError",
    "TokiBadRequestError",
    "TokiConfigurationError",
    "TokiConflictError",
    "TokiConnectionError",
    "TokiError",
    "TokiInputError",
    "TokiInsufficientCreditsError",
    "TokiMissingAPIKeyError",
    "TokiMissingArgumentError",
    "TokiNotFoundError",
    "TokiPermissionDeniedError",
    "TokiRateLimitError",
    "TokiResponseError",
    "TokiServerError",
    "TokiStreamTruncatedError",
    "TokiTimeoutError",
    "TokiToolArgumentsError",
    "TokiToolCallTruncatedError",
    "TokiToolStreamError",
    "error_for_status",
]


class TokiError(Exception):
    """Base class of every error toki raises.

    Attributes:
        provider: short name of the backend that raised it (``"openrouter"``, ``"ollama"``...), if any.
        attempts: how many attempts were made before giving up (1 when no retry happened).
    """

    #: Whether toki's retry policy may try the same request again after this error.
    retryable: bool = False

    def __init__(self, message: str, *, provider: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.attempts = 1

    def __str__(self) -> str:
        prefix = f"[{self.provider}] " if self.provider else ""
        suffix = f" (after {self.attempts} attempts)" if self.attempts > 1 else ""
        return f"{prefix}{self.message}{suffix}"


class TokiConfigurationError(TokiError):
    """A model or agent was configured with arguments that cannot work."""


class TokiMissingAPIKeyError(TokiConfigurationError, ValueError):
    """No API key was given and the backend's environment variable is not set."""

    def __init__(self, env_var: str, *, provider: str | None = None) -> None:
        super().__init__(
            f"no API key: pass api_key=... or set the {env_var} environment variable",
            provider=provider,
        )
        self.env_var = env_var


class TokiInputError(TokiError, ValueError):
    """A message list or tool schema handed to toki is malformed."""


class TokiAPIError(TokiError):
    """The provider answered a request with an error.

    Attributes:
        status_code: the HTTP status (or the provider's own code for in-band errors), if known.
        body: the provider's error body as received (decoded JSON or text), if any.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        provider: str | None = None,
        body: object = None,
    ) -> None:
        super().__init__(message, provider=provider)
        self.status_code = status_code
        self.body = body

    def __str__(self) -> str:
        status = f"HTTP {self.status_code}: " if self.status_code is not None else ""
        prefix = f"[{self.provider}] " if self.provider else ""
        suffix = f" (after {self.attempts} attempts)" if self.attempts > 1 else ""
        return f"{prefix}{status}{self.message}{suffix}"


class TokiBadRequestError(TokiAPIError):
    """The provider rejected the request as invalid (400, 422): fix the request, do not retry."""


class TokiAuthenticationError(TokiAPIError):
    """The API key is missing, wrong or revoked (401)."""


class TokiPermissionDeniedError(TokiAPIError):
    """The key is valid but not allowed to do this (403)."""


class TokiInsufficientCreditsError(TokiAPIError):
    """The account has run out of credits (402)."""


class TokiNotFoundError(TokiAPIError):
    """The model or resource does not exist at the provider (404)."""


class TokiConflictError(TokiAPIError):
    """The provider reported a conflicting concurrent request (409); retryable."""

    retryable = True


class TokiRateLimitError(TokiAPIError):
    """Too many requests (429).

    Attributes:
        retry_after: seconds the provider asked to wait, if it said (already validated and capped).
    """

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = 429,
        provider: str | None = None,
        body: object = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, provider=provider, body=body)
        self.retry_after = retry_after


class TokiServerError(TokiAPIError):
    """The provider failed (5xx) or is overloaded (529); retryable."""

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        provider: str | None = None,
        body: object = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, provider=provider, body=body)
        self.retry_after = retry_after


class TokiConnectionError(TokiError):
    """The provider could not be reached, or the connection broke before an answer arrived."""

    retryable = True


class TokiTimeoutError(TokiError):
    """A deadline passed: ``phase`` says which (``connect``, ``first_chunk``, ``idle``, ``total``).

    Retryable, except for ``total``: that deadline covers the whole call, retries included.
    """

    retryable = True

    def __init__(self, message: str, *, phase: str, provider: str | None = None) -> None:
        super().__init__(message, provider=provider)
        self.phase = phase
        if phase == "total":
            self.retryable = False


class TokiResponseError(TokiError):
    """The provider's answer is malformed or incomplete and cannot be used."""


class TokiStreamTruncatedError(TokiResponseError):
    """A stream ended before its terminal event; nothing it carried is treated as a success.

    Attributes:
        received: the content text that had arrived before the stream ended.
    """

    def __init__(self, message: str, *, received: str = "", provider: str | None = None) -> None:
        super().__init__(message, provider=provider)
        self.received = received


class TokiToolCallTruncatedError(TokiResponseError):
    """A tool call's arguments were cut off (the stream ended or the token limit was reached).

    The call is never handed out as if it were complete.

    Attributes:
        tool_name: the called tool's name, if it was known.
        tool_call_id: the call's id.
        partial_arguments: the argument text received before the cut.
    """

    def __init__(
        self,
        message: str,
        *,
        tool_name: str | None,
        tool_call_id: str,
        partial_arguments: str,
        provider: str | None = None,
    ) -> None:
        super().__init__(message, provider=provider)
        self.tool_name = tool_name
        self.tool_call_id = tool_call_id
        self.partial_arguments = partial_arguments


class TokiToolArgumentsError(TokiResponseError):
    """A tool call's arguments are not a valid JSON object.

    Attributes:
        tool_name: the called tool's name.
        raw_arguments: the argument text as the model produced it.
    """

    def __init__(self, message: str, *, tool_name: str | None, raw_arguments: str, provider: str | None = None) -> None:
        super().__init__(message, provider=provider)
        self.tool_name = tool_name
        self.raw_arguments = raw_arguments


class TokiToolStreamError(TokiError, RuntimeError):
    """A streaming tool call was used in a way its API forbids (e.g. claiming an argument twice)."""


class TokiMissingArgumentError(TokiToolStreamError, LookupError):
    """``expect_arg(name)`` asked for an argument the model never produced."""


_STATUS_ERRORS: dict[int, type[TokiAPIError]] = {
    400: TokiBadRequestError,
    401: TokiAuthenticationError,
    402: TokiInsufficientCreditsError,
    403: TokiPermissionDeniedError,
    404: TokiNotFoundError,
    409: TokiConflictError,
    422: TokiBadRequestError,
    429: TokiRateLimitError,
}

#: Statuses toki's retry policy treats as transient (besides connection errors and timeouts).
RETRYABLE_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})


def error_for_status(
    status_code: int,
    message: str,
    *,
    provider: str | None = None,
    body: object = None,
    retry_after: float | None = None,
) -> TokiAPIError:
    """Build the typed error for an HTTP error status.

    Backends call this once with the provider's own message so that every backend maps the
    same status onto the same class.
    """
    if status_code in (429,):
        return TokiRateLimitError(
            message, status_code=status_code, provider=provider, body=body, retry_after=retry_after
        )
    if status_code >= 500 or status_code == 408:
        error = TokiServerError(message, status_code=status_code, provider=provider, body=body, retry_after=retry_after)
        return error
    cls = _STATUS_ERRORS.get(status_code, TokiAPIError)
    return cls(message, status_code=status_code, provider=provider, body=body)

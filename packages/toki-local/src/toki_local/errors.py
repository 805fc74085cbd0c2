"""Map failures of transformers, torch and the Hugging Face Hub onto toki's error hierarchy.

Two places can fail: loading a model (:func:`loading_errors`, a context manager around the
``from_pretrained`` calls) and generating (:func:`generation_error`, applied to whatever the
worker thread caught). No transformers, torch or huggingface_hub exception escapes a toki call;
the original is always chained.
"""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager

from toki.errors import (
    TokiConfigurationError,
    TokiError,
    TokiInputError,
    TokiNotFoundError,
    TokiPermissionDeniedError,
    TokiResponseError,
)

__all__ = ["PROVIDER", "generation_error", "loading_errors"]

#: The backend name toki errors and warnings carry.
PROVIDER = "local"


@contextmanager
def loading_errors(model: str) -> Generator[None, None, None]:
    """Translate what loading ``model`` raises: missing files, gated repos, unsupported checkpoints."""
    try:
        yield
    except TokiError:
        raise
    except OSError as exc:
        # transformers reports "not a folder, not on the Hub, not in the cache" and gated or
        # private repositories as OSError; the Hub's own classes say which it was.
        name = type(exc).__name__
        if name == "GatedRepoError" or "gated" in str(exc).lower():
            raise TokiPermissionDeniedError(
                f"model {model!r} is gated on the Hugging Face Hub: accept its license and log in ({exc})",
                provider=PROVIDER,
            ) from exc
        raise TokiNotFoundError(f"could not load model {model!r}: {exc}", provider=PROVIDER) from exc
    except ImportError as exc:
        raise TokiConfigurationError(
            f"loading model {model!r} needs a package that is not installed: {exc}", provider=PROVIDER
        ) from exc
    except Exception as exc:
        raise TokiConfigurationError(f"could not load model {model!r}: {exc}", provider=PROVIDER) from exc


def generation_error(exc: BaseException) -> BaseException:
    """The error a consumer sees for an exception raised inside ``generate`` (or the prompt rendering).

    toki errors pass through; ``ValueError``/``TypeError`` mean the request was rejected (a
    prompt longer than the model allows, an invalid generation setting); anything else means
    generation broke down. Non-``Exception`` signals (``KeyboardInterrupt``...) pass through.
    """
    if isinstance(exc, TokiError) or not isinstance(exc, Exception):
        return exc
    if isinstance(exc, (ValueError, TypeError)):
        error: TokiError = TokiInputError(
            f"generation rejected the request: {type(exc).__name__}: {exc}", provider=PROVIDER
        )
    else:
        error = TokiResponseError(f"generation failed: {type(exc).__name__}: {exc}", provider=PROVIDER)
    error.__cause__ = exc
    return error

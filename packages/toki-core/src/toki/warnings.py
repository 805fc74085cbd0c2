"""The warning categories toki emits.

All are ``UserWarning`` subclasses under :class:`TokiWarning`, so the standard
:mod:`warnings` filters silence them by family or one category at a time.
"""

from __future__ import annotations

__all__ = [
    "TokiBackendQuirkWarning",
    "TokiCacheWarning",
    "TokiThinkingSupportWarning",
    "TokiToolMismatchWarning",
    "TokiWarning",
]


class TokiWarning(UserWarning):
    """Base category of every warning toki emits."""


class TokiThinkingSupportWarning(TokiWarning):
    """``capture_thinking=True`` on a model that may not (or cannot) surface its thinking."""


class TokiToolMismatchWarning(TokiWarning):
    """What the model did with tools differs from how the call or agent was configured."""


class TokiCacheWarning(TokiWarning):
    """Prompt caching is likely to behave differently from what the configuration suggests."""


class TokiBackendQuirkWarning(TokiWarning):
    """A backend-specific behaviour worth knowing about (informational)."""

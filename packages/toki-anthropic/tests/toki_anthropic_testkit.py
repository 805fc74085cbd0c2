"""Names shared by this package's tests (importable because conftest puts this folder on the path)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from toki.testing import call_in_mode

__all__ = ["MakeModel", "Mode", "Run", "call_in_mode"]

#: ``run(model, messages, tools=None, *, stream=False, **kwargs)``
Run = Callable[..., Any]
#: ``make_model(model_id="...", **ctor_kwargs)``
MakeModel = Callable[..., Any]
#: The path a test exercises.
Mode = Literal["sync", "async"]

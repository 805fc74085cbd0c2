"""The ``END_STATE`` sentinel that handlers return to finish a run."""

from __future__ import annotations

from enum import Enum
from typing import Final

__all__ = ["END_STATE", "EndState"]


class EndState(Enum):
    """The type of :data:`END_STATE`; use it in handler annotations (``-> State | EndState``).

    It is a one-member Enum rather than a plain ``object()`` so that type checkers can tell it
    apart from every user state and narrow on ``is END_STATE``, and so it pickles and compares by
    identity like any other state.
    """

    END_STATE = "END_STATE"

    def __repr__(self) -> str:
        return "END_STATE"

    def __str__(self) -> str:
        return "END_STATE"


END_STATE: Final = EndState.END_STATE
"""Return this from a handler to end the run; it is never yielded by ``run()``."""

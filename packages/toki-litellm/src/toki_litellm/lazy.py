"""Import litellm on first use, offline.

litellm costs seconds to import and, unless told otherwise, fetches its model cost map over the
network at import (retrying in a background thread). toki imports it only inside call paths,
and always with ``LITELLM_LOCAL_MODEL_COST_MAP`` set so that it reads the copy bundled in the
package. ``setdefault`` keeps a value the user chose on purpose.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["load_litellm"]

_litellm: Any = None


def load_litellm() -> Any:
    """Return the ``litellm`` module, importing it (offline) the first time."""
    global _litellm
    if _litellm is None:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        import litellm

        _litellm = litellm
    return _litellm

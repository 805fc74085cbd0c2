"""``toki-fetch-anthropic-models``: ``toki_anthropic/models.py`` from litellm's bundled model metadata.

See :mod:`toki_tools._litellm_backend` for what is listed and how; the saved input is
``inputs/anthropic.json``.
"""

from __future__ import annotations

from pathlib import Path

from toki_tools._json import JSON
from toki_tools._litellm import read_metadata
from toki_tools._litellm_backend import LitellmSource, make_backend

__all__ = ["BACKEND", "SOURCE", "fetch", "main", "merge", "render"]

SOURCE = LitellmSource("anthropic")
BACKEND = make_backend("anthropic", "AnthropicModelName", "Anthropic", SOURCE)


def fetch(*, wheel: Path | None = None, metadata_json: Path | None = None, version: str | None = None) -> JSON:
    """The saved input for the installed litellm's metadata, a litellm ``wheel``, or a
    ``metadata_json`` file from litellm ``version``. Offline: litellm ships the data."""
    metadata, found = read_metadata(wheel=wheel, json_path=metadata_json, version=version)
    return SOURCE.subset(metadata, found)


#: The ``models.py`` text of a saved input (pure).
render = BACKEND.render
#: ``new`` with ``old``'s hand-curated entries kept, and what changed.
merge = BACKEND.merge
#: The command line (``toki-fetch-*-models``).
main = BACKEND.main

"""``toki-fetch-google-models``: ``toki_google/models.py`` from litellm's bundled model metadata.

See :mod:`toki_tools._litellm_backend` for what is listed and how; the saved input is
``inputs/google.json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from toki_tools._backend import MergeReport
from toki_tools._json import JSON
from toki_tools._litellm import read_metadata
from toki_tools._litellm_backend import LitellmSource, make_backend

__all__ = ["BACKEND", "SOURCE", "fetch", "main", "merge", "render"]

SOURCE = LitellmSource("gemini", strip_prefix="gemini/")
BACKEND = make_backend("google", "GoogleModelName", "Google", SOURCE)


def fetch(*, wheel: Path | None = None, metadata_json: Path | None = None, version: str | None = None) -> JSON:
    """The saved input for the installed litellm's metadata, a litellm ``wheel``, or a
    ``metadata_json`` file from litellm ``version``. Offline: litellm ships the data."""
    metadata, found = read_metadata(wheel=wheel, json_path=metadata_json, version=version)
    return SOURCE.subset(metadata, found)


def render(data: JSON) -> str:
    """The ``models.py`` text of a saved input (pure)."""
    return BACKEND.render(data)


def merge(old: JSON | None, new: JSON) -> tuple[JSON, MergeReport]:
    """``new`` with ``old``'s hand-curated entries kept, and what changed."""
    return BACKEND.merge(old, new)


def main(argv: Sequence[str] | None = None) -> int:
    """``toki-fetch-google-models``."""
    return BACKEND.main(argv)

"""Reading litellm's bundled model metadata as a file: never imports litellm, never goes online."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import zipfile
from pathlib import Path

from toki_tools._json import InputError, as_object

__all__ = ["METADATA_FILE", "read_metadata", "wheel_version"]

METADATA_FILE = "model_prices_and_context_window_backup.json"


def wheel_version(wheel: Path) -> str:
    """The version in a wheel's file name (``litellm-1.95.0-py3-none-any.whl`` -> ``1.95.0``)."""
    parts = wheel.name.split("-")
    if len(parts) < 5 or not wheel.name.endswith(".whl"):
        raise InputError(f"{wheel}: not a wheel file name")
    return parts[1]


def read_metadata(
    *, wheel: Path | None = None, json_path: Path | None = None, version: str | None = None
) -> tuple[dict[str, object], str]:
    """``(metadata, litellm version)`` from a wheel, a JSON file (``version`` required), or the
    installed litellm package (located with ``find_spec``, which does not import it)."""
    if wheel is not None:
        with zipfile.ZipFile(wheel) as archive:
            text = archive.read(f"litellm/{METADATA_FILE}").decode("utf-8")
        found_version = wheel_version(wheel)
    elif json_path is not None:
        if not version:
            raise InputError("--litellm-json needs --litellm-version")
        text = json_path.read_text(encoding="utf-8")
        found_version = version
    else:
        spec = importlib.util.find_spec("litellm")
        if spec is None or not spec.submodule_search_locations:
            raise InputError(
                "litellm is not installed: run with `uv run --with litellm==X ...`, or pass a wheel or JSON file"
            )
        text = (Path(next(iter(spec.submodule_search_locations))) / METADATA_FILE).read_text(encoding="utf-8")
        found_version = importlib.metadata.version("litellm")
    metadata = as_object(json.loads(text), METADATA_FILE)
    metadata.pop("sample_spec", None)
    return metadata, found_version

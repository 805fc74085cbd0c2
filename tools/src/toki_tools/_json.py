"""Reading and writing the saved inputs: JSON in, typed values out, with errors that say where."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = [
    "JSON",
    "InputError",
    "dump",
    "load",
    "opt_int",
    "as_list",
    "as_object",
    "as_str",
    "as_strings",
    "source_of",
]

#: A decoded JSON object.
JSON = dict[str, Any]


class InputError(ValueError):
    """A saved input (or fetched document) does not have the shape its backend reads."""


def load(path: Path) -> JSON:
    """The JSON object stored at ``path``."""
    try:
        data: object = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise InputError(f"{path}: not JSON ({error})") from error
    return dict(as_object(data, str(path)))


def dump(data: JSON) -> str:
    """The saved-input text of ``data``: two-space indent, UTF-8 kept, trailing newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def as_object(value: object, where: str) -> dict[str, object]:
    """``value`` as a JSON object, or :class:`InputError`."""
    if not isinstance(value, dict):
        raise InputError(f"{where}: expected an object, got {type(value).__name__}")
    result: dict[str, object] = {}
    for key, item in value.items():  # pyright: ignore[reportUnknownVariableType]
        if not isinstance(key, str):
            raise InputError(f"{where}: keys must be strings")
        result[key] = item
    return result


def as_list(value: object, where: str) -> list[object]:
    """``value`` as a JSON array, or :class:`InputError`."""
    if not isinstance(value, list):
        raise InputError(f"{where}: expected an array, got {type(value).__name__}")
    return list(value)  # pyright: ignore[reportUnknownArgumentType]


def as_str(value: object, where: str) -> str:
    """``value`` as a non-empty string, or :class:`InputError`."""
    if not isinstance(value, str) or not value:
        raise InputError(f"{where}: expected a non-empty string, got {value!r}")
    return value


def as_strings(value: object, where: str) -> list[str]:
    """``value`` as an array of strings (``null`` counts as empty), or :class:`InputError`."""
    if value is None:
        return []
    return [as_str(item, f"{where}[{index}]") for index, item in enumerate(as_list(value, where))]


def opt_int(value: object, where: str) -> int | None:
    """``value`` as an int or ``None`` (integral floats accepted), or :class:`InputError`."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise InputError(f"{where}: expected an integer, got {value!r}")
    return int(value)


def source_of(data: JSON) -> tuple[str, list[str]]:
    """The ``source`` block of a saved input: ``(as_of, provenance paragraphs)``."""
    source = as_object(data.get("source"), "source")
    as_of = as_str(source.get("as_of"), "source.as_of")
    provenance = as_strings(source.get("provenance"), "source.provenance")
    if not provenance:
        raise InputError("source.provenance: say what the data was made from")
    return as_of, provenance

"""The package surface: exports, docstrings, and a standard-library-only import."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys

import toki.helpers.jsonstream as jsonstream


def test_public_names_are_exported_and_documented() -> None:
    expected = {
        "streaming_parse_json",
        "trash_skipper",
        "JsonStrStream",
        "JsonArrStream",
        "JsonDictStream",
        "JsonStream",
        "JsonEventScanner",
        "EventKind",
        "JsonStreamError",
        "JsonStreamLockedError",
    }
    assert expected <= set(jsonstream.__all__)
    for name in jsonstream.__all__:
        obj = getattr(jsonstream, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):  # (type aliases have no docstring)
            assert inspect.getdoc(obj), name
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if not attr.startswith("_") and (inspect.isfunction(member) or isinstance(member, property)):
                    assert inspect.getdoc(member), f"{name}.{attr}"


def test_import_needs_only_the_standard_library() -> None:
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "from toki.helpers.jsonstream import streaming_parse_json\n"
        "new = set(sys.modules) - before\n"
        "print(sorted(m for m in new if m.split('.')[0] not in sys.stdlib_module_names))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    foreign: list[str] = ast.literal_eval(out)
    assert all(name.split(".")[0] in ("toki", "typing_extensions") for name in foreign), foreign

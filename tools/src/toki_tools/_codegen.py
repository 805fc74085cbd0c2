"""The pure render step shared by every generator: rows of attributes in, ``models.py`` text out.

Deterministic by construction: ids are sorted by code point and unique (they are mapping keys),
string literals are written by :func:`py_str` (ASCII only, so no Unicode-database lookup that could
change between Python versions), and long lines are split exactly the way ``ruff format`` splits
them at the workspace's line length, so the output is already formatted.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = ["LINE_LENGTH", "Field", "Row", "Shape", "Value", "py_str", "render_module"]

#: The workspace's ``ruff`` line length.
LINE_LENGTH = 120
_WRAP = 96  # prose in the generated docstrings

Value = int | bool | None
#: One model's attribute values, in the order of :attr:`Shape.fields`.
Row = tuple[Value, ...]


@dataclass(frozen=True)
class Field:
    """One field of the generated ``Attr`` dataclass."""

    name: str
    kind: Literal["int", "bool"]
    optional: bool
    doc: str

    @property
    def annotation(self) -> str:
        """The field's type as written in the generated module."""
        return f"{self.kind} | None" if self.optional else self.kind

    def check(self, value: object, model_id: str) -> Value:
        """``value`` if it fits this field's type, else :class:`ValueError` naming the model."""
        if value is None and self.optional:
            return None
        if self.kind == "bool" and isinstance(value, bool):
            return value
        if self.kind == "int" and isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ValueError(f"{model_id!r}: {self.name} must be {self.annotation}, not {value!r}")


@dataclass(frozen=True)
class Shape:
    """The public shape of one backend's ``models.py``: what the backend imports from it."""

    backend: str  # toki-fetch-<backend>-models, list_<backend>_models
    literal: str  # the Literal's name
    title: str  # first line of the module docstring
    notes: tuple[str, ...]  # paragraphs on what the fields mean, after the provenance
    literal_comment: str
    attr_doc: str
    fields: tuple[Field, ...]
    list_doc: str = "Every model id of this snapshot, sorted."
    #: Further functions returning the same list: ``(name, docstring)``.
    aliases: tuple[tuple[str, str], ...] = ()

    @property
    def command(self) -> str:
        """The console script that regenerates the module."""
        return f"toki-fetch-{self.backend}-models"

    @property
    def list_function(self) -> str:
        """The name of the module's listing function."""
        return f"list_{self.backend}_models"


def py_str(text: str) -> str:
    """``text`` as a Python string literal, the way ``ruff format`` leaves it.

    Double quotes unless the text holds more double than single quotes (ruff's rule);
    backslashes, the chosen quote, control and non-ASCII characters escaped (lower-case hex).
    """
    quote = "'" if text.count('"') > text.count("'") else '"'
    out: list[str] = []
    for char in text:
        code = ord(char)
        if char == "\\" or char == quote:
            out.append("\\" + char)
        elif 0x20 <= code < 0x7F:
            out.append(char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return quote + "".join(out) + quote


def _value(value: Value) -> str:
    return repr(value)  # None, True, False or a decimal int: the same on every Python


def _entry(key: str, args: Sequence[str]) -> list[str]:
    """A ``key: Attr(args),`` dict item at indent 4, split like ``ruff format`` when too long."""
    joined = ", ".join(args)
    line = f"    {key}: Attr({joined}),"
    if len(line) <= LINE_LENGTH:
        return [line]
    if 8 + len(joined) <= LINE_LENGTH:
        return [f"    {key}: Attr(", f"        {joined}", "    ),"]
    return [f"    {key}: Attr(", *[f"        {arg}," for arg in args], "    ),"]


def _string_list(name: str, items: Sequence[str]) -> list[str]:
    line = f"{name} = [{', '.join(py_str(item) for item in items)}]"
    if len(line) <= LINE_LENGTH:
        return [line]
    return [f"{name} = [", *[f"    {py_str(item)}," for item in items], "]"]


def _docstring_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def _paragraph(text: str, indent: str = "") -> list[str]:
    lines = textwrap.wrap(
        " ".join(text.split()),
        width=_WRAP,
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [_docstring_text(line) for line in lines]


def _comment(text: str) -> list[str]:
    return [f"#: {line}" for line in textwrap.wrap(" ".join(text.split()), width=_WRAP, break_long_words=False)]


def render_module(
    shape: Shape,
    rows: Mapping[str, Sequence[object]],
    *,
    provenance: Sequence[str],
    as_of: str,
    input_name: str,
) -> str:
    """The text of a ``models.py``.

    Args:
        shape: the backend's public shape.
        rows: attribute values per model id, in :attr:`Shape.fields` order (checked against the
            field types; any order of ids, they are sorted here).
        provenance: paragraphs saying what the data was made from.
        as_of: when, or from which release, the data was taken.
        input_name: the saved input it was rendered from, as shown in the header.
    """
    if not rows:
        raise ValueError(f"{shape.command}: no models to render (a Literal needs at least one id)")
    checked: dict[str, Row] = {}
    for model_id in sorted(rows):
        values = rows[model_id]
        if len(values) != len(shape.fields):
            raise ValueError(f"{model_id!r}: {len(values)} values for {len(shape.fields)} fields")
        checked[model_id] = tuple(
            field.check(value, model_id) for field, value in zip(shape.fields, values, strict=True)
        )

    command = shape.command
    names = sorted(["Attr", shape.literal, "attributes_map", shape.list_function, *(a for a, _ in shape.aliases)])
    lines = [
        f"# Generated by {command} (toki-tools); do not edit by hand.",
        f'"""{_docstring_text(shape.title)}',
        "",
    ]
    for paragraph in provenance:
        lines += [*_paragraph(paragraph), ""]
    lines += [
        *_paragraph(
            f"As of {as_of}. Rendered by {command} from its saved input ({input_name}); do not edit "
            f"by hand: run `{command}` to refresh the data, `{command} --input FILE` to render a "
            f"saved input, and `{command} --check` to verify this file."
        ),
        "",
    ]
    for paragraph in shape.notes:
        lines += [*_paragraph(paragraph), ""]
    lines[-1] = '"""'
    lines += [
        "",
        "from __future__ import annotations",
        "",
        "from dataclasses import dataclass",
        "from typing import Literal",
        "",
        *_string_list("__all__", names),
        "",
        *_comment(shape.literal_comment),
        f"{shape.literal} = Literal[",
        *[f"    {py_str(model_id)}," for model_id in checked],
        "]",
        "",
        "",
        "@dataclass(frozen=True, slots=True)",
        "class Attr:",
        f'    """{_docstring_text(shape.attr_doc)}',
        "",
        "    Attributes:",
    ]
    for field in shape.fields:
        head = f"{field.name}: "
        wrapped = _paragraph(head + field.doc, " " * 12)
        lines += ["        " + wrapped[0].lstrip(), *wrapped[1:]]
    lines += [
        '    """',
        "",
        *[f"    {field.name}: {field.annotation}" for field in shape.fields],
        "",
        "",
        f"#: What the snapshot says about each model of :data:`{shape.literal}`, by id.",
        "attributes_map: dict[str, Attr] = {",
    ]
    for model_id, values in checked.items():
        args = [f"{field.name}={_value(value)}" for field, value in zip(shape.fields, values, strict=True)]
        lines += _entry(py_str(model_id), args)
    lines += [
        "}",
        "",
        "",
        f"def {shape.list_function}() -> list[str]:",
        f'    """{_docstring_text(shape.list_doc)}"""',
        "    return sorted(attributes_map)",
    ]
    for alias, doc in shape.aliases:
        lines += [
            "",
            "",
            f"def {alias}() -> list[str]:",
            f'    """{_docstring_text(doc)}"""',
            "    return sorted(attributes_map)",
        ]
    return "\n".join(lines) + "\n"

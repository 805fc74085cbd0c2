"""What every generator shares: saved input -> rows, render, merge with its report, and the CLI.

A saved input is a JSON object with three parts:

* ``source``: ``{"as_of": ..., "provenance": [paragraphs]}``, copied into the generated header;
* the listing, in the source's own format, under a backend-specific key (``data`` for
  OpenRouter, ``model_prices_and_context_window`` for litellm, ``models`` for Ollama and local);
* ``curated``: hand-curated entries in the same format as the listing. A fetch never writes
  them; merging keeps them whether or not the new listing has them, and on a shared id the
  curated entry wins.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from toki_tools._codegen import Row, Shape, render_module
from toki_tools._http import FetchError
from toki_tools._json import JSON, InputError, dump, load, source_of

__all__ = ["INPUTS", "Backend", "MergeReport", "add_row", "snapshot_rows", "workspace_root"]

#: Where the saved inputs live (inside the package, so an installed toki-tools finds them too).
INPUTS = Path(__file__).resolve().parent / "inputs"


def add_row(rows: dict[str, Row], model_id: str, row: Row, where: str) -> None:
    """Add ``row`` under ``model_id``: an identical repeat is dropped, a conflicting one is an error."""
    if model_id in rows and rows[model_id] != row:
        raise InputError(f"{where}: {model_id!r} is listed twice with different attributes")
    rows[model_id] = row


@dataclass(frozen=True)
class MergeReport:
    """What a merge changed in the rendered snapshot."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    #: ``"id: field old -> new, ..."`` per model whose attributes changed.
    changed: tuple[str, ...] = ()
    #: Curated ids the new listing does not have: kept all the same.
    curated_kept: tuple[str, ...] = ()
    #: Curated ids the new listing has with other attributes: the curated entry wins.
    curated_overrides: tuple[str, ...] = ()

    @property
    def changed_anything(self) -> bool:
        """Whether the rendered snapshot differs from the previous one."""
        return bool(self.added or self.removed or self.changed)

    def format(self) -> str:
        """The report as text: the changes (or "no changes"), then the hand-curated entries kept."""
        parts: list[str] = [] if self.changed_anything else ["no changes"]
        for title, items in (
            ("added", self.added),
            ("removed (pruned: no longer listed by the source)", self.removed),
            ("changed", self.changed),
            ("hand-curated, kept although the source does not list them", self.curated_kept),
            ("hand-curated, overriding what the source says", self.curated_overrides),
        ):
            if items:
                parts.append(f"{title} ({len(items)}):")
                parts += [f"  {item}" for item in items]
        return "\n".join(parts) + "\n"


def _nothing(parser: argparse.ArgumentParser) -> None:
    del parser


#: The network step: ``(parsed arguments, previous saved input or None) -> new saved input``.
Fetcher = Callable[[argparse.Namespace, JSON | None], JSON]


@dataclass(frozen=True)
class Backend:
    """One ``toki-fetch-<backend>-models`` generator."""

    shape: Shape
    #: The generated module, relative to the workspace root.
    target: str
    #: The key of the saved input holding the listing.
    listing_key: str
    #: One section (the listing or ``curated``) -> rows; raises :class:`InputError` on bad data.
    parse: Callable[[object, str], dict[str, Row]]
    #: The network step: ``(arguments, previous saved input or None) -> new saved input``.
    fetcher: Fetcher
    add_arguments: Callable[[argparse.ArgumentParser], None] = field(default=_nothing)
    description: str = ""
    #: The inverse of :attr:`parse` for one entry, for backends whose snapshot may be edited by
    #: hand (``--from-snapshot``); ``None`` where the listing is only ever fetched.
    to_entry: Callable[[str, Row], JSON] | None = None

    @property
    def name(self) -> str:
        """The backend's name, as in ``toki-fetch-<name>-models``."""
        return self.shape.backend

    @property
    def input_path(self) -> Path:
        """The saved input the committed snapshot is rendered from."""
        return INPUTS / f"{self.name}.json"

    def sections(self, data: Mapping[str, object]) -> tuple[dict[str, Row], dict[str, Row]]:
        """``(listing rows, curated rows)`` of a saved input."""
        if self.listing_key not in data:
            raise InputError(f"no {self.listing_key!r} listing")
        listing = self.parse(data[self.listing_key], self.listing_key)
        curated = self.parse(data["curated"], "curated") if data.get("curated") is not None else {}
        return listing, curated

    def rows(self, data: Mapping[str, object]) -> dict[str, Row]:
        """The rows the snapshot shows: the listing, with curated entries added or overriding, sorted."""
        listing, curated = self.sections(data)
        return dict(sorted({**listing, **curated}.items()))

    def render(self, data: JSON) -> str:
        """The ``models.py`` text of a saved input (pure and deterministic)."""
        as_of, provenance = source_of(data)
        return render_module(
            self.shape,
            self.rows(data),
            provenance=provenance,
            as_of=as_of,
            input_name=f"tools/src/toki_tools/inputs/{self.name}.json",
        )

    def merge(self, old: JSON | None, new: JSON) -> tuple[JSON, MergeReport]:
        """``new`` with ``old``'s hand-curated entries kept, and what changed from ``old``.

        The listing is taken from ``new`` as is, so entries the source no longer lists are pruned.
        """
        merged = dict(new)
        if old is not None and old.get("curated") is not None:
            merged["curated"] = old["curated"]
        return merged, self.report(old, merged)

    def report(self, old: JSON | None, new: JSON) -> MergeReport:
        """What changed in the rendered snapshot from saved input ``old`` to ``new``."""
        before = self.rows(old) if old is not None else {}
        after = self.rows(new)
        listing, curated = self.sections(new)
        changed: list[str] = []
        for model_id in sorted(before.keys() & after.keys()):
            diffs = [
                f"{f.name} {a!r} -> {b!r}"
                for f, a, b in zip(self.shape.fields, before[model_id], after[model_id], strict=True)
                if a != b
            ]
            if diffs:
                changed.append(f"{model_id}: {', '.join(diffs)}")
        overrides = (model_id for model_id in curated.keys() & listing.keys() if curated[model_id] != listing[model_id])
        return MergeReport(
            added=tuple(sorted(after.keys() - before.keys())),
            removed=tuple(sorted(before.keys() - after.keys())),
            changed=tuple(changed),
            curated_kept=tuple(sorted(curated.keys() - listing.keys())),
            curated_overrides=tuple(sorted(overrides)),
        )

    def from_snapshot(self, text: str, old: JSON) -> JSON:
        """The saved input ``old`` with its entries replaced by those of a (hand-edited) ``models.py``.

        ``old``'s ``source`` is kept as is; ids in ``old``'s ``curated`` section stay curated.
        """
        if self.to_entry is None:
            raise InputError(f"{self.shape.command} has no --from-snapshot: its listing is only ever fetched")
        rows = snapshot_rows(text, self.shape)
        _, curated = self.sections(old)
        to_entry = self.to_entry
        return {
            "source": old["source"],
            self.listing_key: [to_entry(i, row) for i, row in rows.items() if i not in curated],
            "curated": [to_entry(i, row) for i, row in rows.items() if i in curated],
        }

    # --- command line -------------------------------------------------------------------------

    def _parser(self) -> argparse.ArgumentParser:
        command = self.shape.command
        parser = argparse.ArgumentParser(
            prog=command,
            description=(
                f"{self.description} Without --input or --check, fetch the source (network), merge it "
                f"into the saved input ({self.input_path.name}: hand-curated entries kept, removed ones "
                "pruned, changes reported), and write both the saved input and the models.py."
            ),
        )
        parser.add_argument(
            "--input",
            type=Path,
            metavar="FILE",
            help="render from this saved input instead of fetching (--check defaults to the packaged one)",
        )
        parser.add_argument(
            "--output",
            type=Path,
            metavar="FILE",
            help=f"the models.py to write or check (default: <workspace>/{self.target})",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="exit 1, with a summary, when the models.py differs from the render of the saved input",
        )
        parser.add_argument(
            "--save-input",
            type=Path,
            metavar="FILE",
            help="where a fetch writes the merged saved input (default: the packaged one)",
        )
        if self.to_entry is not None:
            parser.add_argument(
                "--from-snapshot",
                nargs="?",
                const=_DEFAULT,
                type=Path,
                metavar="FILE",
                help="no fetch: rebuild the saved input's entries from a hand-edited models.py (default: the "
                "committed one), keeping its source block and curated ids, then re-render",
            )
        self.add_arguments(parser)
        return parser

    def main(self, argv: Sequence[str] | None = None) -> int:
        """The console script: returns the exit status (0 ok, 1 stale under --check, 2 error)."""
        args = self._parser().parse_args(None if argv is None else list(argv))
        command = self.shape.command
        try:
            output: Path = args.output if args.output is not None else workspace_root() / self.target
            if args.check:
                return self._check(args.input if args.input is not None else self.input_path, output)
            snapshot: Path | None = getattr(args, "from_snapshot", None)
            if snapshot is not None:
                return self._adopt(output if snapshot == _DEFAULT else snapshot, args, output)
            if args.input is not None:
                data = load(args.input)
                _write(output, self.render(data))
                sys.stdout.write(f"{output}: rendered from {args.input} ({len(self.rows(data))} models)\n")
                return 0
            return self._fetch_and_write(args, output)
        except (InputError, FetchError, OSError, ValueError) as error:
            sys.stderr.write(f"{command}: error: {error}\n")
            return 2

    def _fetch_and_write(self, args: argparse.Namespace, output: Path) -> int:
        save: Path = args.save_input if args.save_input is not None else self.input_path
        old = load(save) if save.exists() else None
        merged, report = self.merge(old, self.fetcher(args, old))
        text = self.render(merged)
        _write(save, dump(merged))
        _write(output, text)
        sys.stdout.write(report.format())
        sys.stdout.write(f"wrote {save} and {output} ({len(self.rows(merged))} models)\n")
        return 0

    def _adopt(self, snapshot: Path, args: argparse.Namespace, output: Path) -> int:
        save: Path = args.save_input if args.save_input is not None else self.input_path
        old = load(save)
        data = self.from_snapshot(snapshot.read_text(encoding="utf-8"), old)
        text = self.render(data)
        _write(save, dump(data))
        _write(output, text)
        sys.stdout.write(self.report(old, data).format())
        sys.stdout.write(
            f"wrote {save} and {output} ({len(self.rows(data))} models); review the saved input's "
            "source block (as_of, provenance): it was kept as it was\n"
        )
        return 0

    def _check(self, input_path: Path, output: Path) -> int:
        command = self.shape.command
        rendered = self.render(load(input_path))
        committed = output.read_text(encoding="utf-8") if output.exists() else None
        if committed == rendered:
            sys.stdout.write(f"{command}: ok: {output} is the render of {input_path}\n")
            return 0
        lines = [f"{command} --check: {output} differs from the render of {input_path}"]
        if committed is None:
            lines.append("  the file does not exist")
        else:
            lines += _summary(committed, rendered, self.shape)
        lines.append(f"  to rewrite it from the saved input: {command} --input {input_path}")
        sys.stderr.write("\n".join(lines) + "\n")
        return 1


_DEFAULT = Path("<the committed models.py>")


def snapshot_rows(text: str, shape: Shape) -> dict[str, Row]:
    """The rows of a ``models.py``'s ``attributes_map`` (``Attr`` calls with literal arguments, by
    keyword or by position), read with :mod:`ast`: nothing is imported or run."""
    try:
        module = ast.parse(text)
    except SyntaxError as error:
        raise InputError(f"not Python: {error}") from error
    names = [f.name for f in shape.fields]
    for node in module.body:
        target = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
        if not (isinstance(target, ast.Name) and target.id == "attributes_map" and isinstance(value, ast.Dict)):
            continue
        rows: dict[str, Row] = {}
        for key, item in zip(value.keys, value.values, strict=True):
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str) and isinstance(item, ast.Call)):
                raise InputError("attributes_map: expected 'id': Attr(...) entries")
            if len(item.args) > len(names):
                raise InputError(f"{key.value!r}: Attr takes {len(names)} arguments")
            given: dict[str, object] = dict(zip(names, (ast.literal_eval(a) for a in item.args), strict=False))
            given.update({k.arg: ast.literal_eval(k.value) for k in item.keywords if k.arg is not None})
            if sorted(given) != sorted(names):
                raise InputError(f"{key.value!r}: Attr takes {names}, got {sorted(given)}")
            rows[key.value] = tuple(f.check(given[f.name], key.value) for f in shape.fields)
        return rows
    raise InputError("no attributes_map = {...} in the file")


def _write(path: Path, text: str) -> None:
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def _rows_or_none(text: str, shape: Shape) -> dict[str, Row] | None:
    try:
        return snapshot_rows(text, shape)
    except (InputError, ValueError):
        return None


def _preview(items: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f", ... ({len(items) - limit} more)" if len(items) > limit else "")


def _summary(committed: str, rendered: str, shape: Shape) -> list[str]:
    lines: list[str] = []
    old, new = _rows_or_none(committed, shape), _rows_or_none(rendered, shape)
    if old is not None and new is not None:
        only_new = sorted(new.keys() - old.keys())
        only_old = sorted(old.keys() - new.keys())
        differing = sorted(k for k in old.keys() & new.keys() if old[k] != new[k])
        if only_new:
            lines.append(f"  {len(only_new)} ids only in the render: {_preview(only_new)}")
        if only_old:
            lines.append(f"  {len(only_old)} ids only in the committed file: {_preview(only_old)}")
        if differing:
            lines.append(f"  {len(differing)} ids with other attributes: {_preview(differing)}")
        if not (only_new or only_old or differing):
            lines.append("  same models and attributes; the text differs (header, formatting or layout)")
    diff = list(
        difflib.unified_diff(committed.splitlines(), rendered.splitlines(), "committed", "rendered", n=0, lineterm="")
    )
    changed = sum(1 for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---")))
    lines.append(f"  {changed} lines differ; first of the diff:")
    lines += [f"    {line}" for line in diff[:24]]
    return lines


def workspace_root(start: Path | None = None) -> Path:
    """The toki workspace root: the nearest folder up from ``start`` (or the working directory,
    then this package's source) whose ``pyproject.toml`` declares a uv workspace."""
    candidates = [start] if start is not None else [Path.cwd(), Path(__file__).resolve().parent]
    for origin in candidates:
        for folder in [origin.resolve(), *origin.resolve().parents]:
            pyproject = folder / "pyproject.toml"
            if pyproject.is_file() and "[tool.uv.workspace]" in pyproject.read_text(encoding="utf-8"):
                return folder
    raise InputError("not inside the toki workspace: pass --output")

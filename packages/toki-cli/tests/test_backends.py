"""``--model`` parsing and model construction, without any backend installed."""

from __future__ import annotations

import sys

import pytest
from toki_cli.backends import BACKENDS, DEFAULT_MODEL, UsageError, attributes_of, build_model, parse_model_spec


def test_model_ids_may_contain_colons() -> None:
    backend, model_id = parse_model_spec("ollama:qwen3:1.7b")
    assert (backend.name, model_id) == ("ollama", "qwen3:1.7b")


def test_the_default_is_the_embedded_local_model() -> None:
    backend, model_id = parse_model_spec(DEFAULT_MODEL)
    assert (backend.name, model_id) == ("local", "smollm2-135m-instruct")


@pytest.mark.parametrize("spec", ["gpt-4o", "bogus:model", "openrouter:", ":x"])
def test_malformed_specs_say_what_a_spec_looks_like(spec: str) -> None:
    with pytest.raises(UsageError, match="backend:model-id") as info:
        parse_model_spec(spec)
    for name in BACKENDS:
        assert name in str(info.value)


def test_base_url_is_refused_for_the_local_backend() -> None:
    with pytest.raises(UsageError, match="--base-url"):
        build_model("local:whatever", base_url="http://127.0.0.1:1")


def test_a_missing_backend_package_names_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import toki

    monkeypatch.setitem(sys.modules, "toki_openrouter", None)
    monkeypatch.delitem(toki.__dict__, "OpenRouterModel", raising=False)
    with pytest.raises(ImportError, match=r"pip install 'toki\[openrouter\]'"):
        build_model("openrouter:google/gemini-2.5-flash")
    with pytest.raises(ImportError, match="toki-openrouter"):
        attributes_of("openrouter")


def test_unknown_backend_for_models() -> None:
    with pytest.raises(UsageError, match="unknown backend"):
        attributes_of("nope")

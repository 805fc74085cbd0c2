"""The fetch steps, on canned documents and mocked transports (nothing here touches the network)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from toki_tools import _json, anthropic, google, local, ollama, openai, openrouter
from toki_tools._http import FetchError, today


def _client(routes: dict[str, tuple[int, str]]) -> httpx.Client:
    """A client answering ``scheme://host/path`` (query ignored) from ``routes``; anything else is 404."""

    def handle(request: httpx.Request) -> httpx.Response:
        status, body = routes.get(str(request.url.copy_with(query=None)), (404, "not found"))
        return httpx.Response(status, text=body)

    return httpx.Client(transport=httpx.MockTransport(handle))


def _with(client: httpx.Client, run: Callable[[httpx.Client], dict[str, Any]]) -> dict[str, Any]:
    with client:
        return run(client)


# --- OpenRouter ------------------------------------------------------------------------------------


def test_openrouter_fetch_keeps_text_models_and_the_fields_read() -> None:
    payload = {
        "data": [
            {
                "id": "b/chat",
                "name": "B: Chat",
                "context_length": 131072,
                "supported_parameters": ["tools", "temperature", "reasoning"],
                "architecture": {"output_modalities": ["text"]},
                "pricing": {"prompt": "0.1"},
            },
            {"id": "a/image", "context_length": 4096, "architecture": {"output_modalities": ["image"]}},
            {"id": "a/plain", "context_length": None, "supported_parameters": None},
        ]
    }
    client = _client({openrouter.MODELS_URL: (200, json.dumps(payload))})
    data = _with(client, lambda http: openrouter.fetch(client=http))
    assert data["source"]["as_of"] == today()
    assert data["data"] == [
        {"id": "a/plain", "context_length": None, "supported_parameters": []},
        {
            "id": "b/chat",
            "name": "B: Chat",
            "context_length": 131072,
            "supported_parameters": ["reasoning", "temperature", "tools"],
        },
    ]
    assert openrouter.BACKEND.rows(data) == {"a/plain": (None, False, False), "b/chat": (131072, True, True)}


def test_openrouter_fetch_failure_is_a_fetch_error() -> None:
    client = _client({openrouter.MODELS_URL: (500, "oops")})
    with pytest.raises(FetchError, match="HTTP 500"):
        _with(client, lambda http: openrouter.fetch(client=http))


def test_openrouter_listing_derived_from_litellm() -> None:
    entries = {
        "openrouter/v/full": {
            "mode": "chat",
            "max_input_tokens": 1000,
            "supports_function_calling": True,
            "supports_reasoning": False,
        },
        "openrouter/v/bare": {"max_tokens": 500},
        "openrouter/v/claude-x-5": {"mode": "chat", "max_input_tokens": 200},
        "openrouter/v/embed": {"mode": "embedding"},
        "other/v/model": {"mode": "chat"},
    }
    rules = {
        "fallback_generalizations": {
            "rules": [
                {
                    "pattern": "claude-",
                    "fill_missing_for_providers": ["bedrock"],
                    "model_info": {"supports_reasoning": False},
                },
                {
                    "pattern": "claude-[a-z]+-\\d",
                    "model_info": {"supports_reasoning": True, "supports_function_calling": True},
                },
            ]
        }
    }
    data = openrouter.from_litellm(entries, "litellm 1.0", rules, "litellm 2.0")
    assert [m["id"] for m in data["data"]] == ["v/bare", "v/claude-x-5", "v/full"]
    assert openrouter.BACKEND.rows(data) == {
        "v/bare": (500, None, None),  # litellm records neither flag
        "v/claude-x-5": (200, True, True),  # filled from the second rule (the first is for bedrock only)
        "v/full": (1000, True, False),
    }
    assert data["source"]["as_of"] == "litellm 1.0 (entries) and litellm 2.0 (fallback rules)"
    assert "not reachable" in data["source"]["provenance"][0]


# --- litellm-fed backends ----------------------------------------------------------------------------


def _metadata(tmp_path: Path) -> Path:
    metadata = {
        "sample_spec": {"mode": "chat"},
        "gpt-x": {
            "litellm_provider": "openai",
            "mode": "chat",
            "max_input_tokens": 100,
            "supports_function_calling": True,
            "input_cost_per_token": 1,
        },
        "gpt-image": {"litellm_provider": "openai", "mode": "image_generation"},
        "ft:gpt-x": {"litellm_provider": "openai", "mode": "chat"},
        "azure/gpt-x": {"litellm_provider": "azure", "mode": "chat"},
        "gemini/gem-1": {"litellm_provider": "gemini", "mode": "chat", "max_tokens": 50, "supports_reasoning": True},
        "gem-1": {"litellm_provider": "gemini", "mode": "chat", "max_tokens": 70},
        "gemini/tuned/gem": {"litellm_provider": "gemini", "mode": "chat"},
        "claude-z": {"litellm_provider": "anthropic", "mode": "chat", "supports_reasoning": "yes"},
    }
    path = tmp_path / "model_prices_and_context_window_backup.json"
    path.write_text(json.dumps(metadata), encoding="utf-8")
    return path


def test_litellm_subset_keeps_one_provider_and_the_keys_read(tmp_path: Path) -> None:
    data = openai.fetch(metadata_json=_metadata(tmp_path), version="9.9.9")
    assert data["source"]["as_of"] == "litellm 9.9.9"
    listing = data["model_prices_and_context_window"]
    assert sorted(listing) == ["ft:gpt-x", "gpt-image", "gpt-x"]
    assert "input_cost_per_token" not in listing["gpt-x"]
    assert openai.BACKEND.rows(data) == {"gpt-x": (100, True, False)}


def test_litellm_bare_key_wins_and_flags_need_true(tmp_path: Path) -> None:
    path = _metadata(tmp_path)
    assert google.BACKEND.rows(google.fetch(metadata_json=path, version="1")) == {"gem-1": (70, False, False)}
    assert anthropic.BACKEND.rows(anthropic.fetch(metadata_json=path, version="1")) == {
        "claude-z": (None, False, False)
    }


def test_litellm_cli_reads_a_json_file(tmp_path: Path) -> None:
    out, saved = tmp_path / "models.py", tmp_path / "saved.json"
    argv = [
        "--litellm-json",
        str(_metadata(tmp_path)),
        "--litellm-version",
        "1.2.3",
        "--output",
        str(out),
        "--save-input",
        str(saved),
    ]
    assert openai.main(argv) == 0
    assert "gpt-x" in out.read_text(encoding="utf-8") and "litellm 1.2.3" in out.read_text(encoding="utf-8")
    assert openai.main(["--check", "--input", str(saved), "--output", str(out)]) == 0


def test_litellm_json_without_a_version_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "--litellm-json",
        str(_metadata(tmp_path)),
        "--output",
        str(tmp_path / "m.py"),
        "--save-input",
        str(tmp_path / "s.json"),
    ]
    assert openai.main(argv) == 2
    assert "needs --litellm-version" in capsys.readouterr().err


# --- Ollama -------------------------------------------------------------------------------------------


def _listing_item(name: str, capabilities: list[str], sizes: list[str]) -> str:
    caps = "".join(f'<span x-test-capability class="c">{c}</span>' for c in capabilities)
    size = "".join(f'<span x-test-size class="s">{s}</span>' for s in sizes)
    title = f"<span x-test-search-response-title>{name}</span>"
    return f'<li x-test-model class="m"><a href="/library/{name}">{title}{caps}{size}</a></li>'


def _tags_page(family: str, contexts: dict[str, str]) -> str:
    rows = "".join(
        f'<a href="/library/{family}:{tag}">{tag}</a><p>1.2GB · {ctx} context window · Text</p>'
        for tag, ctx in contexts.items()
    )
    return f"<html>{rows}</html>"


def test_ollama_page_parsers() -> None:
    html = _listing_item("qwen3", ["tools", "thinking"], ["0.6b", "8b"]) + _listing_item("nomic", ["embedding"], [])
    assert ollama.parse_listing(html) == {
        "qwen3": (["thinking", "tools"], ["0.6b", "8b"]),
        "nomic": (["embedding"], []),
    }
    tags = _tags_page("qwen3", {"latest": "40K", "0.6b": "40K", "8b": "128K", "big": "1M"})
    assert ollama.parse_tags(tags, "qwen3") == {"latest": 40960, "0.6b": 40960, "8b": 131072, "big": 1048576}


def test_ollama_fetch_refreshes_known_families_and_prunes_removed_ones(capsys: pytest.CaptureFixture[str]) -> None:
    base = ollama.LIBRARY_URL
    popular = _listing_item("qwen3", ["tools", "thinking"], ["8b"]) + _listing_item("nomic", ["embedding"], [])
    routes = {
        base: (200, popular),
        f"{base}/qwen3/tags": (200, _tags_page("qwen3", {"latest": "40K"})),  # no 8b context this time
        "https://ollama.com/search": (200, _listing_item("llama3", [], ["8b"])),
        f"{base}/llama3/tags": (200, _tags_page("llama3", {"latest": "8K", "8b": "8K"})),
    }
    previous = _ollama_previous([("qwen3:8b", 40960), ("llama3", 8192), ("retired", 2048), ("retired:1b", 2048)])
    data = _with(_client(routes), lambda http: ollama.fetch(previous, client=http, limit=5))
    assert ollama.BACKEND.rows(data) == {
        "llama3": (8192, False, False),
        "llama3:8b": (8192, False, False),
        "qwen3": (40960, True, True),
        "qwen3:8b": (40960, True, True),  # kept from the previous listing
    }
    err = capsys.readouterr().err
    assert "retired: no longer in the library, pruned" in err
    assert "qwen3:8b: no context window on the tags page, kept the previous one" in err


def _ollama_previous(tags: list[tuple[str, int]]) -> dict[str, Any]:
    models: list[dict[str, Any]] = [{"name": name, "context": context, "capabilities": []} for name, context in tags]
    return {"source": {"as_of": "t", "provenance": ["p"]}, "models": models, "curated": []}


# --- local (Hugging Face) ----------------------------------------------------------------------------


def test_local_config_and_template_readers() -> None:
    assert local.context_from_config({"max_position_embeddings": 32768}) == 32768
    assert local.context_from_config({"text_config": {"max_position_embeddings": 131072}}) == 131072
    assert local.context_from_config({"max_position_embeddings": True}) is None
    assert local.context_from_config([]) is None
    assert local.supports_tool_call_envelopes("{{ '<tool_call>' }}") is True
    assert local.supports_tool_call_envelopes("<|tool_call|>") is False


def test_local_fetch(capsys: pytest.CaptureFixture[str]) -> None:
    hub = "https://huggingface.co"
    listing = [
        {"id": "org/Chat"},
        {"id": "org/Chat-GGUF"},
        {"id": "org/Gated"},
        {"id": "org/New-Gated"},
        {"id": "org/Jinja"},
    ]
    routes = {
        local.API_URL: (200, json.dumps(listing)),
        f"{hub}/org/Chat/resolve/main/config.json": (200, json.dumps({"max_position_embeddings": 4096})),
        f"{hub}/org/Chat/resolve/main/tokenizer_config.json": (200, json.dumps({"chat_template": "<tool_call>"})),
        f"{hub}/org/Gated/resolve/main/config.json": (403, "gated"),
        f"{hub}/org/New-Gated/resolve/main/config.json": (401, "gated"),
        f"{hub}/org/Jinja/resolve/main/config.json": (
            200,
            json.dumps({"text_config": {"max_position_embeddings": 8192}}),
        ),
        f"{hub}/org/Jinja/resolve/main/tokenizer_config.json": (200, json.dumps({})),
        f"{hub}/org/Jinja/resolve/main/chat_template.jinja": (200, "{{ messages }}"),
    }
    previous = {"models": [{"id": "org/Gated", "context": 2048, "capabilities": ["tools"]}]}
    data = _with(_client(routes), lambda http: local.fetch(previous, client=http, limit=10))
    assert local.BACKEND.rows(data) == {"org/Chat": (4096, True), "org/Gated": (2048, True), "org/Jinja": (8192, False)}
    err = capsys.readouterr().err
    assert "org/Gated: config or chat template unreadable, kept the previous entry" in err
    assert "org/New-Gated: config or chat template unreadable (gated?), left out" in err


def test_saved_inputs_are_stored_as_dumped() -> None:
    """The saved inputs are in the tools' own JSON layout, so a re-save changes nothing."""
    for module in (openrouter, openai, anthropic, google, ollama, local):
        path = module.BACKEND.input_path
        assert path.read_text(encoding="utf-8") == _json.dump(_json.load(path)), path

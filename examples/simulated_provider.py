"""Serve a simulated LLM provider on localhost: the examples' offline stand-in for a tool-calling model.

The embedded local model (``local:smollm2-135m-instruct``) runs anywhere, but it cannot call tools.
To run the tool examples with no key, no daemon and no network, start one of toki's wire
simulators (the ones the test suite uses) with a *cooperative responder* and point an example at it:

    uv run python examples/simulated_provider.py ollama
    # prints:  --model ollama:qwen3:0.6b --base-url http://127.0.0.1:PORT
    uv run python examples/tool_round_trip.py --model ollama:qwen3:0.6b --base-url http://127.0.0.1:PORT

The responder answers like a helpful model would, on each protocol's real wire format:

* the request offers tools and its last message is the user's: a call to the first tool, with
  arguments made up from its JSON schema (a string is the example its description gives after
  "e.g.", else ``"Paris"``; numbers ``1``, booleans ``true``, enums their first value...);
* thinking is requested (OpenRouter ``reasoning``, Anthropic ``thinking``, Gemini ``thinkingConfig``
  with ``includeThoughts``, Ollama ``think``): a little reasoning text first;
* otherwise a short text answer; after a tool result, the answer quotes the result.

The simulators live in ``tests-integration/simulators`` (standard library only); this file puts
that folder on ``sys.path``, so it works from a checkout of the repository.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

_SIMULATORS = Path(__file__).resolve().parents[1] / "tests-integration"
if str(_SIMULATORS) not in sys.path:
    sys.path.insert(0, str(_SIMULATORS))

from simulators import (  # noqa: E402  (after the path set-up above)
    AnthropicSim,
    GeminiSim,
    OllamaModel,
    OllamaSim,
    OpenAIChatSim,
    OpenRouterSim,
    ProtocolSim,
    RecordedRequest,
    ToolCallScript,
    Turn,
)

__all__ = [
    "ANSWER",
    "BACKENDS",
    "THINKING",
    "base_url",
    "example_arguments",
    "install_ollama_models",
    "responder",
    "start",
]

#: The plain answer, streamed in these pieces.
ANSWER = ("Hello", "! I am", " a simulated", " model,", " happy", " to help.")
#: The reasoning text sent when thinking is requested.
THINKING = ("The user", " wants a", " short answer;", " I will", " keep it", " brief.")
#: The answer after a tool result starts with this, then quotes the result.
AFTER_TOOL = "Here is what the tool said: "

# backend name (as in --model backend:model-id) -> (simulator class, path after the server address)
BACKENDS: Mapping[str, tuple[type[ProtocolSim], str]] = {
    "openrouter": (OpenRouterSim, "/api/v1"),
    "openai": (OpenAIChatSim, "/v1"),
    "anthropic": (AnthropicSim, ""),
    "google": (GeminiSim, ""),
    "ollama": (OllamaSim, ""),
}

#: A model id per backend that the simulator accepts (any id works, except on Ollama: see install).
DEFAULT_MODELS: Mapping[str, str] = {
    "openrouter": "google/gemini-2.5-flash",
    "openai": "gpt-4o-mini",
    "anthropic": "claude-haiku-4-5",
    "google": "gemini-2.5-flash",
    "ollama": "qwen3:0.6b",
}

_ARGUMENT_FRAGMENT = 3  # characters per streamed piece of tool-call arguments


# ---------------------------------------------------------------------------------------- arguments


def example_arguments(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Arguments for a tool call made up from the tool's JSON schema (an ``object`` schema)."""
    return _mapping(_example(schema))


def _example(schema: Mapping[str, Any]) -> Any:
    for keyword in ("const", "default"):
        if keyword in schema:
            return schema[keyword]
    for keyword in ("enum", "examples"):
        choices = _list(schema.get(keyword))
        if choices:
            return choices[0]
    kind: object = schema.get("type")
    kinds = _list(kind)
    if kinds:  # e.g. ["string", "null"]
        kind = next((k for k in kinds if k != "null"), "null")
    if kind == "object" or (kind is None and "properties" in schema):
        properties = _mapping(schema.get("properties"))
        return {name: _example(_mapping(sub)) for name, sub in properties.items()}
    if kind == "array":
        return [_example(_mapping(schema.get("items")))]
    if kind in ("integer", "number"):
        return 1
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _hint(schema.get("description")) or "Paris"


def _hint(description: object) -> str | None:
    """The example a description gives (``"... e.g. Lisbon"``, ``"... e.g. `x = 1`"``), if any."""
    if not isinstance(description, str):
        return None
    quoted = re.search(r"e\.g\.\s*`([^`]+)`", description)
    if quoted:
        return quoted[1]
    plain = re.search(r"e\.g\.\s*([^,;`]+?)\.?\s*$", description)
    return plain[1] if plain else None


def _mapping(value: object) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one."""
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in cast("dict[Any, Any]", value).items()}


def _list(value: object) -> list[Any]:
    return cast("list[Any]", value) if isinstance(value, list) else []


def _dicts(value: object) -> list[dict[str, Any]]:
    """The items of a JSON array as objects (non-objects become empty ones; nothing if not an array)."""
    return [_mapping(item) for item in _list(value)]


# ---------------------------------------------------------------------------------------- reading requests


@dataclass(frozen=True)
class _Request:
    """What the responder needs to know about a request, whatever its protocol."""

    tools: list[tuple[str, dict[str, Any]]]  # (name, parameters schema) of each offered tool
    user_last: bool  # the last message is the user's (not a tool result)
    thinking: bool  # the request asks for reasoning text
    tool_result: str | None  # the text of the last message, when it is a tool result


def _text(content: object) -> str:
    """The text of a message's content: a string, the text of its blocks, or its JSON."""
    if isinstance(content, str):
        return content
    if content is None:
        return ""
    blocks = _dicts(content)
    if not blocks:
        return json.dumps(content)
    parts: list[str] = []
    for block in blocks:
        inner: object = block.get("text", block.get("content"))
        if inner is not None:
            parts.append(_text(inner))
    return "".join(parts)


def _openai_style(body: dict[str, Any], thinking: bool) -> _Request:
    functions = [_mapping(tool.get("function")) for tool in _dicts(body.get("tools"))]
    tools = [(str(f.get("name", "")), _mapping(f.get("parameters"))) for f in functions]
    messages = _dicts(body.get("messages"))
    last = messages[-1] if messages else {}
    role = last.get("role")
    return _Request(
        tools,
        role == "user",
        thinking,
        _text(last.get("content")) if role == "tool" else None,
    )


def _openrouter(body: dict[str, Any]) -> _Request:
    reasoning = body.get("reasoning")
    options = _mapping(reasoning)
    wanted = isinstance(reasoning, dict) and options.get("enabled") is not False and not options.get("exclude")
    return _openai_style(body, wanted)


def _openai(body: dict[str, Any]) -> _Request:
    return _openai_style(body, False)  # Chat Completions never returns reasoning text


def _ollama(body: dict[str, Any]) -> _Request:
    return _openai_style(body, body.get("think") not in (None, False))


def _anthropic(body: dict[str, Any]) -> _Request:
    tools = [(str(t.get("name", "")), _mapping(t.get("input_schema"))) for t in _dicts(body.get("tools"))]
    messages = _dicts(body.get("messages"))
    last = messages[-1] if messages else {}
    content = last.get("content")
    blocks = _dicts(content)
    results = [b for b in blocks if b.get("type") == "tool_result"]
    thinking = _mapping(body.get("thinking")).get("type") in ("enabled", "adaptive")
    return _Request(
        tools,
        last.get("role") == "user" and not results,
        thinking,
        _text(results[-1].get("content")) if results else None,
    )


def _gemini(body: dict[str, Any]) -> _Request:
    tools: list[tuple[str, dict[str, Any]]] = []
    for tool in _dicts(body.get("tools")):
        for declaration in _dicts(tool.get("functionDeclarations") or tool.get("function_declarations")):
            schema = declaration.get("parameters") or declaration.get("parametersJsonSchema")
            tools.append((str(declaration.get("name", "")), _mapping(schema)))
    contents = _dicts(body.get("contents"))
    last = contents[-1] if contents else {}
    parts = _dicts(last.get("parts"))
    results = [_mapping(p.get("functionResponse") or p.get("function_response")) for p in parts]
    results = [r for r in results if r]
    config = _mapping(body.get("generationConfig") or body.get("generation_config"))
    thinking_config = _mapping(config.get("thinkingConfig") or config.get("thinking_config"))
    thinking = bool(thinking_config.get("includeThoughts") or thinking_config.get("include_thoughts"))
    return _Request(
        tools,
        last.get("role", "user") == "user" and not results,
        thinking,
        json.dumps(results[-1].get("response")) if results else None,
    )


_READERS: Mapping[str, Callable[[dict[str, Any]], _Request]] = {
    "openrouter": _openrouter,
    "openai": _openai,
    "anthropic": _anthropic,
    "google": _gemini,
    "ollama": _ollama,
}


# ---------------------------------------------------------------------------------------- answering


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def responder(backend: str) -> Callable[[RecordedRequest], Turn]:
    """The cooperative responder for one backend's protocol: a script the simulator calls per request."""
    read = _READERS[backend]

    def respond(request: RecordedRequest) -> Turn:
        seen = read(request.json_object())
        thinking = THINKING if seen.thinking else ()
        if seen.tools and seen.user_last:
            name, schema = seen.tools[0]
            arguments = json.dumps(example_arguments(schema))
            call = ToolCallScript(name, _pieces(arguments, _ARGUMENT_FRAGMENT), id=f"call_{len(arguments):04d}")
            return Turn(thinking=thinking, tool_calls=[call])
        if seen.tool_result is not None:
            return Turn(thinking=thinking, content=[AFTER_TOOL, *_pieces(seen.tool_result[:200], 12)])
        return Turn(thinking=thinking, content=ANSWER)

    return respond


def install_ollama_models(sim: OllamaSim, names: Iterable[str]) -> None:
    """Make the simulated daemon hold these models, able to call tools and to think."""
    for name in names:
        sim.install(OllamaModel(name, capabilities=("completion", "tools", "thinking")))


def start(backend: str, *, ollama_models: Iterable[str] = ()) -> ProtocolSim:
    """Start the simulator of ``backend`` with the cooperative responder (stop it with ``.stop()``)."""
    sim_class, _ = BACKENDS[backend]
    sim = sim_class().start()
    sim.set_default(responder(backend))
    if isinstance(sim, OllamaSim):
        install_ollama_models(sim, ollama_models)
    return sim


def base_url(backend: str, sim: ProtocolSim) -> str:
    """The address to give ``--base-url`` (or the backend's ``base_url=`` / ``host=``)."""
    return sim.base_url + BACKENDS[backend][1]


# ---------------------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve a simulated provider for the examples (Ctrl-C stops it).")
    parser.add_argument("backend", nargs="?", default="ollama", choices=sorted(BACKENDS))
    parser.add_argument(
        "--install",
        action="append",
        default=[],
        metavar="MODEL",
        help="(ollama) another model name the simulated daemon should hold",
    )
    args = parser.parse_args(argv)
    backend: str = args.backend
    sim = start(backend, ollama_models=args.install)
    print(f"Simulated {backend} provider ready. Run an example against it with:")
    print(f"  --model {backend}:{DEFAULT_MODELS[backend]} --base-url {base_url(backend, sim)}", flush=True)
    if backend != "ollama":
        print("(any API key works: set the backend's key variable to anything, e.g. 'sim')", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

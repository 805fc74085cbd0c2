"""The integration suite's backend matrix and the few helpers every scenario shares.

A scenario is written once and runs against every landed backend: it scripts a provider-neutral
`Turn` on the backend's wire simulator, drives an `Agent` in one of four modes (sync or async,
blocking or streaming), and checks both what toki returned and what went over the wire. A backend
joins the matrix by adding a `BackendCase` below; until its package is installed it is absent
from the parametrization (not skipped).
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from simulators import ProtocolSim, RecordedRequest
from toki import (
    Agent,
    AsyncTokiToolCallStream,
    BaseModel,
    TokiThinking,
    TokiToolCall,
    TokiToolCallStream,
    ToolSchema,
)

Protocol = Literal["openai", "openrouter", "anthropic", "gemini", "ollama"]

#: The one tool the scenario and fault suites offer.
WEATHER = ToolSchema(
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather in a city.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
)


@dataclass(frozen=True)
class Mode:
    """How a scenario drives the agent."""

    is_async: bool
    stream: bool

    @property
    def id(self) -> str:
        return f"{'async' if self.is_async else 'sync'}-{'stream' if self.stream else 'block'}"


MODES = [Mode(False, False), Mode(False, True), Mode(True, False), Mode(True, True)]


@dataclass(frozen=True)
class BackendCase:
    """One backend of the matrix.

    Attributes:
        name: the backend's short name (pytest id).
        protocol: the wire protocol its simulator speaks.
        sim_class: the simulator to start.
        make_model: builds the model pointed at a started simulator; keyword overrides
            (``max_retries``, ``timeout``, ``allow_parallel_tool_calls``, ``cache``...) are passed on.
        whole_tool_calls: the provider sends tool calls whole (arguments never stream).
        token_kinds: the ``count_tokens`` kinds the backend supports.
        thinking_kwargs: extra per-call kwargs a thinking scenario needs (none for most).
        reports_cache_reads: the provider reports prompt-cache reads in its usage.
        counts_locally: ``count_tokens(kind='exact')`` is computed locally (a tokenizer), not read
            from a round trip's usage.
        quirk_warns_streaming_tools: streaming tools in stream mode emit the spec's one-shot
            TokiBackendQuirkWarning (the spec's Ollama nuance).
    """

    name: str
    protocol: Protocol
    sim_class: type[ProtocolSim]
    make_model: Callable[..., BaseModel]
    whole_tool_calls: bool = False
    token_kinds: tuple[str, ...] = ("exact",)
    thinking_kwargs: Mapping[str, Any] = field(default_factory=dict[str, Any])
    reports_cache_reads: bool = True
    counts_locally: bool = False
    quirk_warns_streaming_tools: bool = False


def _installed(package: str) -> bool:
    return importlib.util.find_spec(package) is not None


def _backends() -> list[BackendCase]:
    cases: list[BackendCase] = []
    if _installed("toki_openrouter"):
        from simulators import OpenRouterSim
        from toki.openrouter import OpenRouterModel

        def openrouter(sim: ProtocolSim, **overrides: Any) -> BaseModel:
            model = overrides.pop("model", "anthropic/claude-sonnet-4.5")
            options: dict[str, Any] = {"api_key": "sk-or-test", "base_url": sim.base_url + "/api/v1", "max_retries": 0}
            options.update(overrides)
            return OpenRouterModel(model, **options)

        cases.append(
            BackendCase(
                "openrouter", "openrouter", OpenRouterSim, openrouter, token_kinds=("exact", "online", "offline")
            )
        )
    if _installed("toki_ollama"):
        from simulators import OllamaSim
        from toki.ollama import OllamaModel

        def ollama(sim: ProtocolSim, **overrides: Any) -> BaseModel:
            # Installed by default in the simulated daemon, with tools and thinking capabilities.
            model = overrides.pop("model", "qwen3:0.6b")
            options: dict[str, Any] = {"host": sim.base_url, "max_retries": 0, "pull": False}
            options.update(overrides)
            return OllamaModel(model, **options)

        cases.append(
            BackendCase(
                "ollama",
                "ollama",
                OllamaSim,
                ollama,
                whole_tool_calls=True,
                reports_cache_reads=False,
                quirk_warns_streaming_tools=True,
            )
        )
    cases.extend(_litellm_backends())
    return cases


def _litellm_backends() -> list[BackendCase]:
    """OpenAI, Anthropic and Google through litellm, each against its own provider's simulator."""
    cases: list[BackendCase] = []
    if _installed("toki_openai"):
        from simulators import OpenAIChatSim
        from toki.openai import OpenAIModel

        def openai(sim: ProtocolSim, **overrides: Any) -> BaseModel:
            model = overrides.pop("model", "gpt-4o-mini")
            options: dict[str, Any] = {"api_key": "sk-test", "base_url": sim.base_url + "/v1", "max_retries": 0}
            options.update(overrides)
            return OpenAIModel(model, **options)

        cases.append(BackendCase("openai", "openai", OpenAIChatSim, openai, counts_locally=True))
    if _installed("toki_anthropic"):
        from simulators import AnthropicSim
        from toki.anthropic import AnthropicModel

        def anthropic(sim: ProtocolSim, **overrides: Any) -> BaseModel:
            model = overrides.pop("model", "claude-sonnet-4-5")
            options: dict[str, Any] = {"api_key": "sk-ant-test", "base_url": sim.base_url, "max_retries": 0}
            options.update(overrides)
            return AnthropicModel(model, **options)

        kinds = ("exact", "online", "offline")
        cases.append(BackendCase("anthropic", "anthropic", AnthropicSim, anthropic, token_kinds=kinds))
    if _installed("toki_google"):
        from simulators import GeminiSim
        from toki.google import GoogleModel

        def google(sim: ProtocolSim, **overrides: Any) -> BaseModel:
            model = overrides.pop("model", "gemini-2.5-flash")
            options: dict[str, Any] = {"api_key": "gm-test", "base_url": sim.base_url, "max_retries": 0}
            options.update(overrides)
            return GoogleModel(model, **options)

        kinds = ("exact", "online", "offline")
        cases.append(BackendCase("google", "gemini", GeminiSim, google, whole_tool_calls=True, token_kinds=kinds))
    return cases


BACKENDS = _backends()


# ---------------------------------------------------------------------------------------- driving


async def close_model(model: BaseModel) -> None:
    """Release a model's pooled clients, sync and async (backends without clients have neither)."""
    close = getattr(model, "close", None)
    if close is not None:
        close()
    aclose = getattr(model, "aclose", None)
    if aclose is not None:
        await aclose()


@dataclass
class Outcome:
    """What one agent call produced, in any mode."""

    content: str
    thought: str | None
    tool_calls: list[TokiToolCall]
    chunk_types: list[str]
    value: Any = None


async def run_agent(agent: Agent[Any], mode: Mode, **kwargs: Any) -> Outcome:
    """Drive ``agent`` once in ``mode``; streamed tool-call streams are read in full."""
    capture = bool(kwargs.get("capture_thinking"))
    if not mode.stream:
        value = await agent.aexecute(**kwargs) if mode.is_async else agent.execute(**kwargs)
        return _outcome_of_value(agent, value, capture)
    chunks: list[Any] = []
    if mode.is_async:
        async for chunk in agent.aexecute(stream=True, **kwargs):
            if isinstance(chunk, AsyncTokiToolCallStream):
                await chunk.arguments()
            chunks.append(chunk)
    else:
        for chunk in agent.execute(stream=True, **kwargs):
            if isinstance(chunk, TokiToolCallStream):
                _ = chunk.arguments
            chunks.append(chunk)
    content = "".join(c for c in chunks if isinstance(c, str))
    thought = "".join(c.text for c in chunks if isinstance(c, TokiThinking)) if capture else None
    # Calls as recorded in history: the streamed ones must agree with what was yielded.
    recorded = agent.messages[-1].tool_calls or []
    return Outcome(content, thought, list(recorded), [type(c).__name__ for c in chunks])


def _outcome_of_value(agent: Agent[Any], value: Any, capture: bool) -> Outcome:
    if isinstance(value, str):
        return Outcome(value, None, [], ["str"], value)
    # Streaming-tool calls come back as pre-drained streams; history holds them all as TokiToolCall.
    calls: list[TokiToolCall] = list(agent.messages[-1].tool_calls or [])
    thought = getattr(value, "thought", None) if capture else None
    return Outcome(value.content, thought, calls, [type(value).__name__], value)


# ---------------------------------------------------------------------------------------- the wire


@dataclass(frozen=True)
class WireMessage:
    """One message of a request, normalised across protocols."""

    role: Literal["system", "user", "assistant", "tool"]
    text: str = ""
    called: tuple[str, ...] = ()  # names of the tools an assistant message calls
    call_ids: tuple[str, ...] = ()  # ids of those calls (where the protocol carries them)
    result_for: str | None = None  # a tool result's call id, or tool name where no ids exist


def _text_of(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts: list[str] = []
        for block in content:  # pyright: ignore[reportUnknownVariableType]
            if isinstance(block, str):
                parts.append(block)
            elif isinstance(block, dict) and isinstance(block.get("text"), str):  # pyright: ignore[reportUnknownMemberType]
                parts.append(block["text"])  # pyright: ignore[reportUnknownArgumentType]
        return "".join(parts)
    return str(content)


def conversation(protocol: Protocol, request: RecordedRequest) -> list[WireMessage]:
    """The messages a request carried, in order, whatever the protocol."""
    body = request.json_object()
    return list(_DECODERS[protocol](body))


def _openai(body: dict[str, Any]) -> Iterator[WireMessage]:
    for message in body.get("messages", []):
        role = message["role"]
        if role == "tool":
            yield WireMessage("tool", _text_of(message.get("content")), result_for=message.get("tool_call_id"))
        else:
            calls = message.get("tool_calls") or []
            yield WireMessage(
                role,
                _text_of(message.get("content")),
                tuple(c["function"]["name"] for c in calls),
                tuple(c["id"] for c in calls),
            )


def _anthropic(body: dict[str, Any]) -> Iterator[WireMessage]:
    system = body.get("system")
    if system:
        yield WireMessage("system", _text_of(system))
    for message in body.get("messages", []):
        content = message.get("content")
        blocks = content if isinstance(content, list) else [{"type": "text", "text": content or ""}]
        results = [b for b in blocks if b.get("type") == "tool_result"]
        for result in results:
            yield WireMessage("tool", _text_of(result.get("content")), result_for=result.get("tool_use_id"))
        text = "".join(b.get("text", "") for b in blocks if b.get("type") == "text")
        uses = [b for b in blocks if b.get("type") == "tool_use"]
        if text or uses or not results:
            yield WireMessage(message["role"], text, tuple(u["name"] for u in uses), tuple(u["id"] for u in uses))


def _gemini(body: dict[str, Any]) -> Iterator[WireMessage]:
    system = body.get("systemInstruction") or body.get("system_instruction")
    if system:
        yield WireMessage("system", _text_of(system.get("parts")))
    for content in body.get("contents", []):
        parts = content.get("parts", [])
        for part in parts:
            response = part.get("functionResponse") or part.get("function_response")
            if response:
                yield WireMessage("tool", json.dumps(response.get("response")), result_for=response.get("name"))
        calls = [p.get("functionCall") or p.get("function_call") for p in parts]
        calls = [c for c in calls if c]
        text = "".join(p.get("text", "") for p in parts if not p.get("thought"))
        if text or calls:
            role = "assistant" if content.get("role") == "model" else "user"
            yield WireMessage(role, text, tuple(c["name"] for c in calls))


def _ollama(body: dict[str, Any]) -> Iterator[WireMessage]:
    for message in body.get("messages", []):
        role = message["role"]
        if role == "tool":
            yield WireMessage("tool", message.get("content", ""), result_for=message.get("tool_name"))
        else:
            calls = message.get("tool_calls") or []
            yield WireMessage(role, message.get("content", ""), tuple(c["function"]["name"] for c in calls))


_DECODERS: dict[Protocol, Callable[[dict[str, Any]], Iterator[WireMessage]]] = {
    "openai": _openai,
    "openrouter": _openai,
    "anthropic": _anthropic,
    "gemini": _gemini,
    "ollama": _ollama,
}


def chat_requests(sim: ProtocolSim) -> list[RecordedRequest]:
    """The generation requests a simulator received (not model listings, pulls or cache calls)."""
    names = {"chat", "messages", "generate"}
    return [r for r in sim.requests if r.route in names]

"""The integration scenarios against the real providers, when a key is set or a daemon answers.

Every backend's live case is enabled by its own switch, and skipped with the reason otherwise:

* openrouter: ``OPENROUTER_API_KEY`` is set; model google/gemini-2.5-flash.
* openai: ``OPENAI_API_KEY`` is set; model gpt-4o-mini, thinking on gpt-5.4-mini.
* anthropic: ``ANTHROPIC_API_KEY`` is set; model claude-haiku-4-5.
* google: ``GEMINI_API_KEY`` is set; model gemini-2.5-flash.
* ollama: a daemon answers ``GET /api/version`` within 1 s at ``OLLAMA_HOST`` (default
  http://127.0.0.1:11434); model qwen3:0.6b (``TOKI_LIVE_OLLAMA_MODEL``), pulled if missing.

``TOKI_LIVE_<BACKEND>_MODEL`` overrides a model id and ``TOKI_LIVE_<BACKEND>_THINKING_MODEL`` the
one the thinking scenarios use (default: the backend's model, except OpenAI's reasoning model).
Run only these with ``pytest -m live tests-integration/test_live.py -rs``.

The scenarios are those of ``test_scenarios.py`` (hello, multi-turn history, a static tool round
trip, a streaming tool read in reverse order, thinking captured and not, usage and finish reason,
``count_tokens``, a typed error for a bad model id) with assertions that hold for a real model.
Costs stay small: short prompts, ``max_tokens`` limits, the tool and thinking scenarios in two
modes each.

The same scenario code also runs, unmarked, against each backend's wire simulator with a
cooperative responder (``test_live_scenarios_against_simulators``): the factories, prompts and
assertions are exercised on every run, so the live path cannot rot while no key is around.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import re
import sys
import urllib.error
import urllib.request
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from harness import MODES, Mode, Protocol, close_model, conversation, run_agent
from simulators import Fault, ProtocolSim, RecordedRequest, Turn
from toki import (
    Agent,
    AsyncTokiToolCallStream,
    BaseModel,
    StreamingToolSchema,
    TokenCountEstimate,
    TokiBackendQuirkWarning,
    TokiBadRequestError,
    TokiNotFoundError,
    TokiThinkingSupportWarning,
    TokiThoughtResponse,
    TokiToolCallStream,
    TokiToolsResponse,
    ToolSchema,
)

SYNC_BLOCK, SYNC_STREAM, ASYNC_BLOCK, ASYNC_STREAM = MODES

#: Output limit of the plain scenarios (generous enough for models that think by default).
MAX_TOKENS = 512
#: Output limit of the thinking scenarios (above Anthropic's thinking budget for 'medium').
THINKING_MAX_TOKENS = 4096
#: Output limit of the thinking scenarios on a small local model (its thinking may be cut short).
LOCAL_THINKING_MAX_TOKENS = 1024
#: A model id no provider serves.
INVALID_MODEL = "toki-live-no-such-model"
#: A tool result the final answer must mention.
WEATHER_RESULT = "Sunny, 25 degrees Celsius"

WEATHER = ToolSchema(
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather in a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string", "description": "The city's name, e.g. Paris"}},
                "required": ["city"],
            },
        },
    }
)
PATCH = StreamingToolSchema(
    {
        "type": "function",
        "function": {
            "name": "propose_patch",
            "description": "Propose a replacement for a piece of code.",
            "parameters": {
                "type": "object",
                "properties": {
                    "target": {"type": "string", "description": "The exact code to replace, e.g. `print('hi')`"},
                    "replacement": {"type": "string", "description": "The new code, e.g. `print('HELLO!')`"},
                },
                "required": ["target", "replacement"],
            },
        },
    }
)


# ---------------------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class LiveTarget:
    """A backend as the live scenarios see it: how to build its models and what to expect of them.

    Attributes:
        backend: the backend's short name.
        build: ``build(model_id, **overrides)`` makes a model of this backend, pointed at the real
            provider or at a simulator (the only difference between the two).
        model_id: the model of the plain scenarios.
        thinking_model_id: a model that thinks, for the thinking scenarios.
        token_kinds: the ``count_tokens`` kinds the backend supports.
        forced_tool_kwargs: call kwargs that make the model call a tool (``tool_choice``); empty
            where the provider has no such switch (Ollama: the prompt asks instead).
        invalid_model_overrides: constructor overrides for a model id that does not exist.
        returns_reasoning_text: the provider returns reasoning text when thinking is captured
            (OpenAI's Chat Completions does not: toki warns instead).
        quirk_warns_streaming_tools: streamed calls with streaming tools emit the one-shot
            TokiBackendQuirkWarning (the backend sends tool calls whole).
        thinking_max_tokens: the output limit of the thinking scenarios.
    """

    backend: str
    build: Callable[..., BaseModel]
    model_id: str
    thinking_model_id: str
    token_kinds: tuple[str, ...]
    forced_tool_kwargs: Mapping[str, Any] = field(default_factory=dict[str, Any])
    invalid_model_overrides: Mapping[str, Any] = field(default_factory=dict[str, Any])
    returns_reasoning_text: bool = True
    quirk_warns_streaming_tools: bool = False
    thinking_max_tokens: int = THINKING_MAX_TOKENS

    @contextlib.asynccontextmanager
    async def model(self, model_id: str | None = None, **overrides: Any) -> AsyncIterator[BaseModel]:
        """A model of this backend (``model_id`` by default), closed afterwards."""
        built = self.build(model_id or self.model_id, **overrides)
        try:
            yield built
        finally:
            await close_model(built)


def _openrouter(model_id: str, *, base_url: str | None, api_key: str | None, **overrides: Any) -> BaseModel:
    from toki.openrouter import OpenRouterModel

    return OpenRouterModel(model_id, api_key=api_key, base_url=base_url, **overrides)


def _openai(model_id: str, *, base_url: str | None, api_key: str | None, **overrides: Any) -> BaseModel:
    from toki.openai import OpenAIModel

    return OpenAIModel(model_id, api_key=api_key, base_url=base_url, **overrides)


def _anthropic(model_id: str, *, base_url: str | None, api_key: str | None, **overrides: Any) -> BaseModel:
    from toki.anthropic import AnthropicModel

    return AnthropicModel(model_id, api_key=api_key, base_url=base_url, **overrides)


def _google(model_id: str, *, base_url: str | None, api_key: str | None, **overrides: Any) -> BaseModel:
    from toki.google import GoogleModel

    return GoogleModel(model_id, api_key=api_key, base_url=base_url, **overrides)


def _ollama(model_id: str, *, base_url: str | None, api_key: str | None, **overrides: Any) -> BaseModel:
    from toki.ollama import OllamaModel

    assert api_key is None  # a daemon takes no key
    return OllamaModel(model_id, host=base_url, **overrides)


@dataclass(frozen=True)
class Backend:
    """What differs between the backends, for both the live and the simulated targets."""

    name: str
    distribution: str  # the package providing it
    module: str  # its import name
    protocol: Protocol  # the wire protocol its simulator speaks
    construct: Callable[..., BaseModel]  # construct(model_id, *, base_url, api_key, **overrides)
    key_env: str | None  # the API key variable; None: a local daemon
    default_model: str
    default_thinking_model: str | None = None  # None: the same as the model
    token_kinds: tuple[str, ...] = ("exact",)
    forced_tool_kwargs: Mapping[str, Any] = field(default_factory=lambda: {"tool_choice": "required"})

    @property
    def installed(self) -> bool:
        return importlib.util.find_spec(self.module) is not None

    def env_model(self, kind: str = "") -> str | None:
        """``TOKI_LIVE_<BACKEND>[_THINKING]_MODEL``, if set."""
        value = os.environ.get(f"TOKI_LIVE_{self.name.upper()}{kind}_MODEL", "").strip()
        return value or None

    def target(self, *, base_url: str | None, api_key: str | None, from_env: bool) -> LiveTarget:
        """The target pointed at ``base_url`` (None: the provider's own) with ``api_key`` (None: from env).

        ``from_env`` reads the model ids from the environment; the simulated targets keep the defaults.
        """
        model = (self.env_model() if from_env else None) or self.default_model
        thinking = (self.env_model("_THINKING") if from_env else None) or self.default_thinking_model or model
        # OpenAI's models keep their reasoning text, directly and through OpenRouter.
        reasoning_text = not thinking.startswith("openai/") if self.name == "openrouter" else self.name != "openai"
        local = self.key_env is None
        return LiveTarget(
            backend=self.name,
            build=functools.partial(self.construct, base_url=base_url, api_key=api_key),
            model_id=model,
            thinking_model_id=thinking,
            token_kinds=self.token_kinds,
            forced_tool_kwargs=self.forced_tool_kwargs,
            invalid_model_overrides={"pull": False} if local else {},
            returns_reasoning_text=reasoning_text,
            quirk_warns_streaming_tools=local,
            thinking_max_tokens=LOCAL_THINKING_MAX_TOKENS if local else THINKING_MAX_TOKENS,
        )


_ALL_KINDS = ("exact", "online", "offline")

BACKENDS: dict[str, Backend] = {
    backend.name: backend
    for backend in (
        Backend(
            "openrouter",
            "toki-openrouter",
            "toki_openrouter",
            "openrouter",
            _openrouter,
            "OPENROUTER_API_KEY",
            "google/gemini-2.5-flash",
            token_kinds=_ALL_KINDS,
        ),
        Backend(
            "openai",
            "toki-openai",
            "toki_openai",
            "openai",
            _openai,
            "OPENAI_API_KEY",
            "gpt-4o-mini",
            default_thinking_model="gpt-5.4-mini",
        ),
        Backend(
            "anthropic",
            "toki-anthropic",
            "toki_anthropic",
            "anthropic",
            _anthropic,
            "ANTHROPIC_API_KEY",
            "claude-haiku-4-5",
            token_kinds=_ALL_KINDS,
        ),
        Backend(
            "google",
            "toki-google",
            "toki_google",
            "gemini",
            _google,
            "GEMINI_API_KEY",
            "gemini-2.5-flash",
            token_kinds=_ALL_KINDS,
        ),
        Backend("ollama", "toki-ollama", "toki_ollama", "ollama", _ollama, None, "qwen3:0.6b", forced_tool_kwargs={}),
    )
}


# ---------------------------------------------------------------------------------------- live switches


def ollama_host() -> str:
    """Where the Ollama backend looks for its daemon: ``OLLAMA_HOST``, else http://127.0.0.1:11434."""
    from toki_ollama.client import resolve_host

    return resolve_host(None)


@functools.cache
def daemon_answers(host: str) -> bool:
    """Whether an Ollama daemon answers ``GET /api/version`` at ``host`` within one second."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # straight to the host
    try:
        with opener.open(host.rstrip("/") + "/api/version", timeout=1.0) as response:
            return response.status == 200
    except (OSError, ValueError):  # URLError, refused, timed out, a malformed OLLAMA_HOST
        return False


def live_skip_reason(backend: Backend) -> str | None:
    """Why ``backend`` cannot run live here, or None when it can."""
    if not backend.installed:
        return f"live: {backend.distribution} is not installed"
    if backend.key_env is not None:
        if not os.environ.get(backend.key_env, "").strip():
            return f"live: {backend.key_env} is not set"
        return None
    host = ollama_host()
    if not daemon_answers(host):
        return f"live: no Ollama daemon answers at {host} (GET /api/version, 1 s timeout)"
    return None


def live_target(backend: Backend) -> LiveTarget:
    """The target on the real provider: the key comes from the environment, the address is the default."""
    base_url = ollama_host() if backend.key_env is None else None
    return backend.target(base_url=base_url, api_key=None, from_env=True)


# ---------------------------------------------------------------------------------------- scenarios


def _assert_text_answer(agent: Agent[Any], content: str) -> None:
    assert content.strip(), f"empty answer (finish reason {agent.last_finish_reason!r})"
    assert agent.messages[-1].role == "assistant"
    assert agent.messages[-1].content == content


async def scenario_hello(target: LiveTarget, mode: Mode) -> None:
    async with target.model() as model:
        agent = Agent(model)
        agent.add_user_message("Say hello in at most five words.")
        outcome = await run_agent(agent, mode, max_tokens=MAX_TOKENS)

    _assert_text_answer(agent, outcome.content)
    assert set(outcome.chunk_types) == {"str"}
    assert [m.role for m in agent.messages] == ["user", "assistant"]
    assert agent.last_finish_reason in ("stop", "length")


async def scenario_multi_turn(target: LiveTarget, mode: Mode) -> None:
    async with target.model() as model:
        agent = Agent(model)
        agent.add_system_message("Answer in one short sentence.")
        agent.add_user_message("My name is Ada. Please remember it.")
        first = await run_agent(agent, mode, max_tokens=MAX_TOKENS)
        agent.add_user_message("What is my name?")
        second = await run_agent(agent, mode, max_tokens=MAX_TOKENS)

    assert first.content.strip()
    _assert_text_answer(agent, second.content)
    assert "ada" in second.content.lower(), second.content
    assert [m.role for m in agent.messages] == ["system", "user", "assistant", "user", "assistant"]


async def scenario_static_tool_round_trip(target: LiveTarget, mode: Mode) -> None:
    async with target.model() as model:
        agent = Agent(model, tools=[WEATHER])
        agent.add_user_message("What is the weather in Paris right now? Call the get_weather tool to find out.")
        first = await run_agent(agent, mode, max_tokens=MAX_TOKENS, **target.forced_tool_kwargs)

        assert [c.function.name for c in first.tool_calls] == ["get_weather"], first
        call = first.tool_calls[0]
        city = call.function.arguments.get("city")
        assert isinstance(city, str) and city.strip(), call.function.arguments
        if mode.stream:
            assert "TokiToolCall" in first.chunk_types
        else:
            assert isinstance(first.value, TokiToolsResponse)
        # OpenAI reports "stop" when tool_choice forced the call; the others say "tool_calls".
        assert agent.last_finish_reason in ("tool_calls", "stop")

        agent.add_tool_message(call.id, WEATHER_RESULT)
        final = await run_agent(agent, mode, max_tokens=MAX_TOKENS)

    _assert_text_answer(agent, final.content)
    assert "25" in final.content, final.content
    assert [m.role for m in agent.messages] == ["user", "assistant", "tool", "assistant"]


def _quirk_warning(target: LiveTarget) -> contextlib.AbstractContextManager[Any]:
    if target.quirk_warns_streaming_tools:
        return pytest.warns(TokiBackendQuirkWarning, match="(?i)whole|one chunk|full")
    return contextlib.nullcontext()


async def scenario_streaming_tool_in_reverse(target: LiveTarget, mode: Mode) -> None:
    assert mode.stream
    seen: dict[str, str] = {}
    names: list[str] = []
    kwargs: dict[str, Any] = {"max_tokens": MAX_TOKENS, **target.forced_tool_kwargs}
    async with target.model() as model:
        agent = Agent(model, tools=[PATCH])
        agent.add_user_message(
            "Call the propose_patch tool once: target is exactly print('hi') and replacement is a more "
            "enthusiastic print statement."
        )
        with _quirk_warning(target):
            if mode.is_async:
                async for chunk in agent.aexecute(stream=True, **kwargs):
                    if isinstance(chunk, AsyncTokiToolCallStream):
                        names.append(chunk.name)
                        # The arguments in the order opposite to how the model writes them.
                        seen["replacement"] = await chunk.expect_arg("replacement").value()
                        seen["target"] = "".join([piece async for piece in chunk.expect_arg("target")])
                    else:
                        assert isinstance(chunk, str)
            else:
                for chunk in agent.execute(stream=True, **kwargs):
                    if isinstance(chunk, TokiToolCallStream):
                        names.append(chunk.name)
                        seen["replacement"] = "".join(chunk.expect_arg("replacement"))
                        seen["target"] = "".join(chunk.expect_arg("target"))
                    else:
                        assert isinstance(chunk, str)

    assert names == ["propose_patch"]
    assert seen["target"].strip() and seen["replacement"].strip(), seen
    recorded = agent.messages[-1].tool_calls
    assert recorded is not None and len(recorded) == 1
    arguments = recorded[0].function.arguments
    assert {name: arguments.get(name) for name in seen} == seen


THINKING_QUESTION = "Which is larger, 9.9 or 9.11? Answer in one short sentence."


async def scenario_thinking_captured(target: LiveTarget, mode: Mode) -> None:
    async with target.model(target.thinking_model_id) as model:
        agent = Agent(model)
        agent.add_user_message(THINKING_QUESTION)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", TokiThinkingSupportWarning)
            outcome = await run_agent(agent, mode, capture_thinking=True, max_tokens=target.thinking_max_tokens)

    if not mode.stream:
        assert isinstance(outcome.value, TokiThoughtResponse)
    if target.returns_reasoning_text:
        assert outcome.thought is not None and outcome.thought.strip(), outcome
        if mode.stream:
            assert "TokiThinking" in outcome.chunk_types
    else:
        # Reasoning happens server-side but its text is not returned: toki says so.
        assert any(issubclass(w.category, TokiThinkingSupportWarning) for w in caught)
    # A small local model may think until the limit; everyone else answers.
    if agent.last_finish_reason != "length":
        _assert_text_answer(agent, outcome.content)
    # Thinking never enters the history.
    assert [m.role for m in agent.messages] == ["user", "assistant"]
    assert agent.messages[-1].content == outcome.content


async def scenario_thinking_not_captured(target: LiveTarget, mode: Mode) -> None:
    async with target.model(target.thinking_model_id) as model:
        agent = Agent(model)
        agent.add_user_message(THINKING_QUESTION)
        outcome = await run_agent(agent, mode, max_tokens=target.thinking_max_tokens)

    assert "TokiThinking" not in outcome.chunk_types
    assert outcome.thought is None
    if not mode.stream:
        assert isinstance(outcome.value, str)
    if agent.last_finish_reason != "length":
        _assert_text_answer(agent, outcome.content)


async def scenario_usage_and_finish_reason(target: LiveTarget, mode: Mode) -> None:
    async with target.model() as model:
        agent = Agent(model)
        agent.add_user_message("Count from 1 to 5, separated by spaces.")
        await run_agent(agent, mode, max_tokens=MAX_TOKENS)

        assert agent.last_finish_reason in ("stop", "length")
        usage = agent.last_usage
        assert usage is not None
        assert usage.prompt_tokens is not None and usage.prompt_tokens > 0, usage
        assert usage.completion_tokens is not None and usage.completion_tokens > 0, usage
        assert usage.total_tokens is not None and usage.total_tokens >= usage.prompt_tokens, usage
        assert model.last_usage == usage
        assert model.last_finish_reason == agent.last_finish_reason
        assert agent.usage.total_tokens == usage.total_tokens


async def scenario_count_tokens(target: LiveTarget, mode: Mode) -> None:
    messages = [{"role": "user", "content": "How many tokens is this sentence?"}]
    async with target.model() as model:
        for kind in target.token_kinds:
            if mode.is_async:
                counted: Any = await model.acount_tokens(messages, kind=kind)  # pyright: ignore[reportArgumentType]
            else:
                counted = model.count_tokens(messages, kind=kind)  # pyright: ignore[reportArgumentType]
            if isinstance(counted, TokenCountEstimate):
                assert counted.prompt_tokens >= counted.raw_prompt_tokens > 0, (kind, counted)
            else:
                assert isinstance(counted, int) and counted > 0, (kind, counted)


async def scenario_invalid_model(target: LiveTarget, mode: Mode) -> None:
    async with target.model(INVALID_MODEL, **target.invalid_model_overrides) as model:
        agent = Agent(model)
        agent.add_user_message("Hello?")
        before = list(agent.messages)
        with pytest.raises((TokiNotFoundError, TokiBadRequestError)) as caught:
            await run_agent(agent, mode, max_tokens=16)

    assert caught.value.status_code in (400, 404)
    assert str(caught.value)
    assert agent.messages == before


@dataclass(frozen=True)
class Run:
    """One scenario in one mode."""

    scenario: Callable[[LiveTarget, Mode], Awaitable[None]]
    mode: Mode

    @property
    def id(self) -> str:
        return f"{self.scenario.__name__.removeprefix('scenario_')}-{self.mode.id}"


RUNS = [
    *(Run(scenario_hello, mode) for mode in MODES),
    *(Run(scenario_multi_turn, mode) for mode in MODES),
    *(Run(scenario_usage_and_finish_reason, mode) for mode in MODES),
    Run(scenario_static_tool_round_trip, SYNC_BLOCK),
    Run(scenario_static_tool_round_trip, ASYNC_STREAM),
    Run(scenario_streaming_tool_in_reverse, SYNC_STREAM),
    Run(scenario_streaming_tool_in_reverse, ASYNC_STREAM),
    Run(scenario_thinking_captured, SYNC_BLOCK),
    Run(scenario_thinking_captured, ASYNC_STREAM),
    Run(scenario_thinking_not_captured, SYNC_STREAM),
    Run(scenario_thinking_not_captured, ASYNC_BLOCK),
    Run(scenario_count_tokens, SYNC_BLOCK),
    Run(scenario_count_tokens, ASYNC_BLOCK),
    Run(scenario_invalid_model, SYNC_BLOCK),
    Run(scenario_invalid_model, ASYNC_STREAM),
]


# ---------------------------------------------------------------------------------------- live tests


@pytest.fixture(params=list(BACKENDS.values()), ids=list(BACKENDS))
def live(request: pytest.FixtureRequest) -> LiveTarget:
    backend: Backend = request.param
    reason = live_skip_reason(backend)
    if reason is not None:
        pytest.skip(reason)
    return live_target(backend)


@pytest.mark.live
@pytest.mark.parametrize("run", RUNS, ids=[run.id for run in RUNS])
async def test_live(live: LiveTarget, run: Run) -> None:
    await run.scenario(live, run.mode)


# ---------------------------------------------------------------------------------------- dry run


def _load_simulated_provider() -> ModuleType:
    name = "toki_examples_simulated_provider"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).resolve().parents[1] / "examples" / "simulated_provider.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_NAME = re.compile(r"\bmy name is (\w+)", re.IGNORECASE)


def plausible_responder(backend: Backend) -> Callable[[RecordedRequest], Turn | Fault]:
    """The examples' cooperative responder, plus what the live assertions need of a real model.

    A request for :data:`INVALID_MODEL` gets the provider's 404; "What is my name?" after "My name
    is X" gets "Your name is X."; everything else goes to the cooperative responder (a tool call
    when tools are offered to a user turn, thinking when asked for, an answer quoting a tool result).
    """
    cooperative: Callable[[RecordedRequest], Turn] = _load_simulated_provider().responder(backend.name)

    def respond(request: RecordedRequest) -> Turn | Fault:
        body = request.json_object()
        if INVALID_MODEL in request.path or INVALID_MODEL in str(body.get("model", "")):
            return Fault.status(404)
        users = [m.text for m in conversation(backend.protocol, request) if m.role == "user"]
        if users and "what is my name" in users[-1].lower():
            for text in users[:-1]:
                found = _NAME.search(text)
                if found:
                    return Turn(content=["Your name is ", found[1], "."])
        return cooperative(request)

    return respond


INSTALLED = [backend for backend in BACKENDS.values() if backend.installed]


@pytest.fixture(params=INSTALLED, ids=[backend.name for backend in INSTALLED])
def simulated(request: pytest.FixtureRequest) -> Iterator[LiveTarget]:
    backend: Backend = request.param
    provider = _load_simulated_provider()
    sim_class: type[ProtocolSim] = provider.BACKENDS[backend.name][0]
    with sim_class() as sim:
        sim.set_default(plausible_responder(backend))
        api_key = None if backend.key_env is None else "sim-key"
        yield backend.target(base_url=provider.base_url(backend.name, sim), api_key=api_key, from_env=False)


@pytest.mark.parametrize("run", RUNS, ids=[run.id for run in RUNS])
async def test_live_scenarios_against_simulators(simulated: LiveTarget, run: Run) -> None:
    """Not live: the live scenarios, unchanged, against the backend's simulator (so they cannot rot)."""
    await run.scenario(simulated, run.mode)

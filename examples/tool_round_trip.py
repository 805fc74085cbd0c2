"""A tool round trip: the model asks for a tool, this program runs it, and the model answers with the result.

    uv run python examples/tool_round_trip.py                                    # qwen3:0.6b on a local Ollama
    uv run python examples/tool_round_trip.py --stream "Is it warm in Lisbon?"
    uv run python examples/tool_round_trip.py --model openrouter:google/gemini-2.5-flash

The embedded local model cannot call tools, so the default is a small tool-calling model on an
Ollama daemon (``ollama serve``; toki pulls the model on first use). With no daemon and no key,
run it against a simulated provider::

    uv run python examples/simulated_provider.py ollama      # prints the --model and --base-url to use

Blocking, a reply is either text (``str``) or a ``TokiToolsResponse`` whose ``tool_calls`` the
program runs; each result goes back with ``add_tool_message`` and the agent is asked again, until
the model answers in text. Streaming (``--stream``), text arrives piece by piece and each tool
call as one complete ``TokiToolCall``; the results are recorded after the stream ends, once the
assistant turn they answer is part of the history.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from toki import Agent, TokiError, TokiToolCall, TokiToolsResponse, ToolSchema, WithStaticTools, pretty_tool_call
from toki_cli.backends import UsageError, build_model

DEFAULT_MODEL = "ollama:qwen3:0.6b"

GET_WEATHER = ToolSchema(
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The current weather in a city.",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"type": "string", "description": "The city, e.g. Paris"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                },
                "required": ["city"],
            },
        },
    }
)

_WEATHER = {"paris": (24, "sunny"), "lisbon": (27, "clear"), "oslo": (9, "rainy")}


def get_weather(city: str, unit: str = "celsius") -> dict[str, Any]:
    """A stand-in for a weather service: fixed data for a few cities, mild weather elsewhere."""
    celsius, sky = _WEATHER.get(city.strip().lower(), (18, "cloudy"))
    temperature = celsius if unit == "celsius" else round(celsius * 9 / 5 + 32)
    return {"city": city, "temperature": temperature, "unit": unit, "sky": sky}


TOOLS: dict[str, Callable[..., Any]] = {"get_weather": get_weather}


def run_tool(call: TokiToolCall) -> Any:
    """Run the tool a call names; report mistakes back to the model rather than crashing."""
    function = TOOLS.get(call.function.name)
    if function is None:
        return f"error: there is no tool named {call.function.name!r}"
    try:
        return function(**call.function.arguments)
    except TypeError as exc:
        return f"error: bad arguments for {call.function.name}: {exc}"


def blocking_round_trip(agent: Agent[WithStaticTools], max_rounds: int) -> bool:
    for _ in range(max_rounds):
        reply = agent.execute()
        if not isinstance(reply, TokiToolsResponse):
            print(reply)
            return True
        if reply.content:
            print(reply.content)
        for call in reply.tool_calls:
            result = run_tool(call)
            print(f"[tool] {pretty_tool_call(call)} -> {result}")
            agent.add_tool_message(call.id, result)
    return False


def streaming_round_trip(agent: Agent[WithStaticTools], max_rounds: int) -> bool:
    for _ in range(max_rounds):
        calls: list[TokiToolCall] = []
        for chunk in agent.execute(stream=True):
            if isinstance(chunk, TokiToolCall):
                calls.append(chunk)
                print(f"[tool call] {pretty_tool_call(chunk)}", flush=True)
            else:
                print(chunk, end="", flush=True)
        if not calls:
            print()
            return True
        for call in calls:  # the assistant turn is recorded now: its results may follow
            result = run_tool(call)
            print(f"[tool] -> {result}")
            agent.add_tool_message(call.id, result)
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A tool round trip with toki.")
    parser.add_argument("question", nargs="?", default="What's the weather like in Paris right now?")
    parser.add_argument("--model", default=DEFAULT_MODEL, help=f"backend:model-id (default: {DEFAULT_MODEL})")
    parser.add_argument("--base-url", help="point the backend at another server (a proxy, a simulator)")
    parser.add_argument("--stream", action="store_true", help="stream the replies")
    parser.add_argument("--max-rounds", type=int, default=4, help="give up after this many model calls")
    args = parser.parse_args(argv)

    round_trip = streaming_round_trip if args.stream else blocking_round_trip
    try:
        agent = Agent(build_model(args.model, base_url=args.base_url), tools=[GET_WEATHER])
        agent.add_system_message("Use the get_weather tool for any question about the weather.")
        agent.add_user_message(args.question)
        if round_trip(agent, args.max_rounds):
            return 0
    except (TokiError, UsageError, ImportError) as exc:  # a missing key or package, an unreachable server...
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"(no answer after {args.max_rounds} rounds)", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())

"""A ReAct loop (thought, action, observation, ... answer) driven by a toki state machine.

    uv run python examples/react_state_machine.py                                  # qwen3:0.6b on a local Ollama
    uv run python examples/react_state_machine.py "How many people live in the capital of France?"
    uv run python examples/react_state_machine.py --model openrouter:google/gemini-2.5-flash

Each state is one function that returns the next state; there is no transition table:

    THINK    ask the model (thinking captured and shown as "Thought:"); a tool call -> ACT, text -> ANSWER
    ACT      run the tools it asked for ("Action:")                                 -> OBSERVE
    OBSERVE  hand the results back to the model ("Observation:")                    -> THINK
    ANSWER   print the answer                                                        -> END_STATE

The tools are a tiny offline encyclopedia and a calculator. The embedded local model cannot call
tools, so the default is a small tool-calling, thinking model on an Ollama daemon; with no daemon
and no key, run it against a simulated provider::

    uv run python examples/simulated_provider.py ollama      # prints the --model and --base-url to use
"""

from __future__ import annotations

import argparse
import ast
import sys
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum, auto
from typing import Any

from toki import (
    Agent,
    TokiError,
    TokiThinking,
    TokiThinkingSupportWarning,
    TokiToolCall,
    ToolSchema,
    WithStaticTools,
    pretty_tool_call,
)
from toki.helpers.statemachine import END_STATE, EndState, StateMachine
from toki_cli.backends import UsageError, build_model

DEFAULT_MODEL = "ollama:qwen3:0.6b"

# ---------------------------------------------------------------------------------------- the tools

SEARCH = ToolSchema(
    {
        "type": "function",
        "function": {
            "name": "search",
            "description": "Look a subject up in the encyclopedia (a country, a city...).",
            "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
        },
    }
)
CALCULATE = ToolSchema(
    {
        "type": "function",
        "function": {
            "name": "calculate",
            "description": "Evaluate an arithmetic expression with + - * / and parentheses.",
            "parameters": {
                "type": "object",
                "properties": {"expression": {"type": "string"}},
                "required": ["expression"],
            },
        },
    }
)

ENCYCLOPEDIA = {
    "france": "France is a country in western Europe. Its capital is Paris.",
    "paris": "Paris is the capital of France. About 2.1 million people live in the city itself.",
    "portugal": "Portugal is a country on the Iberian peninsula. Its capital is Lisbon.",
    "lisbon": "Lisbon is the capital of Portugal. About 0.55 million people live in the city itself.",
}


def search(query: str) -> str:
    words = query.lower().replace("?", " ").replace(",", " ").split()
    found = [text for subject, text in ENCYCLOPEDIA.items() if subject in words]
    return " ".join(found) or f"Nothing found for {query!r}. Known subjects: {', '.join(ENCYCLOPEDIA)}."


_OPERATORS: dict[type[ast.AST], Callable[[float, float], float]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}


def calculate(expression: str) -> str:
    def value(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return float(node.value)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](value(node.left), value(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        raise ValueError("only numbers, + - * / and parentheses are allowed")

    try:
        return f"{value(ast.parse(expression, mode='eval').body):g}"
    except (SyntaxError, ValueError, ZeroDivisionError) as exc:
        return f"error: {exc}"


TOOLS: dict[str, Callable[..., str]] = {"search": search, "calculate": calculate}


def run_tool(call: TokiToolCall) -> str:
    function = TOOLS.get(call.function.name)
    if function is None:
        return f"error: there is no tool named {call.function.name!r}"
    try:
        return function(**call.function.arguments)
    except TypeError as exc:
        return f"error: bad arguments: {exc}"


# ---------------------------------------------------------------------------------------- the machine


class Step(Enum):
    THINK = auto()
    ACT = auto()
    OBSERVE = auto()
    ANSWER = auto()


@dataclass
class Loop:
    """Everything the states share: the agent, and what one state hands to the next."""

    agent: Agent[WithStaticTools]
    think: bool
    max_thoughts: int
    thoughts: int = 0
    actions: list[TokiToolCall] = field(default_factory=lambda: list[TokiToolCall]())
    observations: list[tuple[str, str]] = field(default_factory=lambda: list[tuple[str, str]]())
    answer: str = ""


def think(loop: Loop) -> Step | EndState:
    loop.thoughts += 1
    if loop.thoughts > loop.max_thoughts:
        print(f"(no answer after {loop.max_thoughts} thoughts)")
        return END_STATE
    # The overloads type each flag combination exactly, so pick one with literal flags.
    chunks: Iterable[str | TokiThinking | TokiToolCall] = (
        loop.agent.execute(stream=True, capture_thinking=True) if loop.think else loop.agent.execute(stream=True)
    )
    text: list[str] = []
    thinking = False
    for chunk in chunks:
        if isinstance(chunk, TokiThinking):
            if not thinking:
                print("Thought: ", end="")
                thinking = True
            print(chunk.text.replace("\n", " "), end="", flush=True)
        elif isinstance(chunk, TokiToolCall):
            loop.actions.append(chunk)
        else:
            text.append(chunk)
    if thinking:
        print()
    loop.answer = "".join(text).strip()
    if loop.actions:
        if loop.answer:  # text written next to a tool call is reasoning too
            print(f"Thought: {loop.answer}")
        return Step.ACT
    return Step.ANSWER


def act(loop: Loop) -> Step:
    for call in loop.actions:
        print(f"Action: {pretty_tool_call(call)}")
        loop.observations.append((call.id, run_tool(call)))
    loop.actions.clear()
    return Step.OBSERVE


def observe(loop: Loop) -> Step:
    for call_id, result in loop.observations:
        print(f"Observation: {result}")
        loop.agent.add_tool_message(call_id, result)
    loop.observations.clear()
    return Step.THINK


def answer(loop: Loop) -> EndState:
    print(f"Answer: {loop.answer}")
    return END_STATE


REACT = StateMachine(Step, {Step.THINK: think, Step.ACT: act, Step.OBSERVE: observe, Step.ANSWER: answer})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A thought / action / observation loop on a toki state machine.")
    parser.add_argument("question", nargs="?", default="How many people live in the capital of France?")
    parser.add_argument("--model", default=DEFAULT_MODEL, help=f"backend:model-id (default: {DEFAULT_MODEL})")
    parser.add_argument("--base-url", help="point the backend at another server (a proxy, a simulator)")
    parser.add_argument("--no-think", dest="think", action="store_false", help="do not capture the model's thinking")
    parser.add_argument("--max-thoughts", type=int, default=6, help="give up after this many model calls")
    args = parser.parse_args(argv)

    # Thoughts are a bonus here: a model that does not return them still runs the loop.
    warnings.filterwarnings("ignore", category=TokiThinkingSupportWarning)
    try:
        agent = Agent(build_model(args.model, base_url=args.base_url), tools=[SEARCH, CALCULATE])
        agent.add_system_message(
            "Answer the question. Look facts up with the search tool and do arithmetic with the calculate "
            "tool, one step at a time; when you know the answer, reply with it in one sentence."
        )
        agent.add_user_message(args.question)
        loop = Loop(agent, think=args.think, max_thoughts=args.max_thoughts)
        steps: list[Any] = [step.name for step in REACT.run(Step.THINK, context=loop)]
    except (TokiError, UsageError, ImportError) as exc:  # a missing key or package, an unreachable server...
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"(states: {' -> '.join(steps)})")
    return 0 if loop.answer else 1


if __name__ == "__main__":
    sys.exit(main())

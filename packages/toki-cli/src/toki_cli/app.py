"""The ``toki`` command line: argument parsing, the four commands, and one-line errors."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from dataclasses import fields, is_dataclass
from typing import Any, TextIO, cast

from toki import Agent, BaseModel, TokenCountEstimate, TokiError, TokiThinking

from toki_cli.backends import BACKENDS, DEFAULT_MODEL, UsageError, attributes_of, build_model

__all__ = ["main"]

_DIM, _RESET = "\033[2m", "\033[0m"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="toki", description="Talk to LLMs through toki.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def model_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--model",
            default=DEFAULT_MODEL,
            help=f"backend:model-id, e.g. openrouter:google/gemini-2.5-flash (default: {DEFAULT_MODEL}, offline)",
        )
        sub.add_argument("--base-url", help="point the backend at another server (a proxy, a local simulator)")

    def chat_options(sub: argparse.ArgumentParser) -> None:
        model_options(sub)
        sub.add_argument("--system", help="a system prompt")
        sub.add_argument("--think", action="store_true", help="show the model's thinking (dimmed)")
        sub.add_argument("--max-tokens", type=int, help="cap the reply length")
        sub.add_argument("--temperature", type=float, help="sampling temperature")

    ask = commands.add_parser("ask", help="ask one question and stream the answer")
    ask.add_argument("prompt", help="the question ('-' reads it from standard input)")
    chat_options(ask)

    chat = commands.add_parser("chat", help="a streaming chat (/reset forgets the conversation, /exit quits)")
    chat_options(chat)

    models = commands.add_parser("models", help="list a backend's known model ids and their flags")
    models.add_argument("backend", choices=sorted(BACKENDS))
    models.add_argument("--tools", action="store_true", help="only models that support tools")
    models.add_argument("--thinking", action="store_true", help="only models that support thinking")

    tokens = commands.add_parser("tokens", help="count the tokens of a file sent as one user message")
    tokens.add_argument("file", help="the file ('-' for standard input)")
    model_options(tokens)
    tokens.add_argument("--kind", default="exact", help="exact (default), offline or online, as the backend allows")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the process exit status (0 success, 1 failure, 2 usage error)."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "ask":
            return _ask(args)
        if args.command == "chat":
            return _chat(args)
        if args.command == "models":
            return _models(args)
        return _tokens(args)
    except UsageError as exc:
        print(f"toki: {exc}", file=sys.stderr)
        return 2
    except (TokiError, ImportError, OSError) as exc:
        print(f"toki: {_one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _model(args: argparse.Namespace) -> BaseModel:
    return build_model(args.model, base_url=args.base_url)


def _call_options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if args.max_tokens is not None:
        options["max_tokens"] = args.max_tokens
    if args.temperature is not None:
        options["temperature"] = args.temperature
    return options


def _stream_reply(agent: Agent[Any], args: argparse.Namespace, out: TextIO) -> None:
    dim = out.isatty()
    in_thought = False
    import warnings

    from toki import TokiThinkingSupportWarning

    with warnings.catch_warnings():
        # The user asked for thinking explicitly; an "unverified support" notice adds nothing here.
        warnings.simplefilter("ignore", TokiThinkingSupportWarning)
        think: bool = bool(args.think)
        stream = cast(Iterable[object], agent.execute(stream=True, capture_thinking=think, **_call_options(args)))
        for chunk in stream:
            if isinstance(chunk, TokiThinking):
                if dim:
                    out.write(_DIM + chunk.text + _RESET)
                else:
                    sys.stderr.write(chunk.text)
                in_thought = True
            else:
                if in_thought:
                    (out if dim else sys.stderr).write("\n")
                    in_thought = False
                out.write(str(chunk))
            out.flush()
    out.write("\n")
    out.flush()


def _ask(args: argparse.Namespace) -> int:
    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    if not prompt.strip():
        raise UsageError("the prompt is empty")
    agent = Agent(_model(args))
    if args.system:
        agent.add_system_message(args.system)
    agent.add_user_message(prompt)
    _stream_reply(agent, args, sys.stdout)
    return 0


def _chat(args: argparse.Namespace) -> int:
    agent = Agent(_model(args))
    interactive = sys.stdin.isatty()

    def reset() -> None:
        agent.reset()
        if args.system:
            agent.add_system_message(args.system)

    reset()
    if interactive:
        print(f"toki chat with {args.model}: /reset forgets the conversation, /exit quits.")
    while True:
        if interactive:
            sys.stdout.write("> ")
            sys.stdout.flush()
        line = sys.stdin.readline()
        if not line:
            return 0
        text = line.strip()
        if not text:
            continue
        if text in {"/exit", "/quit"}:
            return 0
        if text == "/reset":
            reset()
            print("(conversation reset)")
            continue
        agent.add_user_message(text)
        try:
            _stream_reply(agent, args, sys.stdout)
        except KeyboardInterrupt:
            # The interrupted turn is not recorded; drop the question too so history stays paired.
            agent.messages.pop()
            print("\n(interrupted)")
        except TokiError as exc:
            agent.messages.pop()
            print(f"toki: {_one_line(exc)}", file=sys.stderr)


def _flag(attr: object, name: str) -> str | None:
    if not is_dataclass(attr) or name not in {f.name for f in fields(attr)}:
        return None
    value = getattr(attr, name)
    return "yes" if value else "no"


def _models(args: argparse.Namespace) -> int:
    attributes = attributes_of(args.backend)
    for model_id in sorted(attributes):
        attr = attributes[model_id]
        if args.tools and getattr(attr, "supports_tools", False) is not True:
            continue
        if args.thinking and getattr(attr, "supports_thinking", False) is not True:
            continue
        parts = [model_id, f"context={getattr(attr, 'context_size', '?')}"]
        for flag in ("supports_tools", "supports_thinking"):
            shown = _flag(attr, flag)
            if shown is not None:
                parts.append(f"{flag.removeprefix('supports_')}={shown}")
        print("  ".join(parts))
    return 0


def _tokens(args: argparse.Namespace) -> int:
    if args.file == "-":
        text = sys.stdin.read()
    else:
        with open(args.file, encoding="utf-8") as handle:
            text = handle.read()
    model = _model(args)
    try:
        counted: Any = model.count_tokens([{"role": "user", "content": text}], kind=args.kind)
    except ValueError as exc:
        raise UsageError(_one_line(exc)) from exc
    if isinstance(counted, TokenCountEstimate):
        print(
            f"{counted.prompt_tokens} (estimate: {counted.raw_prompt_tokens} x safety factor {counted.safety_factor})"
        )
    else:
        print(counted)
    return 0

"""Streaming tool arguments: a code patch shown while the model is still writing it.

    uv run python examples/streaming_patch.py                                    # qwen3:0.6b on a local Ollama
    uv run python examples/streaming_patch.py --model openrouter:anthropic/claude-sonnet-4.5

The ``propose_patch`` tool is declared with ``StreamingToolSchema``, so a call to it arrives as a
``TokiToolCallStream`` as soon as the model has named the tool, long before its arguments are
complete. ``expect_arg(name)`` then hands out each argument as a stream of its own: here the file
name and the text to find are read whole (``.value``, ``"".join(...)``), and the replacement is
printed piece by piece while it is generated. Arguments may be claimed in any order; toki
buffers what arrives before it is asked for.

After the stream, each patch is applied to the in-memory file, the results go back to the model,
and its closing remark streams in. Ollama sends tool calls whole, so there each argument arrives
in a single piece (toki says so with a one-shot ``TokiBackendQuirkWarning``); hosted backends and
``LocalModel`` stream them. With no daemon and no key, run it against a simulated provider::

    uv run python examples/simulated_provider.py ollama      # prints the --model and --base-url to use
"""

from __future__ import annotations

import argparse
import sys

from toki import Agent, StreamingToolSchema, TokiError, TokiToolCallStream, WithStreamingTools
from toki_cli.backends import UsageError, build_model

DEFAULT_MODEL = "ollama:qwen3:0.6b"

PROPOSE_PATCH = StreamingToolSchema(
    {
        "type": "function",
        "function": {
            "name": "propose_patch",
            "description": "Replace an exact snippet of a file with new text.",
            "parameters": {
                "type": "object",
                "properties": {
                    "path": {"type": "string", "description": "the file to change, e.g. greet.py"},
                    "find": {"type": "string", "description": 'the exact text to replace, e.g. `print("hi " + name)`'},
                    "replace": {
                        "type": "string",
                        "description": 'the new text, e.g. `print("Hello, " + name + "! Great to see you!")`',
                    },
                },
                "required": ["path", "find", "replace"],
            },
        },
    }
)

FILES = {"greet.py": 'def greet(name):\n    print("hi " + name)\n'}


def show_patch(call: TokiToolCallStream) -> str:
    """Print a patch as it streams in, apply it, and return the result for the model."""
    replace = call.expect_arg("replace")  # claimed first, although the model writes it last
    path = str(call.expect_arg("path").value)  # waits for the whole path
    find = "".join(call.expect_arg("find"))
    print(f"--- {path}")
    for line in find.splitlines() or [find]:
        print(f"- {line}")
    print("+ ", end="")
    pieces: list[str] = []
    for piece in replace:  # each piece as soon as the model has written it
        pieces.append(piece)
        print(piece.replace("\n", "\n+ "), end="", flush=True)
    print(f"\n({len(pieces)} pieces)")
    new_text = "".join(pieces)
    if path not in FILES:
        return f"error: there is no file {path!r}; the files are {sorted(FILES)}"
    if find not in FILES[path]:
        return f"error: {find!r} does not occur in {path}"
    FILES[path] = FILES[path].replace(find, new_text, 1)
    return f"applied; {path} now reads:\n{FILES[path]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Watch a streamed tool argument: a patch as it is written.")
    parser.add_argument("request", nargs="?", default="In greet.py, make the greeting more enthusiastic.")
    parser.add_argument("--model", default=DEFAULT_MODEL, help=f"backend:model-id (default: {DEFAULT_MODEL})")
    parser.add_argument("--base-url", help="point the backend at another server (a proxy, a simulator)")
    parser.add_argument("--max-rounds", type=int, default=3, help="give up after this many model calls")
    args = parser.parse_args(argv)

    try:
        agent: Agent[WithStreamingTools] = Agent(build_model(args.model, base_url=args.base_url), tools=[PROPOSE_PATCH])
        agent.add_system_message("Change files only with the propose_patch tool. The files:\n" + _listing())
        agent.add_user_message(args.request)
        for _ in range(args.max_rounds):
            results: list[tuple[str, str]] = []
            for chunk in agent.execute(stream=True):
                if isinstance(chunk, TokiToolCallStream):
                    results.append((chunk.id, show_patch(chunk)))
                else:
                    print(chunk, end="", flush=True)
            if not results:  # a plain answer: done
                print()
                return 0
            for call_id, result in results:  # the assistant turn is recorded: answer its calls
                agent.add_tool_message(call_id, result)
    except (TokiError, UsageError, ImportError) as exc:  # a missing key or package, an unreachable server...
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"(still patching after {args.max_rounds} rounds)", file=sys.stderr)
    return 1


def _listing() -> str:
    return "\n".join(f"### {path}\n{text}" for path, text in FILES.items())


if __name__ == "__main__":
    sys.exit(main())

"""A streaming chat: each line of standard input is one turn, and the reply streams back as it is generated.

    uv run python examples/chat_repl.py                                          # the embedded model, offline
    uv run python examples/chat_repl.py --model openrouter:google/gemini-2.5-flash
    printf 'Hi!\\nWhat did I just say?\\n' | uv run python examples/chat_repl.py   # piped input works too

``--model`` takes ``backend:model-id``, as the ``toki`` command does; by default the embedded
SmolLM2-135M-Instruct answers, with no key and no network. ``/reset`` forgets the conversation,
an empty line is skipped, end of input (Ctrl-D) quits, Ctrl-C stops the current reply.

The agent keeps the conversation, so every turn sees the previous ones. A reply that fails or is
interrupted is not recorded, so the unanswered question is dropped too: the history stays a
valid alternation of questions and answers.
"""

from __future__ import annotations

import argparse
import sys

from toki import Agent, TokiError
from toki_cli.backends import DEFAULT_MODEL, UsageError, build_model

SYSTEM = "You are a friendly assistant. Keep your answers short."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A streaming chat over toki's Agent.")
    parser.add_argument("--model", default=DEFAULT_MODEL, help=f"backend:model-id (default: {DEFAULT_MODEL})")
    parser.add_argument("--base-url", help="point the backend at another server (a proxy, a simulator)")
    parser.add_argument("--system", default=SYSTEM, help="the system prompt")
    parser.add_argument("--max-tokens", type=int, default=200, help="the longest reply, in tokens")
    args = parser.parse_args(argv)

    try:
        agent = Agent(build_model(args.model, base_url=args.base_url))
    except (TokiError, UsageError, ImportError) as exc:  # a missing key or package, an unreachable server...
        print(f"error: {exc}", file=sys.stderr)
        return 1
    agent.add_system_message(args.system)
    interactive = sys.stdin.isatty()
    if interactive:
        print(f"Chatting with {args.model}. /reset forgets the conversation, Ctrl-D quits.")

    while True:
        if interactive:
            print("> ", end="", flush=True)
        line = sys.stdin.readline()
        if not line:  # end of input
            return 0
        text = line.strip()
        if not text:
            continue
        if text == "/reset":
            agent.reset()
            agent.add_system_message(args.system)
            print("(conversation forgotten)")
            continue

        agent.add_user_message(text)
        try:
            for piece in agent.execute(stream=True, max_tokens=args.max_tokens):
                print(piece, end="", flush=True)
            print()
        except (TokiError, KeyboardInterrupt) as exc:
            agent.messages.pop()  # the reply was not recorded: drop its question as well
            reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else f"error: {exc}"
            print(f"\n({reason})", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())

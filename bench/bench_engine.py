"""The engine's cost for a streamed tool argument, side by side with json.loads and jsonstream.

A tool call whose ~1 MB arguments arrive in 8-character fragments is run through the real
BaseModel/engine/driver path (``complete(stream=True)`` with a ``StreamingToolSchema``) and the big
string argument is consumed through ``expect_arg``. In the same repetitions, the same fragments
are parsed by ``toki.helpers.jsonstream`` (consuming the same string) and the joined text by
``json.loads``. Goal: the engine path costs at most 3x the jsonstream path. CPU time, medians of
interleaved repetitions. Run: ``uv run python bench/bench_engine.py --reps 7``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Iterator
from typing import Any

from toki import StreamingToolSchema, TokiToolCallStream
from toki.helpers.jsonstream import JsonDictStream, JsonStrStream, streaming_parse_json
from toki.model import BaseModel, RawChunk, _RawFinish, _RawToolCallChunk, _RawTurn
from toki.types import TokiMessage

TOOL = StreamingToolSchema(
    {
        "type": "function",
        "function": {
            "name": "write_file",
            "parameters": {
                "type": "object",
                "properties": {"path": {"type": "string"}, "code": {"type": "string"}},
            },
        },
    }
)


def code_document(size: int) -> str:
    """Tool arguments dominated by one long code string with escapes and non-ASCII text."""
    rng = random.Random(7)
    lines: list[str] = []
    total = 0
    words = ["def", "return", "x", "print", "café", "naïve", "\t", '"quoted"', "back\\slash", "😀", "λ"]
    while total < size:
        line = " ".join(rng.choice(words) for _ in range(rng.randint(3, 12)))
        lines.append(line)
        total += len(line) + 1
    return json.dumps({"path": "src/generated.py", "code": "\n".join(lines)}, ensure_ascii=rng.random() < 0)


def fragments(text: str, size: int = 8) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


class ReplayModel(BaseModel):
    """Yields pre-built raw events; no I/O, so only toki's own work is measured."""

    provider = "bench"

    def __init__(self, events: list[RawChunk]) -> None:
        super().__init__("bench")
        self.events = events

    def _raw_blocking(
        self, messages: list[TokiMessage], tools: Any, *, capture_thinking: bool, **kwargs: Any
    ) -> _RawTurn:
        raise NotImplementedError

    def _raw_streaming(
        self, messages: list[TokiMessage], tools: Any, *, capture_thinking: bool, **kwargs: Any
    ) -> Iterator[RawChunk]:
        del messages, tools, capture_thinking, kwargs  # a replay ignores the request
        return iter(self.events)


def run_engine(model: ReplayModel) -> int:
    pieces = 0
    for chunk in model.complete([{"role": "user", "content": "write it"}], tools=[TOOL], stream=True):
        if isinstance(chunk, TokiToolCallStream):
            for _ in chunk.expect_arg("code"):
                pieces += 1
    return pieces


def run_jsonstream(parts: list[str]) -> int:
    pieces = 0
    document = streaming_parse_json(iter(parts))
    assert isinstance(document, JsonDictStream)
    for key, value in document.items():
        if key == "code" and isinstance(value, JsonStrStream):
            for _ in value:
                pieces += 1
    return pieces


def cpu(action: Any, *args: Any) -> float:
    start = time.process_time()
    action(*args)
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--size", type=int, default=1_000_000)
    args = parser.parse_args()
    text = code_document(args.size)
    parts = fragments(text)
    events: list[RawChunk] = [_RawToolCallChunk(index=0, id="call_1", name="write_file", arguments_fragment=parts[0])]
    events.extend(_RawToolCallChunk(index=0, arguments_fragment=part) for part in parts[1:])
    events.append(_RawFinish("tool_calls"))
    model = ReplayModel(events)
    assert run_engine(model) > 0  # warm-up, and the argument really streams
    loads: list[float] = []
    stream: list[float] = []
    engine: list[float] = []
    for _ in range(args.reps):
        loads.append(cpu(json.loads, text))
        stream.append(cpu(run_jsonstream, parts))
        engine.append(cpu(run_engine, model))
    m_loads, m_stream, m_engine = (statistics.median(x) for x in (loads, stream, engine))
    mb = len(text.encode()) / 1e6
    print(f"document: {mb:.2f} MB of arguments in {len(parts):,} fragments of 8 characters")
    print(f"json.loads (joined text)      {m_loads * 1000:8.1f} ms")
    print(f"jsonstream (same fragments)   {m_stream * 1000:8.1f} ms  {m_stream / m_loads:5.1f}x json.loads")
    print(
        f"engine via expect_arg         {m_engine * 1000:8.1f} ms  {m_engine / m_loads:5.1f}x json.loads  "
        f"{m_engine / m_stream:4.2f}x jsonstream (goal <= 3x)  {m_engine / len(parts) * 1e6:.2f} us/fragment"
    )


if __name__ == "__main__":
    main()

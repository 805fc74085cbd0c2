"""What do toki's litellm-backed frontends add on top of litellm itself?

    uv run python bench/bench_litellm.py                 # 200-chunk streams, 15 interleaved reps
    uv run python bench/bench_litellm.py --chunks 400 --reps 21

For each frontend (``OpenAIModel``, ``AnthropicModel``, ``GoogleModel``) the same scripted answer
is served by that provider's simulator, running in a child process so that only client-side work
is timed, and consumed two ways, alternating within every repetition:

* ``litellm``: ``litellm.completion(..., stream=True)`` iterated to the end, reading each
  chunk's ``delta.content`` (what a hand-written litellm app does: the baseline);
* ``toki``: ``model.complete(messages, stream=True)`` iterated to the end (toki's clients and
  end-of-stream watch, the translation to raw events, the stream engine, the public chunks).

Reported per frontend and variant (medians over the repetitions): CPU time of this process per
call and per streamed chunk (litellm's own worker threads included, since they are part of its
cost), and wall time per call; then toki's extra per-chunk CPU time as a share of litellm's
(goal: at most 10%), and the same for blocking calls (``stream=False``). Finally the import time
of ``toki.openai`` (fresh interpreters; it must not import litellm) and of litellm itself, and the
first-call cost of litellm's lazy imports. Compare numbers within one run: the machine is shared.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MESSAGES = [{"role": "user", "content": "Tell me a story."}]

_SERVER = """
import sys
sys.path.insert(0, {sims!r})
from simulators import AnthropicSim, GeminiSim, OpenAIChatSim, Turn
turn = Turn(content=["word{{}} ".format(n) for n in range({chunks})])
with OpenAIChatSim() as o, AnthropicSim() as a, GeminiSim() as g:
    for sim in (o, a, g):
        sim.set_default(turn)
    print(o.base_url, a.base_url, g.base_url, flush=True)
    sys.stdin.read()
"""


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _measure(action: Callable[[], int]) -> tuple[float, float, int]:
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    chunks = action()
    return time.process_time() - cpu, time.perf_counter() - wall, chunks


def _fresh_import_seconds(statement: str, runs: int = 3) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    times = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout)
        for _ in range(runs)
    ]
    return _median(times)


def _guard_cost(reps: int, events: int = 2000) -> float:
    """Seconds per event of the check every streamed SSE event passes before litellm sees it."""
    from toki_litellm.guards import EventGuard

    delta = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "word12 "}}
    event = f"event: content_block_delta\ndata: {json.dumps(delta)}\n\n".encode()
    best = float("inf")
    for _ in range(reps):
        guard = EventGuard("anthropic")
        started = time.process_time()
        for _ in range(events):
            guard.feed(event)
        guard.finish()
        best = min(best, time.process_time() - started)
    return best / events


def _isolated_toki_cost(litellm: Any, model: str, base: str, reps: int) -> float:
    """CPU seconds per chunk that toki spends on already-received litellm chunks (no I/O at all)."""
    from toki.drivers import drive_sync, new_sync_pump
    from toki_litellm.translate import StreamTranslator

    chunks = list(
        litellm.completion(
            model=model,
            messages=MESSAGES,
            api_key="k",
            api_base=base,
            stream=True,
            stream_options={"include_usage": True},
            num_retries=0,
        )
    )

    def consume() -> None:
        feed = StreamTranslator().feed

        def source() -> Any:
            for chunk in chunks:
                yield from feed(chunk)

        pump = new_sync_pump(
            source(), tools=None, capture_thinking=False, allow_parallel_tool_calls=False, provider="x"
        )
        for _ in drive_sync(pump, lambda _result: None):
            pass

    times: list[float] = []
    for _ in range(max(reps, 5)):
        start = time.process_time()
        for _ in range(20):
            consume()
        times.append((time.process_time() - start) / 20 / len(chunks))
    return _median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description="toki's overhead over raw litellm, per call and per chunk")
    parser.add_argument("--chunks", type=int, default=200, help="content chunks per streamed answer")
    parser.add_argument("--reps", type=int, default=15, help="interleaved repetitions")
    args = parser.parse_args()

    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER.format(sims=str(ROOT / "tests-integration"), chunks=args.chunks)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        openai_url, anthropic_url, gemini_url = server.stdout.readline().split()
        return _run(args, openai_url, anthropic_url, gemini_url)
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(timeout=30)


def _run(args: argparse.Namespace, openai_url: str, anthropic_url: str, gemini_url: str) -> int:
    before = time.perf_counter()
    from toki_litellm.lazy import load_litellm

    litellm = load_litellm()
    litellm_import = time.perf_counter() - before

    from toki_anthropic import AnthropicModel
    from toki_google import GoogleModel
    from toki_openai import OpenAIModel

    frontends: dict[str, tuple[Any, str, str]] = {
        "openai": (
            OpenAIModel("gpt-4o-mini", api_key="k", base_url=openai_url + "/v1"),
            "openai/gpt-4o-mini",
            openai_url + "/v1",
        ),
        "anthropic": (
            AnthropicModel("claude-sonnet-4-5", api_key="k", base_url=anthropic_url),
            "anthropic/claude-sonnet-4-5",
            anthropic_url,
        ),
        "google": (
            GoogleModel("gemini-2.5-flash", api_key="k", base_url=gemini_url),
            "gemini/gemini-2.5-flash",
            gemini_url + "/v1beta",
        ),
    }

    def raw_stream(model: str, base: str) -> int:
        count = 0
        for chunk in litellm.completion(
            model=model,
            messages=MESSAGES,
            api_key="k",
            api_base=base,
            stream=True,
            stream_options={"include_usage": True},
            num_retries=0,
        ):
            if chunk.choices and chunk.choices[0].delta.content:
                count += 1
        return count

    def raw_blocking(model: str, base: str) -> int:
        litellm.completion(model=model, messages=MESSAGES, api_key="k", api_base=base, num_retries=0)
        return 1

    def toki_stream(model: Any) -> int:
        return sum(1 for _ in model.complete(MESSAGES, stream=True))

    def toki_blocking(model: Any) -> int:
        model.complete(MESSAGES)
        return 1

    first_call = time.perf_counter()
    raw_blocking("openai/gpt-4o-mini", openai_url + "/v1")
    first_call = time.perf_counter() - first_call
    for model, litellm_model, base in frontends.values():  # warm both paths
        raw_stream(litellm_model, base)
        toki_stream(model)
        raw_blocking(litellm_model, base)
        toki_blocking(model)

    results: dict[str, Any] = {}
    print(f"streams of {args.chunks} content chunks, {args.reps} interleaved repetitions, medians\n")
    header = f"{'frontend':<10} {'variant':<8} {'CPU ms/call':>12} {'CPU µs/chunk':>13} {'wall ms/call':>13}"
    print(header)
    print("-" * len(header))
    worst = 0.0
    for name, (model, litellm_model, base) in frontends.items():
        samples: dict[str, list[tuple[float, float, int]]] = {k: [] for k in ("litellm", "toki", "litellm-b", "toki-b")}
        actions: dict[str, Callable[[], int]] = {
            "litellm": lambda m=litellm_model, b=base: raw_stream(m, b),
            "toki": lambda m=model: toki_stream(m),
            "litellm-b": lambda m=litellm_model, b=base: raw_blocking(m, b),
            "toki-b": lambda m=model: toki_blocking(m),
        }
        for rep in range(args.reps):
            order = [(k, actions[k]) for k in ("litellm", "toki")]
            blocking = [(k, actions[k]) for k in ("litellm-b", "toki-b")]
            if rep % 2:
                order.reverse()
                blocking.reverse()
            for key, action in order + blocking:
                samples[key].append(_measure(action))
        row: dict[str, float] = {}
        for key in ("litellm", "toki"):
            cpu = _median([s[0] for s in samples[key]])
            wall = _median([s[1] for s in samples[key]])
            chunks = samples[key][0][2]
            row[key] = cpu / args.chunks
            print(f"{name:<10} {key:<8} {cpu * 1e3:>12.2f} {cpu / args.chunks * 1e6:>13.1f} {wall * 1e3:>13.2f}")
            assert chunks == args.chunks, (name, key, chunks)
        extra_chunk = (row["toki"] - row["litellm"]) / row["litellm"]
        blocking_raw = _median([s[0] for s in samples["litellm-b"]])
        blocking_toki = _median([s[0] for s in samples["toki-b"]])
        extra_call = (blocking_toki - blocking_raw) / blocking_raw
        worst = max(worst, extra_chunk)
        results[name] = {
            "per_chunk_cpu_us": {"litellm": row["litellm"] * 1e6, "toki": row["toki"] * 1e6},
            "per_chunk_overhead": extra_chunk,
            "blocking_cpu_ms": {"litellm": blocking_raw * 1e3, "toki": blocking_toki * 1e3},
            "blocking_overhead": extra_call,
        }
        print(
            f"{'':<10} toki adds {extra_chunk:+.1%} per streamed chunk; blocking call: "
            f"{blocking_raw * 1e3:.2f} -> {blocking_toki * 1e3:.2f} ms CPU ({extra_call:+.1%})\n"
        )
    for model, _, _ in frontends.values():
        model.close()

    isolated = _isolated_toki_cost(litellm, frontends["anthropic"][1], frontends["anthropic"][2], args.reps)
    guard = _guard_cost(args.reps)
    litellm_per_chunk = min(r["per_chunk_cpu_us"]["litellm"] for r in results.values()) / 1e6
    share = (isolated + guard) / litellm_per_chunk
    print(
        f"toki's own work per chunk, isolated: {isolated * 1e6:.1f} µs (translation + engine + public chunks over "
        f"recorded litellm chunks) + {guard * 1e6:.1f} µs (the event guard on the wire bytes) = {share:.1%} of "
        f"litellm's cheapest per-chunk CPU time"
    )
    results["isolated_toki_us_per_chunk"] = isolated * 1e6
    results["guard_us_per_event"] = guard * 1e6

    toki_import = _fresh_import_seconds("import toki.openai")
    litellm_fresh = _fresh_import_seconds("import litellm", runs=2)
    heavy = subprocess.run(
        [sys.executable, "-c", "import sys, toki.openai; print('litellm' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"import toki.openai (fresh process): {toki_import * 1e3:.0f} ms (litellm imported: {heavy})")
    print(f"import litellm (fresh process, offline cost map): {litellm_fresh:.2f} s (here: {litellm_import:.2f} s)")
    print(f"first litellm.completion in a process (lazy imports): {first_call:.2f} s")
    print(f"end to end, worst median per-chunk difference: {worst:+.1%} (noise on a shared machine is about +-10%)")
    print(f"goal (toki adds <= 10% to litellm's per-chunk cost): {'met' if share <= 0.10 else 'NOT met'} ({share:.1%})")
    results["imports"] = {"toki.openai_ms": toki_import * 1e3, "litellm_s": litellm_fresh, "first_call_s": first_call}
    print(json.dumps(results, indent=1))
    return 0 if share <= 0.10 else 1


if __name__ == "__main__":
    raise SystemExit(main())

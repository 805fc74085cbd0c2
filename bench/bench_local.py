"""How much does streaming through ``LocalModel`` cost on top of transformers' own streamer?

For each model, the same greedy ``generate`` call (same rendered prompt, same generation config,
same torch thread count, exactly ``--tokens`` new tokens forced with ``min_new_tokens``) is
consumed two or three ways, interleaved repetition by repetition:

* ``direct``: ``model.generate(..., streamer=TextIteratorStreamer(...))`` on a thread, the
  iterator drained by the caller: what a hand-written transformers app does (the baseline);
* ``toki``: ``LocalModel.complete(messages, stream=True)``: worker thread, incremental decoding,
  the ``<think>``/``<tool_call>`` splitter and toki's stream engine, chunks as the caller sees them;
* ``toki-async``: the same through ``acomplete`` (the ``asyncio.Queue`` bridge).

Reported per variant: tokens/s over the whole call (best and median of the repetitions), CPU
time of the whole process per token (median; both threads, so toki's extra work shows even when
other processes slow the wall clock down), and time to first token (median; from the call until
the caller holds the first text chunk). Goal: toki's best tokens/s at most 5% below ``direct``'s
(the best repetition is the one least disturbed by whatever else runs on the machine); the exit
status is 1 if it is missed.

Models: ``tiny`` (the test suite's 2-layer model, about 2 ms per token, so toki's per-token work
shows the most) and ``smollm2`` (the embedded SmolLM2-135M-Instruct, converted into toki's cache
on first use).

``--contention`` adds the thread-count measurement behind ``LocalModel``'s default: tokens/s with
1 and with 2 torch threads while a busy process runs beside it.

Run: ``uv run python bench/bench_local.py`` (``--quick`` for a smoke run; ``--models tiny``).
The machines are small and shared: compare the figures of one run, not across runs.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "packages" / "toki-local" / "tests"))

MESSAGES = [{"role": "user", "content": "Write a long story about a lighthouse keeper."}]
GOAL = 0.95


def load(name: str, workdir: Path) -> Any:
    from toki_local import LocalModel

    if name == "tiny":
        import importlib

        builder: Any = importlib.import_module("toki_local_tiny_model")  # from the package's tests
        return LocalModel(str(builder.build_tiny_model(workdir / "tiny")), temperature=0)
    return LocalModel("smollm2-135m-instruct", temperature=0)


def run_direct(model: Any, tokens: int) -> tuple[float, float, int]:
    """transformers alone: TextIteratorStreamer drained on this thread. Returns (total s, TTFT s, chunks).

    Like toki, it renders the prompt itself (inside the timing) and sets the thread count.
    """
    import torch
    from toki_local.worker import generation_config
    from transformers import TextIteratorStreamer

    start = time.perf_counter()
    tokenizer = model.tokenizer
    prompt = tokenizer.apply_chat_template(MESSAGES, add_generation_prompt=True, tokenize=False)
    ids = torch.tensor([tokenizer(prompt, add_special_tokens=False)["input_ids"]])
    config = generation_config(
        model.hf_model.generation_config,
        max_new_tokens=tokens,
        temperature=0,
        top_p=None,
        pad_token_id=tokenizer.pad_token_id,
        extra={"min_new_tokens": tokens},
    )
    streamer: Any = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)

    def generate() -> None:
        torch.set_num_threads(model.num_threads)
        model.hf_model.generate(
            input_ids=ids, attention_mask=torch.ones_like(ids), generation_config=config, streamer=streamer
        )

    worker = threading.Thread(target=generate)
    worker.start()
    first = 0.0
    chunks = 0
    for text in streamer:
        if text and not first:
            first = time.perf_counter() - start
        chunks += 1
    worker.join()
    return time.perf_counter() - start, first, chunks


def run_toki(model: Any, tokens: int) -> tuple[float, float, int]:
    start = time.perf_counter()
    first = 0.0
    chunks = 0
    for _ in model.complete(MESSAGES, stream=True, max_tokens=tokens, min_new_tokens=tokens):
        if not first:
            first = time.perf_counter() - start
        chunks += 1
    return time.perf_counter() - start, first, chunks


def run_toki_async(model: Any, tokens: int) -> tuple[float, float, int]:
    async def consume() -> tuple[float, float, int]:
        start = time.perf_counter()
        first = 0.0
        chunks = 0
        async for _ in model.acomplete(MESSAGES, stream=True, max_tokens=tokens, min_new_tokens=tokens):
            if not first:
                first = time.perf_counter() - start
            chunks += 1
        return time.perf_counter() - start, first, chunks

    return asyncio.run(consume())


VARIANTS: dict[str, Callable[[Any, int], tuple[float, float, int]]] = {
    "direct": run_direct,
    "toki": run_toki,
    "toki-async": run_toki_async,
}


def bench_model(name: str, model: Any, tokens: int, reps: int) -> bool:
    for variant in VARIANTS.values():  # warm-up: first-call allocations, lazy imports
        variant(model, min(tokens, 16))
    totals: dict[str, list[float]] = {key: [] for key in VARIANTS}
    firsts: dict[str, list[float]] = {key: [] for key in VARIANTS}
    cpu: dict[str, list[float]] = {key: [] for key in VARIANTS}
    for rep in range(reps):
        order = list(VARIANTS) if rep % 2 == 0 else list(reversed(VARIANTS))
        for key in order:
            started = time.process_time()
            total, first, _ = VARIANTS[key](model, tokens)
            cpu[key].append(time.process_time() - started)
            totals[key].append(total)
            firsts[key].append(first)
    best_direct = tokens / min(totals["direct"])
    print(f"\n{name}: {tokens} tokens, {reps} reps, torch threads {model.num_threads}")
    print(f"  {'variant':<12} {'best tok/s':>10} {'vs direct':>10} {'median tok/s':>13}", end="")
    print(f" {'CPU ms/tok':>11} {'TTFT ms':>8}")
    ok = True
    for key in VARIANTS:
        best = tokens / min(totals[key])
        median = tokens / statistics.median(totals[key])
        cpu_per_token = statistics.median(cpu[key]) / tokens * 1000
        ttft = statistics.median(firsts[key]) * 1000
        ratio = best / best_direct
        print(f"  {key:<12} {best:10.1f} {ratio:9.3f}x {median:13.1f} {cpu_per_token:11.3f} {ttft:8.1f}")
        if key != "direct" and ratio < GOAL:
            ok = False
    print(f"  goal: toki's best tokens/s >= {GOAL:.2f}x direct's -> {'met' if ok else 'MISSED'}")
    return ok


BUSY = "import time\nend = time.time() + 600\nwhile time.time() < end: pass\n"


def bench_contention(model: Any, tokens: int, reps: int) -> None:
    """Tokens/s with 1 and 2 torch threads, alone and with one busy process beside it."""
    rows: list[tuple[str, int, float]] = []
    original = model.num_threads
    for label in ("idle", "busy neighbour"):
        neighbour = subprocess.Popen([sys.executable, "-c", BUSY]) if label != "idle" else None
        try:
            time.sleep(0.5 if neighbour else 0)
            for threads in (1, 2):
                model.num_threads = threads
                samples = [run_toki(model, tokens)[0] for _ in range(reps)]
                rows.append((label, threads, tokens / statistics.median(samples)))
        finally:
            if neighbour is not None:
                neighbour.kill()
                neighbour.wait()
    model.num_threads = original
    print(f"\nthread count under contention ({tokens} tokens, {reps} reps, toki streaming):")
    for label, threads, rate in rows:
        print(f"  {label:<15} threads={threads}  {rate:8.1f} tok/s")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--models", default="tiny,smollm2", help="comma-separated: tiny, smollm2")
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--tokens", type=int, default=0, help="new tokens per call (default: 400 tiny, 96 smollm2)")
    parser.add_argument("--contention", action="store_true", help="also measure 1 vs 2 threads beside a busy process")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 reps, few tokens")
    args = parser.parse_args()
    reps = 2 if args.quick else args.reps
    ok = True
    with tempfile.TemporaryDirectory() as scratch:
        for name in args.models.split(","):
            started = time.perf_counter()
            model = load(name, Path(scratch))
            print(f"loaded {name} in {time.perf_counter() - started:.1f} s")
            tokens = args.tokens or (400 if name == "tiny" else 96)
            if args.quick:
                tokens = min(tokens, 32)
            ok = bench_model(name, model, tokens, reps) and ok
            if args.contention:
                bench_contention(model, tokens, max(1, reps // 2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

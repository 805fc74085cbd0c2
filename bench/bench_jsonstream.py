"""Benchmark toki.helpers.jsonstream against json.loads (a script, not a test).

    uv run python bench/bench_jsonstream.py              # all cases, 7 interleaved reps
    uv run python bench/bench_jsonstream.py --reps 15 --size 1000000

Inputs are generated here from a fixed seed (nothing random between runs) and pre-split
into LLM-style deltas of 4 to 16 characters, so only parser work is measured.  Within each
repetition every contender runs on the same deltas, one after the other (order alternates
between repetitions), and medians are reported: on a small shared machine compare the
numbers of one run, not across runs.

Cases (goals from the spec of toki's jsonstream):
  code     {"path": ..., "code": "<~1 MB of code>"}: iterate the "code" JsonStrStream
           (quotes, backslashes, tabs, newlines, raw UTF-8, \\uXXXX and surrogate pairs);
           CPU time <= 20x json.loads on the joined text.
  array    {"items": [10,000 small objects]}: iterate the array, take each element's
           .value; CPU time <= 14x json.loads.
  scaling  the code case at 10 KB, 100 KB and 1 MB: CPU µs per delta should stay flat.
  ttfc     wall time from the source yielding the delta that carries the big string's
           first character until the consumer holds that character: < 0.2 ms.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
from collections.abc import Callable, Iterator
from time import perf_counter, process_time
from typing import Any

from toki.helpers.jsonstream import JsonArrStream, JsonDictStream, JsonStrStream, streaming_parse_json

BIG_KEY = "code"
ARRAY_KEY = "items"
_IDENTS = ["value", "result", "buffer", "parser", "token", "chunk", "delta", "state", "items", "index", "offset"]
_UNICODE = ["café", "naïve", "→", "日本語", "Ünïcödé", "🚀", "✓", "π≈3.14", "señor", "𝄞"]


# ---------------------------------------------------------------------------- inputs
def code_text(n_chars: int, seed: int) -> str:
    """Python-looking source with quotes, backslashes, tabs, newlines and non-ASCII text."""
    rng = random.Random(seed)
    lines: list[str] = []
    total = 0
    depth = 0
    while total < n_chars:
        kind = rng.random()
        ind = "    " * depth
        a, b, word = rng.choice(_IDENTS), rng.choice(_IDENTS), rng.choice(_UNICODE)
        if kind < 0.12:
            line = f'{ind}def {a}_{b}(self, {a}: str = "{word}") -> dict:'
            depth = min(depth + 1, 4)
        elif kind < 0.25:
            line = f'{ind}{a} = re.compile(r\'\\s+(\\d+)\\\\n"{b}"\')  # regex with \\ and "'
        elif kind < 0.40:
            line = f'{ind}print(f"{a}={{{a}!r}}\\t{b}: {word}\\n")'
        elif kind < 0.50:
            line = f"{ind}\t# TODO({word}): tab-indented comment about {a}"
        elif kind < 0.60:
            line = f"{ind}return {{\"{a}\": {a}, '{b}': [{rng.randint(0, 99999)}, {rng.random():.6f}]}}"
            depth = max(depth - 1, 0)
        elif kind < 0.65:
            line = ""
        else:
            line = f'{ind}{a}.{b}({b}, key="{a}", n={rng.randint(0, 999)})'
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines)[:n_chars]


def llm_dumps(obj: Any, seed: int) -> str:
    """json.dumps with raw UTF-8, then about a third of the non-ASCII characters re-escaped
    as \\uXXXX (surrogate pairs beyond the BMP), as some models emit them."""
    rng = random.Random(seed)
    out: list[str] = []
    for ch in json.dumps(obj, ensure_ascii=False):
        o = ord(ch)
        if o > 127 and rng.random() < 0.33:
            if o > 0xFFFF:
                o -= 0x10000
                out.append(f"\\u{0xD800 + (o >> 10):04x}\\u{0xDC00 + (o & 0x3FF):04x}")
            else:
                out.append(f"\\u{o:04x}")
        else:
            out.append(ch)
    return "".join(out)


def code_doc(size: int, seed: int = 1) -> str:
    """A tool-call argument object of about ``size`` characters with one big string."""
    payload = code_text(int(size * 0.92), seed)  # JSON escaping adds ~8%
    return llm_dumps({"path": "src/app/module.py", BIG_KEY: payload, "dry_run": False}, seed)


def array_doc(n: int, seed: int = 3) -> str:
    rng = random.Random(seed)
    items = [
        {
            "id": i,
            "name": f"item-{i}",
            "price": round(rng.random() * 100, 2),
            "tags": [rng.choice(_IDENTS), rng.choice(_UNICODE)],
            "in_stock": rng.random() < 0.5,
            "note": None,
        }
        for i in range(n)
    ]
    return llm_dumps({ARRAY_KEY: items}, seed)


def deltas(text: str, lo: int = 4, hi: int = 16, seed: int = 7) -> list[str]:
    """Split text into pieces of lo..hi characters, like chat-completion deltas."""
    rng = random.Random(seed)
    out: list[str] = []
    i = 0
    while i < len(text):
        k = rng.randint(lo, hi)
        out.append(text[i : i + k])
        i += k
    return out


# ---------------------------------------------------------------------------- consumers
def consume_code(chunks: list[str]) -> Any:
    """Iterate the big string piece by piece, as a UI printing tool arguments would."""
    root = streaming_parse_json(iter(chunks))
    assert isinstance(root, JsonDictStream)
    out: dict[str, Any] = {}
    for key, sub in root.items():
        if isinstance(sub, JsonStrStream):
            pieces: list[str] = []
            for piece in sub:
                pieces.append(piece)
            out[key] = "".join(pieces)
        else:
            out[key] = sub.value if isinstance(sub, (JsonArrStream, JsonDictStream)) else sub
    return out


def consume_array(chunks: list[str]) -> Any:
    """Take each array element's .value as soon as it is complete."""
    root = streaming_parse_json(iter(chunks))
    assert isinstance(root, JsonDictStream)
    out: dict[str, Any] = {}
    for key, sub in root.items():
        assert isinstance(sub, JsonArrStream)
        out[key] = [
            item.value if isinstance(item, (JsonStrStream, JsonArrStream, JsonDictStream)) else item for item in sub
        ]
    return out


def json_loads(chunks: list[str]) -> Any:
    return json.loads("".join(chunks))


def cpu(fn: Callable[[list[str]], Any], chunks: list[str]) -> float:
    gc.collect()
    t0 = process_time()
    fn(chunks)
    return process_time() - t0


def interleaved(
    contenders: dict[str, Callable[[list[str]], Any]], chunks: list[str], reps: int
) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for rep in range(reps):
        order = list(contenders)
        if rep % 2:
            order.reverse()
        for name in order:
            times[name].append(cpu(contenders[name], chunks))
    return times


# ---------------------------------------------------------------------------- ttfc
def ttfc_once(text: str, chunks: list[str]) -> float:
    """Wall seconds from yielding the delta that carries the big string's first character
    until the consumer sees a decoded piece of it."""
    first_char = text.index(f'"{BIG_KEY}": "') + len(f'"{BIG_KEY}": "')
    stamp: list[float] = []

    def source() -> Iterator[str]:
        offset = 0
        for chunk in chunks:
            if offset <= first_char < offset + len(chunk):
                stamp.append(perf_counter())
            offset += len(chunk)
            yield chunk

    root = streaming_parse_json(source())
    assert isinstance(root, JsonDictStream)
    for key, sub in root.items():
        if key == BIG_KEY:
            assert isinstance(sub, JsonStrStream)
            for _piece in sub:
                return perf_counter() - stamp[0]
    raise AssertionError("big string not found")


# ---------------------------------------------------------------------------- report
def med(xs: list[float]) -> float:
    return statistics.median(xs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--size", type=int, default=1_000_000, help="code document size in characters")
    ap.add_argument("--items", type=int, default=10_000, help="array elements")
    a = ap.parse_args(argv)
    print(f"# python {sys.version.split()[0]}, {a.reps} interleaved reps, medians (CPU = time.process_time)")
    failed = False

    rows: list[tuple[str, str, str, str, str]] = []
    for case, text, consumer, goal in (
        ("code", code_doc(a.size), consume_code, 20.0),
        ("array", array_doc(a.items), consume_array, 14.0),
    ):
        chunks = deltas(text)
        expected = json.loads(text)
        assert consumer(chunks) == expected, f"{case}: wrong result"
        times = interleaved({"jsonstream": consumer, "json.loads": json_loads}, chunks, a.reps)
        ratios = [t / b for t, b in zip(times["jsonstream"], times["json.loads"], strict=True)]
        ratio = med(ratios)
        mb = len(text.encode()) / 1e6
        ok = ratio <= goal
        failed |= not ok
        rows.append(
            (
                f"{case} ({mb:.2f} MB, {len(chunks):,} deltas)",
                f"{med(times['jsonstream']) * 1e3:.1f} ms ({mb / med(times['jsonstream']):.1f} MB/s)",
                f"{med(times['json.loads']) * 1e3:.2f} ms",
                f"{ratio:.1f}x (min {min(ratios):.1f}, max {max(ratios):.1f})",
                f"<= {goal:g}x: {'ok' if ok else 'MISSED'} ({ratio / goal:.2f} of goal)",
            )
        )
    print("\n| case | jsonstream CPU | json.loads CPU | ratio | goal |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")

    print(
        "\n| code doc size | deltas per doc | docs per timing | CPU µs/delta (jsonstream) | CPU µs/delta (json.loads) |"
    )
    print("|---|---|---|---|---|")
    per_delta: list[float] = []
    for size in (10_000, 100_000, 1_000_000):
        chunks = deltas(code_doc(size))
        copies = 1_000_000 // size  # each timing covers ~1 MB, so small documents are not timer noise

        def many(
            fn: Callable[[list[str]], Any], chunks: list[str] = chunks, copies: int = copies
        ) -> Callable[[list[str]], None]:
            def run(_: list[str]) -> None:
                for _i in range(copies):
                    fn(chunks)

            return run

        times = interleaved({"jsonstream": many(consume_code), "json.loads": many(json_loads)}, chunks, a.reps)
        us = med(times["jsonstream"]) / (len(chunks) * copies) * 1e6
        per_delta.append(us)
        loads_us = med(times["json.loads"]) / (len(chunks) * copies) * 1e6
        print(f"| {size:,} | {len(chunks):,} | {copies} | {us:.3f} | {loads_us:.3f} |")
    spread = max(per_delta) / min(per_delta)
    print(f"flatness: max/min µs per delta = {spread:.2f} (flat: <= 1.5)")
    failed |= spread > 1.5

    text = code_doc(a.size)
    chunks = deltas(text)
    ttfc = [ttfc_once(text, chunks) for _ in range(max(a.reps, 5) * 3)]
    ok = med(ttfc) < 0.2e-3
    failed |= not ok
    print(
        f"\nTTFC (delta carrying the first character -> consumer): median {med(ttfc) * 1e3:.4f} ms, "
        f"max {max(ttfc) * 1e3:.4f} ms; goal < 0.2 ms: {'ok' if ok else 'MISSED'}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Import cost of toki's entry points, each in fresh interpreters, side by side with anchors.

Reports the median wall time of ``python -c "<statement>"`` minus the bare interpreter start,
and the cumulative ``-X importtime`` figure of the imported top-level module. Run:

    uv run python bench/bench_import.py --reps 7
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

STATEMENTS = [
    ("json (anchor)", "import json"),
    ("httpx (anchor)", "import httpx"),
    ("import toki", "import toki"),
    ("from toki import Agent", "from toki import Agent"),
    ("toki.helpers.jsonstream", "from toki.helpers.jsonstream import streaming_parse_json"),
    ("from toki import OpenRouterModel", "from toki import OpenRouterModel"),
    ("from toki.openai import OpenAIModelName", "from toki.openai import OpenAIModelName"),
    ("from toki import OllamaModel", "from toki import OllamaModel"),
]


def _wall(statement: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], check=True)
    return time.perf_counter() - start


def _importtime_us(statement: str, module: str) -> int:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement], capture_output=True, text=True, check=True
    )
    best = 0
    for line in result.stderr.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] == module and parts[1].isdigit():
            best = max(best, int(parts[1]))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    baseline: list[float] = []
    walls: dict[str, list[float]] = {name: [] for name, _ in STATEMENTS}
    for _ in range(args.reps):  # interleaved, so machine noise hits every row alike
        baseline.append(_wall("pass"))
        for name, statement in STATEMENTS:
            walls[name].append(_wall(statement))
    base = statistics.median(baseline)
    print(f"bare interpreter start: {base * 1000:.1f} ms (subtracted below)")
    print(f"{'statement':42} {'wall ms':>8} {'importtime ms (cumulative)':>28}")
    for name, statement in STATEMENTS:
        module = statement.split()[1]
        cumulative = _importtime_us(statement, module) / 1000
        print(f"{name:42} {(statistics.median(walls[name]) - base) * 1000:8.1f} {cumulative:28.1f}")


if __name__ == "__main__":
    main()

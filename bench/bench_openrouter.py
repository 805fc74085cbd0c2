"""How much does streaming through ``OpenRouterModel`` cost on top of raw httpx?

Two measurements against the same local server (the OpenRouter simulator, run in a child
process so its work never counts against the client), serving an OpenRouter-shaped SSE stream of
content deltas, one event per write:

1. Per-chunk overhead, sync: CPU time of the client process per streamed chunk, for
   * ``httpx-bytes``: ``iter_bytes()`` and nothing else (the transport floor);
   * ``httpx-lines``: ``iter_lines()`` plus ``json.loads`` of every ``data:`` line and picking the
     delta's content, the least a hand-written client does (the baseline of the goal);
   * ``toki``: ``OpenRouterModel.complete(stream=True)``, chunks as the caller sees them.
   Variants are interleaved repetition by repetition; medians are reported. Goal: toki <= 1.5x
   ``httpx-lines`` per chunk.
2. 200 concurrent async streams: wall time and peak RSS of a fresh process per variant, raw
   ``httpx.AsyncClient`` (``aiter_lines`` + ``json.loads``) vs ``OpenRouterModel.acomplete``, against
   a minimal asyncio server (the simulator's thread per connection made the server the bottleneck
   and the figures noisy at this concurrency). Goal: within 1.5x on both.

Run: ``uv run python bench/bench_openrouter.py`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests-integration"))

MESSAGES = [{"role": "user", "content": "Say many words."}]
HEADERS = {"Authorization": "Bearer sk-or-bench", "Content-Type": "application/json"}
MODEL = "google/gemini-2.5-flash"


def stream_parts(n_chunks: int) -> tuple[bytes, ...]:
    """An OpenRouter stream: role delta, ``n_chunks`` content deltas, finish, usage, [DONE]."""

    def event(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
        chunk = {
            "id": "gen-bench",
            "provider": "Google",
            "model": MODEL,
            "object": "chat.completion.chunk",
            "created": 1760000000,
            "choices": [
                {"index": 0, "delta": delta, "finish_reason": finish, "native_finish_reason": finish, "logprobs": None}
            ],
            **extra,
        }
        return b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\n\n"

    parts = [event({"role": "assistant", "content": ""})]
    parts += [event({"role": "assistant", "content": f"word{i} "}) for i in range(n_chunks)]
    parts.append(event({"role": "assistant", "content": ""}, "stop"))
    usage = {"prompt_tokens": 10, "completion_tokens": n_chunks, "total_tokens": 10 + n_chunks}
    parts.append(event({}, None, usage=usage))
    parts.append(b"data: [DONE]\n\n")
    return tuple(parts)


def _serve(conn: Connection, n_chunks: int) -> None:
    from simulators import OpenRouterSim, RawReply

    sim = OpenRouterSim()
    sim.start()
    sim.set_default(RawReply(stream_parts(n_chunks), content_type="text/event-stream", framing="chunked"))
    conn.send(sim.base_url + "/api/v1")
    conn.recv()  # until the parent says stop
    sim.stop()


def _serve_tiny(conn: Connection, n_chunks: int) -> None:
    """A minimal asyncio HTTP/1.1 server: keep-alive, the whole chunked SSE answer in one write."""
    parts = stream_parts(n_chunks)
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
    answer = head + b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts) + b"0\r\n\r\n"

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in request.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
        port = server.sockets[0].getsockname()[1]
        conn.send(f"http://127.0.0.1:{port}/api/v1")
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)
        server.close()

    asyncio.run(main())


class Server:
    """A server in a child process answering every request with the same stream.

    ``kind="sim"``: the OpenRouter simulator (one write per event); ``kind="tiny"``: a minimal
    asyncio server (one write per answer), for 200 concurrent streams, where the simulator's
    thread per connection would make the server the bottleneck.
    """

    def __init__(self, n_chunks: int, kind: str = "sim") -> None:
        self._parent, child = multiprocessing.Pipe()
        target = _serve if kind == "sim" else _serve_tiny
        self._process = multiprocessing.get_context("spawn").Process(target=target, args=(child, n_chunks), daemon=True)

    def __enter__(self) -> str:
        self._process.start()
        return str(self._parent.recv())

    def __exit__(self, *exc: object) -> None:
        self._parent.send("stop")
        self._process.join(10)


# ---------------------------------------------------------------------- per-chunk, sync


def _body(stream: bool = True) -> bytes:
    body: dict[str, Any] = {"model": MODEL, "messages": MESSAGES, "usage": {"include": True}}
    if stream:
        body |= {"stream": True, "stream_options": {"include_usage": True}}
    return json.dumps(body).encode()


def per_chunk(n_chunks: int, reps: int) -> dict[str, Any]:
    import httpx
    from toki_openrouter import OpenRouterModel

    with Server(n_chunks) as base_url:
        url = base_url + "/chat/completions"
        body = _body()
        client = httpx.Client(limits=httpx.Limits(max_connections=10, max_keepalive_connections=10))
        model = OpenRouterModel(MODEL, api_key="sk-or-bench", base_url=base_url)

        def httpx_bytes() -> int:
            count = 0
            with client.stream("POST", url, content=body, headers=HEADERS) as response:
                for _ in response.iter_bytes():
                    count += 1
            return n_chunks

        def httpx_lines() -> int:
            count = 0
            with client.stream("POST", url, content=body, headers=HEADERS) as response:
                for line in response.iter_lines():
                    if line.startswith("data: ") and line != "data: [DONE]":
                        for choice in json.loads(line[6:])["choices"]:
                            if choice["delta"].get("content"):
                                count += 1
            return count

        def toki() -> int:
            return sum(1 for _ in model.complete(MESSAGES, stream=True))

        variants: dict[str, Callable[[], int]] = {"httpx-bytes": httpx_bytes, "httpx-lines": httpx_lines, "toki": toki}
        cpu: dict[str, list[float]] = {name: [] for name in variants}
        wall: dict[str, list[float]] = {name: [] for name in variants}
        for fn in variants.values():  # warm up connections, imports, caches
            fn()
        for _ in range(reps):
            for name, fn in variants.items():
                started_cpu, started_wall = time.process_time(), time.perf_counter()
                count = fn()
                cpu[name].append((time.process_time() - started_cpu) / count * 1e6)
                wall[name].append((time.perf_counter() - started_wall) / count * 1e6)
                assert count == n_chunks, (name, count)
        model.close()
        client.close()
    return {
        "chunks_per_stream": n_chunks,
        "reps": reps,
        "cpu_us_per_chunk": {name: round(statistics.median(v), 2) for name, v in cpu.items()},
        "wall_us_per_chunk": {name: round(statistics.median(v), 2) for name, v in wall.items()},
    }


# ---------------------------------------------------------------------- concurrency, async


async def _concurrent(variant: str, base_url: str, streams: int, reps: int) -> tuple[list[float], list[float]]:
    import httpx
    from toki_openrouter import OpenRouterModel

    url = base_url + "/chat/completions"
    body = _body()
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=100)
    client = httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(30.0))
    model = OpenRouterModel(MODEL, api_key="sk-or-bench", base_url=base_url, timeout=30)

    async def raw_one() -> int:
        count = 0
        async with client.stream("POST", url, content=body, headers=HEADERS) as response:
            async for line in response.aiter_lines():
                if line.startswith("data: ") and line != "data: [DONE]":
                    for choice in json.loads(line[6:])["choices"]:
                        if choice["delta"].get("content"):
                            count += 1
        return count

    async def toki_one() -> int:
        count = 0
        async for _ in model.acomplete(MESSAGES, stream=True):
            count += 1
        return count

    one = raw_one if variant == "httpx" else toki_one
    times: list[float] = []
    cpu: list[float] = []
    await asyncio.gather(*(one() for _ in range(min(streams, 20))))  # warm up
    for _ in range(reps):
        started, started_cpu = time.perf_counter(), time.process_time()
        counts = await asyncio.gather(*(one() for _ in range(streams)))
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        assert len(set(counts)) == 1, counts
    await client.aclose()
    await model.aclose()
    return times, cpu


def concurrent_worker(variant: str, base_url: str, streams: int, reps: int) -> None:
    times, cpu = asyncio.run(_concurrent(variant, base_url, streams, reps))
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"variant": variant, "wall_s": times, "cpu_s": cpu, "peak_rss_mb": round(peak_kb / 1024, 1)}))


def concurrency(streams: int, n_chunks: int, reps: int, rounds: int) -> dict[str, Any]:
    results: dict[str, dict[str, list[float]]] = {
        v: {"wall_s": [], "cpu_s": [], "peak_rss_mb": []} for v in ("httpx", "toki")
    }
    with Server(n_chunks, kind="tiny") as base_url:
        for _ in range(rounds):
            for variant in ("httpx", "toki"):
                out = subprocess.run(
                    [sys.executable, __file__, "--worker", variant, base_url, str(streams), str(reps)],
                    check=True,
                    capture_output=True,
                    text=True,
                    timeout=600,
                )
                record = json.loads(out.stdout.strip().splitlines()[-1])
                results[variant]["wall_s"].extend(record["wall_s"])
                results[variant]["cpu_s"].extend(record["cpu_s"])
                results[variant]["peak_rss_mb"].append(record["peak_rss_mb"])
    return {
        "streams": streams,
        "chunks_per_stream": n_chunks,
        "wall_s_median": {v: round(statistics.median(r["wall_s"]), 3) for v, r in results.items()},
        "cpu_s_median": {v: round(statistics.median(r["cpu_s"]), 3) for v, r in results.items()},
        "peak_rss_mb_median": {v: statistics.median(r["peak_rss_mb"]) for v, r in results.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer chunks and repetitions")
    parser.add_argument("--worker", nargs=4, metavar=("VARIANT", "URL", "STREAMS", "REPS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        variant, url, streams, reps = args.worker
        concurrent_worker(variant, url, int(streams), int(reps))
        return
    chunks, reps = (500, 3) if args.quick else (2000, 9)
    sync = per_chunk(chunks, reps)
    cpu = sync["cpu_us_per_chunk"]
    print("per-chunk, sync (median us per chunk):")
    for name in cpu:
        print(f"  {name:12s} cpu {cpu[name]:8.2f}   wall {sync['wall_us_per_chunk'][name]:8.2f}")
    print(f"  toki / httpx-lines (cpu): {cpu['toki'] / cpu['httpx-lines']:.2f}x  (goal <= 1.5x)")
    many = concurrency(200, 50 if args.quick else 200, 1 if args.quick else 3, 1 if args.quick else 4)
    wall, cpu_s, rss = many["wall_s_median"], many["cpu_s_median"], many["peak_rss_mb_median"]
    print(f"200 concurrent async streams x {many['chunks_per_stream']} chunks (medians):")
    for name in wall:
        print(f"  {name:6s} wall {wall[name]:7.3f} s   cpu {cpu_s[name]:7.3f} s   peak RSS {rss[name]:7.1f} MB")
    print(
        f"  toki / httpx: wall {wall['toki'] / wall['httpx']:.2f}x, cpu {cpu_s['toki'] / cpu_s['httpx']:.2f}x, "
        f"peak RSS {rss['toki'] / rss['httpx']:.2f}x (goal <= 1.5x)"
    )
    print(json.dumps({"per_chunk": sync, "concurrency": many}))


if __name__ == "__main__":
    main()

"""Load test of ``emoscope serve`` on loopback: micro-batching against no batching.

For each server mode (batching on, then ``--no-batching``) and each concurrency level (1, 8 and
32 clients, each sending one short GoEmotions text per request over a keep-alive connection) it
prints requests/s, p50/p99 latency and the error count; then it loads the batching server with 32
clients for ``--soak`` seconds and prints its RSS at the start and the end.  The baseline is the
same server with batching disabled, run in the same session.

    python benchmarks/serve_load.py --duration 20 --soak 300
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_server(port: int, batching: bool, threads: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "emoscope", "serve", "--port", str(port), "--threads", str(threads),
         "--batching" if batching else "--no-batching"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start")


async def client(port: int, texts: list[str], offset: int, stop_at: float, latencies: list, errors: list):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = offset
    try:
        while time.perf_counter() < stop_at:
            body = json.dumps({"texts": [texts[i % len(texts)]], "scores": False}).encode()
            i += 1
            request = (f"POST /v1/analyze HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                       f"Content-Length: {len(body)}\r\n\r\n").encode() + body
            started = time.perf_counter()
            writer.write(request)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:"))
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if status != 200:
                errors.append(status)
    except (OSError, asyncio.IncompleteReadError) as exc:
        errors.append(repr(exc))
    finally:
        writer.close()


async def load(port: int, clients: int, seconds: float, texts: list[str]) -> dict:
    latencies, errors = [], []
    stop_at = time.perf_counter() + seconds
    started = time.perf_counter()
    await asyncio.gather(*(client(port, texts, k * 997, stop_at, latencies, errors) for k in range(clients)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {"clients": clients, "requests": len(latencies), "rps": len(latencies) / elapsed,
            "p50_ms": 1000 * statistics.median(latencies) if latencies else float("nan"),
            "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] if latencies else float("nan"),
            "errors": len(errors)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(REPO.parent / "shared/datasets/goemotions"))
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per concurrency level")
    parser.add_argument("--soak", type=float, default=300.0, help="seconds of 32-client load for the RSS check")
    parser.add_argument("--levels", default="1,8,32")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", dest="json_out")
    args = parser.parse_args()
    with open(Path(args.data) / "test.tsv", encoding="utf-8") as handle:
        texts = [line.split("\t", 1)[0] for line in handle][:2000]
    levels = [int(x) for x in args.levels.split(",")]
    report = {"modes": {}}
    print(f"{'mode':12s} {'clients':>7s} {'req/s':>8s} {'p50 ms':>8s} {'p99 ms':>8s} {'errors':>6s}")
    for mode, batching in (("batching", True), ("no-batching", False)):
        port = free_port()
        proc = start_server(port, batching, args.threads)
        try:
            asyncio.run(load(port, 4, 2.0, texts))  # warm-up
            rows = []
            for clients in levels:
                row = asyncio.run(load(port, clients, args.duration, texts))
                rows.append(row)
                print(f"{mode:12s} {clients:7d} {row['rps']:8.1f} {row['p50_ms']:8.1f} {row['p99_ms']:8.1f} {row['errors']:6d}")
            report["modes"][mode] = rows
            if batching and args.soak > 0:
                start_rss = rss_mb(proc.pid)
                soak = asyncio.run(load(port, 32, args.soak, texts))
                end_rss = rss_mb(proc.pid)
                report["soak"] = {"seconds": args.soak, "rss_start_mb": start_rss, "rss_end_mb": end_rss,
                                  "growth_mb": end_rss - start_rss, **soak}
        finally:
            proc.terminate()
            proc.wait(30)
    top = max(levels)
    on = next(r for r in report["modes"]["batching"] if r["clients"] == top)["rps"]
    off = next(r for r in report["modes"]["no-batching"] if r["clients"] == top)["rps"]
    report["ratio_at_max_clients"] = on / off
    print(f"micro-batching / no batching at {top} clients: {on / off:.2f}x requests/s")
    if "soak" in report:
        s = report["soak"]
        print(f"soak: {s['seconds']:.0f} s at 32 clients, {s['requests']} requests, {s['errors']} errors; "
              f"server RSS {s['rss_start_mb']:.0f} MB -> {s['rss_end_mb']:.0f} MB ({s['growth_mb']:+.1f} MB)")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()

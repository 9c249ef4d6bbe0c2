"""Mixed-workload load benchmark: two instances sharing Redis, then one (a script, not a test).

    .venv/bin/python benchmarks/load_bench.py [--seconds 20] [--concurrency 16]

Starts redis-server and connector processes on loopback, signs in once through the OAuth
server (development sign-in) and runs a fixed mix for a fixed time: list, get, search,
install ticket, check-updates over REST and MCP ``tools/call`` (list_skills). Prints
throughput, p50/p99 latency and errors for two instances, then one, and the ratio. The load
generator is Python on the same 2-core machine, so read the ratio, not the absolute figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from redisserver import RedisServer, free_port  # noqa: E402
from serving import serve  # noqa: E402
from test_mcp_oauth import tokens_for  # noqa: E402

MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def start_instances(
    n: int, work: Path, redis_url: str
) -> tuple[list[subprocess.Popen[bytes]], list[str]]:
    ports = [free_port() for _ in range(n)]
    env = {
        "SKILLPORT_REDIS_URL": redis_url,
        "SKILLPORT_SECRET_KEY": Fernet.generate_key().decode(),
        "SKILLPORT_PUBLIC_URL": f"http://127.0.0.1:{ports[0]}",
        "SKILLPORT_AUDIT_LOG": "",
        "SKILLPORT_RATE_LIMIT_USER": "0",
        "SKILLPORT_RATE_LIMIT_IP": "0",
        "SKILLPORT_RATE_LIMIT_REGISTER": "0",
        "SKILLPORT_MCP_CLASSIC_TOOLS": "true",
    }
    started = [serve(p, work / f"d{p}", env) for p in ports]
    procs = [proc for proc, _ in started]
    bases = [base for _, base in started]
    return procs, bases


async def run_load(
    bases: list[str], token: str, seconds: float, concurrency: int
) -> dict[str, float]:
    auth = {"Authorization": f"Bearer {token}"}
    names = ["csv-profiler", "meeting-notes", "changelog", "house-style", "skillport"]
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def one(client: httpx.AsyncClient, i: int) -> None:
        nonlocal errors
        base = bases[i % len(bases)]
        kind = i % 6
        name = random.choice(names)
        t = time.perf_counter()
        if kind == 0:
            r = await client.get(f"{base}/api/skills", headers=auth)
        elif kind == 1:
            r = await client.get(f"{base}/api/skills/{name}", headers=auth)
        elif kind == 2:
            r = await client.get(f"{base}/api/skills", params={"q": "data notes"}, headers=auth)
        elif kind == 3:
            r = await client.get(f"{base}/api/skills/{name}/install", headers=auth)
        elif kind == 4:
            body = {"installed": [{"name": n, "version": "0.0.1"} for n in names]}
            r = await client.post(f"{base}/api/check-updates", headers=auth, json=body)
        else:
            call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                    "params": {"name": "list_skills", "arguments": {}}}  # fmt: skip
            r = await client.post(
                f"{base}/mcp", headers={**auth, **MCP_HEADERS}, content=json.dumps(call)
            )
        latencies.append(time.perf_counter() - t)
        if r.status_code != 200:
            errors += 1

    async def worker(w: int) -> None:
        async with httpx.AsyncClient(timeout=30) as client:
            i = w
            while time.perf_counter() < deadline:
                await one(client, i)
                i += concurrency

    start = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        redis = RedisServer(work)
        try:
            for n in (2, 1):
                procs, bases = start_instances(n, work, redis.url)
                try:
                    _, issued = tokens_for(bases[0], email="load@example.com")
                    results[n] = asyncio.run(
                        run_load(bases, issued["access_token"], args.seconds, args.concurrency)
                    )
                finally:
                    for p in procs:
                        p.terminate()
                        p.wait(timeout=20)
        finally:
            redis.stop()
    print(
        f"{'instances':>9} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
    )
    for n, r in results.items():
        row = f"{n:>9} {r['requests']:>9} {r['rps']:>8.0f} {r['p50_ms']:>8.2f}"
        print(f"{row} {r['p99_ms']:>8.2f} {r['errors']:>7}")
    print(f"ratio two/one instances: {results[2]['rps'] / results[1]['rps']:.2f}")


if __name__ == "__main__":
    main()

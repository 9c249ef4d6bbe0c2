"""Catalog and listing benchmark (a script that prints figures, not a test).

    .venv/bin/python benchmarks/catalog_bench.py [--sizes 100,1000,10000] [--seconds 21]

For synthetic marketplaces of each size it prints:

* catalog load time and peak RSS (each load in a fresh process, so RSS is its own);
* GET /api/skills latency (p50/p99, one connection, sequential) and throughput
  (several keep-alive connections) against the real server, next to a bare ASGI endpoint
  served by the same uvicorn with the same settings (h11, no access log, no proxy-header
  rewriting) that gets the same request and answers with the very same bytes, headers
  included: the difference is the connector's own per-request work. ``--plain-bare``
  gives the older comparison (the bare endpoint sends the body with its framing headers
  only and gets no token). The machine is noisy, so the figure that matters is the ratio
  inside one run, not the absolute numbers; the server CPU time per request, read from
  /proc around each round, is the same comparison less exposed to other load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

PY = sys.executable
#: Throughput rounds per server, alternating with the bare endpoint.
ROUNDS = 7
SKILLS_PER_GROUP = 10


def make_marketplace(root: Path, skills: int) -> None:
    groups = max(1, skills // SKILLS_PER_GROUP)
    entries = []
    n = 0
    for g in range(groups):
        gname = f"group-{g:05d}"
        gdir = root / "plugins" / gname
        (gdir / ".claude-plugin").mkdir(parents=True)
        (gdir / ".claude-plugin/plugin.json").write_text(
            json.dumps(
                {"name": gname, "version": f"1.{g % 7}.{g % 3}", "description": f"Group {g}"}
            )
        )
        tags = (
            ["surface:CALL"] if g % 3 == 0 else (["surface:CC"] if g % 3 == 1 else ["surface:CDAI"])
        )
        entries.append(
            {
                "name": gname,
                "source": f"./plugins/{gname}",
                "description": f"Synthetic group number {g}",
                "version": "1.0.0",
                "tags": [*tags, "synthetic"],
                "keywords": ["bench", f"k{g % 50}"],
                "category": f"cat-{g % 9}",
            }
        )
        for _ in range(SKILLS_PER_GROUP):
            if n >= skills:
                break
            sname = f"skill-{n:05d}"
            sdir = gdir / "skills" / sname
            (sdir / "references").mkdir(parents=True)
            (sdir / "SKILL.md").write_text(
                f"---\nname: {sname}\ndescription: >\n  Synthetic skill {n} for benchmarking;"
                f" handles topic {n % 97} and task {n % 13}.\n"
                f"metadata:\n  owner: team-{n % 11}\n---\n\n"
                f"# Skill {n}\n\n" + ("Some instructions about the task at hand. " * 12) + "\n"
            )
            (sdir / "references/notes.md").write_text(f"Notes for skill {n}.\n" * 5)
            n += 1
    (root / ".claude-plugin").mkdir()
    (root / ".claude-plugin/marketplace.json").write_text(
        json.dumps({"name": "bench", "owner": {"name": "Bench"}, "plugins": entries})
    )


LOAD_PROBE = textwrap.dedent(
    """
    import json, resource, sys, time
    from skillport_connector.catalog import load_catalog
    from skillport_connector.sources.tree import DirectoryTree
    t = time.perf_counter()
    cat = load_catalog(DirectoryTree(sys.argv[1]))
    elapsed = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {"seconds": elapsed, "rss_mb": rss, "skills": len(cat.skills)}
    print(json.dumps({**out, "errors": len(cat.errors)}))
    """
)

BARE_APP = textwrap.dedent(
    """
    import json, os
    BODY = open(os.environ["BENCH_BODY"], "rb").read()
    HEADERS = [(k.encode(), v.encode()) for k, v in json.loads(os.environ["BENCH_HEADERS"])]

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
        await send({"type": "http.response.body", "body": BODY})
    """
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited during start-up")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


async def _request(reader, writer, raw: bytes) -> int:
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    status = int(head.split(b" ", 2)[1])
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status


def _raw_request(path: str, token: str | None, port: int) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    # The server checks the Host header on every route (DNS-rebinding protection).
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}\r\n".encode()


async def latency(port: int, path: str, token: str | None, count: int) -> tuple[float, float]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    raw = _raw_request(path, token, port)
    for _ in range(min(50, count)):  # warm-up
        await _request(reader, writer, raw)
    samples = []
    for _ in range(count):
        t = time.perf_counter()
        status = await _request(reader, writer, raw)
        samples.append(time.perf_counter() - t)
        assert status == 200, status
    writer.close()
    samples.sort()
    return samples[len(samples) // 2] * 1000, samples[int(len(samples) * 0.99) - 1] * 1000


async def throughput(
    port: int, path: str, token: str | None, seconds: float, conns: int
) -> tuple[float, int]:
    raw = _raw_request(path, token, port)
    deadline = time.perf_counter() + seconds
    done = 0

    async def worker() -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < deadline:
            status = await _request(reader, writer, raw)
            assert status == 200, status
            done += 1
        writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(conns)))
    return done / (time.perf_counter() - start), done


def wrk_throughput(
    port: int, path: str, token: str | None, seconds: float, conns: int
) -> tuple[float, int]:
    """Requests/s and requests done, measured by wrk (a C load generator), which needs far
    less CPU than the server it measures; the Python client alone saturates before a bare
    ASGI endpoint does."""
    cmd = ["wrk", "-t1", f"-c{conns}", f"-d{max(1, round(seconds))}s"]
    if token:
        cmd += ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(
        [*cmd, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True
    ).stdout
    done = [int(x.split()[0]) for x in out.splitlines() if " requests in " in x]
    for line in out.splitlines():
        if line.startswith("Requests/sec:") and done:
            errors = [x for x in out.splitlines() if "Non-2xx" in x or "Socket errors" in x]
            if errors:
                raise RuntimeError(f"wrk saw errors: {errors}")
            return float(line.split()[1]), done[0]
    raise RuntimeError(f"unexpected wrk output:\n{out}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_round(port: int, pid: int, path: str, token: str | None, seconds: float) -> Round:
    """One throughput round, with the server's own CPU time per request: other agents on
    this machine take wall time from both servers unevenly, CPU time much less so."""
    cpu = cpu_seconds(pid)
    if shutil.which("wrk"):
        rps, done = wrk_throughput(port, path, token, seconds, 8)
    else:
        rps, done = asyncio.run(throughput(port, path, token, seconds, 8))
    return Round(rps, (cpu_seconds(pid) - cpu) / max(1, done) * 1e6)


@dataclass(frozen=True)
class Round:
    rps: float
    cpu_us: float  # server CPU microseconds per request


def bench_http(
    market: Path, work: Path, seconds: float, requests: int, plain_bare: bool
) -> dict[str, float]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    port = free_port()
    data = work / "data"
    server = subprocess.Popen(
        [
            PY,
            "-m",
            "skillport_connector.cli",
            "serve",
            "--marketplace",
            str(market),
            "--port",
            str(port),
            "--data-dir",
            str(data),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    bare = None
    try:
        wait_up(port, server)
        token = subprocess.run(
            [
                PY,
                "-m",
                "skillport_connector.cli",
                "token",
                "--user",
                "bench@example.com",
                "--data-dir",
                str(data),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        import httpx

        answer = httpx.get(
            f"http://127.0.0.1:{port}/api/skills", headers={"Authorization": f"Bearer {token}"}
        )
        body = answer.content
        (work / "body.json").write_bytes(body)
        # The bare endpoint answers with the very same bytes, headers included (uvicorn adds
        # date and server to both), unless --plain-bare asks for the body with its framing only.
        framing = ("content-type", "content-length")
        headers = [
            (k, v)
            for k, v in answer.headers.items()
            if k in framing or (not plain_bare and k not in ("date", "server"))
        ]
        (work / "bare_app.py").write_text(BARE_APP)
        bare_port = free_port()
        bare = subprocess.Popen(
            [
                PY,
                "-m",
                "uvicorn",
                "bare_app:app",
                "--port",
                str(bare_port),
                "--log-level",
                "warning",
                "--no-access-log",
                # As `serve` runs uvicorn: no proxy-header rewriting (clientip.py decides).
                "--no-proxy-headers",
            ],
            cwd=work,
            env={
                **env,
                "BENCH_BODY": str(work / "body.json"),
                "BENCH_HEADERS": json.dumps(headers),
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_up(bare_port, bare)
        p50, p99 = asyncio.run(latency(port, "/api/skills", token, requests))
        # The bare endpoint gets the same request too (it ignores the token).
        bare_token = None if plain_bare else token
        bp50, bp99 = asyncio.run(latency(bare_port, "/api/skills", bare_token, requests))
        # Alternate the two servers over several rounds and keep each one's median, so a
        # burst of noise on this shared machine does not land on one side only.
        rounds: list[tuple[Round, Round]] = []
        share = seconds / ROUNDS
        sides = [(port, server.pid, token), (bare_port, bare.pid, bare_token)]
        for i in range(ROUNDS):
            # Alternate which goes first, so a trend in the noise favours neither.
            order = sides if i % 2 == 0 else sides[::-1]
            measured = {p: measure_round(p, pid, "/api/skills", t, share) for p, pid, t in order}
            rounds.append((measured[port], measured[bare_port]))
        return {
            "bytes": len(body),
            "p50_ms": p50,
            "p99_ms": p99,
            "rps": statistics.median(r[0].rps for r in rounds),
            "bare_p50_ms": bp50,
            "bare_p99_ms": bp99,
            "bare_rps": statistics.median(r[1].rps for r in rounds),
            # The median of each round's ratio: both sides of a round saw the same noise.
            "ratio": statistics.median(r[0].rps / r[1].rps for r in rounds),
            "cpu_us": statistics.median(r[0].cpu_us for r in rounds),
            "bare_cpu_us": statistics.median(r[1].cpu_us for r in rounds),
            "cpu_ratio": statistics.median(r[1].cpu_us / r[0].cpu_us for r in rounds),
        }
    finally:
        for proc in (server, bare):
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument(
        "--seconds",
        type=float,
        default=21.0,
        help=f"throughput time per server, split into {ROUNDS} rounds (wrk: whole seconds)",
    )
    parser.add_argument(
        "--requests", type=int, default=1000, help="sequential requests for latency"
    )
    parser.add_argument(
        "--plain-bare",
        action="store_true",
        help="the bare endpoint sends only the body's framing headers and gets no token",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    if shutil.which("wrk"):
        print("throughput: wrk, 8 connections")
    else:
        print("throughput: Python client (install wrk for figures the client does not cap)")
    columns = ["skills", "load s", "RSS MB", "body KB", "p50 ms", "p99 ms", "req/s"]
    columns += [
        "bare p50",
        "bare p99",
        "bare req/s",
        "ratio",
        "CPU us/req",
        "bare CPU",
        "CPU ratio",
    ]
    print(" ".join(f"{c:>10}" for c in columns))
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            market = work / "market"
            make_marketplace(market, size)
            probe = [PY, "-c", LOAD_PROBE, str(market)]
            loads = [
                json.loads(subprocess.run(probe, check=True, capture_output=True, text=True).stdout)
                for _ in range(3)
            ]
            load = min(loads, key=lambda r: r["seconds"])
            assert load["skills"] == size and load["errors"] == 0, load
            count = args.requests if size <= 1000 else max(100, args.requests // 10)
            h = bench_http(market, work, args.seconds, count, args.plain_bare)
            row = [size, load["seconds"], load["rss_mb"], h["bytes"] / 1024, h["p50_ms"]]
            row += [h["p99_ms"], h["rps"], h["bare_p50_ms"], h["bare_p99_ms"], h["bare_rps"]]
            row += [h["ratio"], h["cpu_us"], h["bare_cpu_us"], h["cpu_ratio"]]
            print(" ".join(f"{v:>10.3f}" if isinstance(v, float) else f"{v:>10}" for v in row))
            median = statistics.median(r["seconds"] for r in loads)
            print(f"{'':>10} load: best of 3 shown, median {median:.3f} s", flush=True)
    print(
        f"ratio = median over {ROUNDS} alternating rounds of server req/s / bare ASGI req/s "
        "for the same bytes (goal >= 0.80); CPU ratio = bare server CPU per request / ours "
        "(the same comparison, less exposed to other load on the machine)"
    )


if __name__ == "__main__":
    main()

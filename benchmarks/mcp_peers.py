"""MCP side by side: this connector and its peers on one generated library (prints figures).

    .venv/bin/python benchmarks/mcp_peers.py [--sizes 100,1000] [--rounds 3] [--seconds 10]

The same library (each skill: SKILL.md + references/notes.md) is served over Streamable
HTTP on loopback, one process each, by:

* ``ours``     this connector, ``serve --no-auth`` (MCP without sign-in, loopback only);
* ``fastmcp``  FastMCP's ``SkillsDirectoryProvider`` in a tiny server script;
* ``skillz``   ``skillz <dir> --transport http``;
* ``gotalab``  gotalab's ``skillport-mcp --http --skills-dir <dir> --db-path <dir>``.

Each peer is installed by pip into its own virtual environment under ``--venvs`` (kept
between runs; skillz and skillport-mcp need Python >= 3.12, found on PATH or in pyenv).
Every server gets the same client: raw JSON-RPC over HTTP (``initialize``, then each
server's own discovery call, following ``nextCursor`` if it pages, and read call), one
connection for latency, 8 threads for throughput.

Before anything is timed, each server is started once and checked: its discovery answer
must count every skill, a read must return that skill's SKILL.md text and its reference
file must be readable. A server that fails is reported with the reason, never dropped
silently. That first start (index building, data folders) is printed under the table, one
sample each, with the size of each discovery answer; the timed starts that follow are
warm. Servers run one at a time, in a rotated order each round, so noise on this shared
machine falls on all of them; the ratios (ours / peer: below 1 is better for times and
RSS, above 1 for ops/s) are the figures to trust.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from catalog_bench import make_marketplace

HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
FASTMCP_SERVER = """
import sys
from fastmcp import FastMCP
from fastmcp.server.providers.skills import SkillsDirectoryProvider
mcp = FastMCP("fastmcp-skills")
mcp.add_provider(SkillsDirectoryProvider(roots=sys.argv[1]))
mcp.run(transport="http", host="127.0.0.1", port=int(sys.argv[2]), path="/mcp", show_banner=False)
"""
Call = tuple[str, dict[str, Any]]
Result = dict[str, Any]


def tool_json(result: Result) -> Any:
    """A tool's answer: its structured content, else the JSON in its first text block."""
    if result.get("isError"):
        raise RuntimeError(f"tool error: {json.dumps(result)[:200]}")
    return result.get("structuredContent") or json.loads(result["content"][0]["text"])


def skill_md_count(result: Result) -> int:
    return sum(1 for r in result.get("resources", []) if r["uri"].endswith("/SKILL.md"))


def resource_text(result: Result) -> str:
    return str(result["contents"][0]["text"])


@dataclass(frozen=True)
class Peer:
    name: str
    python: str  # interpreter that creates the venv ("" = this interpreter, no venv)
    packages: tuple[str, ...]
    command: Callable[[Path, Path, Path, int], list[str]]  # venv, marketplace, flat, port
    discovery: Call
    count: Callable[[Result], int]  # skills named in one page of the discovery answer
    read: Callable[[str], Call]  # skill name -> the call that reads its SKILL.md
    text: Callable[[Result], str]  # the SKILL.md text in a read answer
    reference: Callable[[str], Call]  # skill name -> reading references/notes.md
    ref_text: Callable[[Result], str]


PEERS = [
    Peer(
        "ours", "", (),
        lambda v, m, f, p: [sys.executable, "-m", "skillport_connector.cli", "serve", "--no-auth",
                            "--marketplace", str(m), "--port", str(p),
                            "--data-dir", str(m.parent / "ours-data")],
        ("resources/list", {}), skill_md_count,
        lambda s: ("resources/read", {"uri": f"skill://{s}/SKILL.md"}), resource_text,
        lambda s: ("resources/read", {"uri": f"skill://{s}/references/notes.md"}), resource_text,
    ),
    Peer(
        "fastmcp", "python3.11", ("fastmcp==4.2.3",),
        lambda v, m, f, p: [str(v / "bin/python"), str(v / "server.py"), str(f), str(p)],
        ("resources/list", {}), skill_md_count,
        lambda s: ("resources/read", {"uri": f"skill://{s}/SKILL.md"}), resource_text,
        lambda s: ("resources/read", {"uri": f"skill://{s}/references/notes.md"}), resource_text,
    ),
    Peer(
        "skillz", "python3.12", ("skillz==0.1.14",),
        lambda v, m, f, p: [str(v / "bin/skillz"), str(f), "--transport", "http",
                            "--host", "127.0.0.1", "--port", str(p), "--path", "/mcp"],
        ("tools/list", {}),
        lambda r: sum(1 for t in r["tools"] if t.get("description", "").startswith("[SKILL]")),
        lambda s: ("tools/call", {"name": s, "arguments": {"task": "benchmark"}}),
        lambda r: str(tool_json(r)["instructions"]),
        lambda s: ("resources/read", {"uri": f"resource://skillz/{s}/references/notes.md"}),
        resource_text,
    ),
    Peer(
        "gotalab", "python3.12", ("skillport-mcp==1.1.2",),
        lambda v, m, f, p: [str(v / "bin/skillport-mcp"), "--http", "--host", "127.0.0.1",
                            "--port", str(p), "--skills-dir", str(f),
                            "--db-path", str(f.parent / "gotalab-db" / "skills.lancedb")],
        ("tools/call", {"name": "search_skills", "arguments": {"query": ""}}),
        lambda r: int(tool_json(r)["total"]),  # it answers the top 10 and the total
        lambda s: ("tools/call", {"name": "load_skill", "arguments": {"skill_id": s}}),
        lambda r: str(tool_json(r)["instructions"]),
        lambda s: ("tools/call", {"name": "read_skill_file", "arguments": {
            "skill_id": s, "file_path": "references/notes.md"}}),
        lambda r: str(tool_json(r)["content"]),
    ),
]  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def find_python(name: str) -> str:
    """An interpreter that runs: on PATH, else one of pyenv's versions (its shims refuse
    versions that are installed but not selected)."""
    version = name.removeprefix("python")
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [shutil.which(name), *sorted(map(str, pyenv.glob(f"{version}*/bin/{name}")))]
    for candidate in filter(None, candidates):
        if subprocess.run([candidate, "-c", "pass"], capture_output=True).returncode == 0:
            return candidate
    raise RuntimeError(f"{name} is not installed")


def install(peer: Peer, venvs: Path) -> Path | None:
    """The peer's venv (created and filled on first use); None for this connector."""
    if not peer.python:
        return None
    venv = venvs / peer.name
    stamp = venv / ".installed"
    if not stamp.exists() or stamp.read_text() != " ".join(peer.packages):
        python = find_python(peer.python)
        subprocess.run([python, "-m", "venv", "--clear", str(venv)], check=True)
        pip = [str(venv / "bin/python"), "-m", "pip", "install", "-q", *peer.packages]
        done = subprocess.run(pip, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"pip install {' '.join(peer.packages)}: {done.stderr[-300:]}")
        stamp.write_text(" ".join(peer.packages))
    (venv / "server.py").write_text(FASTMCP_SERVER)
    return venv


class Client:
    """Raw JSON-RPC over Streamable HTTP: JSON or a one-event SSE answer."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(timeout=120)
        self.headers = dict(HEADERS)
        self.ids = 0

    def call(self, method: str, params: dict[str, Any]) -> Result:
        self.ids += 1
        body = {"jsonrpc": "2.0", "id": self.ids, "method": method, "params": params}
        r = self.http.post(self.url, json=body, headers=self.headers)
        r.raise_for_status()
        if "mcp-session-id" in r.headers:
            self.headers["Mcp-Session-Id"] = r.headers["mcp-session-id"]
        text = r.text
        if r.headers.get("content-type", "").startswith("text/event-stream"):
            data = [line[5:].strip() for line in text.splitlines() if line.startswith("data:")]
            text = data[-1]
        answer = json.loads(text)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]  # type: ignore[no-any-return]

    def pages(self, call: Call) -> list[Result]:
        """Every page of a listing (one call for servers that do not page)."""
        method, params = call
        results = [self.call(method, params)]
        while results[-1].get("nextCursor"):
            results.append(self.call(method, {**params, "cursor": results[-1]["nextCursor"]}))
        return results

    def initialize(self) -> None:
        self.call("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                 "clientInfo": {"name": "mcp_peers", "version": "1"}})  # fmt: skip
        self.http.post(
            self.url, json={"jsonrpc": "2.0", "method": "notifications/initialized"},
            headers=self.headers,
        )  # fmt: skip


def rss_mb(pid: int) -> float:
    """Resident memory of the server and its children."""
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def _children(pid: int) -> list[int]:
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    except OSError:
        return []
    kids = [int(x) for x in out.split()]
    return kids + [g for k in kids for g in _children(k)]


@dataclass
class Library:
    market: Path  # the marketplace (ours)
    flat: Path  # the same skill folders side by side (the peers)
    size: int

    @property
    def probe(self) -> int:
        return self.size // 2

    @property
    def skill(self) -> str:
        return f"skill-{self.probe:05d}"


def start(peer: Peer, venv: Path | None, lib: Library) -> tuple[Any, str, float]:
    port = free_port()
    cmd = peer.command(venv or Path(), lib.market, lib.flat, port)
    log = lib.flat.parent / f"{peer.name}.log"
    t0 = time.perf_counter()
    with log.open("w") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
    url = f"http://127.0.0.1:{port}/mcp"
    while True:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-300:]
            raise RuntimeError(f"exited with {proc.returncode}: {' '.join(cmd)}: {tail}")
        try:
            Client(url).initialize()
            return proc, url, time.perf_counter() - t0
        except (httpx.HTTPError, RuntimeError, ValueError):
            if time.perf_counter() - t0 > 300:
                stop(proc)
                raise RuntimeError("did not answer in 300 s") from None
            time.sleep(0.02)


def stop(proc: Any) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def check(peer: Peer, venv: Path | None, lib: Library) -> dict[str, float]:
    """Start the peer once and prove it serves this library: its first (cold) start and
    the size of its discovery answer."""
    proc, url, startup = start(peer, venv, lib)
    try:
        client = Client(url)
        client.initialize()
        pages = client.pages(peer.discovery)
        found = sum(peer.count(page) for page in pages)
        if found != lib.size:
            raise RuntimeError(f"discovery counts {found} skills, not {lib.size}")
        text = peer.text(client.call(*peer.read(lib.skill)))
        if f"# Skill {lib.probe}\n" not in text or "the task at hand" not in text:
            raise RuntimeError(f"reading {lib.skill} answered {text[:120]!r}")
        notes = peer.ref_text(client.call(*peer.reference(lib.skill)))
        if f"Notes for skill {lib.probe}." not in notes:
            raise RuntimeError(f"reading its reference file answered {notes[:120]!r}")
        return {"first": startup, "kb": len(json.dumps(pages)) / 1024, "pages": len(pages)}
    finally:
        stop(proc)


def timed(samples: int, action: Callable[[], object]) -> list[float]:
    times = []
    for _ in range(samples):
        t = time.perf_counter()
        action()
        times.append((time.perf_counter() - t) * 1000)
    return times


def throughput(url: str, action: Callable[[Client], object], seconds: float, n: int) -> float:
    done = [0] * n
    ready = threading.Barrier(n + 1)
    stop_at = [0.0]

    def worker(i: int) -> None:
        c = Client(url)
        c.initialize()
        ready.wait()
        while time.perf_counter() < stop_at[0]:
            action(c)
            done[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + seconds + 60  # set for real once all have connected
    ready.wait()
    stop_at[0] = time.perf_counter() + seconds
    for t in threads:
        t.join()
    return sum(done) / seconds


def measure(peer: Peer, venv: Path | None, lib: Library, args: Any) -> dict[str, Any]:
    proc, url, startup = start(peer, venv, lib)
    try:
        client = Client(url)
        client.initialize()
        discover = lambda c: c.pages(peer.discovery)  # noqa: E731
        for _ in range(5):  # warm-up, as a client's first calls
            discover(client)
            client.call(*peer.read(lib.skill))
        discovery = timed(args.samples, lambda: discover(client))
        read = timed(args.samples, lambda: client.call(*peer.read(lib.skill)))
        ops = throughput(url, discover, args.seconds, args.clients)
        return {"startup": startup, "discovery": discovery, "read": read, "ops": ops,
                "rss": rss_mb(proc.pid)}  # fmt: skip
    finally:
        stop(proc)


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


ROWS: list[tuple[str, Callable[[list[dict[str, Any]]], float], bool]] = [
    ("startup s", lambda rs: statistics.median(r["startup"] for r in rs[1:]), False),
    ("discovery p50 ms", lambda rs: pct([x for r in rs[1:] for x in r["discovery"]], 0.5), False),
    ("discovery p99 ms", lambda rs: pct([x for r in rs[1:] for x in r["discovery"]], 0.99), False),
    ("read p50 ms", lambda rs: pct([x for r in rs[1:] for x in r["read"]], 0.5), False),
    ("ops/s, 8 clients", lambda rs: statistics.median(r["ops"] for r in rs[1:]), True),
    ("RSS MB", lambda rs: statistics.median(r["rss"] for r in rs[1:]), False),
]


def report(size: int, results: dict[str, list[dict[str, Any]]], failed: dict[str, str]) -> None:
    names = [p.name for p in PEERS if p.name in results]
    others = [n for n in names if n != "ours"]
    print(f"\nN = {size}")
    heads = [f"{n:>10}" for n in names] + [f"{'ours/' + n:>14}" for n in others]
    print(f"{'':>18}" + "".join(heads))
    for label, fn, higher_better in ROWS:
        values = {n: fn(results[n]) for n in names}
        line = f"{label:>18}" + "".join(f"{values[n]:>10.2f}" for n in names)
        if "ours" in values:
            line += "".join(f"{values['ours'] / values[n]:>14.2f}" for n in others if values[n])
        print(line + ("   (higher is better)" if higher_better else ""))
    first = ", ".join(f"{n} {results[n][0]['first']:.2f}" for n in names)
    print(f"first start s (one cold start each: data folders, indexes): {first}")
    sizes = ", ".join(f"{n} {results[n][0]['kb']:.0f} ({results[n][0]['pages']})" for n in names)
    print(f"discovery answer KB (pages): {sizes}")
    if "gotalab" in names:
        print("gotalab's discovery (search_skills '') answers its top 10 and the total")
    for name, reason in failed.items():
        print(f"{name}: NOT MEASURED ({reason})")
    sys.stdout.flush()


def make_library(root: Path, size: int) -> Library:
    market = root / "market"
    make_marketplace(market, size)
    flat = root / "flat"
    flat.mkdir()
    for skill in market.glob("plugins/*/skills/*"):
        shutil.copytree(skill, flat / skill.name)
    return Library(market, flat, size)


def run_size(size: int, chosen: list[Peer], venvs: dict[str, Path | None], failed: dict[str, str],
             args: Any) -> None:  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        lib = make_library(Path(tmp), size)
        lost = dict(failed)
        results: dict[str, list[dict[str, Any]]] = {}
        for peer in chosen:
            if peer.name not in lost:
                try:
                    results[peer.name] = [check(peer, venvs[peer.name], lib)]
                except (RuntimeError, httpx.HTTPError, KeyError, IndexError, ValueError) as exc:
                    lost[peer.name] = f"check failed: {str(exc)[:300]}"
        live = [p for p in chosen if p.name in results]
        for r in range(args.rounds):
            for peer in live[r % len(live) :] + live[: r % len(live)]:
                if peer.name in lost:
                    continue
                try:
                    results[peer.name].append(measure(peer, venvs[peer.name], lib, args))
                except (RuntimeError, httpx.HTTPError, KeyError, IndexError, ValueError) as exc:
                    lost[peer.name] = f"failed in round {r + 1}: {str(exc)[:300]}"
                    results.pop(peer.name)
        report(size, results, lost)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--samples", type=int, default=200, help="latency samples per round")
    parser.add_argument("--seconds", type=float, default=10.0, help="throughput time per round")
    parser.add_argument("--clients", type=int, default=8, help="throughput clients")
    parser.add_argument("--peers", default=",".join(p.name for p in PEERS))
    parser.add_argument("--venvs", type=Path, default=Path(tempfile.gettempdir()) / "mcp-peers")
    args = parser.parse_args()
    chosen = [p for p in PEERS if p.name in args.peers.split(",")]
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f} (a shared machine: trust the ratios)"
    )
    venvs: dict[str, Path | None] = {}
    failed: dict[str, str] = {}
    for peer in chosen:
        try:
            venvs[peer.name] = install(peer, args.venvs)
        except (RuntimeError, subprocess.CalledProcessError) as exc:
            failed[peer.name] = f"install failed: {exc}"
    for size in [int(s) for s in args.sizes.split(",")]:
        run_size(size, chosen, venvs, failed, args)
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

"""MCP side by side: this connector and its peers on one generated library (prints figures).

    .venv/bin/python benchmarks/mcp_peers.py [--sizes 100,1000] [--rounds 3] [--seconds 10]

The same library (each skill: SKILL.md + references/notes.md) is served over Streamable
HTTP on loopback by:

* ``ours``     this connector, ``serve --no-auth`` (MCP without sign-in, loopback only);
* ``fastmcp``  FastMCP's ``SkillsDirectoryProvider`` in a tiny server script;
* ``skillz``   ``skillz <dir> --transport http``;
* ``gotalab``  gotalab's ``skillport-mcp`` (``SKILLPORT_SKILLS_DIR``).

Each peer is installed by pip into its own virtual environment under ``--venvs`` (kept
between runs; skillz and skillport-mcp need Python >= 3.12). Every server gets the same
client: raw JSON-RPC over HTTP (``initialize``, then each server's own discovery call and
read call), one connection for latency, 8 threads for throughput. Servers run one at a
time, in a rotated order each round, so noise on this shared machine falls on all of
them; ratios (ours / peer; for latency and RSS lower is better, for ops/s higher) are the
figures to trust, not the absolute numbers. A peer that cannot be installed or started
is reported as such, never silently left out.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from catalog_bench import make_marketplace

ROOT = Path(__file__).resolve().parent.parent
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
FASTMCP_SERVER = """
import sys
from fastmcp import FastMCP
from fastmcp.server.providers.skills import SkillsDirectoryProvider
mcp = FastMCP("fastmcp-skills")
mcp.add_provider(SkillsDirectoryProvider(roots=sys.argv[1]))
mcp.run(transport="http", host="127.0.0.1", port=int(sys.argv[2]), path="/mcp", show_banner=False)
"""


@dataclass
class Peer:
    name: str
    python: str  # interpreter that creates the venv ("" = this interpreter, no venv)
    packages: list[str]
    command: Callable[[Path, Path, Path, int], list[str]]  # venv, market, flat, port
    discovery: Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]  # state -> call
    read: Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]
    env: Callable[[Path], dict[str, str]] = field(default=lambda flat: {})


def _first_skill_md(result: dict[str, Any]) -> str:
    uris = [r["uri"] for r in result.get("resources", []) if r["uri"].endswith("SKILL.md")]
    return uris[0]


PEERS = [
    Peer(
        "ours", "", [],
        lambda v, m, f, p: [sys.executable, "-m", "skillport_connector.cli", "serve", "--no-auth",
                            "--marketplace", str(m), "--port", str(p),
                            "--data-dir", str(m.parent / "ours-data")],
        lambda s: ("resources/list", {}),
        lambda s: ("resources/read", {"uri": s["read_uri"]}),
    ),
    Peer(
        "fastmcp", "python3.11", ["fastmcp==4.2.3"],
        lambda v, m, f, p: [str(v / "bin/python"), str(v / "server.py"), str(f), str(p)],
        lambda s: ("resources/list", {}),
        lambda s: ("resources/read", {"uri": s["read_uri"]}),
    ),
    Peer(
        "skillz", "python3.12", ["skillz"],
        lambda v, m, f, p: [str(v / "bin/skillz"), str(f), "--transport", "http",
                            "--host", "127.0.0.1", "--port", str(p), "--path", "/mcp"],
        lambda s: ("tools/list", {}),
        lambda s: ("tools/call", {"name": s["read_tool"], "arguments": {}}),
    ),
    Peer(
        "gotalab", "python3.12", ["skillport-mcp"],
        lambda v, m, f, p: [str(v / "bin/skillport-mcp"), "--http", "--host", "127.0.0.1",
                            "--port", str(p), "--skills-dir", str(f),
                            "--db-path", str(f.parent / "gotalab-db")],
        lambda s: ("tools/call", {"name": "search_skills", "arguments": {"query": ""}}),
        lambda s: ("tools/call", {"name": "load_skill", "arguments": {"skill_id": s["skill"]}}),
        env=lambda flat: {"SKILLPORT_SKILLS_DIR": str(flat)},
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
    if not (venv / ".installed").exists():
        python = find_python(peer.python)
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin/python"), "-m", "pip", "install", "-q", *peer.packages]
        subprocess.run(pip, check=True, capture_output=True)
        (venv / ".installed").touch()
    (venv / "server.py").write_text(FASTMCP_SERVER)
    return venv


class Client:
    """Raw JSON-RPC over Streamable HTTP: JSON or a one-event SSE answer."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(timeout=120)
        self.headers = dict(HEADERS)
        self.ids = 0

    def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
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


def start(peer: Peer, venv: Path | None, market: Path, flat: Path) -> tuple[Any, str, float]:
    port = free_port()
    cmd = peer.command(venv or Path(), market, flat, port)
    env = {**os.environ, **peer.env(flat)}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/mcp"
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{peer.name} exited with {proc.returncode}: {' '.join(cmd)}")
        try:
            Client(url).initialize()
            return proc, url, time.perf_counter() - t0
        except (httpx.HTTPError, RuntimeError, ValueError):
            if time.perf_counter() - t0 > 120:
                proc.kill()
                raise RuntimeError(f"{peer.name} did not answer in 120 s") from None
            time.sleep(0.05)


def prepare(peer: Peer, client: Client) -> dict[str, Any]:
    """What the read call needs, taken from the discovery answer."""
    method, params = peer.discovery({})
    result = client.call(method, params)
    state: dict[str, Any] = {}
    if method == "resources/list":
        state["read_uri"] = _first_skill_md(result)
    elif method == "tools/list":
        state["read_tool"] = next(t["name"] for t in result["tools"] if "skill" in t["name"])
    else:
        text = result["content"][0]["text"]
        found = json.loads(text)
        skills = found.get("skills", found) if isinstance(found, dict) else found
        state["skill"] = skills[0].get("id") or skills[0].get("name")
    return state


def timed(client: Client, call: tuple[str, dict[str, Any]], count: int) -> list[float]:
    samples = []
    for _ in range(count):
        t = time.perf_counter()
        client.call(*call)
        samples.append((time.perf_counter() - t) * 1000)
    return samples


def throughput(url: str, call: tuple[str, dict[str, Any]], seconds: float, clients: int) -> float:
    done = [0] * clients
    stop = time.perf_counter() + seconds

    def worker(i: int) -> None:
        c = Client(url)
        c.initialize()
        while time.perf_counter() < stop:
            c.call(*call)
            done[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / seconds


def measure(peer: Peer, venv: Path | None, market: Path, flat: Path, args: Any) -> dict[str, Any]:
    proc, url, startup = start(peer, venv, market, flat)
    try:
        client = Client(url)
        client.initialize()
        state = prepare(peer, client)
        discovery = timed(client, peer.discovery(state), args.samples)
        read = timed(client, peer.read(state), args.samples)
        ops = throughput(url, peer.discovery(state), args.seconds, 8)
        return {"startup": startup, "discovery": discovery, "read": read, "ops": ops,
                "rss": rss_mb(proc.pid)}  # fmt: skip
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(size: int, results: dict[str, list[dict[str, Any]]], failed: dict[str, str]) -> None:
    names = [p.name for p in PEERS if p.name in results]
    rows: list[tuple[str, Callable[[list[dict[str, Any]]], float], bool]] = [
        ("startup s", lambda rs: statistics.median(r["startup"] for r in rs), False),
        ("discovery p50 ms", lambda rs: pct([x for r in rs for x in r["discovery"]], 0.5), False),
        ("discovery p99 ms", lambda rs: pct([x for r in rs for x in r["discovery"]], 0.99), False),
        ("read p50 ms", lambda rs: pct([x for r in rs for x in r["read"]], 0.5), False),
        ("ops/s, 8 clients", lambda rs: statistics.median(r["ops"] for r in rs), True),
        ("RSS MB", lambda rs: statistics.median(r["rss"] for r in rs), False),
    ]
    print(f"\nN = {size}")
    print(
        f"{'':>18}"
        + "".join(f"{n:>12}" for n in names)
        + "".join(f"{'ours/' + n:>14}" for n in names if n != "ours")
    )
    for label, fn, higher_better in rows:
        values = {n: fn(results[n]) for n in names}
        line = f"{label:>18}" + "".join(f"{values[n]:>12.2f}" for n in names)
        if "ours" in values:
            for n in names:
                if n != "ours":
                    line += f"{values['ours'] / values[n]:>14.2f}" if values[n] else f"{'-':>14}"
        print(line + ("   (higher is better)" if higher_better else ""))
    for name, reason in failed.items():
        print(f"{name}: not measured ({reason})")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--samples", type=int, default=200, help="latency samples per round")
    parser.add_argument("--seconds", type=float, default=10.0, help="throughput time per round")
    parser.add_argument("--peers", default=",".join(p.name for p in PEERS))
    parser.add_argument("--venvs", type=Path, default=Path(tempfile.gettempdir()) / "mcp-peers")
    args = parser.parse_args()
    chosen = [p for p in PEERS if p.name in args.peers.split(",")]
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores (a shared machine: trust ratios)"
    )
    venvs: dict[str, Path | None] = {}
    failed: dict[str, str] = {}
    for peer in chosen:
        try:
            venvs[peer.name] = install(peer, args.venvs)
        except (RuntimeError, subprocess.CalledProcessError) as exc:
            failed[peer.name] = f"install failed: {exc}"
    for size in [int(s) for s in args.sizes.split(",")]:
        with tempfile.TemporaryDirectory() as tmp:
            market = Path(tmp) / "market"
            make_marketplace(market, size)
            flat = Path(tmp) / "flat"
            flat.mkdir()
            for skill in market.glob("plugins/*/skills/*"):
                shutil.copytree(skill, flat / skill.name)
            results: dict[str, list[dict[str, Any]]] = {}
            lost = dict(failed)
            live = [p for p in chosen if p.name in venvs]
            for r in range(args.rounds):
                order = live[r % len(live) :] + live[: r % len(live)]
                for peer in order:
                    if peer.name in lost:
                        continue
                    try:
                        results.setdefault(peer.name, []).append(
                            measure(peer, venvs[peer.name], market, flat, args)
                        )
                    except (RuntimeError, httpx.HTTPError, KeyError, IndexError, ValueError) as exc:
                        lost[peer.name] = str(exc)[:200]
                        results.pop(peer.name, None)
            report(size, results, lost)


if __name__ == "__main__":
    main()

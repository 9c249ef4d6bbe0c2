"""Big-library benchmark (a script that prints figures, not a test).

    .venv/bin/python benchmarks/scale_bench.py [--sizes 1000,10000,50000] [--requests 200]
        [--libraries DIR]   # reuse lib-<size> folders made before by make_library
        [--reloads N]       # then N times: commit, refresh, RSS after the swap and requests

For generated libraries of each size (``catalog_bench.make_marketplace``: 10 skills per
plugin, SKILL.md and a reference file each, committed to a git repository) it prints:

* catalog load from the git snapshot (what production serves: ``GitTree`` + loader) and
  from the folder, each in a fresh process, loaded as the sources load (collector paused:
  ``heap.loading``): wall seconds, CPU seconds (the process and its git children: the
  machine is shared, so CPU is the steadier figure), peak RSS;
* a real server (``serve`` on the git repository): start-up to healthy, RSS after start
  and after the requests below, and p50/p99 of sequential requests on one connection:
  the default listing, a page of 100 from the middle, searches (a skill's name, a common
  word, two words) and MCP's ``list_skills`` tool.

The load average is printed with each figure: on a machine shared with other work, read
CPU seconds and the ratios, not the wall clock alone.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402
from catalog_bench import make_marketplace  # noqa: E402
from serving import free_port, serve  # noqa: E402
from test_mcp_oauth import tokens_for  # noqa: E402

PY = sys.executable
MCP_ACCEPT = "application/json, text/event-stream"
GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}

LOAD_PROBE = textwrap.dedent(
    """
    import json, os, resource, sys, time
    from pathlib import Path
    from skillport_connector import heap
    from skillport_connector.catalog import load_catalog
    from skillport_connector.sources.gitrepo import Credentials, GitRepo, GitTree
    from skillport_connector.sources.tree import DirectoryTree

    def cpu():
        own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
            resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    kind, path = sys.argv[1], sys.argv[2]
    if kind == "git":
        repo = GitRepo(Path(path), "file:///unused", "main", Credentials())
        commit = repo.rev_parse("main")
    c, t = cpu(), time.perf_counter()
    with heap.loading():  # as the sources load (the collector paused)
        tree = GitTree(repo, commit) if kind == "git" else DirectoryTree(path)
        catalog = load_catalog(tree)
    print(json.dumps({
        "seconds": time.perf_counter() - t, "cpu": cpu() - c,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "skills": len(catalog.skills), "errors": len(catalog.errors),
        "load": os.getloadavg()[0],
    }))
    """
)


def make_library(root: Path, size: int) -> Path:
    """A generated library committed to a git repository (its folder is the work tree)."""
    make_marketplace(root, size)
    steps = (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "library"])
    for args in (*steps, ["repack", "-a", "-d", "-q"]):  # packed, as a fetch leaves it
        subprocess.run(["git", "-c", "gc.auto=0", "-C", str(root), *args], check=True, env=GIT_ENV)
    return root


def probe_load(kind: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [PY, "-c", LOAD_PROBE, kind, str(path)], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def rss_mb(pid: int) -> tuple[float, float]:
    """Current and peak RSS of a process, MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


async def timed(base: str, token: str, path: str, body: bytes | None, count: int) -> dict:
    """p50/p99 of ``count`` sequential requests on one keep-alive connection (after one
    warm-up request, which builds what is cached per snapshot)."""
    headers = {"Authorization": f"Bearer {token}"}
    if body is not None:
        headers |= {"Content-Type": "application/json", "Accept": MCP_ACCEPT}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as client:

        async def once() -> httpx.Response:
            if body is None:
                return await client.get(path)
            return await client.post(path, content=body)

        first = await once()
        if first.status_code != 200:
            raise RuntimeError(f"{first.status_code} for {path}: {first.text[:200]}")
        samples = []
        for _ in range(count):
            t = time.perf_counter()
            (await once()).raise_for_status()
            samples.append(time.perf_counter() - t)
    samples.sort()
    return {
        "p50": samples[len(samples) // 2] * 1000,
        "p99": samples[max(0, int(len(samples) * 0.99) - 1)] * 1000,
        "kb": len(first.content) / 1024,
    }


def requests_for(size: int) -> dict[str, tuple[str, bytes | None]]:
    middle = base64.urlsafe_b64encode(f"o:{size // 2}".encode()).decode().rstrip("=")
    tool = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "list_skills", "arguments": {}},
    }
    return {
        "list": ("/api/skills", None),
        "list page": (f"/api/skills?limit=100&cursor={middle}", None),
        "search name": (f"/api/skills?q=skill-{size // 3:05d}", None),
        "search word": ("/api/skills?q=instructions", None),
        "search 2 words": ("/api/skills?q=topic+task", None),
        "mcp list_skills": ("/mcp", json.dumps(tool).encode()),
    }


def reload_rss(
    base: str, token: str, pid: int, repo: Path, size: int, count: int, reloads: int
) -> list[tuple[float, float]]:
    """RSS right after each of ``reloads`` swaps (a commit to the library, then a refresh)
    and after the requests on the new snapshot."""
    figures = []
    for n in range(reloads):
        skill_md = next((repo / "plugins").glob("*/skills/*/SKILL.md"))
        skill_md.write_text(skill_md.read_text() + f"\nReload {n}.\n")
        commit = ["git", "-C", str(repo), "commit", "-qam", f"reload {n}"]
        subprocess.run(commit, check=True, env=GIT_ENV)
        headers = {"Authorization": f"Bearer {token}"}
        httpx.get(f"{base}/api/skills?refresh=true", headers=headers, timeout=300)
        after_swap = rss_mb(pid)[0]
        for path, body in requests_for(size).values():
            asyncio.run(timed(base, token, path, body, count))
        figures.append((after_swap, rss_mb(pid)[0]))
    return figures


def bench_server(
    repo: Path, work: Path, size: int, count: int, reloads: int = 0
) -> dict[str, object]:
    if reloads:  # commits go to a copy: the library may be shared and read only
        copy = work / f"reloaded-{size}"
        subprocess.run(["git", "clone", "-q", str(repo), str(copy)], check=True, env=GIT_ENV)
        repo = copy
    port = free_port()
    env = {"SKILLPORT_MCP_CLASSIC_TOOLS": "true", "SKILLPORT_AUDIT_LOG": ""}
    env |= {"SKILLPORT_RATE_LIMIT_USER": "0", "SKILLPORT_RATE_LIMIT_IP": "0"}
    data = work / f"data-{size}"
    t = time.perf_counter()
    proc, base = serve(port, data, env, "--marketplace", str(repo))
    result: dict[str, object] = {"start_s": time.perf_counter() - t}
    try:
        result["rss_start"] = rss_mb(proc.pid)[0]
        token = tokens_for(base, email="bench@example.com")[1]["access_token"]  # REST and MCP
        for label, (path, body) in requests_for(size).items():
            result[label] = asyncio.run(timed(base, token, path, body, count))
        result["rss_end"], result["rss_peak"] = rss_mb(proc.pid)
        result["reloads"] = reload_rss(base, token, proc.pid, repo, size, count, reloads)
        result["load"] = os.getloadavg()[0]
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--requests", type=int, default=200, help="sequential, per request")
    parser.add_argument(
        "--reloads", type=int, default=0, help="then commit, refresh and measure RSS N times"
    )
    parser.add_argument(
        "--libraries",
        type=Path,
        help="a folder of libraries made before by make_library, lib-<size> each (read only)",
    )
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            if args.libraries is not None:
                repo = args.libraries / f"lib-{size}"
            else:
                repo = make_library(Path(tmp) / f"lib-{size}", size)
            print(f"\n== {size} skills")
            for kind, path in (("git", repo / ".git"), ("folder", repo)):
                r = probe_load(kind, path)
                print(
                    f"load from {kind:6}: {r['seconds']:6.2f} s wall, {r['cpu']:6.2f} s CPU, "
                    f"peak RSS {r['rss_mb']:5.0f} MB, {r['skills']} skills, "
                    f"{r['errors']} errors (load average {r['load']:.1f})"
                )
            s = bench_server(repo, Path(tmp), size, args.requests, args.reloads)
            print(
                f"server: healthy after {s['start_s']:.1f} s (git fetch + load), RSS "
                f"{s['rss_start']:.0f} MB at start, {s['rss_end']:.0f} MB after the requests "
                f"(peak {s['rss_peak']:.0f}), load average {s['load']:.1f}"
            )
            for n, (swapped, served) in enumerate(s["reloads"], 1):  # type: ignore[arg-type]
                print(f"reload {n}: RSS {swapped:.0f} MB swapped, {served:.0f} MB after requests")
            print(f"  {'request':16} {'p50 ms':>8} {'p99 ms':>8} {'body KB':>9}")
            for label in requests_for(size):
                m = s[label]
                assert isinstance(m, dict)
                print(f"  {label:16} {m['p50']:8.2f} {m['p99']:8.2f} {m['kb']:9.1f}")


if __name__ == "__main__":
    main()

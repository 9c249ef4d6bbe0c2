"""The catalog page at 1,000 skills (a script that prints figures, not a test).

    .venv/bin/python benchmarks/pages_bench.py [--skills 1000] [--requests 200]

Builds a synthetic marketplace (benchmarks/catalog_bench.py's) as a git repository, signs
in through the dev sign-in and times ``GET /`` in process (the ASGI app, no network: the
server's own time). Printed: the first request (dates from git and the first render), then
p50/p99 of repeated requests for the full catalog, a search, a filter and the partial list
the search box fetches, each page's size as sent (gzip) and uncompressed, and how many
times the result list was built (once per snapshot, view and question).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT / "tests")]

from catalog_bench import make_marketplace  # noqa: E402
from serving import build_app, client_for  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from skillport_connector.web import catalog_page  # noqa: E402

QUESTIONS = {
    "catalog": "/",
    "search": "/?q=synthetic+skill+42",
    "filter": "/?surface=CC&category=cat-3",
    "partial": "/?q=bench&partial=1",
}
BUDGET_MS = 100.0


def git_library(root: Path, skills: int) -> Path:
    make_marketplace(root, skills)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "Bench"]):
        subprocess.run(
            ["git", "-c", "user.name=Bench", "-c", "user.email=b@example.com", *args],
            cwd=root, check=True, capture_output=True,
        )  # fmt: skip
    return root


def sign_in(client: TestClient) -> None:
    start = client.get("/signin", follow_redirects=False)
    pending = start.headers["location"].split("pending=")[1]
    data = {"pending": pending, "email": "developer@localhost"}
    done = client.post("/login", data=data, follow_redirects=False)
    client.get(done.headers["location"], follow_redirects=False)


def timed(client: TestClient, path: str) -> tuple[float, int, int]:
    began = time.perf_counter()
    response = client.get(path, headers={"Accept-Encoding": "gzip"})
    elapsed = (time.perf_counter() - began) * 1000
    assert response.status_code == 200, response.status_code
    sent = int(response.headers.get("content-length", len(response.content)))
    return elapsed, sent, len(response.content)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skills", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    builds = 0
    original = catalog_page.matching

    def counted(*a):  # type: ignore[no-untyped-def]
        nonlocal builds
        builds += 1
        return original(*a)

    catalog_page.matching = counted  # type: ignore[assignment]
    with tempfile.TemporaryDirectory() as tmp:
        library = git_library(Path(tmp) / "library", args.skills)
        app = build_app(Path(tmp) / "data", marketplace=library)
        with client_for(app) as client:
            sign_in(client)
            print(f"{args.skills} skills, {args.requests} requests per page, in process")
            for label, path in QUESTIONS.items():
                first, _, _ = timed(client, path)
                runs = [timed(client, path) for _ in range(args.requests)]
                times = sorted(r[0] for r in runs)
                p50 = statistics.median(times)
                p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
                verdict = "ok" if p50 < BUDGET_MS else "OVER BUDGET"
                print(
                    f"  {label:8} first {first:7.1f} ms   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms"
                    f"   sent {runs[0][1] / 1024:6.1f} KiB (gzip)"
                    f"   page {runs[0][2] / 1024:6.1f} KiB   [{verdict}]"
                )
    print(f"result lists built: {builds} (one per question while the snapshot is unchanged)")


if __name__ == "__main__":
    main()

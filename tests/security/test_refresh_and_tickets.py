"""Refreshes, webhooks and spent tickets cost what they should (issue 9, defects 16 and 19):
the listing cache does not pin old snapshots (each holds a `git cat-file` process), a replayed
signed webhook does not reach the upstream again, and a spent install token is refused
without rebuilding its payload.

The upstream is the real git smart-HTTP server of tests/gitserver.py, which counts requests."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from gitserver import READ_TOKEN, GitHttpServer
from hostile import Server, access, marketplace, skill_md, start, write_files

GITHUB_SECRET = "github-hook-secret-5678"
GITLAB_TOKEN = "gitlab-hook-token-5678"
SKILLS = "plugins/tools/skills"
BIG = 4 * 1024 * 1024


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitHttpServer]:
    tmp = tmp_path_factory.mktemp("upstream")
    seed = write_files(
        tmp / "seed",
        {
            ".claude-plugin/marketplace.json": marketplace(
                {"name": "tools", "source": "./plugins/tools", "description": "T."}
            ),
            ".skillport/access.json": access(),
            f"{SKILLS}/good-skill/SKILL.md": skill_md("good-skill"),
            f"{SKILLS}/heavy-skill/SKILL.md": skill_md("heavy-skill", "Carries big files."),
            **{f"{SKILLS}/heavy-skill/blob{i}.bin": os.urandom(BIG) for i in range(3)},
        },
    )
    with GitHttpServer.serving(tmp / "git", seed) as git:
        yield git


@pytest.fixture(scope="module")
def server(upstream: GitHttpServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {
        "SKILLPORT_GIT_READ_TOKEN": READ_TOKEN,
        "SKILLPORT_GITHUB_WEBHOOK_SECRET": GITHUB_SECRET,
        "SKILLPORT_GITLAB_WEBHOOK_TOKEN": GITLAB_TOKEN,
        "SKILLPORT_POLL_INTERVAL": "0",
    }
    running = start(tmp_path_factory.mktemp("refresh"), upstream.url("market"), env=env)
    try:
        yield running
    finally:
        running.stop()


def cat_file_processes(pid: int) -> int:
    """`git cat-file` processes descended from ``pid``."""
    out = subprocess.run(
        ["ps", "-e", "-o", "pid=,ppid=,args="], capture_output=True, text=True, check=True
    ).stdout
    children: dict[int, list[tuple[int, str]]] = {}
    for line in out.splitlines():
        fields = line.split(None, 2)
        if len(fields) == 3:
            children.setdefault(int(fields[1]), []).append((int(fields[0]), fields[2]))
    count, todo = 0, [pid]
    while todo:
        for child, args in children.get(todo.pop(), []):
            count += "cat-file" in args
            todo.append(child)
    return count


def gitlab_hook(server: Server) -> httpx.Response:
    return server.post("/webhooks/gitlab", who=None, headers={"X-Gitlab-Token": GITLAB_TOKEN})


def test_old_snapshots_are_released_after_many_commits(
    server: Server, upstream: GitHttpServer
) -> None:
    for i in range(12):
        upstream.push_change("market", {f"{SKILLS}/good-skill/notes.md": f"change {i}\n"}, f"{i}")
        assert gitlab_hook(server).json()["refreshed"] is True
        # a different person each time: a listing cached for them must not pin the snapshot
        assert server.get("/api/skills", who=f"user{i}@example.com").status_code == 200
    assert cat_file_processes(server.proc.pid) <= 3


def github_delivery(server: Server, delivery: str) -> httpx.Response:
    body = json.dumps({"ref": "refs/heads/main", "after": "0" * 40}).encode()
    signature = "sha256=" + hmac.new(GITHUB_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "X-Hub-Signature-256": signature,
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": delivery,
        "Content-Type": "application/json",
    }
    return httpx.post(f"{server.base}/webhooks/github", content=body, headers=headers, timeout=20)


def test_a_replayed_webhook_does_not_reach_the_upstream_again(
    server: Server, upstream: GitHttpServer
) -> None:
    assert github_delivery(server, "delivery-first").status_code == 200
    upstream.reset_counts()
    replies = [github_delivery(server, "delivery-first").status_code for _ in range(20)]
    assert all(status < 500 for status in replies), replies
    assert upstream.total == 0, upstream.requests


def test_a_burst_of_webhooks_is_coalesced(server: Server, upstream: GitHttpServer) -> None:
    upstream.reset_counts()
    threads = [
        threading.Thread(target=github_delivery, args=(server, f"burst-{i}")) for i in range(20)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert upstream.total <= 10, upstream.requests


def test_a_spent_install_token_is_refused_without_rebuilding_the_payload(server: Server) -> None:
    ticket = server.get("/api/skills/heavy-skill/install").json()
    url = f"/api/install/{ticket['install_token']}"
    began = time.perf_counter()
    first = server.get(url, who=None, timeout=60)
    served = time.perf_counter() - began
    assert first.status_code == 200 and len(first.content) > 3 * BIG
    began = time.perf_counter()
    for _ in range(10):
        assert server.get(url, who=None).status_code == 410
    refused = time.perf_counter() - began
    assert refused < 3 * served, (refused, served)

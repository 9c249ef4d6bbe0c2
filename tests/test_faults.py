"""A connector process killed in the middle of a save: the branch gets the whole commit or
nothing, and a restarted process saves again without manual steps."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time

import httpx
import pytest
from gitserver import READ_TOKEN, WRITE_TOKEN, GitHttpServer, git
from redisserver import free_port
from serving import mint_token, serve

from skillport_connector.settings import demo_marketplace

FILES = 120


@pytest.fixture
def remote(tmp_path):
    with GitHttpServer.serving(tmp_path / "remote", demo_marketplace()) as server:
        yield server


def start(remote: GitHttpServer, data, port: int) -> subprocess.Popen[bytes]:
    env = {
        "SKILLPORT_MARKETPLACE": remote.url("market"),
        "SKILLPORT_GIT_READ_TOKEN": READ_TOKEN,
        "SKILLPORT_GIT_WRITE_TOKEN": WRITE_TOKEN,
        "SKILLPORT_AUDIT_LOG": "",
        "SKILLPORT_POLL_INTERVAL": "0",
    }
    return serve(port, data, env)[0]


def editor_token(data) -> str:
    return mint_token("developer@localhost", data)


def big_save(port: int, token: str, tag: str) -> None:
    files = [
        {"path": f"bulk/{tag}-{i:03}.md", "content": f"{tag} {i}\n" * 400} for i in range(FILES)
    ]
    with contextlib.suppress(httpx.TransportError):  # the process is killed under it
        httpx.post(
            f"http://127.0.0.1:{port}/api/skills/changelog",
            headers={"Authorization": f"Bearer {token}"},
            json={"files": files},
            timeout=60,
        )


@pytest.mark.parametrize("delay", [0.3, 0.8, 1.5])
def test_a_killed_save_leaves_all_or_nothing_and_the_next_process_recovers(remote, tmp_path, delay):
    bare = remote.root / "market.git"
    before = git("rev-parse", "main", cwd=bare).strip()
    data = tmp_path / "data"
    port = free_port()
    proc = start(remote, data, port)
    token = editor_token(data)
    thread = threading.Thread(target=big_save, args=(port, token, "killed"))
    thread.start()
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    thread.join(timeout=30)

    after = git("rev-parse", "main", cwd=bare).strip()
    if after != before:  # the push completed just before the kill: the whole commit is there
        changed = git("show", "--name-only", "--format=", after, cwd=bare).split()
        assert len([f for f in changed if "/bulk/killed-" in f]) == FILES
        assert git("rev-parse", f"{after}^", cwd=bare).strip() == before

    proc = start(remote, data, free_port())
    try:
        port = int(proc.args[proc.args.index("--port") + 1])
        token = editor_token(data)
        response = httpx.post(
            f"http://127.0.0.1:{port}/api/skills/changelog",
            headers={"Authorization": f"Bearer {token}"},
            json={"files": [{"path": "after-restart.md", "content": "ok\n"}]},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        assert git("show", "--name-only", "--format=", "main", cwd=bare).split() == [
            "plugins/engineering/skills/changelog/after-restart.md"
        ]
    finally:
        proc.terminate()
        proc.wait(timeout=20)

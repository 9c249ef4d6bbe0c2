"""`skillport-connector serve` as a newcomer meets it: a busy port fails before anything is
printed, every log line has one format, and a 405 names every method its path accepts."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import httpx
from serving import CLI, free_port, wait_healthy

from skillport_connector.settings import demo_marketplace

TEXT_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR) \S+: ")
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "log-test", "version": "1"},
    },
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream"}


def test_a_busy_port_fails_before_printing_a_token(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = subprocess.run(
            [*CLI, "serve", "--port", str(port), "--data-dir", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert run.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in run.stderr
    assert "--port" in run.stderr  # how to pick another
    assert run.stdout == ""  # no token, no "Try:" line for the other server


def serve_and_log(tmp_path: Path, env: dict[str, str]) -> str:
    """Start `serve --no-auth`, make MCP and REST requests, stop it; returns its log."""
    port = free_port()
    log = tmp_path / "stderr.log"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [*CLI, "serve", "--no-auth", "--port", str(port), "--data-dir", str(tmp_path / "d")],
            env={**os.environ, "SKILLPORT_AUDIT_LOG": "", **env},
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_healthy(base, proc)
            for _ in range(3):
                r = httpx.post(f"{base}/mcp", json=INITIALIZE, headers=MCP_HEADERS)
                assert r.status_code == 200, r.text
            httpx.get(f"{base}/api/nothing-here")
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    return log.read_text()


def test_the_log_has_one_text_format_and_no_per_request_session_line(tmp_path: Path):
    lines = serve_and_log(tmp_path, {}).splitlines()
    assert lines and all(TEXT_LINE.match(line) for line in lines), lines
    assert not any("Terminating session" in line for line in lines)


def test_the_json_log_is_json_on_every_line(tmp_path: Path):
    lines = serve_and_log(tmp_path, {"SKILLPORT_LOG_FORMAT": "json"}).splitlines()
    records = [json.loads(line) for line in lines]
    assert records and all({"time", "level", "logger", "message"} <= set(r) for r in records)
    assert not any("Terminating session" in r["message"] for r in records)


def test_a_405_lists_every_method_of_the_path(client):
    r = client.put("/api/skills/csv-profiler")
    assert r.status_code == 405 and r.json()["error"] == "method_not_allowed"
    assert r.headers["allow"] == "GET, HEAD, POST, DELETE"  # read, save, delete
    assert "GET, HEAD, POST, DELETE" in r.json()["message"]
    assert client.get("/api/skills/csv-profiler/bump").headers["allow"] == "POST"


def serve_once(tmp_path: Path, env: dict[str, str]) -> tuple[str, str]:
    """Start `serve` with ``env`` over the environment, wait until healthy, stop it;
    returns what it printed (stdout, stderr)."""
    port = free_port()
    proc = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--data-dir", str(tmp_path / "d")],
        env={**os.environ, "SKILLPORT_AUDIT_LOG": "", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc)
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=20)
    return out, err


def test_the_banner_counts_unpublished_skills_and_lists_access_errors(tmp_path: Path):
    market = tmp_path / "market"
    shutil.copytree(demo_marketplace(), market)
    (market / ".skillport/access.json").write_text("{broken")
    out, _ = serve_once(tmp_path, {"SKILLPORT_MARKETPLACE": str(market)})
    first, second = out.splitlines()[:2]
    assert "8 skills (1 in unpublished groups, listed only for their editors)" in first
    assert "1 errors" in first
    assert second.strip().startswith(".skillport/access.json:1: error: is not valid JSON")


def test_serve_with_redis_down_starts_and_says_there_is_no_dev_token(tmp_path: Path):
    from cryptography.fernet import Fernet

    dead = free_port()  # nothing listens on it
    env = {
        "SKILLPORT_REDIS_URL": f"redis://127.0.0.1:{dead}/0",
        "SKILLPORT_SECRET_KEY": Fernet.generate_key().decode(),
    }
    out, err = serve_once(tmp_path, env)
    assert "No dev token: Redis is unreachable" in out
    assert "Traceback" not in err


def test_token_with_redis_down_is_a_message_not_a_traceback(tmp_path: Path):
    from cryptography.fernet import Fernet

    env = {
        **os.environ,
        "SKILLPORT_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        "SKILLPORT_SECRET_KEY": Fernet.generate_key().decode(),
    }
    run = subprocess.run(
        [*CLI, "token", "--user", "a@example.com", "--data-dir", str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.startswith("skillport-connector: Redis is unreachable")


def test_a_message_over_several_lines_is_logged_on_one():
    from skillport_connector.cli import TextLogFormatter

    record = logging.LogRecord(
        "skillport_connector.sources.git", logging.WARNING, __file__, 1,
        "refresh failed, still serving %s: %s", ("abc", "fatal: gone\n\nPlease check"), None,
    )  # fmt: skip
    line = TextLogFormatter().format(record)
    assert TEXT_LINE.match(line) and "\n" not in line
    assert line.endswith("refresh failed, still serving abc: fatal: gone | Please check")

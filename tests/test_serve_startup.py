"""What ``serve`` loads before it listens: only what serving needs. The people's commands,
the Redis client (without SKILLPORT_REDIS_URL), the HTTP client (without an identity
provider), the page templates and the markdown renderer wait until something uses them;
fastmcp's key-value library is not loaded at all (``mcp/state.py``)."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

from skillport_connector.cli import main
from skillport_connector.settings import demo_marketplace

NOT_BEFORE_USE = (
    "skillport_connector.people.commands",
    "redis",
    "httpx",
    "jinja2",
    "markdown_it",
    "nh3",
)
BUILD_THE_SERVER = f"""
import json, sys
from pathlib import Path
from skillport_connector.app import create_app
from skillport_connector.cli import build_parser
from skillport_connector.settings import Settings
build_parser(serving=True).parse_args(["serve", "--no-auth"])
create_app(Settings(data_dir=Path(sys.argv[1]), audit_log=""), mcp_auth=False)
print(json.dumps([m for m in {NOT_BEFORE_USE!r} if m in sys.modules]))
"""


def test_building_the_server_loads_nothing_it_does_not_serve_with(tmp_path: Path):
    run = subprocess.run(
        [sys.executable, "-c", BUILD_THE_SERVER, str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == []


MCP_REQUESTS = """
import json, sys
from pathlib import Path
from serving import build_app, client_for
app = build_app(Path(sys.argv[1]), mcp_auth=False)
headers = {"Accept": "application/json, text/event-stream"}
with client_for(app) as http:
    for i, (method, params) in enumerate([
        ("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                        "clientInfo": {"name": "t", "version": "1"}}),
        ("resources/list", {}),
        ("resources/read", {"uri": "skill://csv-profiler/SKILL.md"}),
        ("tools/call", {"name": "skillport_auth", "arguments": {}}),
    ]):
        body = {"jsonrpc": "2.0", "id": i, "method": method, "params": params}
        answer = http.post("/mcp", json=body, headers=headers)
        assert answer.status_code == 200 and '"error"' not in answer.text, answer.text
print(json.dumps("key_value" in sys.modules))
"""


def test_answering_mcp_requests_does_not_load_fastmcps_key_value_store(tmp_path: Path):
    tests = str(Path(__file__).parent)
    run = subprocess.run(
        [sys.executable, "-c", MCP_REQUESTS, str(tmp_path)],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": tests},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.splitlines()[-1]) is False


def test_the_collector_runs_again_once_a_command_is_done(capsys):
    assert main(["validate", str(demo_marketplace())]) == 0
    assert gc.isenabled()


def test_a_command_run_with_the_collector_off_leaves_it_off(capsys):
    gc.disable()
    try:
        main(["validate", str(demo_marketplace())])
        assert not gc.isenabled()
    finally:
        gc.enable()

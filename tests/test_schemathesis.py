"""Schemathesis against /openapi.json: generated requests for every operation (an editor's
token, a git-backed copy of the demo so writes really happen). Zero 5xx responses, and every
response must match the documented schema."""

from __future__ import annotations

import atexit
import shutil
import subprocess
import tempfile
from pathlib import Path

import schemathesis
from conftest import build_app
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from skillport_connector.auth import Identity
from skillport_connector.clock import FakeClock
from skillport_connector.settings import demo_marketplace

WORK = Path(tempfile.mkdtemp(prefix="skillport-schemathesis-"))
atexit.register(shutil.rmtree, WORK, ignore_errors=True)
MARKET = shutil.copytree(demo_marketplace(), WORK / "market")
for args in (
    ["init", "-q", "-b", "main"],
    ["add", "-A"],
    ["-c", "user.name=t", "-c", "user.email=t@e.com", "commit", "-q", "-m", "seed"],
):
    subprocess.run(["git", *args], cwd=MARKET, check=True, capture_output=True)
APP = build_app(
    WORK / "data",
    clock=FakeClock(),  # the editor's token lasts however long the generated cases take
    marketplace=MARKET,
    poll_interval=0,
    min_refresh_interval=0,
    rate_limit_user=0,
    rate_limit_ip=0,
    allowed_hosts=("testserver",),  # schemathesis's ASGI client always sends this Host
)
TOKEN = APP.state.services.tokens.mint_api_token(Identity.local("developer@localhost"))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
CASES = {"count": 0}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_responses_match_the_schema(case):
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {TOKEN}"}
    response = case.call()
    CASES["count"] += 1
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:500]}"
    # The two auth checks replay requests with the credentials removed; authentication
    # refusals are covered by the HTTP and access-matrix tests instead.
    case.validate_response(response, checks=CHECKS)


def test_report_case_count():
    print(f"\nschemathesis cases run: {CASES['count']}")
    assert CASES["count"] > 0

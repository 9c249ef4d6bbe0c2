"""`domain:` rules trust only a verified e-mail address (issue 9, defect 11).

A real OpenID provider (npm oidc-provider, tests/oidc) signs people in; logins starting
with "unverified" get ``email_verified: false``. No allowed-domains list is configured, so
both may sign in; only the verified one may read the skill whose read rule is
``domain:example.com``."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hostile import Repo, Server, access, marketplace, skill_md, start

OP_DIR = Path(__file__).resolve().parent.parent / "oidc"
pytestmark = pytest.mark.needs_node("oidc")
CLIENT_ID, CLIENT_SECRET = "skillport-sec", "op-client-secret-sec"
SKILLS = "plugins/tools/skills"
FILES = {
    ".claude-plugin/marketplace.json": marketplace(
        {"name": "tools", "source": "./plugins/tools", "description": "T."}
    ),
    ".skillport/access.json": access(
        skills={"domain-skill": {"read": ["domain:example.com"]}},
        defaults={"read": "*", "write": "editors"},
    ),
    f"{SKILLS}/good-skill/SKILL.md": skill_md("good-skill"),
    f"{SKILLS}/domain-skill/SKILL.md": skill_md("domain-skill", "For example.com only."),
}


@pytest.fixture(scope="module")
def connector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    from hostile import free_port

    tmp = tmp_path_factory.mktemp("verified")
    op_port, port = free_port(), free_port()
    op = subprocess.Popen(
        ["node", "op.mjs"],
        cwd=OP_DIR,
        env={
            **os.environ,
            "OP_PORT": str(op_port),
            "OP_CLIENT_ID": CLIENT_ID,
            "OP_CLIENT_SECRET": CLIENT_SECRET,
            "OP_REDIRECT_URIS": f"http://127.0.0.1:{port}/callback",
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert op.stdout is not None and op.stdout.readline().startswith("ready")
    repo = Repo.create(tmp, FILES)
    env = {
        "SKILLPORT_OIDC_ISSUER": f"http://127.0.0.1:{op_port}",
        "SKILLPORT_OIDC_CLIENT_ID": CLIENT_ID,
        "SKILLPORT_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "SKILLPORT_OIDC_PROVIDER_NAME": "okta",
    }
    try:
        server = start(tmp, repo.bare, env=env, repo=repo, port=port)
        try:
            yield server
        finally:
            server.stop()
    finally:
        op.terminate()
        op.wait(timeout=10)


def access_token(base: str, login: str) -> str:
    """Sign in through the provider's forms as ``login``; the connector's access token."""
    from test_mcp_oauth import REDIRECT, auth_params, pkce, register, token
    from test_oidc_signin import FormBrowser

    client_id = register(base)
    verifier, challenge = pkce()
    browser = FormBrowser(login)
    browser.run(str(httpx.URL(f"{base}/authorize", params=auth_params(client_id, challenge))))
    assert browser.result is not None, browser.pages[-1:] if browser.pages else "no page"
    r = token(
        base,
        grant_type="authorization_code",
        code=browser.result.code,
        redirect_uri=REDIRECT,
        client_id=client_id,
        code_verifier=verifier,
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def listing(server: Server, token: str) -> set[str]:
    r = httpx.get(f"{server.base}/api/skills", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    return {s["name"] for s in r.json()["skills"]}


def test_a_verified_address_in_the_domain_reads_the_domain_skill(connector: Server) -> None:
    assert "domain-skill" in listing(connector, access_token(connector.base, "kim@example.com"))


def test_an_unverified_address_in_the_domain_does_not_match_a_domain_rule(
    connector: Server,
) -> None:
    token = access_token(connector.base, "unverified@example.com")
    assert listing(connector, token) == {"good-skill"}
    r = httpx.get(
        f"{connector.base}/api/skills/domain-skill", headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 404

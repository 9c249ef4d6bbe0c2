"""Two connector processes sharing one real redis-server (and one git remote), as behind a
load balancer: sign-in steps alternate between them, tokens and revocations cross over,
single-use tokens stay single-use, and both converge on the same snapshot."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cluster import github_push_hook, instances
from conftest import skill_md
from serving import mint_token
from test_mcp_oauth import REDIRECT, auth_params, mcp_status, pkce, register

pytestmark = pytest.mark.needs_redis

SECRET = "cluster-secret"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    env = {
        "SKILLPORT_POLL_INTERVAL": "1",
        "SKILLPORT_RATE_LIMIT_IP": "100000",
        "SKILLPORT_RATE_LIMIT_REGISTER": "100000",
    }
    with instances(tmp_path_factory.mktemp("cluster"), SECRET, env) as running:
        yield {"a": running.a, "b": running.b, "env": running.env, "git": running.git}


def alternating_sign_in(a: str, b: str, email: str) -> tuple[str, dict]:
    """Register on A, authorize on B, sign in on A, consent on B, token on A."""
    client_id = register(a)
    verifier, challenge = pkce()
    with httpx.Client(follow_redirects=False, timeout=10) as web:
        r = web.get(f"{b}/authorize", params=auth_params(client_id, challenge))
        pending = parse_qs(urlsplit(r.headers["location"]).query)["pending"][0]
        r = web.post(f"{a}/login", data={"pending": pending, "email": email})
        assert r.status_code == 303, r.text
        r = web.post(f"{b}/consent", data={"pending": pending, "decision": "allow"})
        code = parse_qs(urlsplit(r.headers["location"]).query)["code"][0]
    issued = httpx.post(
        f"{a}/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
              "client_id": client_id, "code_verifier": verifier},
    )  # fmt: skip
    assert issued.status_code == 200, issued.text
    return client_id, issued.json()


def test_a_sign_in_alternating_between_instances_succeeds(cluster):
    _, issued = alternating_sign_in(cluster["a"], cluster["b"], "alt@example.com")
    assert mcp_status(cluster["b"], issued["access_token"]) == 200
    assert mcp_status(cluster["a"], issued["access_token"]) == 200


def test_a_token_minted_on_one_instance_works_on_the_other(cluster):
    token = mint_token("cli@example.com", env=cluster["env"])
    for base in (cluster["a"], cluster["b"]):
        me = httpx.get(f"{base}/api/whoami", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["email"] == "cli@example.com"


def test_a_revocation_on_one_instance_is_honoured_by_the_other_at_once(cluster):
    client_id, issued = alternating_sign_in(cluster["a"], cluster["b"], "rev@example.com")
    assert mcp_status(cluster["b"], issued["access_token"]) == 200
    httpx.post(
        f"{cluster['a']}/revoke", data={"token": issued["access_token"], "client_id": client_id}
    )
    assert mcp_status(cluster["b"], issued["access_token"]) == 401


def test_one_hundred_parallel_redemptions_over_both_instances_succeed_once(cluster):
    token = mint_token("inst@example.com", env=cluster["env"])
    ticket = httpx.get(
        f"{cluster['a']}/api/skills/changelog/install", headers={"Authorization": f"Bearer {token}"}
    ).json()["install_token"]
    bases = [cluster["a"], cluster["b"]]

    def redeem(i: int) -> int:
        return httpx.get(f"{bases[i % 2]}/api/install/{ticket}", timeout=30).status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(redeem, range(100)))
    assert statuses.count(200) == 1
    assert statuses.count(410) == 99


def test_both_instances_serve_the_same_snapshot_after_a_webhook_hits_one(cluster):
    """The other instance catches up by polling (every second here; 60 s by default)."""
    git = cluster["git"]
    pushed = git.push_change(
        "market", {"plugins/writing/skills/clustered/SKILL.md": skill_md("clustered")}, "Add"
    )
    hooked = github_push_hook(cluster["a"], SECRET)
    assert hooked.status_code == 200
    # A is current at once (by the hook, or its own poll got there first).
    assert hooked.json()["commit"] == pushed
    deadline = time.monotonic() + 10
    h = {"Authorization": f"Bearer {mint_token('ops@example.com', env=cluster['env'])}"}
    while True:
        commits = {
            httpx.get(f"{base}/healthz", headers=h).json()["upstream"]["commit"]
            for base in (cluster["a"], cluster["b"])
        }
        if commits == {pushed}:
            break
        assert time.monotonic() < deadline, commits
        time.sleep(0.2)

"""The anonymous network, browsers on other origins, reverse proxies and local users
(issue 9, defects 4, 5, 12, 13, 15, 18 and 19's /healthz).

Where the fixed shape of an answer is not part of the contract, the tests assert the
security property: no sign-in completes, no store fills, no detail leaks."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from hostile import (
    CLI,
    READER,
    Server,
    access,
    free_port,
    marketplace,
    serving,
    skill_md,
)

from skillport_connector.settings import ConfigError, Settings

FILES = {
    ".claude-plugin/marketplace.json": marketplace(
        {"name": "tools", "source": "./plugins/tools", "description": "T."}
    ),
    ".skillport/access.json": access(),
    "plugins/tools/skills/good-skill/SKILL.md": skill_md("good-skill"),
}
REDIRECT = "http://127.0.0.1:3999/callback"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"SKILLPORT_MCP_CLASSIC_TOOLS": "1", "SKILLPORT_RATE_LIMIT_USER": "5"}
    with serving(tmp_path_factory.mktemp("edge"), FILES, env=env) as running:
        yield running


# -- defect 4: the development sign-in behind a proxy ----------------------------------------------


def dev_sign_in_through_proxy(base: str, host: str) -> bool:
    """Drive /authorize → /login (any e-mail) → /consent → /token as a proxy would forward
    it; True when an access token came out.

    The sign-in cookie is sent by hand: behind a TLS proxy the browser sends a ``Secure``
    cookie, which httpx would hold back over this plain-HTTP hop."""
    from test_mcp_oauth import auth_params, pkce

    proxied = {"Host": host, "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    with httpx.Client(base_url=base, headers=proxied, timeout=10) as web:
        reg = web.post("/register", json={"redirect_uris": [REDIRECT], "client_name": "P"})
        if reg.status_code != 201:
            return False
        client_id = reg.json()["client_id"]
        verifier, challenge = pkce()
        r = web.get("/authorize", params=auth_params(client_id, challenge))
        if r.status_code != 302 or "/login" not in r.headers.get("location", ""):
            return False
        cookie = r.headers.get("set-cookie", "").split(";", 1)[0]
        web.cookies.clear()
        web.headers["Cookie"] = cookie
        pending = parse_qs(urlsplit(r.headers["location"]).query).get("pending", [""])[0]
        r = web.post("/login", data={"pending": pending, "email": "anyone@evil.example"})
        if r.status_code != 303:
            return False
        r = web.post("/consent", data={"pending": pending, "decision": "allow"})
        code = parse_qs(urlsplit(r.headers.get("location", "")).query).get("code", [""])[0]
        if not code:
            return False
        r = web.post(
            "/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT,
                "client_id": client_id,
                "code_verifier": verifier,
            },
        )
        return r.status_code == 200 and "access_token" in r.json()


def test_dev_sign_in_does_not_exist_when_the_public_url_is_not_loopback(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                *CLI,
                "serve",
                "--port",
                str(port),
                "--data-dir",
                str(tmp_path / "data"),
                "--host",
                "127.0.0.1",
                "--public-url",
                "https://skills.example.com",
            ],
            env={**os.environ, "SKILLPORT_AUDIT_LOG": ""},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        if proc.poll() is not None:
            assert proc.returncode == 2, log.read_text()  # refused at start: a ConfigError
            return
        assert not dev_sign_in_through_proxy(base, "skills.example.com")
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=15)


# -- defect 5: DNS rebinding on every route


def foreign_host_requests(server: Server) -> dict[str, tuple[str, str, dict[str, object]]]:
    """Requests that succeed with the server's own Host header (so a refusal is the check)."""
    from test_mcp_oauth import auth_params, pkce, register

    client_id = register(server.base)
    return {
        "list": ("GET", "/api/skills", {}),
        "whoami": ("GET", "/api/whoami", {}),
        "ticket": ("GET", "/api/skills/good-skill/install", {}),
        "metadata": ("GET", "/.well-known/oauth-authorization-server", {}),
        "authorize": ("GET", "/authorize", {"params": auth_params(client_id, pkce()[1])}),
        "register": ("POST", "/register", {"json": {"redirect_uris": [REDIRECT]}}),
        "install.sh": ("GET", "/install.sh", {}),
    }


@pytest.mark.parametrize(
    "what", ["list", "whoami", "ticket", "metadata", "authorize", "register", "install.sh"]
)
def test_a_foreign_host_header_is_refused_on_every_route(server: Server, what: str) -> None:
    method, path, kw = foreign_host_requests(server)[what]
    own = httpx.request(method, f"{server.base}{path}", headers=server.headers(READER), **kw)
    assert own.status_code in (200, 201, 302), own.text[:200]
    headers = {**server.headers(READER), "Host": "rebound.evil.example"}
    r = httpx.request(method, f"{server.base}{path}", headers=headers, timeout=10, **kw)
    assert r.status_code in (400, 403, 421), (r.status_code, r.text[:200])
    assert "good-skill" not in r.text and "sk_install_" not in r.text


def test_the_own_host_header_still_works(server: Server) -> None:
    port = server.base.rsplit(":", 1)[1]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
        r = httpx.get(f"{server.base}/api/skills", headers={**server.headers(READER), "Host": host})
        assert r.status_code == 200, host


def test_a_dev_sign_in_from_a_rebound_page_gets_no_token(server: Server) -> None:
    assert not dev_sign_in_through_proxy(server.base, "rebound.evil.example")


# -- defect 13: loopback means an IP literal or localhost


@pytest.mark.parametrize(
    "uri",
    [
        "http://127.evil.com/cb",
        "http://127.0.0.1.nip.io.evil.com/cb",
        "http://localhost.evil.com/cb",
        "http://[::1].evil.com/cb",
    ],
)
def test_a_look_alike_loopback_redirect_uri_is_refused(server: Server, uri: str) -> None:
    r = httpx.post(
        f"{server.base}/register", json={"redirect_uris": [uri], "client_name": "x"}, timeout=10
    )
    assert r.status_code == 400, r.text


def test_real_loopback_redirect_uris_are_accepted(server: Server) -> None:
    for uri in ("http://127.0.0.1:3999/cb", "http://localhost/cb", "http://[::1]:8080/cb"):
        r = httpx.post(f"{server.base}/register", json={"redirect_uris": [uri], "client_name": "x"})
        assert r.status_code == 201, (uri, r.text)


# -- defect 12: registrations and the per-address limit


def test_spoofed_x_forwarded_for_does_not_dodge_the_per_ip_limit(tmp_path: Path) -> None:
    with serving(tmp_path, FILES, env={"SKILLPORT_RATE_LIMIT_IP": "10"}) as limited:
        statuses = [
            httpx.post(
                f"{limited.base}/register",
                json={"redirect_uris": [REDIRECT], "client_name": "spoof"},
                headers={"X-Forwarded-For": f"198.51.100.{i}", "X-Real-IP": f"198.51.100.{i}"},
                timeout=10,
            ).status_code
            for i in range(25)
        ]
    assert statuses.count(201) <= 10 and 429 in statuses, statuses


def stored_client_bytes(data: Path) -> tuple[int, int]:
    """(number of stored OAuth clients, bytes they take) in the server's SQLite store."""
    with sqlite3.connect(data / "state.sqlite3") as db:
        row = db.execute(
            "SELECT COUNT(*), COALESCE(SUM(LENGTH(value)), 0) FROM kv"
            " WHERE key LIKE 'oauth:client:%'"
        ).fetchone()
    return int(row[0]), int(row[1])


def test_registrations_cannot_fill_the_store(server: Server) -> None:
    before = stored_client_bytes(server.data)
    uris = [f"https://app{i}.example.com/{'x' * 1950}" for i in range(10)]
    statuses = [
        httpx.post(
            f"{server.base}/register",
            json={"redirect_uris": uris, "client_name": "n" * 200, "client_uri": "u" * 5000},
            timeout=10,
        ).status_code
        for _ in range(30)
    ]
    assert all(s in (201, 400, 413, 429) for s in statuses), statuses
    count, size = stored_client_bytes(server.data)
    added = count - before[0]
    assert added == statuses.count(201)
    if added:
        assert (size - before[1]) / added < 8 * 1024  # at rest, encrypted


# -- defect 15: one minting path, one limit


def test_mcp_install_skill_counts_against_the_mint_limit(server: Server) -> None:
    from test_mcp_oauth import Browser, mcp_session, provider

    async def run() -> list[bool]:
        auth = provider(server.base, Browser(email="minter@example.com"))
        outcomes = []
        async with mcp_session(server.base, auth) as session:
            for _ in range(8):
                result = await session.call_tool("install_skill", {"name": "good-skill"})
                text = result.content[0].text if result.content else ""
                outcomes.append(not result.is_error and "sk_install_" in text)
        return outcomes

    minted = asyncio.run(run())
    assert sum(minted) <= 5, minted  # SKILLPORT_RATE_LIMIT_USER=5 per minute
    rest = server.get("/api/skills/good-skill/install", who="minter@example.com")
    assert rest.status_code == 429


# -- defect 18: http public URLs, store files, secrets in /healthz


@pytest.mark.parametrize("host", ["0.0.0.0", "127.0.0.1"])
def test_an_http_public_url_off_loopback_is_refused(host: str, tmp_path: Path) -> None:
    env = {
        "SKILLPORT_HOST": host,
        "SKILLPORT_PUBLIC_URL": "http://skills.example.com",
        "SKILLPORT_GOOGLE_CLIENT_ID": "gid",
        "SKILLPORT_GOOGLE_CLIENT_SECRET": "gsecret",
        "SKILLPORT_DATA_DIR": str(tmp_path),
    }
    with pytest.raises(ConfigError):
        Settings.from_env(env)


def test_an_http_public_url_on_loopback_is_accepted(tmp_path: Path) -> None:
    env = {"SKILLPORT_PUBLIC_URL": "http://127.0.0.1:9999", "SKILLPORT_DATA_DIR": str(tmp_path)}
    assert Settings.from_env(env).base_url == "http://127.0.0.1:9999"


def test_store_files_are_private_to_the_server_user(server: Server) -> None:
    server.get("/api/skills/good-skill/install")  # a write: the WAL exists now
    stored = [p for p in server.data.iterdir() if p.name.startswith("state.sqlite3")]
    assert any(p.name.endswith("-wal") for p in stored), stored
    for path in stored:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, oct(path.stat().st_mode)


@pytest.mark.parametrize(
    "text, secret",
    [
        ("ssh://git:hunter2secret@git.example.com/market.git", "hunter2secret"),
        ("https://git.example.com/market.git?access_token=hunter2secret", "hunter2secret"),
        ("https://git.example.com/m.git?private_token=hunter2secret&x=1", "hunter2secret"),
        ("https://oauth2:hunter2secret@gitlab.example.com/m.git", "hunter2secret"),
        ("fatal: unable to access 'https://x:hunter2secret@h/m.git/'", "hunter2secret"),
    ],
)
def test_redact_removes_every_credential_form(text: str, secret: str) -> None:
    from skillport_connector.sources.gitrepo import redact

    assert secret not in redact(text)


# -- defect 19: anonymous /healthz is liveness only


def test_anonymous_healthz_shows_no_paths_or_totals(server: Server) -> None:
    r = server.get("/healthz", who=None)
    assert r.status_code == 200
    body = r.json()
    for key in ("skills", "plugins", "errors", "warnings", "source", "access"):
        assert key not in body, key
    assert str(server.data) not in r.text
    assert server.repo is not None and str(server.repo.bare) not in r.text
    assert "/tmp" not in r.text and json.dumps(str(Path.home())) not in r.text

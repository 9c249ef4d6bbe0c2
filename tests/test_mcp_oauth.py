"""The Claude connector end to end: the official MCP Python client signs in through our OAuth
server (dynamic registration, PKCE S256, the development sign-in and consent pages driven
like a browser), calls skillport_auth over /mcp and /sse, then uses the REST API."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import secrets
from urllib.parse import parse_qs, urlsplit

import httpx
import httpx2
import pytest
from conftest import build_app
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.client.session import ClientSession
from mcp.client.sse import sse_client
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)
from mcpclient import official_session
from mcprpc import post_rpc, rpc_message
from serving import client_for, free_port, in_thread

from skillport_connector.auth.oauth import ACCESS_TTL
from skillport_connector.clock import FakeClock
from skillport_connector.settings import demo_marketplace

REDIRECT = "http://127.0.0.1:3999/callback"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One connector for the module, served in a thread, on a clock the tests move."""
    port = free_port()
    clock = FakeClock()
    app = build_app(
        tmp_path_factory.mktemp("mcp") / "data",
        clock=clock,
        port=port,
        mcp_classic_tools=True,
        rate_limit_ip=100_000,  # every sign-in here comes from 127.0.0.1
        rate_limit_register=100_000,
    )
    with in_thread(app, port) as base:
        yield {"base": base, "app": app, "clock": clock}


class Memory(TokenStorage):
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


class Browser:
    """Follows the authorization redirect like a person: signs in, then allows access."""

    def __init__(self, email: str = "dana@example.com", decision: str = "allow") -> None:
        self.email = email
        self.decision = decision
        self.result: AuthorizationCodeResult | None = None
        self.pages: list[str] = []

    def run(self, url: str) -> None:
        with httpx.Client(follow_redirects=False, timeout=10) as web:
            r = web.get(url)
            while r.status_code in (302, 303) and not r.headers["location"].startswith(REDIRECT):
                r = web.get(httpx.URL(str(r.url)).join(r.headers["location"]))
            self.pages.append(r.text)
            where = r.headers.get("location", "")
            assert 'name="pending"' in r.text, f"no sign-in page: {r.status_code} {where}"
            pending = r.text.split('name="pending" value="')[1].split('"')[0]
            r = web.post(
                str(r.url.join("/login")),
                data={"pending": pending, "email": self.email, "name": "Dana"},
            )
            r = web.get(str(r.url.join(r.headers["location"])))
            self.pages.append(r.text)
            r = web.post(
                str(r.url.join("/consent")), data={"pending": pending, "decision": self.decision}
            )
            query = parse_qs(urlsplit(r.headers["location"]).query)
            if "code" in query:
                self.result = AuthorizationCodeResult(
                    code=query["code"][0], state=query.get("state", [None])[0]
                )

    async def redirect(self, url: str) -> None:
        await asyncio.to_thread(self.run, url)

    async def callback(self) -> AuthorizationCodeResult:
        assert self.result is not None, "the browser did not come back with a code"
        return self.result


def provider(
    base: str, browser: Browser, storage: Memory | None = None, path: str = "/mcp"
) -> OAuthClientProvider:
    """The official client's OAuth flow for the transport at ``path`` (it checks that the
    protected-resource metadata it finds names that URL)."""
    return OAuthClientProvider(
        server_url=f"{base}{path}",
        client_metadata=OAuthClientMetadata(
            client_name="Test MCP client",
            redirect_uris=[REDIRECT],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=storage or Memory(),
        redirect_handler=browser.redirect,
        callback_handler=browser.callback,
    )


def mcp_session(base: str, auth: httpx2.Auth) -> contextlib.AbstractAsyncContextManager:
    """An initialised MCP session over Streamable HTTP, signed in through ``auth``."""
    return official_session(base, auth=auth)


async def call_auth_over_sse(base: str, auth: httpx2.Auth) -> dict:
    """skillport_auth over the legacy SSE transport, signed in through ``auth``."""
    async with contextlib.AsyncExitStack() as stack:
        read, write = await stack.enter_async_context(sse_client(f"{base}/sse", auth=auth))
        session = await stack.enter_async_context(ClientSession(read, write))
        await session.initialize()
        result = await session.call_tool("skillport_auth", {"operation": "auth"})
        return json.loads(result.content[0].text)


async def call_auth_over_http(base: str, auth: httpx2.Auth) -> dict:
    async with mcp_session(base, auth) as session:
        tools = {t.name for t in (await session.list_tools()).tools}
        assert "skillport_auth" in tools
        result = await session.call_tool("skillport_auth", {"operation": "auth"})
        return json.loads(result.content[0].text)


def test_mcp_client_signs_in_and_gets_an_api_token_over_streamable_http(server):
    browser = Browser()
    minted = asyncio.run(call_auth_over_http(server["base"], provider(server["base"], browser)))
    assert minted["token"].startswith("sk_api_") and minted["expires_in"] == 900
    assert minted["base_url"] == server["base"]
    assert "Development sign-in" in browser.pages[0]
    assert "Test MCP client" in browser.pages[1]  # the consent page names the client
    me = httpx.get(
        f"{server['base']}/api/whoami", headers={"Authorization": f"Bearer {minted['token']}"}
    ).json()
    assert me == {
        "id": "local:dana@example.com",
        "email": "dana@example.com",
        "name": "Dana",
        "provider": "local",
    }


def test_mcp_client_signs_in_over_legacy_sse(server):
    auth = provider(server["base"], Browser(email="sam@example.com"), path="/sse")
    minted = asyncio.run(call_auth_over_sse(server["base"], auth))
    me = httpx.get(
        f"{server['base']}/api/whoami", headers={"Authorization": f"Bearer {minted['token']}"}
    ).json()
    assert me["id"] == "local:sam@example.com"


def test_bootstrap_returns_the_install_command_for_the_skillport_skill(server):
    async def run() -> dict:
        async with mcp_session(server["base"], provider(server["base"], Browser())) as session:
            result = await session.call_tool("skillport_auth", {"operation": "bootstrap"})
            return json.loads(result.content[0].text)

    boot = asyncio.run(run())
    assert boot["version"] == "1.0.0"
    assert boot["command"].startswith(
        f"curl -sf {server['base']}/install.sh | bash -s -- sk_install_"
    )
    assert boot["command"].endswith("--package") and boot["steps"]


def test_classic_tools_follow_the_access_rules(server):
    async def run() -> tuple[dict, dict]:
        async with mcp_session(server["base"], provider(server["base"], Browser())) as session:
            listed = await session.call_tool("list_skills", {})
            found = await session.call_tool("search_skills", {"query": "csv"})
            return json.loads(listed.content[0].text), json.loads(found.content[0].text)

    listed, found = asyncio.run(run())
    names = {s["name"] for s in listed["skills"]}
    assert "csv-profiler" in names and "incident-review" not in names  # drafts: editors only
    assert found["skills"][0]["name"] == "csv-profiler"


# -- the authorization server's refusals -------------------------------------------------------


def register(base: str, redirect: str = REDIRECT) -> str:
    r = httpx.post(f"{base}/register", json={"redirect_uris": [redirect], "client_name": "Raw"})
    assert r.status_code == 201, r.text
    return r.json()["client_id"]


def auth_params(client_id: str, challenge: str, **extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    return verifier, challenge


def authorize(
    base: str, client_id: str, challenge: str, email: str = "eve@example.com", **extra
) -> str:
    """Run the browser part by hand; returns the code."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": "xyz",
        "resource": f"{base}/mcp",
        **extra,
    }
    url = httpx.URL(f"{base}/authorize", params=params)
    browser = Browser(email=email)
    browser.run(str(url))
    assert browser.result is not None
    return browser.result.code


def token(base: str, **form) -> httpx.Response:
    return httpx.post(f"{base}/token", data=form)


def tokens_for(base: str, email: str = "eve@example.com") -> tuple[str, dict]:
    client_id = register(base)
    verifier, challenge = pkce()
    code = authorize(base, client_id, challenge, email)
    r = token(
        base,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT,
        client_id=client_id,
        code_verifier=verifier,
    )
    assert r.status_code == 200, r.text
    return client_id, r.json()


def mcp_status(base: str, access_token: str) -> int:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {
        "Authorization": f"Bearer {access_token}",
        "Accept": "application/json, text/event-stream",
    }
    return httpx.post(f"{base}/mcp", json=body, headers=headers).status_code


def test_metadata_names_the_mcp_resource_its_authorization_server_and_s256(server):
    base = server["base"]
    prm = httpx.get(f"{base}/.well-known/oauth-protected-resource").json()
    assert prm["resource"] == f"{base}/mcp" and prm["authorization_servers"] == [base]
    assert httpx.get(f"{base}/.well-known/oauth-protected-resource/mcp").json() == prm
    meta = httpx.get(f"{base}/.well-known/oauth-authorization-server").json()
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["registration_endpoint"] == f"{base}/register"


def test_unauthenticated_mcp_call_gets_401_pointing_at_the_resource_metadata(server):
    r = httpx.post(f"{server['base']}/mcp", json={}, headers={"Origin": "https://claude.ai"})
    assert r.status_code == 401
    assert "resource_metadata=" in r.headers["www-authenticate"]
    assert "WWW-Authenticate" in r.headers.get("access-control-expose-headers", "")


def test_wrong_pkce_verifier_is_refused(server):
    base = server["base"]
    client_id = register(base)
    _, challenge = pkce()
    code = authorize(base, client_id, challenge)
    r = token(
        base,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT,
        client_id=client_id,
        code_verifier=pkce()[0],
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_plain_pkce_is_refused(server):
    base = server["base"]
    client_id = register(base)
    r = httpx.get(
        f"{base}/authorize",
        params={"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT,
                "code_challenge": "x" * 43, "code_challenge_method": "plain", "state": "s"},
    )  # fmt: skip
    assert r.status_code == 302 and "error=invalid_request" in r.headers["location"]


def test_unregistered_redirect_uri_is_refused_without_redirecting(server):
    base = server["base"]
    client_id = register(base)
    _, challenge = pkce()
    r = httpx.get(
        f"{base}/authorize",
        params={"response_type": "code", "client_id": client_id, "redirect_uri": "https://evil.example/cb",
                "code_challenge": challenge, "code_challenge_method": "S256"},
    )  # fmt: skip
    assert r.status_code == 400 and "evil" not in r.headers.get("location", "")


def test_registration_refuses_http_redirects_off_loopback(server):
    r = httpx.post(f"{server['base']}/register", json={"redirect_uris": ["http://example.com/cb"]})
    assert r.status_code == 400 and r.json()["error"] == "invalid_redirect_uri"


def test_codes_work_once(server):
    base = server["base"]
    client_id = register(base)
    verifier, challenge = pkce()
    code = authorize(base, client_id, challenge)
    form = dict(
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT,
        client_id=client_id,
        code_verifier=verifier,
    )
    first = token(base, **form).json()
    assert token(base, **form).status_code == 400
    assert mcp_status(base, first["access_token"]) == 401  # a replayed code revokes its grant


def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_grant(server):
    base = server["base"]
    client_id, issued = tokens_for(base)
    r = token(
        base, grant_type="refresh_token", refresh_token=issued["refresh_token"], client_id=client_id
    )
    assert r.status_code == 200
    rotated = r.json()
    assert rotated["refresh_token"] != issued["refresh_token"]
    assert mcp_status(base, rotated["access_token"]) == 200
    reuse = token(
        base, grant_type="refresh_token", refresh_token=issued["refresh_token"], client_id=client_id
    )
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    assert mcp_status(base, rotated["access_token"]) == 401
    again = token(
        base,
        grant_type="refresh_token",
        refresh_token=rotated["refresh_token"],
        client_id=client_id,
    )
    assert again.status_code == 400


def test_revoked_access_token_gets_401_at_once(server):
    base = server["base"]
    client_id, issued = tokens_for(base)
    assert mcp_status(base, issued["access_token"]) == 200
    assert (
        httpx.post(
            f"{base}/revoke", data={"token": issued["access_token"], "client_id": client_id}
        ).status_code
        == 200
    )
    assert mcp_status(base, issued["access_token"]) == 401
    rest = httpx.get(
        f"{base}/api/whoami", headers={"Authorization": f"Bearer {issued['access_token']}"}
    )
    assert rest.status_code == 401


def test_oauth_access_tokens_work_on_the_rest_api(server):
    _, issued = tokens_for(server["base"], email="rest@example.com")
    me = httpx.get(
        f"{server['base']}/api/whoami",
        headers={"Authorization": f"Bearer {issued['access_token']}"},
    )
    assert me.json()["id"] == "local:rest@example.com"


def test_token_for_another_audience_is_refused(server):
    base = server["base"]
    client_id = register(base)
    _, challenge = pkce()
    r = httpx.get(
        f"{base}/authorize",
        params=auth_params(client_id, challenge, resource="https://other.example/mcp"),
    )
    assert r.status_code == 302 and "error=invalid_target" in r.headers["location"]


def test_an_access_token_is_refused_once_its_hour_is_over(server):
    base = server["base"]
    _, issued = tokens_for(base)
    server["clock"].advance(ACCESS_TTL - 1)
    assert mcp_status(base, issued["access_token"]) == 200
    server["clock"].advance(2)
    assert mcp_status(base, issued["access_token"]) == 401


def test_denied_consent_returns_access_denied(server):
    base = server["base"]
    client_id = register(base)
    _, challenge = pkce()
    url = httpx.URL(
        f"{base}/authorize",
        params=auth_params(client_id, challenge),
    )
    browser = Browser(decision="deny")
    browser.run(str(url))
    assert browser.result is None


def test_an_untrusted_browser_origin_is_refused(server):
    r = httpx.post(f"{server['base']}/mcp", json={}, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403


def test_host_header_from_elsewhere_is_refused_by_dns_rebinding_protection(server):
    _, issued = tokens_for(server["base"])
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {
        "Authorization": f"Bearer {issued['access_token']}",
        "Accept": "application/json, text/event-stream",
        "Host": "attacker.example",
    }
    assert httpx.post(f"{server['base']}/mcp", json=body, headers=headers).status_code in (403, 421)


def test_dev_sign_in_is_off_when_not_on_loopback(make_app):
    client = client_for(make_app(host="0.0.0.0", public_url="https://skills.example.com"))
    assert client.get("/login").status_code == 404


# -- native skill access: the skills extension ---------------------------------------------------


def rpc(base: str, access_token: str, method: str, params: dict | None = None) -> dict:
    r = post_rpc(base, access_token, method, params, rpc_id=7)
    assert r.status_code in (200, 400), r.text  # JSON-RPC errors may come with 400
    return rpc_message(r)


def test_server_declares_the_skills_extension(server):
    _, issued = tokens_for(server["base"])
    caps = rpc(server["base"], issued["access_token"], "server/discover")["result"]["capabilities"]
    assert "io.modelcontextprotocol/skills" in caps.get("extensions", {})
    assert "resources" in caps


def test_skills_list_gives_entries_with_digests_filtered_by_access(server):
    _, issued = tokens_for(server["base"])
    result = rpc(server["base"], issued["access_token"], "skills/list")["result"]
    entries = {e["frontmatter"]["name"]: e for e in result["skills"]}
    assert "incident-review" not in entries  # drafts are editors-only in the demo
    csv = entries["csv-profiler"]
    assert csv["uri"] == "skill://csv-profiler/SKILL.md"
    src = demo_marketplace() / "plugins/data-tools/skills/csv-profiler"
    logo = next(r for r in csv["resources"] if r["uri"].endswith("assets/logo.png"))
    data = (src / "assets/logo.png").read_bytes()
    assert logo == {
        "uri": "skill://csv-profiler/assets/logo.png",
        "digest": "sha256:" + hashlib.sha256(data).hexdigest(),
        "size": len(data),
    }
    assert result["resultType"] == "complete" and result["ttlMs"] > 0


def test_skills_get_and_resources_read_agree_with_the_digest(server):
    base = server["base"]
    _, issued = tokens_for(base)
    entry = rpc(
        base, issued["access_token"], "skills/get", {"uri": "skill://meeting-notes/SKILL.md"}
    )["result"]["skill"]
    assert entry["frontmatter"]["name"] == "meeting-notes"
    read = rpc(
        base, issued["access_token"], "resources/read", {"uri": "skill://meeting-notes/SKILL.md"}
    )
    text = read["result"]["contents"][0]["text"]
    listed = entry["resources"][0]
    assert "sha256:" + hashlib.sha256(text.encode()).hexdigest() == listed["digest"]


def test_skills_get_refuses_unknown_and_hidden_skills(server):
    base = server["base"]
    _, issued = tokens_for(base)
    for uri in ("skill://nope/SKILL.md", "skill://incident-review/SKILL.md"):
        answer = rpc(base, issued["access_token"], "skills/get", {"uri": uri})
        assert answer["error"]["code"] == -32602
    hidden = rpc(
        base, issued["access_token"], "resources/read", {"uri": "skill://incident-review/SKILL.md"}
    )
    assert "error" in hidden


def test_sign_in_requests_are_rate_limited_per_address_with_retry_after(make_app):
    client = client_for(make_app(rate_limit_ip=3))
    statuses = [
        client.post("/register", json={"redirect_uris": [REDIRECT]}).status_code for _ in range(4)
    ]
    assert statuses == [201, 201, 201, 429]
    limited = client.post("/register", json={"redirect_uris": [REDIRECT]})
    assert limited.json()["error"] == "rate_limited" and int(limited.headers["Retry-After"]) >= 1


def test_install_tokens_are_rate_limited_per_user(make_app):
    from skillport_connector.auth import Identity

    app = make_app(rate_limit_user=2)
    token = app.state.services.tokens.mint_api_token(Identity.local("busy@example.com"))
    client = client_for(app)
    h = {"Authorization": f"Bearer {token}"}
    statuses = [
        client.get("/api/skills/changelog/install", headers=h).status_code for _ in range(3)
    ]
    assert statuses == [200, 200, 429]

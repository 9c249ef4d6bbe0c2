"""Each MCP transport is its own protected resource (RFC 9728): the official MCP client,
given the legacy ``/sse`` URL, signs in from there, and a token issued for either transport
works on both and on the REST API."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from conftest import build_app
from serving import free_port, in_thread
from test_mcp_oauth import Browser, Memory, call_auth_over_http, call_auth_over_sse, provider


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    port = free_port()
    app = build_app(
        tmp_path_factory.mktemp("sse") / "data",
        port=port,
        rate_limit_ip=100_000,
        rate_limit_register=100_000,
    )
    with in_thread(app, port) as url:
        yield url


def whoami(base: str, token: str) -> httpx.Response:
    return httpx.get(f"{base}/api/whoami", headers={"Authorization": f"Bearer {token}"})


def test_each_transport_metadata_names_its_own_url(base):
    for path in ("/mcp", "/sse"):
        prm = httpx.get(f"{base}/.well-known/oauth-protected-resource{path}").json()
        assert prm["resource"] == f"{base}{path}"
        assert prm["authorization_servers"] == [base]


def test_an_unauthenticated_sse_request_points_at_the_sse_metadata(base):
    r = httpx.get(f"{base}/sse")
    assert r.status_code == 401
    challenge = r.headers["www-authenticate"]
    assert f'resource_metadata="{base}/.well-known/oauth-protected-resource/sse"' in challenge


def test_official_client_signs_in_starting_from_the_sse_url(base):
    storage, browser = Memory(), Browser(email="sse@example.com")
    minted = asyncio.run(call_auth_over_sse(base, provider(base, browser, storage, path="/sse")))
    assert whoami(base, minted["token"]).json()["id"] == "local:sse@example.com"
    assert storage.tokens is not None and browser.result is not None


def test_a_token_issued_for_sse_works_on_mcp_and_rest(base):
    storage = Memory()
    asyncio.run(call_auth_over_sse(base, provider(base, Browser(), storage, path="/sse")))
    assert storage.tokens is not None
    access = storage.tokens.access_token
    assert whoami(base, access).status_code == 200
    # The same stored token, now used by a client of the Streamable HTTP transport.
    again = Browser()
    minted = asyncio.run(call_auth_over_http(base, provider(base, again, storage)))
    assert minted["token"].startswith("sk_api_")
    assert again.result is None  # no second sign-in: the token was accepted


def test_a_token_issued_for_mcp_works_on_sse(base):
    storage = Memory()
    asyncio.run(call_auth_over_http(base, provider(base, Browser(), storage)))
    again = Browser()
    minted = asyncio.run(call_auth_over_sse(base, provider(base, again, storage, path="/sse")))
    assert minted["token"].startswith("sk_api_") and again.result is None

"""Sign-in through a real OpenID provider (npm oidc-provider, started by the test) and the
official MCP client: registration, authorize, upstream login and consent, token, tools/call,
then the REST API with the minted token. Plus the refusals: a domain outside the allow-list,
an unverified e-mail, and configuration that must not start."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from conftest import build_app
from mcp.shared.auth import AuthorizationCodeResult
from serving import free_port, in_thread
from test_mcp_oauth import (
    REDIRECT,
    auth_params,
    call_auth_over_http,
    call_auth_over_sse,
    pkce,
    provider,
    register,
)

from skillport_connector.settings import ConfigError, Settings, demo_marketplace

OP_DIR = Path(__file__).parent / "oidc"
CLIENT_ID, CLIENT_SECRET = "skillport-test", "op-client-secret-123"


@pytest.fixture(scope="module")
def op_and_connector(tmp_path_factory):
    assert (OP_DIR / "node_modules/oidc-provider").is_dir(), (
        "run `make test` (it installs oidc-provider)"
    )
    node = shutil.which("node")
    assert node, "node is needed for the OpenID provider"
    op_port, port = free_port(), free_port()
    env = {
        **os.environ,
        "OP_PORT": str(op_port),
        "OP_CLIENT_ID": CLIENT_ID,
        "OP_CLIENT_SECRET": CLIENT_SECRET,
        "OP_REDIRECT_URIS": f"http://127.0.0.1:{port}/callback",
    }
    op = subprocess.Popen(
        [node, "op.mjs"],
        cwd=OP_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert op.stdout is not None
    line = op.stdout.readline()
    assert line.startswith("ready"), line
    app = build_app(
        tmp_path_factory.mktemp("oidc") / "data",
        port=port,
        oidc_issuer=f"http://127.0.0.1:{op_port}",
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        oidc_provider_name="okta",
        allowed_domains=("example.com",),
        rate_limit_ip=100_000,
        rate_limit_register=100_000,
    )
    app.state.services.settings.check()
    try:
        with in_thread(app, port) as base:
            yield {"base": base, "op": f"http://127.0.0.1:{op_port}"}
    finally:
        op.terminate()
        op.wait(timeout=10)


FORM = re.compile(r"<form[^>]*action=\"([^\"]+)\"[^>]*>(.*?)</form>", re.S | re.I)
INPUT = re.compile(r"<input[^>]*>", re.I)
ATTR = re.compile(r'(\w+)="([^"]*)"')


def form_fields(inner: str) -> dict[str, str]:
    """The named inputs of a form's inner HTML, with their values ("" where none)."""
    fields = {}
    for tag in INPUT.findall(inner):
        attrs = dict(ATTR.findall(tag))
        if "name" in attrs:
            fields[attrs["name"]] = attrs.get("value", "")
    return fields


class FormBrowser:
    """Follows redirects and fills whatever form comes up, as a person would."""

    def __init__(self, login: str) -> None:
        self.login = login
        self.result: AuthorizationCodeResult | None = None
        self.pages: list[tuple[int, str]] = []

    def run(self, url: str) -> None:
        with httpx.Client(follow_redirects=False, timeout=15) as web:
            r = web.get(url)
            for _ in range(30):
                if r.status_code in (301, 302, 303, 307):
                    target = str(r.url.join(r.headers["location"]))
                    if target.startswith(REDIRECT):
                        query = parse_qs(urlsplit(target).query)
                        if "code" in query:
                            self.result = AuthorizationCodeResult(
                                code=query["code"][0], state=query.get("state", [None])[0]
                            )
                        return
                    r = web.get(target)
                    continue
                self.pages.append((r.status_code, r.text))
                match = FORM.search(r.text)
                if r.status_code != 200 or match is None:
                    return
                action, inner = match.groups()
                data = form_fields(inner)
                data.update(
                    {
                        k: v
                        for k, v in {
                            "login": self.login,
                            "password": "any",
                            "email": self.login,
                        }.items()
                        if k in data
                    }
                )
                if "decision" in inner:
                    data["decision"] = "allow"
                r = web.post(str(r.url.join(action)), data=data)

    async def redirect(self, url: str) -> None:
        await asyncio.to_thread(self.run, url)

    async def callback(self) -> AuthorizationCodeResult:
        assert self.result is not None, self.pages[-1] if self.pages else "no page"
        return self.result


@pytest.mark.needs_node("oidc")
def test_mcp_client_signs_in_through_the_openid_provider(op_and_connector):
    base = op_and_connector["base"]
    browser = FormBrowser("kim@example.com")
    minted = asyncio.run(call_auth_over_http(base, provider(base, browser)))
    me = httpx.get(
        f"{base}/api/whoami", headers={"Authorization": f"Bearer {minted['token']}"}
    ).json()
    assert me == {
        "id": "okta:kim@example.com",
        "email": "kim@example.com",
        "name": "kim",
        "provider": "okta",
    }
    assert any("Allow access?" in text for _, text in browser.pages)  # our consent page came up


@pytest.mark.needs_node("oidc")
def test_mcp_client_signs_in_through_the_openid_provider_over_sse(op_and_connector):
    base = op_and_connector["base"]
    auth = provider(base, FormBrowser("ari@example.com"), path="/sse")
    minted = asyncio.run(call_auth_over_sse(base, auth))
    me = httpx.get(
        f"{base}/api/whoami", headers={"Authorization": f"Bearer {minted['token']}"}
    ).json()
    assert me["id"] == "okta:ari@example.com"


def sign_in_by_hand(base: str, login: str) -> FormBrowser:
    client_id = register(base)
    _, challenge = pkce()
    browser = FormBrowser(login)
    browser.run(str(httpx.URL(f"{base}/authorize", params=auth_params(client_id, challenge))))
    return browser


@pytest.mark.needs_node("oidc")
def test_an_account_outside_the_allowed_domains_gets_a_403_page_naming_them(op_and_connector):
    browser = sign_in_by_hand(op_and_connector["base"], "mallory@elsewhere.org")
    assert browser.result is None
    status, text = browser.pages[-1]
    assert status == 403 and "example.com" in text and "not allowed" in text


@pytest.mark.needs_node("oidc")
def test_an_unverified_email_does_not_pass_the_domain_check(op_and_connector):
    browser = sign_in_by_hand(op_and_connector["base"], "unverified@example.com")
    assert browser.result is None and browser.pages[-1][0] == 403


@pytest.mark.needs_node("oidc")
def test_an_allowed_account_gets_a_code(op_and_connector):
    assert sign_in_by_hand(op_and_connector["base"], "lee@example.com").result is not None


@pytest.mark.needs_node("oidc")
def test_the_callback_refuses_an_unknown_state(op_and_connector):
    r = httpx.get(f"{op_and_connector['base']}/callback", params={"code": "x", "state": "forged"})
    assert r.status_code == 400 and "expired" in r.text


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"oidc_issuer": "https://idp.example.com", "oidc_client_id": "x"},
            "SKILLPORT_OIDC_CLIENT_SECRET",
        ),
        ({"google_client_id": "g"}, "SKILLPORT_GOOGLE_CLIENT_SECRET"),
        ({"entra_client_id": "e", "entra_client_secret": "s"}, "SKILLPORT_ENTRA_TENANT_ID"),
        (
            {"google_client_id": "g", "google_client_secret": "s", "oidc_issuer": "https://i"},
            "one identity provider",
        ),
        (
            {"host": "0.0.0.0", "public_url": "https://s.example.com"},
            "development sign-in only runs on 127.0.0.1",
        ),
        (
            {
                "host": "0.0.0.0",
                "public_url": "https://s.example.com",
                "oidc_issuer": "http://10.0.0.5",
                "oidc_client_id": "x",
                "oidc_client_secret": "y",
            },
            "must use https",
        ),
    ],
)
def test_incomplete_or_unsafe_configuration_fails_at_start(kwargs, message):
    with pytest.raises(ConfigError) as err:
        Settings(marketplace=demo_marketplace(), **kwargs).check()
    assert message in str(err.value)


def test_configuration_from_a_toml_file(tmp_path):
    path = tmp_path / "skillport.toml"
    path.write_text(
        'SKILLPORT_GOOGLE_CLIENT_ID = "gid"\nSKILLPORT_GOOGLE_CLIENT_SECRET = "gsecret"\n'
        'SKILLPORT_ALLOWED_DOMAINS = ["acme.com", "acme.io"]\n'
    )
    settings = Settings.from_env({"SKILLPORT_CONFIG": str(path)})
    upstream = settings.upstream()
    assert upstream is not None and upstream.provider == "google"
    assert upstream.allowed_domains == ("acme.com", "acme.io")
    assert "gsecret" not in repr(settings)
    env_wins = Settings.from_env(
        {"SKILLPORT_CONFIG": str(path), "SKILLPORT_ALLOWED_DOMAINS": "other.org"}
    )
    assert env_wins.allowed_domains == ("other.org",)


def test_google_sign_in_sends_the_hd_hint_and_checks_the_hd_claim():
    from skillport_connector.auth.upstream import SignInError, Upstream, google

    up = Upstream(google("id", "secret", ("acme.com",)), "https://s.example.com/callback")
    up._discovery = {
        "issuer": "https://accounts.google.com",
        "authorization_endpoint": "https://accounts.google.com/o/oauth2/v2/auth",
    }
    url, _ = up.begin()
    assert "hd=acme.com" in url and "code_challenge_method=S256" in url
    ok = up._identity(
        {"sub": "1143", "email": "a@acme.com", "hd": "acme.com", "email_verified": True}
    )
    assert ok.id == "google:1143"
    with pytest.raises(SignInError) as err:
        up._identity({"sub": "9", "email": "a@gmail.com", "email_verified": True})
    assert err.value.status == 403 and "acme.com" in str(err.value)
    assert json.dumps(ok.as_dict())

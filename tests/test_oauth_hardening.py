"""Hostile callers of the authorization server (issue 9): the development sign-in behind a
proxy, registration floods, forged X-Forwarded-For, look-alike loopback redirect URIs."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from serving import client_for, free_port, serve

from skillport_connector.settings import ConfigError, Settings, demo_marketplace

REDIRECT = "http://127.0.0.1:3999/callback"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def settings(tmp_path: Path, **kwargs: object) -> Settings:
    return Settings(marketplace=demo_marketplace(), data_dir=tmp_path, audit_log="", **kwargs)


def authorize_params(client_id: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        "state": "s",
    }


# -- 4: the "any e-mail" sign-in exists only when the public URL is loopback ------------------


def test_a_public_https_url_without_an_identity_provider_does_not_start(tmp_path):
    config = settings(tmp_path, host="127.0.0.1", public_url="https://skills.example.com")
    with pytest.raises(ConfigError, match="development sign-in"):
        config.check()


def test_behind_a_proxy_the_development_sign_in_is_not_served(make_app):
    app = make_app(host="127.0.0.1", public_url="https://skills.example.com")
    assert not app.state.services.settings.dev_sign_in
    client = client_for(app, follow_redirects=False)
    proxied = {"Host": "skills.example.com", "X-Forwarded-For": "203.0.113.9"}
    client_id = client.post(
        "/register", json={"redirect_uris": [REDIRECT]}, headers=proxied
    ).json()["client_id"]
    r = client.get("/authorize", params=authorize_params(client_id), headers=proxied)
    assert r.status_code == 503 and "/login" not in r.headers.get("location", "")
    assert client.get("/login", headers=proxied).status_code == 404
    form = {"pending": "x", "email": "eve@evil.example"}
    assert client.post("/login", data=form, headers=proxied).status_code == 404


def test_on_a_loopback_public_url_the_development_sign_in_is_served(make_app):
    app = make_app()
    config = app.state.services.settings
    config.check()
    assert config.dev_sign_in
    client = client_for(app, follow_redirects=False)
    client_id = client.post("/register", json={"redirect_uris": [REDIRECT]}).json()["client_id"]
    r = client.get("/authorize", params=authorize_params(client_id))
    assert r.status_code == 302 and r.headers["location"].startswith("/login?pending=")


# -- 18: an http public URL only on loopback ---------------------------------------------------


@pytest.mark.parametrize("url", ["http://skills.example.com", "http://10.0.0.5:8787"])
def test_an_http_public_url_off_loopback_does_not_start(tmp_path, url):
    config = settings(
        tmp_path,
        host="0.0.0.0",
        public_url=url,
        google_client_id="g",
        google_client_secret="s",
    )
    with pytest.raises(ConfigError, match="https"):
        config.check()


def test_an_http_public_url_on_loopback_starts(tmp_path):
    settings(tmp_path, public_url="http://localhost:8787").check()


# -- 12: registration is bounded ------------------------------------------------------------


def test_an_oversized_registration_is_refused_with_413(make_app):
    client = client_for(make_app())
    body = {"redirect_uris": [REDIRECT], "client_name": "x", "logo_uri": "y" * 9000}
    r = client.post("/register", json=body)
    assert r.status_code == 413 and r.json()["error"] == "invalid_client_metadata"


def test_registrations_are_rate_limited_per_address(make_app):
    client = client_for(make_app(rate_limit_register=2))
    statuses = [
        client.post("/register", json={"redirect_uris": [REDIRECT]}).status_code for _ in range(3)
    ]
    assert statuses == [201, 201, 429]


def test_unknown_registration_metadata_is_not_stored(make_app):
    app = make_app()
    client = client_for(app)
    body = {"redirect_uris": [REDIRECT], "software_statement": "s" * 4000}
    reg = client.post("/register", json=body).json()
    assert "software_statement" not in reg
    stored = app.state.store.get("oauth:client:" + reg["client_id"])
    assert stored is not None and "s" * 100 not in str(stored)


def test_forged_forwarded_for_does_not_escape_the_per_address_limit(tmp_path):
    """A real `serve` process: uvicorn must not believe X-Forwarded-For either."""
    env = {"SKILLPORT_RATE_LIMIT_IP": "3", "SKILLPORT_AUDIT_LOG": ""}
    proc, base = serve(free_port(), tmp_path / "data", env)
    try:
        statuses = [
            httpx.post(
                f"{base}/register",
                json={"redirect_uris": [REDIRECT]},
                headers={"X-Forwarded-For": f"198.51.100.{i}"},
            ).status_code
            for i in range(4)
        ]
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert statuses == [201, 201, 201, 429]


def test_a_trusted_proxy_names_the_client_address(make_app):
    app = make_app(rate_limit_ip=1, trusted_proxies=("10.0.0.0/8",))
    client = client_for(app, client=("10.1.2.3", 4000))
    first = client.post(
        "/register", json={"redirect_uris": [REDIRECT]}, headers={"X-Forwarded-For": "192.0.2.1"}
    )
    other = client.post(
        "/register", json={"redirect_uris": [REDIRECT]}, headers={"X-Forwarded-For": "192.0.2.2"}
    )
    again = client.post(
        "/register", json={"redirect_uris": [REDIRECT]}, headers={"X-Forwarded-For": "192.0.2.1"}
    )
    assert [first.status_code, other.status_code, again.status_code] == [201, 201, 429]


def test_trusted_proxies_must_be_addresses_or_ranges(tmp_path):
    with pytest.raises(ConfigError, match="SKILLPORT_TRUSTED_PROXIES"):
        Settings.from_env(
            {"SKILLPORT_TRUSTED_PROXIES": "10.0.0.0/8,proxy.example"},
            marketplace=demo_marketplace(),
            data_dir=tmp_path,
        )


# -- 13: look-alike loopback redirect URIs ----------------------------------------------------


@pytest.mark.parametrize(
    "uri",
    [
        "http://127.evil.com/cb",
        "http://127.0.0.1.nip.io.evil.com/cb",
        "http://localhost.evil.com/cb",
    ],
)
def test_a_look_alike_loopback_redirect_uri_is_refused(make_app, uri):
    client = client_for(make_app())
    r = client.post("/register", json={"redirect_uris": [uri]})
    assert r.status_code == 400 and r.json()["error"] == "invalid_redirect_uri"

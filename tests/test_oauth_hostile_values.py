"""Values of the wrong type or alphabet reaching the authorization server (security review,
findings 2 and 7-10): each is a clear refusal, never a 500, and what a person is shown is what
the browser will do."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

import pytest
from conftest import build_app
from serving import client_for
from starlette.requests import Request

from skillport_connector.auth.errors import OAuthError, RedirectError
from skillport_connector.auth.handlers.common import COOKIE, same_browser
from skillport_connector.auth.oauth import OAuthServer
from skillport_connector.auth.pkce import s256, verify, well_formed
from skillport_connector.auth.records import PendingAuthorization
from skillport_connector.auth.redirects import check_redirect_uri, shown_target
from skillport_connector.clock import FakeClock
from skillport_connector.settings import ConfigError, Settings, demo_marketplace
from skillport_connector.store import SQLiteStore

REDIRECT = "https://client.example/cb"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


@pytest.fixture
def server(tmp_path: Path) -> OAuthServer:
    clock = FakeClock()
    store = SQLiteStore(tmp_path / "s.db", clock=clock)
    return OAuthServer(
        store, resource="https://s.example/mcp", issuer="https://s.example", clock=clock
    )


def refusal(server: OAuthServer, metadata: dict[str, Any]) -> str:
    with pytest.raises(OAuthError) as err:
        server.register(metadata)
    return err.value.error


# -- 7: registration metadata is type-checked item by item -------------------------------------


@pytest.mark.parametrize(
    "grant_types", [[{}], [[]], [None], [1], "authorization_code", {"a": 1}, []]
)
def test_grant_types_must_be_a_list_of_known_names(server, grant_types):
    metadata = {"redirect_uris": [REDIRECT], "grant_types": grant_types}
    assert refusal(server, metadata) == "invalid_client_metadata"


@pytest.mark.parametrize("method", [{}, [], ["none"], 1, True])
def test_the_auth_method_must_be_a_known_name(server, method):
    metadata = {"redirect_uris": [REDIRECT], "token_endpoint_auth_method": method}
    assert refusal(server, metadata) == "invalid_client_metadata"


@pytest.mark.parametrize("name", [["Claude"], {"n": 1}, 0, False, "Cla\nude", "x\u202ey"])
def test_the_client_name_must_be_printable_text(server, name):
    metadata = {"redirect_uris": [REDIRECT], "client_name": name}
    assert refusal(server, metadata) == "invalid_client_metadata"


@pytest.mark.parametrize("uris", [[{}], [[]], [None], [REDIRECT, 1], REDIRECT, {"u": REDIRECT}])
def test_redirect_uris_must_be_a_list_of_strings(server, uris):
    assert refusal(server, {"redirect_uris": uris}) == "invalid_redirect_uri"


def test_a_missing_or_empty_client_name_reads_as_an_unnamed_application(server):
    for name in (None, ""):
        reg = server.register({"redirect_uris": [REDIRECT], "client_name": name})
        assert reg.client.client_name == "an unnamed application"


def test_repeated_grant_types_are_kept_once(server):
    grants = ["refresh_token", "authorization_code", "refresh_token"]
    reg = server.register({"redirect_uris": [REDIRECT], "grant_types": grants})
    assert reg.client.grant_types == ("refresh_token", "authorization_code")


def test_a_registration_of_unhashable_items_over_http_is_a_400(tmp_path):
    client = client_for(app_for(tmp_path))
    r = client.post("/register", json={"redirect_uris": [[]], "grant_types": [{}]})
    assert r.status_code == 400 and r.json()["error"] == "invalid_redirect_uri"


# -- 10: a redirect URI names one plain host ---------------------------------------------------


@pytest.mark.parametrize(
    "uri",
    [
        "https://claude.ai@evil.example/cb",
        "https://claude.ai%2F@evil.example/cb",
        "https://user:pw@client.example/cb",
        "https://@client.example/cb",
        "https://client%2Eexample/cb",
        "https://evil.example\\@claude.ai/cb",
        "https://claude.ai\\evil/cb",
        "https://client.example:port/cb",
        "https://-client.example/cb",
        "https://[::1].evil.example/cb",
        "http://localhost%00.evil.example/cb",
    ],
)
def test_a_redirect_uri_with_user_info_or_an_encoded_host_is_refused(uri):
    assert check_redirect_uri(uri) is not None


@pytest.mark.parametrize(
    "uri",
    [
        "https://client.example/cb",
        "https://claude.ai/api/mcp/auth_callback",
        "https://client.example:8443/a%20b/cb?x=1",
        "https://[2001:db8::1]:8443/cb",
        "https://client.example/path/@handle",
        "http://127.0.0.1:3999/callback",
    ],
)
def test_a_plain_redirect_uri_is_accepted(uri):
    assert check_redirect_uri(uri) is None


def test_the_consent_target_is_never_percent_decoded():
    assert shown_target("https://client.example/a%2F@b/cb?q=1") == (
        "https://client.example/a%2F@b/cb"
    )


def test_the_consent_page_names_the_real_host(tmp_path):
    app = app_for(tmp_path)
    client = client_for(app, follow_redirects=False)
    uri = "https://client.example/x%2F@evil.example/cb"
    client_id = client.post("/register", json={"redirect_uris": [uri]}).json()["client_id"]
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": uri,
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }
    login = client.get("/authorize", params=params).headers["location"]
    pending = login.split("pending=")[1]
    r = client.post("/login", data={"pending": pending, "email": "ann@example.com"})
    page = client.get(r.headers["location"]).text
    assert "<strong>client.example</strong>" in page
    assert "x%2F@evil.example" in page and "x/@evil.example" not in page


# -- 8: PKCE values are base64url, compared as bytes -------------------------------------------


@pytest.mark.parametrize(
    "value", ["é" * 43, "a" * 42, "a" * 129, "a" * 42 + " ", "a" * 42 + "+", "a" * 42 + "=", ""]
)
def test_a_pkce_value_outside_the_unreserved_alphabet_is_malformed(value):
    assert not well_formed(value)


def test_a_challenge_and_a_verifier_of_the_rfc_are_well_formed():
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert well_formed(verifier) and well_formed(s256(verifier)) and well_formed("~." * 64)


def test_a_non_ascii_challenge_never_verifies_and_never_raises():
    assert not verify("v" * 43, "é" * 43)
    assert not verify("é" * 43, s256("é" * 43))


def test_an_authorization_with_a_non_base64url_challenge_is_refused(server):
    client_id = server.register({"redirect_uris": [REDIRECT]}).client.client_id
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "code_challenge": "é" * 43,
        "code_challenge_method": "S256",
    }
    with pytest.raises(RedirectError) as err:
        server.start(params)
    assert err.value.error == "invalid_request"


# -- 9: the browser-binding cookie -------------------------------------------------------------


def request_with_cookie(raw: bytes) -> Request:
    return Request({"type": "http", "headers": [(b"cookie", raw)]})


def pending_for(browser: str) -> PendingAuthorization:
    return PendingAuthorization(
        client_id="c", redirect_uri=REDIRECT, state=None, code_challenge=CHALLENGE,
        resource="r", scope="s", browser=browser,
    )  # fmt: skip


def test_a_non_ascii_sign_in_cookie_is_another_browser():
    browser = secrets.token_urlsafe(16)
    request = request_with_cookie(f"{COOKIE}=été".encode())
    assert not same_browser(request, pending_for(browser))


def test_the_sign_in_cookie_of_the_starting_browser_matches():
    browser = secrets.token_urlsafe(16)
    assert same_browser(request_with_cookie(f"{COOKIE}={browser}".encode()), pending_for(browser))


# -- 2: the development sign-in needs nobody else to reach the server --------------------------


def settings(tmp_path: Path, **kwargs: Any) -> Settings:
    return Settings(marketplace=demo_marketplace(), data_dir=tmp_path, audit_log="", **kwargs)


def app_for(tmp_path: Path, **kwargs: Any) -> Any:
    """The connector through the suite's one factory, with the settings of :func:`settings`."""
    return build_app(tmp_path, marketplace=demo_marketplace(), **kwargs)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10"])
def test_without_an_identity_provider_a_server_listening_off_loopback_does_not_start(
    tmp_path, host
):
    config = settings(tmp_path, host=host, public_url="http://localhost:8787")
    assert not config.dev_sign_in
    with pytest.raises(ConfigError, match=re.escape("SKILLPORT_HOST=127.0.0.1")):
        config.check()


def test_listening_off_loopback_serves_no_development_sign_in(tmp_path):
    client = client_for(app_for(tmp_path, host="0.0.0.0", public_url="http://localhost:8787"))
    assert client.get("/login", headers={"Host": "localhost:8787"}).status_code == 404


def test_on_loopback_with_a_loopback_public_url_the_development_sign_in_is_on(tmp_path):
    config = settings(tmp_path, host="127.0.0.1", public_url="http://localhost:8787")
    config.check()
    assert config.dev_sign_in


def test_an_identity_provider_lets_the_server_listen_on_every_address(tmp_path):
    config = settings(
        tmp_path,
        host="0.0.0.0",
        public_url="https://skills.example.com",
        google_client_id="g",
        google_client_secret="s",
    )
    config.check()
    assert not config.dev_sign_in

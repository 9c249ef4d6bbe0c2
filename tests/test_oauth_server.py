"""The authorization server itself, without HTTP: registration, authorization with PKCE,
single-use codes, refresh rotation with family revocation, expiry on an injected clock."""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from skillport_connector.auth.errors import InvalidClient, OAuthError, RedirectError
from skillport_connector.auth.identity import Identity
from skillport_connector.auth.oauth import ACCESS_TTL, CODE_TTL, PENDING_TTL, OAuthServer
from skillport_connector.auth.pkce import s256
from skillport_connector.auth.redirects import check_redirect_uri
from skillport_connector.auth.registration import UNUSED_CLIENT_TTL
from skillport_connector.clock import FakeClock
from skillport_connector.store import SQLiteStore

RESOURCE = "https://skills.example.com/mcp"
REDIRECT = "https://client.example/cb"
USER = Identity.local("ann@example.com")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server(tmp_path: Path, clock: FakeClock) -> OAuthServer:
    store = SQLiteStore(tmp_path / "s.db", clock=clock)
    return OAuthServer(store, resource=RESOURCE, issuer="https://skills.example.com", clock=clock)


def register(server: OAuthServer, *uris: str, **extra: object) -> str:
    return server.register({"redirect_uris": list(uris or [REDIRECT]), **extra}).client.client_id


def authorize(server: OAuthServer, client_id: str, verifier: str, **extra: str) -> str:
    """Start, sign in, approve; returns the code."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
        "state": "st",
        **extra,
    }
    _, pending_id = server.start(params)
    server.signed_in(pending_id, USER)
    location = server.approve(pending_id)
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == ["st"]
    return query["code"][0]


def tokens(server: OAuthServer) -> tuple[str, dict]:
    client_id = register(server)
    verifier = secrets.token_urlsafe(48)
    code = authorize(server, client_id, verifier)
    client = server.authenticate_client(client_id, None)
    return client_id, server.exchange_code(client, code, REDIRECT, verifier).as_dict()


# -- registration -----------------------------------------------------------------------------


def test_a_public_client_registers_without_a_secret(server):
    reg = server.register({"redirect_uris": [REDIRECT], "client_name": "Claude"}).as_dict()
    assert reg["client_id"].startswith("spc_") and "client_secret" not in reg
    assert reg["redirect_uris"] == [REDIRECT] and reg["client_name"] == "Claude"


def test_a_confidential_client_gets_a_secret_once_and_must_present_it(server):
    reg = server.register(
        {"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "client_secret_post"}
    ).as_dict()
    assert reg["client_secret"].startswith("spcs_")
    assert server.authenticate_client(reg["client_id"], reg["client_secret"])
    with pytest.raises(InvalidClient):
        server.authenticate_client(reg["client_id"], "wrong")
    assert server.client(reg["client_id"]).secret_hash != reg["client_secret"]


@pytest.mark.parametrize(
    "metadata",
    [
        {},
        {"redirect_uris": []},
        {"redirect_uris": [REDIRECT] * 11},
        {"redirect_uris": ["https://client.example/" + "a" * 1100]},
        {"redirect_uris": ["http://example.com/cb"]},
        {"redirect_uris": ["http://127.evil.com/cb"]},
        {"redirect_uris": ["http://127.0.0.1.nip.io.evil.com/cb"]},
        {"redirect_uris": ["https://client.example/cb#frag"]},
        {"redirect_uris": ["https://client.example/c\r\nb"]},
        {"redirect_uris": [REDIRECT], "client_name": "x" * 201},
        {"redirect_uris": [REDIRECT], "grant_types": ["password"]},
        {"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "private_key_jwt"},
    ],
)
def test_registration_refuses_unbounded_or_unsafe_metadata(server, metadata):
    with pytest.raises(OAuthError):
        server.register(metadata)


@pytest.mark.parametrize(
    "uri", ["http://127.0.0.1:3999/cb", "http://localhost/cb", "http://[::1]:80/cb"]
)
def test_http_redirects_are_allowed_on_loopback_ip_literals_and_localhost(server, uri):
    assert register(server, uri)


def test_a_client_that_never_gets_a_token_expires_within_the_hour(server, clock):
    client_id = register(server)
    clock.advance(UNUSED_CLIENT_TTL - 1)
    assert server.client(client_id) is not None
    clock.advance(2)
    assert server.client(client_id) is None


def test_a_client_that_got_a_token_lives_on(server, clock):
    client_id, _ = tokens(server)
    clock.advance(UNUSED_CLIENT_TTL * 24 * 30)
    assert server.client(client_id) is not None


# -- authorization ------------------------------------------------------------------------


def test_an_unknown_client_is_refused_without_redirecting(server):
    with pytest.raises(OAuthError) as err:
        server.start({"client_id": "spc_nope", "redirect_uri": REDIRECT})
    assert not isinstance(err.value, RedirectError)


def test_an_unregistered_redirect_uri_is_refused_without_redirecting(server):
    client_id = register(server)
    with pytest.raises(OAuthError) as err:
        server.start({"client_id": client_id, "redirect_uri": "https://evil.example/cb"})
    assert not isinstance(err.value, RedirectError)


def test_a_loopback_redirect_may_change_port_but_not_host(server):
    client_id = register(server, "http://127.0.0.1:3999/cb")
    ok = {"client_id": client_id, "response_type": "code", "code_challenge_method": "S256"}
    ok["code_challenge"] = s256(secrets.token_urlsafe(48))
    assert server.start({**ok, "redirect_uri": "http://127.0.0.1:4000/cb"})
    for other in ("http://127.evil.com:4000/cb", "http://127.0.0.2:4000/cb"):
        with pytest.raises(OAuthError):
            server.start({**ok, "redirect_uri": other})


@pytest.mark.parametrize(
    "change, error",
    [
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"resource": "https://other.example/mcp"}, "invalid_target"),
        ({"scope": "admin"}, "invalid_scope"),
    ],
)
def test_bad_authorization_requests_go_back_to_the_client(server, change, error):
    client_id = register(server)
    params = {
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "code_challenge": s256(secrets.token_urlsafe(48)),
        "code_challenge_method": "S256",
        "state": "st",
        **change,
    }
    with pytest.raises(RedirectError) as err:
        server.start(params)
    query = parse_qs(urlsplit(err.value.location).query)
    assert query["error"] == [error] and query["state"] == ["st"]
    assert err.value.location.startswith(REDIRECT)


def test_consent_before_sign_in_is_refused(server):
    client_id = register(server)
    _, pending_id = server.start(
        {
            "client_id": client_id,
            "response_type": "code",
            "code_challenge": s256(secrets.token_urlsafe(48)),
            "code_challenge_method": "S256",
        }
    )
    with pytest.raises(OAuthError):
        server.approve(pending_id)


def test_a_sign_in_left_too_long_expires(server, clock):
    client_id = register(server)
    _, pending_id = server.start(
        {
            "client_id": client_id,
            "response_type": "code",
            "code_challenge": s256(secrets.token_urlsafe(48)),
            "code_challenge_method": "S256",
        }
    )
    clock.advance(PENDING_TTL + 1)
    assert server.pending(pending_id) is None
    with pytest.raises(OAuthError):
        server.signed_in(pending_id, USER)


def test_denial_sends_access_denied_with_the_state(server):
    client_id = register(server)
    _, pending_id = server.start(
        {
            "client_id": client_id,
            "response_type": "code",
            "state": "st",
            "code_challenge": s256(secrets.token_urlsafe(48)),
            "code_challenge_method": "S256",
        }
    )
    query = parse_qs(urlsplit(server.deny(pending_id)).query)
    assert query["error"] == ["access_denied"] and query["state"] == ["st"]


# -- codes and PKCE -----------------------------------------------------------------------


def test_a_code_and_the_right_verifier_give_tokens_for_the_signed_in_user(server):
    _, issued = tokens(server)
    assert issued["access_token"].startswith("spat_")
    assert issued["refresh_token"].startswith("sprt_")
    assert issued["token_type"] == "Bearer" and issued["expires_in"] == ACCESS_TTL
    grant = server.validate(issued["access_token"], RESOURCE)
    assert grant is not None and grant.identity == USER


def test_a_wrong_verifier_is_refused(server):
    client_id = register(server)
    code = authorize(server, client_id, secrets.token_urlsafe(48))
    client = server.client(client_id)
    with pytest.raises(OAuthError) as err:
        server.exchange_code(client, code, REDIRECT, secrets.token_urlsafe(48))
    assert err.value.error == "invalid_grant"


def test_a_code_works_once_and_its_replay_revokes_what_it_gave(server):
    client_id = register(server)
    verifier = secrets.token_urlsafe(48)
    code = authorize(server, client_id, verifier)
    client = server.client(client_id)
    first = server.exchange_code(client, code, REDIRECT, verifier)
    with pytest.raises(OAuthError):
        server.exchange_code(client, code, REDIRECT, verifier)
    assert server.validate(first.access_token) is None


def test_a_code_is_bound_to_its_client_and_redirect_uri(server):
    client_id, other_id = register(server), register(server)
    verifier = secrets.token_urlsafe(48)
    code = authorize(server, client_id, verifier)
    with pytest.raises(OAuthError):
        server.exchange_code(server.client(other_id), code, REDIRECT, verifier)
    code = authorize(server, client_id, verifier)
    with pytest.raises(OAuthError):
        server.exchange_code(server.client(client_id), code, "https://client.example/x", verifier)


def test_a_code_expires_after_five_minutes(server, clock):
    client_id = register(server)
    verifier = secrets.token_urlsafe(48)
    code = authorize(server, client_id, verifier)
    clock.advance(CODE_TTL + 1)
    with pytest.raises(OAuthError):
        server.exchange_code(server.client(client_id), code, REDIRECT, verifier)


# -- tokens ----------------------------------------------------------------------------------


def test_refresh_rotates_the_refresh_token(server):
    client_id, issued = tokens(server)
    client = server.client(client_id)
    rotated = server.refresh(client, issued["refresh_token"])
    assert rotated.refresh_token != issued["refresh_token"]
    assert server.validate(rotated.access_token, RESOURCE) is not None


def test_a_reused_refresh_token_revokes_the_whole_family(server):
    client_id, issued = tokens(server)
    client = server.client(client_id)
    rotated = server.refresh(client, issued["refresh_token"])
    with pytest.raises(OAuthError):
        server.refresh(client, issued["refresh_token"])
    assert server.validate(rotated.access_token) is None
    assert server.validate(issued["access_token"]) is None
    with pytest.raises(OAuthError):
        server.refresh(client, rotated.refresh_token)


def test_a_refresh_token_belongs_to_its_client(server):
    _, issued = tokens(server)
    other = server.client(register(server))
    with pytest.raises(OAuthError):
        server.refresh(other, issued["refresh_token"])


def test_an_access_token_expires_after_an_hour(server, clock):
    _, issued = tokens(server)
    clock.advance(ACCESS_TTL - 1)
    assert server.validate(issued["access_token"]) is not None
    clock.advance(2)
    assert server.validate(issued["access_token"]) is None


def test_an_access_token_is_bound_to_its_resource(server):
    _, issued = tokens(server)
    assert server.validate(issued["access_token"], RESOURCE + "/") is not None
    assert server.validate(issued["access_token"], "https://other.example/mcp") is None


def test_revoking_an_access_token_revokes_its_grant(server):
    client_id, issued = tokens(server)
    server.revoke(server.client(client_id), issued["access_token"])
    assert server.validate(issued["access_token"]) is None
    with pytest.raises(OAuthError):
        server.refresh(server.client(client_id), issued["refresh_token"])


def test_another_client_cannot_revoke_a_token(server):
    _, issued = tokens(server)
    server.revoke(server.client(register(server)), issued["access_token"])
    assert server.validate(issued["access_token"]) is not None


def test_tokens_are_stored_only_as_hashes(server, tmp_path):
    import sqlite3

    _, issued = tokens(server)
    keys = [row[0] for row in sqlite3.connect(tmp_path / "s.db").execute("SELECT key FROM kv")]
    for secret in (issued["access_token"], issued["refresh_token"]):
        assert not any(secret in k or secret[5:] in k for k in keys)


def test_records_written_by_the_previous_version_still_read(server):
    """Clients, grants and sign-ins already in a store survive the upgrade."""
    from skillport_connector.store import keys

    old_client = {
        "client_id": "spc_old",
        "client_name": "Claude",
        "redirect_uris": [REDIRECT],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "client_id_issued_at": 1_700_000_000,
    }
    server.store.put(keys.OAUTH_CLIENT + "spc_old", old_client)
    assert server.client("spc_old").redirect_uris == (REDIRECT,)
    old_grant = {
        "user": {"id": "local:a@b.c", "email": "a@b.c", "name": "a", "provider": "local"},
        "client_id": "spc_old",
        "resource": RESOURCE,
        "scope": "skills",
        "family": "fam",
    }
    server.store.put(keys.OAUTH_FAMILY + "fam", {"revoked": False})
    server.store.put(keys.hashed(keys.OAUTH_ACCESS, "spat_old"), old_grant)
    grant = server.validate("spat_old", RESOURCE)
    assert grant is not None and grant.identity.id == "local:a@b.c"
    assert grant.identity.verified_domains == ()  # verified again at the next sign-in


def test_a_malformed_stored_record_reads_as_absent(server):
    from skillport_connector.store import keys

    server.store.put(keys.OAUTH_CLIENT + "spc_bad", {"client_id": "spc_bad"})
    assert server.client("spc_bad") is None
    with pytest.raises(InvalidClient):
        server.authenticate_client("spc_bad", None)


# -- one connector, one resource per MCP transport ------------------------------------------

SSE = "https://skills.example.com/sse"


@pytest.fixture
def transports(tmp_path: Path, clock: FakeClock) -> OAuthServer:
    store = SQLiteStore(tmp_path / "t.db", clock=clock)
    return OAuthServer(
        store,
        resource=RESOURCE,
        issuer="https://skills.example.com",
        clock=clock,
        also_resources=(SSE,),
    )


def access_for(server: OAuthServer, resource: str) -> str:
    client_id = register(server)
    verifier = secrets.token_urlsafe(48)
    code = authorize(server, client_id, verifier, resource=resource)
    client = server.authenticate_client(client_id, None)
    return server.exchange_code(client, code, REDIRECT, verifier).access_token


def test_a_token_is_issued_for_the_transport_the_client_named(transports):
    grant = transports.validate(access_for(transports, SSE))
    assert grant is not None and grant.resource == SSE


@pytest.mark.parametrize("issued_for", [RESOURCE, SSE, SSE + "/"])
def test_a_token_for_either_transport_works_on_both(transports, issued_for):
    token = access_for(transports, issued_for)
    assert transports.validate(token, resource=RESOURCE) is not None
    assert transports.validate(token, resource=SSE) is not None


def test_a_resource_of_another_server_is_refused_naming_both_transports(transports):
    with pytest.raises(RedirectError) as refused:
        access_for(transports, "https://skills.example.com/other")
    assert refused.value.error == "invalid_target"
    assert RESOURCE in refused.value.description and SSE in refused.value.description


def test_a_server_without_the_sse_resource_refuses_it(server):
    with pytest.raises(RedirectError):
        access_for(server, SSE)


@pytest.mark.parametrize(
    "uri",
    [
        "http://[::1].evil.com/cb",
        "http://127.evil.com/cb",
        "http://127.0.0.1.nip.io.evil.com/cb",
        "http://user@127.0.0.1/cb",
    ],
)
def test_a_look_alike_loopback_redirect_uri_is_refused(uri):
    assert check_redirect_uri(uri) is not None

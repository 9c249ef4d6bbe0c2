"""The plain listing (``GET /api/skills``, with or without ``surface``) is answered before
the framework, and answers exactly as the framework's handler does: the same body and
headers, the same 304, the same 401 challenges, a revocation refused at once, the Host
check first. Forms it does not take (``?refresh=false``, ``?surface=Cc``) reach the
framework's handler, which is what these tests compare it with."""

from __future__ import annotations

import pytest

from skillport_connector.api import listing
from skillport_connector.auth import Identity

#: (answered by the lane, answered by the framework): the same listing either way.
PAIRS = [
    ("/api/skills", "/api/skills?refresh=false"),
    ("/api/skills?surface=CC", "/api/skills?surface=Cc"),
    ("/api/skills?surface=call", "/api/skills?surface=Call"),
]
COMPARED = ("content-type", "content-length", "cache-control", "vary")


def bearer(app, email: str = "reader@example.com") -> dict[str, str]:
    token = app.state.services.tokens.mint_api_token(Identity.local(email))
    return {"Authorization": f"Bearer {token}"}


def test_the_lane_takes_exactly_the_plain_forms():
    assert b"" in listing.PLAIN_QUERIES and b"surface=CC" in listing.PLAIN_QUERIES
    assert b"refresh=false" not in listing.PLAIN_QUERIES
    assert b"surface=Cc" not in listing.PLAIN_QUERIES


@pytest.mark.parametrize(("lane", "framework"), PAIRS)
def test_the_lane_answers_as_the_framework_does(app, client, lane, framework):
    h = bearer(app)
    fast, slow = client.get(lane, headers=h), client.get(framework, headers=h)
    assert fast.status_code == slow.status_code == 200
    assert fast.content == slow.content
    assert [fast.headers.get(k) for k in COMPARED] == [slow.headers.get(k) for k in COMPARED]
    assert fast.headers["etag"].startswith('"')


def test_the_lane_etag_is_the_one_the_framework_gives_for_that_request(app, client):
    h = bearer(app)
    etag = client.get("/api/skills?surface=CC", headers=h).headers["etag"]
    again = client.get("/api/skills?surface=CC", headers={**h, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag and again.headers["cache-control"] == "private, no-cache"
    head = client.head("/api/skills?surface=CC", headers=h)  # HEAD goes to the framework
    assert head.headers["etag"] == etag


def test_a_mismatched_etag_gets_the_whole_listing_from_the_lane(app, client):
    r = client.get("/api/skills", headers={**bearer(app), "If-None-Match": '"other"'})
    assert r.status_code == 200 and r.json()["count"] > 0


def test_the_lane_asks_for_a_token_with_a_bearer_challenge(client):
    fast, slow = client.get("/api/skills"), client.get("/api/skills?refresh=false")
    assert fast.status_code == slow.status_code == 401
    assert fast.json() == slow.json()
    assert fast.headers["www-authenticate"] == slow.headers["www-authenticate"]


def test_the_lane_refuses_an_unknown_token_as_invalid(client):
    r = client.get("/api/skills", headers={"Authorization": "Bearer sk_api_nothing"})
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    assert 'error="invalid_token"' in r.headers["www-authenticate"]


def test_a_revoked_token_is_refused_by_the_lane_at_once(app, client):
    tokens = app.state.services.tokens
    token = tokens.mint_api_token(Identity.local("reader@example.com"))
    h = {"Authorization": f"Bearer {token}"}
    assert [client.get("/api/skills", headers=h).status_code for _ in range(2)] == [200, 200]
    tokens.revoke_api_token(token)
    assert client.get("/api/skills", headers=h).status_code == 401


def test_the_host_check_comes_before_the_lane(app, client):
    r = client.get("/api/skills", headers={**bearer(app), "Host": "evil.example"})
    assert r.status_code == 421 and r.json()["error"] == "misdirected_request"


def test_the_lane_is_counted_in_the_metrics_under_its_route(app, client):
    client.get("/api/skills", headers=bearer(app))
    text = client.get("/metrics").text
    assert 'skillport_http_requests_total{method="GET",route="/api/skills",status="200"}' in text


def test_an_unexpected_error_in_the_lane_is_the_framework_500(app, client, monkeypatch):
    def broken(*args: object) -> bytes:
        raise RuntimeError("boom")

    monkeypatch.setattr(listing, "listing_body", broken)
    r = client.get("/api/skills", headers=bearer(app))
    assert r.status_code == 500 and r.json()["error"] == "internal_error"
    assert "boom" not in r.text

"""The JSON documents MCP clients and Claude Code fetch by GET carry validators too: the
OAuth discovery metadata is the same for everybody (public, cacheable for a while, its
ETag the digest of its bytes, its URLs from the public URL and never from ``Host``); a
person's Claude Code marketplace.json is theirs alone and holds their credential, so no
cache may store it, but it is revalidated like every reading answer."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import skill_md
from serving import client_for

from skillport_connector.auth import Identity
from skillport_connector.conditional import METADATA_MAX_AGE, strong_etag
from skillport_connector.settings import demo_marketplace

METADATA = [
    "/.well-known/oauth-authorization-server",
    "/.well-known/oauth-protected-resource",
    "/.well-known/oauth-protected-resource/mcp",
    "/.well-known/oauth-protected-resource/sse",
]
MARKETPLACE = "/api/claude-code/marketplace.json"


@pytest.fixture
def market(tmp_path: Path) -> Path:
    return Path(shutil.copytree(demo_marketplace(), tmp_path / "market"))


@pytest.fixture
def app(make_app, market):
    return make_app(marketplace=market, min_refresh_interval=0)


@pytest.fixture
def client(app):
    return client_for(app)


# -- the discovery metadata ----------------------------------------------------------------


@pytest.mark.parametrize("path", METADATA)
def test_metadata_carries_the_digest_of_its_bytes_as_a_strong_etag(client, path):
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["etag"] == strong_etag(r.content)
    assert not r.headers["etag"].startswith("W/")


@pytest.mark.parametrize("path", METADATA)
def test_metadata_is_public_for_a_modest_while(client, path):
    r = client.get(path)
    assert r.headers["cache-control"] == f"public, max-age={METADATA_MAX_AGE}"
    assert 0 < METADATA_MAX_AGE <= 3600
    assert "pragma" not in r.headers


@pytest.mark.parametrize("path", METADATA)
def test_metadata_with_its_etag_back_gets_304_without_a_body(client, path):
    etag = client.get(path).headers["etag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"] == f"public, max-age={METADATA_MAX_AGE}"


def test_metadata_with_another_etag_gets_the_document(client):
    r = client.get(METADATA[0], headers={"If-None-Match": '"stale"'})
    assert r.status_code == 200 and r.json()["issuer"]


def test_metadata_documents_share_an_etag_exactly_when_they_share_their_bytes(client):
    answers = [client.get(path) for path in METADATA]
    by_etag = {r.headers["etag"]: r.content for r in answers}
    assert len(by_etag) == len({r.content for r in answers}) == 3  # the root names /mcp


def test_another_public_url_gives_other_metadata_and_another_etag(make_app, tmp_path):
    here = client_for(make_app(data_dir=tmp_path / "a"))
    there = client_for(
        make_app(data_dir=tmp_path / "b", host="0.0.0.0", public_url="https://skills.example.com")
    )
    for path in METADATA:
        mine, theirs = here.get(path), there.get(path)
        assert mine.json() != theirs.json()
        assert mine.headers["etag"] != theirs.headers["etag"]
    assert there.get(METADATA[0]).json()["issuer"] == "https://skills.example.com"


def test_metadata_takes_no_url_from_the_host_header(make_app, tmp_path):
    """Answered under any name the server accepts, the document (and so its ETag) is the
    same: a cache keyed by host can never hand one host's issuer to another."""
    app = make_app(data_dir=tmp_path / "a", port=8765)
    client = client_for(app)
    by_name = [
        client.get(path, headers={"Host": host})
        for path in METADATA
        for host in ("127.0.0.1:8765", "localhost:8765", "[::1]:8765")
    ]
    assert all(r.status_code == 200 for r in by_name)
    for path in METADATA:
        answers = [r for r in by_name if r.url.path == path]
        assert len({r.content for r in answers}) == 1
        assert len({r.headers["etag"] for r in answers}) == 1
        assert "localhost" not in answers[0].text and "[::1]" not in answers[0].text


def test_metadata_for_a_host_the_server_does_not_answer_to_is_never_served(client):
    r = client.get(METADATA[0], headers={"Host": "attacker.example"})
    assert r.status_code == 421 and "etag" not in r.headers


# -- the Claude Code marketplace.json ------------------------------------------------------


def credential(app, email: str = "reader@example.com") -> dict[str, str]:
    token = app.state.services.tokens.mint_api_token(Identity.local(email))
    made = client_for(app).post(
        "/api/claude-code/credentials", headers={"Authorization": f"Bearer {token}"}
    )
    assert made.status_code == 200, made.text
    return {"Authorization": f"Bearer {made.json()['credential']}"}


def test_the_marketplace_document_carries_an_etag_and_is_never_stored(app, client):
    r = client.get(MARKETPLACE, headers=credential(app))
    assert r.status_code == 200
    assert r.headers["etag"].startswith('"') and not r.headers["etag"].startswith("W/")
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["vary"] == "Authorization"


def test_the_marketplace_document_with_its_etag_back_gets_304(app, client):
    h = credential(app)
    etag = client.get(MARKETPLACE, headers=h).headers["etag"]
    again = client.get(MARKETPLACE, headers={**h, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag


def test_another_credential_of_the_same_person_has_another_etag(app, client):
    """The credential is in the document's git URL: the bytes differ, so must the ETag."""
    first, second = credential(app), credential(app)
    one, two = client.get(MARKETPLACE, headers=first), client.get(MARKETPLACE, headers=second)
    assert one.content != two.content
    assert one.headers["etag"] != two.headers["etag"]
    assert (
        client.get(
            MARKETPLACE, headers={**second, "If-None-Match": one.headers["etag"]}
        ).status_code
        == 200
    )


def test_the_unpublished_view_has_another_etag(app, client):
    h = credential(app)
    published = client.get(MARKETPLACE, headers=h).headers["etag"]
    everything = client.get(MARKETPLACE + "?unpublished=true", headers=h).headers["etag"]
    assert published != everything


def test_a_new_snapshot_changes_the_marketplace_etag(app, client, market):
    h = credential(app)
    before = client.get(MARKETPLACE, headers=h)
    skill = market / "plugins" / "writing" / "skills" / "brand-new"
    skill.mkdir(parents=True)
    (skill / "SKILL.md").write_text(skill_md("brand-new"))
    token = app.state.services.tokens.mint_api_token(Identity.local("reader@example.com"))
    client.get("/api/skills?refresh=true", headers={"Authorization": f"Bearer {token}"})
    after = client.get(MARKETPLACE, headers={**h, "If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]


def test_a_revoked_credential_gets_401_not_304(app, client):
    h = credential(app)
    etag = client.get(MARKETPLACE, headers=h).headers["etag"]
    token = app.state.services.tokens.mint_api_token(Identity.local("reader@example.com"))
    bearer = {"Authorization": f"Bearer {token}"}
    listed = client.get("/api/claude-code/credentials", headers=bearer).json()["credentials"]
    for c in listed:
        client.delete(f"/api/claude-code/credentials/{c['id']}", headers=bearer)
    assert client.get(MARKETPLACE, headers={**h, "If-None-Match": etag}).status_code == 401

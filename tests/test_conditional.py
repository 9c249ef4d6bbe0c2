"""Reading answers carry a strong ETag for the snapshot and the caller's view; a matching
If-None-Match gets 304 without the body; every such answer is private to its caller."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import skill_md
from serving import client_for

from skillport_connector.app import create_app
from skillport_connector.auth import Identity
from skillport_connector.settings import Settings, demo_marketplace

CHECK = {"installed": [{"name": "changelog", "version": "0.0.1"}]}


@pytest.fixture
def market(tmp_path: Path) -> Path:
    return Path(shutil.copytree(demo_marketplace(), tmp_path / "market"))


@pytest.fixture
def app(tmp_path: Path, market: Path):
    settings = Settings(
        marketplace=market,
        data_dir=tmp_path / "data",
        public_url="https://skills.example.com",
        min_refresh_interval=0,
        audit_log="",
    )
    return create_app(settings)


@pytest.fixture
def client(app):
    return client_for(app)


def auth(app, email: str = "reader@example.com") -> dict[str, str]:
    token = app.state.services.tokens.mint_api_token(Identity.local(email))
    return {"Authorization": f"Bearer {token}"}


READS = [
    ("GET", "/api/skills", None),
    ("GET", "/api/skills?surface=CC", None),
    ("GET", "/api/skills?q=notes", None),
    ("GET", "/api/skills/changelog", None),
    ("POST", "/api/check-updates", CHECK),
]


@pytest.mark.parametrize(("method", "path", "body"), READS)
def test_a_reading_answer_carries_a_strong_etag_and_is_private(app, client, method, path, body):
    r = client.request(method, path, headers=auth(app), json=body)
    assert r.status_code == 200
    assert r.headers["etag"].startswith('"') and not r.headers["etag"].startswith("W/")
    assert r.headers["cache-control"] == "private, no-cache"
    assert r.headers["vary"] == "Authorization"


@pytest.mark.parametrize(("method", "path", "body"), READS)
def test_the_same_etag_back_gets_304_without_a_body(app, client, method, path, body):
    h = auth(app)
    etag = client.request(method, path, headers=h, json=body).headers["etag"]
    again = client.request(method, path, headers={**h, "If-None-Match": etag}, json=body)
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag


def test_a_weak_or_listed_etag_matches_too(app, client):
    h = auth(app)
    etag = client.get("/api/skills", headers=h).headers["etag"]
    listed = {**h, "If-None-Match": f'"other", W/{etag}'}
    assert client.get("/api/skills", headers=listed).status_code == 304


def test_another_request_has_another_etag(app, client):
    h = auth(app)
    tags = {client.get(p, headers=h).headers["etag"] for p in ("/api/skills", "/api/skills?q=a")}
    other = client.post("/api/check-updates", headers=h, json={"installed": []})
    assert len(tags | {other.headers["etag"]}) == 3
    assert (
        other.headers["etag"]
        != client.post("/api/check-updates", headers=h, json=CHECK).headers["etag"]
    )


def test_a_new_snapshot_changes_the_etag(app, client, market):
    h = auth(app)
    before = client.get("/api/skills", headers=h).headers["etag"]
    skill = market / "plugins" / "writing" / "skills" / "brand-new"
    skill.mkdir(parents=True)
    (skill / "SKILL.md").write_text(skill_md("brand-new"))
    refreshed = client.get("/api/skills?refresh=true", headers=h)
    stale = client.get("/api/skills", headers={**h, "If-None-Match": before})
    assert stale.status_code == 200
    assert stale.headers["etag"] != before
    assert refreshed.status_code == 200


def test_a_mismatched_etag_gets_the_whole_answer(app, client):
    r = client.get("/api/skills/changelog", headers={**auth(app), "If-None-Match": '"nope"'})
    assert r.status_code == 200
    assert r.json()["skill"]["name"] == "changelog"


def test_a_skill_one_cannot_read_is_404_even_with_a_wildcard(app, client):
    r = client.get("/api/skills/no-such-skill", headers={**auth(app), "If-None-Match": "*"})
    assert r.status_code == 404


def test_a_conditional_request_still_needs_a_token(app, client):
    etag = client.get("/api/skills", headers=auth(app)).headers["etag"]
    assert client.get("/api/skills", headers={"If-None-Match": etag}).status_code == 401

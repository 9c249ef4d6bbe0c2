"""Opt-in paging of the listing and of search: limit and cursor; without limit, the
original shape."""

from __future__ import annotations

import pytest
from serving import build_app, signed_in_client

from skillport_connector.settings import demo_marketplace


@pytest.fixture
def client(tmp_path):
    app = build_app(
        tmp_path / "d", marketplace=demo_marketplace(), public_url="https://skills.example.com"
    )
    return signed_in_client(app, "p@example.com")


def test_without_limit_the_listing_keeps_its_shape(client):
    assert set(client.get("/api/skills").json()) == {"count", "surface_filter", "skills"}


def test_pages_walk_the_whole_listing_once(client):
    whole = [s["name"] for s in client.get("/api/skills").json()["skills"]]
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/skills", params=params).json()
        assert page["count"] == len(whole)
        assert len(page["skills"]) <= 2
        seen += [s["name"] for s in page["skills"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == whole


def test_search_pages_too(client):
    page = client.get("/api/skills", params={"q": "notes", "limit": 1}).json()
    assert len(page["skills"]) == 1 and "next_cursor" in page


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 1001}, {"limit": "x"}, {"cursor": "abc"},
               {"limit": 2, "cursor": "!!"}, {"limit": 2, "cursor": "eHl6"}],
)  # fmt: skip
def test_a_bad_limit_or_cursor_is_a_clear_400(client, params):
    r = client.get("/api/skills", params=params)
    assert r.status_code == 400
    assert set(r.json()) == {"error", "message"}

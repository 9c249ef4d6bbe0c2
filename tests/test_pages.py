"""The web pages over HTTP: sessions, CSRF, headers, caching and the sanitiser (no browser;
tests/test_pages_browser.py drives a real one)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import AppFactory
from pagesite import DEMO, EDITOR, READER, make_library
from serving import client_for
from starlette.testclient import TestClient

from skillport_connector.app import ConnectorApp, services_of
from skillport_connector.auth import Identity
from skillport_connector.auth.handlers.common import COOKIE as SIGN_IN_COOKIE
from skillport_connector.store import keys
from skillport_connector.web import listing
from skillport_connector.web.history import last_changed, skill_history
from skillport_connector.web.markdown import render_markdown
from skillport_connector.web.security import CSP
from skillport_connector.web.sessions import COOKIE
from skillport_connector.web.text import display


@pytest.fixture
def app(make_app: AppFactory, tmp_path: Path) -> ConnectorApp:
    return make_app(marketplace=make_library(tmp_path))


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    """With the lifespan started, as the server runs."""
    with client_for(app) as c:
        yield c


def sign_in(client: TestClient, email: str, next_path: str = "/") -> str:
    """The dev sign-in, as a browser does it; returns the session cookie."""
    start = client.get("/signin", params={"next": next_path}, follow_redirects=False)
    pending = start.headers["location"].split("pending=")[1]
    done = client.post("/login", data={"pending": pending, "email": email}, follow_redirects=False)
    opened = client.get(done.headers["location"], follow_redirects=False)
    assert opened.status_code == 303
    return str(client.cookies[COOKIE])


def csrf_of(client: TestClient) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text)
    assert match
    return match.group(1)


def test_a_visitor_who_has_not_signed_in_is_sent_to_sign_in_and_back(client):
    first = client.get("/skills/csv-profiler?x=1", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/signin?next=%2Fskills%2Fcsv-profiler%3Fx%3D1"
    start = client.get(first.headers["location"], follow_redirects=False)
    pending = start.headers["location"].split("pending=")[1]
    done = client.post("/login", data={"pending": pending, "email": READER}, follow_redirects=False)
    opened = client.get(done.headers["location"], follow_redirects=False)
    assert opened.headers["location"] == "/skills/csv-profiler?x=1"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example"])
def test_after_sign_in_the_browser_never_leaves_the_site(client, target):
    start = client.get("/signin", params={"next": target}, follow_redirects=False)
    pending = start.headers["location"].split("pending=")[1]
    done = client.post("/login", data={"pending": pending, "email": READER}, follow_redirects=False)
    assert client.get(done.headers["location"], follow_redirects=False).headers["location"] == "/"


def test_the_session_page_refuses_a_sign_in_started_in_another_browser(app, client):
    start = client.get("/signin", follow_redirects=False)
    pending = start.headers["location"].split("pending=")[1]
    client.post("/login", data={"pending": pending, "email": READER}, follow_redirects=False)
    with TestClient(app, base_url=str(client.base_url)) as other:
        stolen = other.get(f"/session?pending={pending}", follow_redirects=False)
    assert stolen.status_code == 400 and COOKIE not in stolen.cookies


def test_a_web_sign_in_cannot_be_turned_into_an_oauth_code(client):
    start = client.get("/signin", follow_redirects=False)
    pending = start.headers["location"].split("pending=")[1]
    client.post("/login", data={"pending": pending, "email": READER}, follow_redirects=False)
    consent = client.post("/consent", data={"pending": pending, "decision": "allow"})
    assert consent.status_code == 400 and "code=" not in consent.headers.get("location", "")


def test_the_session_cookie_is_httponly_lax_and_stored_only_as_a_hash(app, client):
    start = client.get("/signin", follow_redirects=False)
    pending = start.headers["location"].split("pending=")[1]
    done = client.post("/login", data={"pending": pending, "email": READER}, follow_redirects=False)
    opened = client.get(done.headers["location"], follow_redirects=False)
    header = opened.headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=lax" in header and "secure" not in header  # loopback
    token = opened.cookies[COOKIE]
    store = services_of(app).store
    assert store.get(keys.WEB_SESSION + token) is None
    assert store.get(keys.hashed(keys.WEB_SESSION, token)) is not None


def test_the_session_cookie_is_secure_behind_a_public_https_url(make_app, tmp_path):
    app = make_app(marketplace=make_library(tmp_path), public_url="https://skills.example.com")
    oauth = services_of(app).oauth
    pending_id = oauth.start_web("/")  # as /signin does, then the identity provider's callback
    oauth.signed_in(pending_id, Identity.local(READER))
    pending = oauth.pending(pending_id)
    assert pending is not None
    with client_for(app) as client:
        client.cookies.set(SIGN_IN_COOKIE, pending.browser)
        opened = client.get(f"/session?pending={pending_id}", follow_redirects=False)
    assert opened.status_code == 303
    assert "secure" in opened.headers["set-cookie"].lower()


def test_signing_in_again_rotates_the_cookie_and_revokes_the_old_session(client):
    first = sign_in(client, READER)
    second = sign_in(client, READER)
    assert first != second
    client.cookies.clear()
    client.cookies.set(COOKIE, first)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_signing_out_revokes_the_session_on_the_server(client):
    token = sign_in(client, READER)
    assert client.post("/signout", data={"csrf": csrf_of(client)}).status_code == 200
    client.cookies.clear()
    client.cookies.set(COOKIE, token)
    assert client.get("/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("csrf", [None, "", "forged"])
def test_a_form_without_the_sessions_csrf_token_is_refused(client, csrf):
    sign_in(client, READER)
    data = {} if csrf is None else {"csrf": csrf}
    assert client.post("/skills/commit-messages/install", data=data).status_code == 403
    assert client.post("/signout", data=data).status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200  # still signed in


def test_a_form_posted_from_another_site_is_refused(client):
    sign_in(client, READER)
    sent = client.post(
        "/signout", data={"csrf": csrf_of(client)}, headers={"Origin": "https://evil.example"}
    )
    assert sent.status_code == 403


def test_every_page_forbids_inline_script_and_framing(client):
    sign_in(client, EDITOR)
    for path in ("/", "/skills/csv-profiler", "/groups/engineering", "/admin", "/skills/nope"):
        response = client.get(path)
        assert response.headers["content-security-policy"] == CSP
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in CSP and "script-src 'self';" in CSP
        assert "<script>" not in response.text and " style=" not in response.text


def test_static_assets_have_content_hashes_and_long_cache_lifetimes(client):
    sign_in(client, READER)
    urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', client.get("/").text)
    assert len(urls) == 2 and all(re.search(r"\.[0-9a-f]{12}\.(css|js)$", u) for u in urls)
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert client.get("/static/app.000000000000.css").status_code == 404


def test_a_hidden_skill_is_as_absent_as_a_missing_one(client):
    sign_in(client, READER)
    hidden = client.get("/skills/incident-review")
    missing = client.get("/skills/no-such-skill")
    assert hidden.status_code == missing.status_code == 404
    assert "incident-review" not in client.get("/?q=incident").text


def test_the_admin_page_is_for_editors_only(client):
    sign_in(client, READER)
    assert client.get("/admin").status_code == 403


def test_the_catalog_is_not_rebuilt_while_nothing_changed(client, monkeypatch):
    calls = []
    original = listing.matching
    monkeypatch.setattr(
        "skillport_connector.web.catalog_page.matching",
        lambda *a: calls.append(1) or original(*a),
    )
    sign_in(client, READER)
    for _ in range(3):
        assert client.get("/?tag=writing").status_code == 200
    assert client.get("/?tag=writing&partial=1").status_code == 200
    assert len(calls) == 1


def test_the_catalog_page_is_compressed_for_browsers_that_accept_it(client):
    sign_in(client, READER)
    response = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert "csv-profiler" in response.text


def test_markdown_is_rendered_without_script_handlers_or_script_links():
    html = str(
        render_markdown(
            "# T\n\n<script>x()</script>\n\n<img src=x onerror=y()>\n\n"
            "[a](javascript:z()) [b](https://example.com)\n\n<a href='#' onclick='w()'>c</a>"
        )
    )
    assert "<script" not in html and "<img" not in html and '<a href="#"' not in html
    assert "javascript:" not in html.replace("[a](javascript:z())", "")
    assert '<a href="https://example.com" rel="noopener noreferrer nofollow">b</a>' in html
    assert html.startswith("<h2>T</h2>")  # one level down: the page has the only h1


def test_a_skills_history_lists_the_commits_that_touched_it(app):
    catalog = services_of(app).source.catalog
    history = skill_history(catalog, catalog.skills["csv-profiler"])
    assert history is not None
    assert [c.subject for c in history] == [
        "Tighten the CSV profiler's limits",
        "Import the demo library",
    ]
    assert history[0].author == "Bea Builder" and len(history[0].commit) == 40
    assert last_changed(catalog)["csv-profiler"] == history[0].date


def test_a_folder_library_has_no_history(make_app, tmp_path):
    folder = Path(shutil.copytree(DEMO, tmp_path / "plain"))
    app = make_app(marketplace=folder)
    catalog = services_of(app).source.catalog
    assert skill_history(catalog, catalog.skills["csv-profiler"]) is None
    assert last_changed(catalog) == {}


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("plain", "plain"),
        ({"name": "Ann", "email": "ann@example.com"}, "Ann <ann@example.com>"),
        ({"name": "Ann"}, "Ann"),
        (["a", "b", 3], "a, b, 3"),
        ({"nested": [1, {"x": 2}]}, '{"nested": [1, {"x": 2}]}'),
        ("x" * 5000, "x" * 1000),
    ],
)
def test_manifest_and_front_matter_values_read_as_text(value, shown):
    assert display(value) == shown

"""Packages behind content-addressed, signed, expiring links: no token in the URL, the
same bytes as the one-time install, cacheable by anyone in between until the link ends."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import skill_md
from serving import client_for

from skillport_connector import errors
from skillport_connector.app import create_app
from skillport_connector.auth import Identity
from skillport_connector.clock import FakeClock
from skillport_connector.names import MAX_NAME_LENGTH, MAX_PLUGIN_LENGTH, ref_problem
from skillport_connector.services.packages import PackageLinks
from skillport_connector.settings import Settings, demo_marketplace


@pytest.fixture
def market(tmp_path: Path) -> Path:
    return Path(shutil.copytree(demo_marketplace(), tmp_path / "market"))


@pytest.fixture
def app(tmp_path: Path, market: Path):
    return create_app(
        Settings(
            marketplace=market,
            data_dir=tmp_path / "data",
            public_url="https://skills.example.com",
            min_refresh_interval=0,
            audit_log="",
        )
    )


@pytest.fixture
def client(app):
    return client_for(app)


def ticket(app, client, name: str = "changelog") -> dict:
    token = app.state.services.tokens.mint_api_token(Identity.local("pkg@example.com"))
    r = client.get(f"/api/skills/{name}/install", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    return r.json()


def relative(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_the_install_answer_adds_a_signed_package_link_without_a_token(app, client):
    answer = ticket(app, client)
    url = answer["package_url"]
    assert url.startswith("https://skills.example.com/packages/")
    assert urlsplit(url).path == f"/packages/{answer['package_sha256']}.skill"
    assert set(parse_qs(urlsplit(url).query)) == {"skill", "exp", "sig"}
    assert answer["install_token"] not in url


def test_the_link_serves_the_same_bytes_as_the_install_token(app, client):
    answer = ticket(app, client)
    by_link = client.get(relative(answer["package_url"]))
    assert by_link.status_code == 200
    assert hashlib.sha256(by_link.content).hexdigest() == answer["package_sha256"]
    redeemed = client.get(f"/api/install/{answer['install_token']}?format=skill")
    assert redeemed.status_code == 200
    assert redeemed.content == by_link.content


def test_the_package_is_publicly_cacheable_until_the_link_ends(app, client):
    r = client.get(relative(ticket(app, client)["package_url"]))
    control = r.headers["cache-control"]
    assert control.startswith("public, max-age=") and control.endswith(", immutable")
    assert 0 < int(control.split("max-age=")[1].split(",")[0]) <= 900
    assert r.headers["etag"].strip('"') == hashlib.sha256(r.content).hexdigest()


def test_the_digest_as_etag_gets_304(app, client):
    url = relative(ticket(app, client)["package_url"])
    etag = client.get(url).headers["etag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


@pytest.mark.parametrize("part", ["sig", "skill", "exp"])
def test_a_tampered_link_is_refused(app, client, part):
    url = relative(ticket(app, client)["package_url"])
    changed = {"sig": "0" * 64, "skill": "house-style", "exp": "99999999999"}[part]
    query = parse_qs(urlsplit(url).query)
    query[part] = [changed]
    tampered = urlsplit(url).path + "?" + "&".join(f"{k}={v[0]}" for k, v in query.items())
    assert client.get(tampered).status_code == 403


@pytest.mark.parametrize(
    "path",
    ["/packages/nothex.skill?skill=changelog&exp=1&sig=x", "/packages/" + "a" * 64 + ".zip"],
)
def test_a_malformed_link_is_not_found(client, path):
    r = client.get(path)
    assert r.status_code == 404
    assert set(r.json()) == {"error", "message"}


def test_an_expired_link_is_gone(tmp_path):
    clock = FakeClock()
    links = PackageLinks("secret", tmp_path / "p", clock=clock, ttl=60)
    signed = PackageLinks("secret", tmp_path / "q", clock=clock, ttl=60)._sign("a" * 64, "x", 100)
    with pytest.raises(errors.Gone):
        links.verify("a" * 64 + ".skill", "x", "100", signed)


def test_another_secret_key_does_not_verify(tmp_path):
    ours, theirs = PackageLinks("one", tmp_path), PackageLinks("two", tmp_path)
    sig = theirs._sign("a" * 64, "x", 2_000_000_000)
    with pytest.raises(errors.Forbidden):
        ours.verify("a" * 64 + ".skill", "x", "2000000000", sig)


def test_an_instance_without_the_file_rebuilds_it_from_its_snapshot(app, client, tmp_path):
    url = relative(ticket(app, client)["package_url"])
    shutil.rmtree(tmp_path / "data" / "packages")
    assert client.get(url).status_code == 200


def test_a_link_to_a_package_that_changed_meanwhile_is_gone(app, client, tmp_path, market):
    answer = ticket(app, client)
    shutil.rmtree(tmp_path / "data" / "packages")
    skill_file = next(market.rglob("changelog/SKILL.md"))
    skill_file.write_text(skill_md("changelog", "Now does something else."))
    app.state.services.source.refresh()
    r = client.get(relative(answer["package_url"]))
    assert r.status_code == 410


def test_the_documented_skill_query_admits_the_longest_qualified_id(client):
    longest = "p" * MAX_PLUGIN_LENGTH + ":" + "s" * MAX_NAME_LENGTH
    assert ref_problem(longest) is None
    [param] = [
        p
        for p in client.get("/openapi.json").json()["paths"]["/packages/{file}"]["get"][
            "parameters"
        ]
        if p["name"] == "skill"
    ]
    assert param["schema"]["maxLength"] == len(longest)


def test_the_downloaded_file_is_named_for_the_bare_skill_name(app, client):
    url = relative(ticket(app, client)["package_url"])
    assert "%3A" in url or ":" in url.split("skill=")[1]  # the link names the qualified id
    disposition = client.get(url).headers["content-disposition"]
    assert disposition == 'attachment; filename="changelog.skill"'

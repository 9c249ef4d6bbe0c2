"""The Claude Code marketplace without Claude Code: credentials, what each person's
marketplace.json and git repository hold, and everything the git endpoint refuses (the
real git CLI against the app served on loopback)."""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import build_app
from serving import free_port, in_thread

from skillport_connector.auth import Identity
from skillport_connector.clock import FakeClock
from skillport_connector.errors import Conflict, NotFound
from skillport_connector.marketplace import githttp
from skillport_connector.marketplace.credentials import MAX_PER_PERSON, Credentials
from skillport_connector.marketplace.filtered import FilteredRepos, quote_path
from skillport_connector.marketplace.selection import select
from skillport_connector.marketplace.service import presented_token
from skillport_connector.redaction import redact_text
from skillport_connector.settings import demo_marketplace
from skillport_connector.store.sqlite import SQLiteStore

ED = Identity.local("ed@example.com")
ANN = Identity.local("ann@example.com")
ACCESS = {
    "version": "1.0",
    "editors": [{"id": ED.id}],
    "groups": {"engineering": {"read": "editors"}, "drafts": {"read": "editors"}},
    "defaults": {"read": "*", "write": "editors"},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("cc")
    market = root / "market"
    shutil.copytree(demo_marketplace(), market)
    (market / ".skillport/access.json").write_text(json.dumps(ACCESS))
    port = free_port()
    app = build_app(root / "data", marketplace=market, port=port)
    tokens = app.state.services.tokens
    with in_thread(app, port) as base:
        yield {
            "base": base,
            "app": app,
            "ed": {"Authorization": f"Bearer {tokens.mint_api_token(ED)}"},
            "ann": {"Authorization": f"Bearer {tokens.mint_api_token(ANN)}"},
        }


def mint(server: dict[str, Any], who: str, **body: Any) -> dict[str, Any]:
    r = httpx.post(f"{server['base']}/api/claude-code/credentials", json=body, headers=server[who])
    assert r.status_code == 200, r.text
    return dict(r.json())


def plugins(server: dict[str, Any], cred: dict[str, Any], unpublished: bool = False) -> set[str]:
    url = f"{server['base']}/api/claude-code/marketplace.json"
    r = httpx.get(url, params={"unpublished": str(unpublished).lower()}, headers=cred["headers"])
    assert r.status_code == 200, r.text
    return {p["name"] for p in r.json()["plugins"]}


def git(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "HOME": "/nonexistent", "GIT_TERMINAL_PROMPT": "0"}
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def authed(url: str, secret: str) -> str:
    return url.replace("http://", f"http://skillport:{secret}@")


# -- credentials ------------------------------------------------------------------------


def test_minting_answers_the_fields_claude_code_setup_uses(server):
    cred = mint(server, "ed", label="work laptop")
    name = cred["marketplace_name"]
    assert name == "skillport-demo" and cred["credential"].startswith("sk_cc_")
    assert cred["headers"] == {"Authorization": f"Bearer {cred['credential']}"}
    source = cred["settings"]["extraKnownMarketplaces"][name]["source"]
    assert source == {"source": "url", "url": cred["marketplace_url"], "headers": cred["headers"]}
    assert cred["marketplace_url"] == f"{server['base']}/api/claude-code/marketplace.json"
    assert cred["git"]["password"] == cred["credential"] and cred["label"] == "work laptop"


def test_minting_a_credential_is_audited_in_the_kebab_case_of_every_action(server):
    info = mint(server, "ed")
    [line] = [
        x
        for x in server["app"].state.services.audit.recent()
        if x.get("id") == info["credential_id"]
    ]
    assert (line["action"], line["result"]) == ("claude-code-credential", "created")


def test_the_list_names_each_credential_but_never_its_secret(server):
    cred = mint(server, "ann", label="desk")
    r = httpx.get(f"{server['base']}/api/claude-code/credentials", headers=server["ann"])
    listed = {c["id"]: c for c in r.json()["credentials"]}
    assert listed[cred["credential_id"]]["label"] == "desk"
    assert cred["credential"] not in r.text


def test_nobody_revokes_another_persons_credential(server):
    cred = mint(server, "ed")
    r = httpx.delete(
        f"{server['base']}/api/claude-code/credentials/{cred['credential_id']}",
        headers=server["ann"],
    )
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert plugins(server, cred)


def test_a_credential_reads_the_marketplace_only(server):
    cred = mint(server, "ed")
    for method, path in (
        ("GET", "/api/skills"),
        ("GET", "/api/claude-code/credentials"),
        ("POST", "/api/claude-code/credentials"),
    ):
        r = httpx.request(method, f"{server['base']}{path}", headers=cred["headers"], json={})
        assert r.status_code == 401, (path, r.text)


def test_the_marketplace_needs_a_credential(server):
    r = httpx.get(f"{server['base']}/api/claude-code/marketplace.json")
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    assert r.headers["www-authenticate"].startswith("Bearer")
    bad = {"Authorization": "Bearer sk_cc_not-a-real-one"}
    r = httpx.get(f"{server['base']}/api/claude-code/marketplace.json", headers=bad)
    assert r.status_code == 401


def test_http_basic_with_the_credential_as_password_is_accepted(server):
    cred = mint(server, "ann")
    basic = base64.b64encode(f"anyone:{cred['credential']}".encode()).decode()
    r = httpx.get(cred["marketplace_url"], headers={"Authorization": f"Basic {basic}"})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"


def test_credentials_fail_closed_when_their_person_no_longer_lists_them(tmp_path):
    creds = Credentials(SQLiteStore(tmp_path / "s.sqlite3"), FakeClock())
    secret, info = creds.mint(ED, "laptop")
    assert creds.identify(secret) == ED
    creds.store.put(creds._person_key(ED), {"items": []})
    assert creds.identify(secret) is None
    with pytest.raises(NotFound):
        creds.revoke(ED, info.id)


def test_one_person_holds_a_bounded_number_of_credentials(tmp_path):
    creds = Credentials(SQLiteStore(tmp_path / "s.sqlite3"), FakeClock())
    for _ in range(MAX_PER_PERSON):
        creds.mint(ANN, None)
    with pytest.raises(Conflict):
        creds.mint(ANN, None)
    assert len(creds.list(ANN)) == MAX_PER_PERSON and creds.list(ANN)[0].label == "Claude Code"


def test_credentials_are_redacted_from_logs():
    assert "sk_cc_" in redact_text("token sk_cc_abcdefgh") and "abcdefgh" not in redact_text(
        "token sk_cc_abcdefgh"
    )


# -- what each person's marketplace holds ---------------------------------------------------


def test_each_person_sees_only_the_claude_code_groups_they_may_read(server):
    ed, ann = mint(server, "ed"), mint(server, "ann")
    assert {"engineering", "brand", "skillport"} <= plugins(server, ed)
    assert "engineering" not in plugins(server, ann)
    assert "writing" not in plugins(server, ed) | plugins(server, ann)  # Claude Desktop/.ai only


def test_editors_may_opt_in_to_unpublished_groups(server):
    ed, ann = mint(server, "ed"), mint(server, "ann")
    assert "drafts" not in plugins(server, ed)
    assert "drafts" in plugins(server, ed, unpublished=True)
    assert "drafts" not in plugins(server, ann, unpublished=True)


def test_plugin_sources_are_the_persons_git_repository(server):
    cred = mint(server, "ann")
    r = httpx.get(cred["marketplace_url"], headers=cred["headers"])
    brand = next(p for p in r.json()["plugins"] if p["name"] == "brand")
    assert brand["source"] == {
        "source": "git-subdir",
        "url": authed(f"{server['base']}/git/published.git", cred["credential"]),
        "path": "plugins/brand",
    }
    skill = httpx.get(f"{server['base']}/api/skills/house-style", headers=server["ann"]).json()
    assert brand["version"].startswith(skill["skill"]["version"].split("+")[0] + "+sp.")


# -- the git endpoint ------------------------------------------------------------------------


def test_a_clone_holds_exactly_the_persons_skills(server, tmp_path):
    cred = mint(server, "ann")
    done = git("clone", "-q", authed(cred["git"]["url"], cred["credential"]), str(tmp_path / "c"))
    assert done.returncode == 0, done.stderr
    groups = {p.name for p in (tmp_path / "c/plugins").iterdir()}
    assert groups == plugins(server, cred)
    assert (tmp_path / "c/plugins/brand/.claude-plugin/plugin.json").is_file()


def test_git_is_reaped_by_asyncio_alone_with_its_exit_status(server, tmp_path, caplog):
    """Killing a git that already ended reaped it behind asyncio's back, which then logged
    "Unknown child process pid …, will report returncode 255" for every fetch."""
    cred = mint(server, "ann")
    url = authed(cred["git"]["url"], cred["credential"])
    with caplog.at_level(logging.WARNING, logger="asyncio"):
        for n in range(3):
            assert git("clone", "-q", url, str(tmp_path / f"c{n}")).returncode == 0
        deadline = time.monotonic() + 30
        while githttp._RUNNING and time.monotonic() < deadline:  # every git process reaped
            time.sleep(0.05)
    assert not githttp._RUNNING
    assert not [r.getMessage() for r in caplog.records if "child process" in r.getMessage()]


def test_the_clone_of_the_same_selection_is_the_same_commit(server, tmp_path):
    one, two = mint(server, "ann"), mint(server, "ann")
    heads = {
        git("ls-remote", authed(c["git"]["url"], c["credential"]), "HEAD").stdout.split()[0]
        for c in (one, two)
    }
    assert len(heads) == 1


def test_git_without_a_credential_gets_a_basic_challenge(server):
    r = httpx.get(f"{server['base']}/git/published.git/info/refs?service=git-upload-pack")
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Basic")


def test_pushing_is_refused(server, tmp_path):
    cred = mint(server, "ed")
    url = f"{server['base']}/git/published.git/info/refs?service=git-receive-pack"
    r = httpx.get(url, headers=cred["headers"])
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    work = tmp_path / "w"
    cloned = git("clone", "-q", authed(cred["git"]["url"], cred["credential"]), str(work))
    assert cloned.returncode == 0, cloned.stderr
    (work / "x").write_text("x")
    git("add", "x", cwd=work)
    git("-c", "user.name=x", "-c", "user.email=x@x", "commit", "-qm", "x", cwd=work)
    assert git("push", "-q", "origin", "HEAD", cwd=work).returncode != 0


@pytest.mark.parametrize(
    "path",
    ["/git/published.git/HEAD", "/git/published.git/objects/info/packs", "/git/other.git/HEAD"],
)
def test_the_dumb_protocol_and_other_repositories_are_not_served(server, path):
    cred = mint(server, "ed")
    r = httpx.get(f"{server['base']}{path}", headers=cred["headers"])
    assert r.status_code == 404 and r.json()["error"] == "not_found"


def test_a_wrong_method_on_info_refs_is_a_405_allowing_get_only(server):
    r = httpx.put(f"{server['base']}/git/published.git/info/refs?service=git-upload-pack")
    assert r.status_code == 405 and r.json()["error"] == "method_not_allowed"
    assert r.headers["allow"] == "GET" and "accepts GET." in r.json()["message"]


def test_a_wrong_method_on_upload_pack_is_a_405_allowing_post_only(server):
    r = httpx.get(f"{server['base']}/git/published.git/git-upload-pack")
    assert r.status_code == 405 and r.headers["allow"] == "POST"


# -- pure parts ------------------------------------------------------------------------------


def test_builds_are_deterministic_across_instances(server, tmp_path):
    services = server["app"].state.services
    view = services.view(ANN)
    selection = select(view.skills("CC"), unpublished=False, max_skill_bytes=1 << 20)
    one = FilteredRepos(tmp_path / "one").build(view.catalog, selection)
    two = FilteredRepos(tmp_path / "two").build(view.catalog, selection)
    assert one.commit == two.commit and one.repo == two.repo


def test_fast_import_paths_are_quoted():
    assert quote_path('a "b"\\c\nd é') == '"a \\"b\\"\\\\c\\012d é"'


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer sk_cc_x", "sk_cc_x"),
        ("Basic " + base64.b64encode(b"u:sk_cc_y").decode(), "sk_cc_y"),
        ("Basic " + base64.b64encode(b"sk_cc_z:").decode(), "sk_cc_z"),
        ("Basic !!!", None),
        ("Digest x", None),
        ("", None),
    ],
)
def test_the_presented_token_comes_from_bearer_or_basic(header, token):
    assert presented_token(header) == token


def test_a_change_of_access_applies_to_the_next_fetch_with_the_same_credential(tmp_path, make_app):
    market = tmp_path / "market"
    shutil.copytree(demo_marketplace(), market)
    (market / ".skillport/access.json").write_text(json.dumps(ACCESS))
    port = free_port()
    app = make_app(marketplace=market, port=port, min_refresh_interval=0)
    token = app.state.services.tokens.mint_api_token(ANN)
    with in_thread(app, port) as base:
        server = {"base": base, "ann": {"Authorization": f"Bearer {token}"}}
        cred = mint(server, "ann")
        assert "brand" in plugins(server, cred)
        hidden = {**ACCESS, "groups": {**ACCESS["groups"], "brand": {"read": "editors"}}}
        (market / ".skillport/access.json").write_text(json.dumps(hidden))
        app.state.services.source.refresh()
        assert "brand" not in plugins(server, cred)
        clone = git(
            "clone", "-q", authed(cred["git"]["url"], cred["credential"]), str(tmp_path / "c")
        )
        assert clone.returncode == 0, clone.stderr
        assert not (tmp_path / "c/plugins/brand").exists()


def test_a_credential_can_be_made_without_a_body(server):
    r = httpx.post(f"{server['base']}/api/claude-code/credentials", headers=server["ed"])
    assert r.status_code == 200, r.text
    assert r.json()["label"] == "Claude Code"


def test_a_selection_stays_within_its_size_bounds(server):
    skills = server["app"].state.services.view(ED).skills("CC")
    sizes = {s.name: sum(f.size for f in s.files) for s in skills}
    small = select(skills, unpublished=True, max_skill_bytes=min(sizes.values()))
    kept = [s.name for g in small.groups for s in g.skills]
    assert kept and all(sizes[n] == min(sizes.values()) for n in kept)
    none = select(skills, unpublished=True, max_skill_bytes=1 << 30, max_total_bytes=0)
    assert none.groups == ()

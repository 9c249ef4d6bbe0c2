"""access.json: the policy's rules one by one, then every role x endpoint x skill over HTTP."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import build_app
from gitserver import READ_TOKEN, WRITE_TOKEN, GitHttpServer, git
from serving import client_for
from starlette.testclient import TestClient
from test_editing import ACCESS, CORP, ED, READER, WRITER

from skillport_connector.access import AccessPolicy
from skillport_connector.auth import Identity
from skillport_connector.catalog import load_catalog
from skillport_connector.cli import main
from skillport_connector.clock import FakeClock
from skillport_connector.settings import demo_marketplace
from skillport_connector.sources.tree import MemoryTree

# -- the policy, rule by rule -----------------------------------------------------------------


def skill(name: str, group: str, published: bool = True):
    from skillport_connector.catalog import Skill

    return Skill(name, group, f"p/{name}", "d", "1.0.0", published, ())


def test_without_access_json_everyone_reads_and_nobody_writes():
    policy = AccessPolicy.open_default()
    assert policy.can_read(READER, skill("a", "g"))
    assert not policy.can_write(ED, skill("a", "g"))
    assert not policy.can_read(ED, skill("a", "g", published=False))


def test_skill_rule_wins_over_group_rule_and_defaults():
    policy = AccessPolicy.parse(
        {
            "skills": {"a": {"read": [READER.id]}},
            "groups": {"g": {"read": "editors"}},
            "defaults": {"read": "*"},
        }
    )
    assert policy.can_read(READER, skill("a", "g"))
    assert not policy.can_read(CORP, skill("a", "g"))
    assert not policy.can_read(READER, skill("b", "g"))  # group rule
    assert policy.can_read(READER, skill("c", "other"))  # default


def test_principals_user_everyone_editors_and_domain():
    policy = AccessPolicy.parse(
        {
            "editors": [{"id": ED.id}],
            "skills": {
                "u": {"write": [{"id": WRITER.id, "label": "w"}]},
                "e": {"write": "editors"},
                "d": {"write": ["domain:corp.example"]},
                "s": {"write": "*"},
            },
        }
    )
    assert policy.can_write(WRITER, skill("u", "g")) and not policy.can_write(ED, skill("u", "g"))
    assert policy.can_write(ED, skill("e", "g")) and not policy.can_write(WRITER, skill("e", "g"))
    assert policy.can_write(CORP, skill("d", "g")) and not policy.can_write(READER, skill("d", "g"))
    assert policy.can_write(READER, skill("s", "g"))


def test_domain_match_is_exact_not_a_suffix():
    policy = AccessPolicy.parse({"defaults": {"read": ["domain:corp.example"]}})
    assert not policy.can_read(Identity.local("x@evilcorp.example"), skill("a", "g"))
    assert not policy.can_read(Identity.local("x@corp.example.evil.com"), skill("a", "g"))


def test_unpublished_skills_are_visible_only_to_writers():
    policy = AccessPolicy.parse({"editors": [{"id": ED.id}]})
    draft = skill("a", "g", published=False)
    assert policy.can_read(ED, draft) and not policy.can_read(READER, draft)


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        '{"editors": "ed"}',
        '{"editors": [{"label": "no id"}]}',
        '{"skills": {"a": {"read": 5}}}',
        '{"skills": {"a": {"raed": "*"}}}',
        '{"defaults": {"read": ["bob"]}}',
        '{"groups": {"g": {"write": ["domain:"]}}}',
        "[]",
    ],
)
def test_a_malformed_access_json_denies_everything_and_says_why(text):
    policy = AccessPolicy.from_tree(MemoryTree({".skillport/access.json": text}))
    assert policy.error
    assert not policy.can_read(READER, skill("a", "g"))
    assert not policy.can_write(ED, skill("a", "g"))
    assert not policy.is_editor(ED)
    [finding] = policy.findings()
    assert finding.level == "error" and finding.file == ".skillport/access.json"


def test_a_malformed_access_json_finding_names_the_file_and_its_line_once():
    text = '{\n  "editors": [],\n  "skills": {},,\n  "defaults": {}\n}\n'
    policy = AccessPolicy.from_tree(MemoryTree({".skillport/access.json": text}))
    [finding] = policy.findings()
    assert (finding.file, finding.line) == (".skillport/access.json", 3)
    assert str(finding).startswith(".skillport/access.json:3: error: is not valid JSON")
    assert str(finding).count("access.json") == 1
    assert policy.error is not None and policy.error.startswith(".skillport/access.json:3: ")


def test_validate_reports_a_malformed_access_json(tmp_path: Path, capsys):
    folder = shutil.copytree(demo_marketplace(), tmp_path / "m")
    (folder / ".skillport/access.json").write_text('{"editors": 1}')
    assert main(["validate", str(folder)]) == 1
    assert ".skillport/access.json: error: " in capsys.readouterr().out


def test_a_rule_naming_no_skill_or_group_is_a_warning():
    catalog = load_catalog(
        MemoryTree(
            {
                ".claude-plugin/marketplace.json": json.dumps(
                    {"name": "m", "plugins": [{"name": "tools", "source": "./plugins/tools"}]}
                ),
                "plugins/tools/skills/secret/SKILL.md": "---\nname: secret\ndescription: d\n---\n",
            }
        )
    )
    policy = AccessPolicy.parse(
        {
            "skills": {"Secret": {"read": ["editors"]}, "secret": {"read": ["editors"]}},
            "groups": {"Tools": {"read": ["editors"]}, "tools": {"read": ["editors"]}},
        }
    )
    findings = policy.findings(catalog)
    assert [(f.level, f.file) for f in findings] == [("warning", ".skillport/access.json")] * 2
    assert "skills.Secret:" in findings[0].message and "groups.Tools:" in findings[1].message
    assert policy.findings() == []  # without the catalog, only a malformed file is a finding


def test_demo_policy_makes_the_local_developer_an_editor():
    catalog = load_catalog(
        MemoryTree(
            {".skillport/access.json": (demo_marketplace() / ".skillport/access.json").read_text()}
        )
    )
    assert AccessPolicy.for_catalog(catalog).is_editor(Identity.local("developer@localhost"))


# -- the HTTP matrix --------------------------------------------------------------------------

ROLES = {"editor": ED, "writer": WRITER, "corp": CORP, "reader": READER}
# What ACCESS grants: skill -> (who reads, who writes); editors are ED only.
SKILLS = {
    "meeting-notes": ({"editor", "writer", "corp", "reader"}, {"writer"}),  # published, skill rule
    "house-style": ({"editor", "corp"}, {"editor"}),  # published, read by domain
    "commit-messages": ({"editor"}, {"editor"}),  # published, group read: editors
    "incident-review": ({"editor"}, {"editor"}),  # unpublished
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("matrix")
    seed = shutil.copytree(demo_marketplace(), tmp / "seed")
    (seed / ".skillport/access.json").write_text(json.dumps(ACCESS))
    server = GitHttpServer(tmp / "remote")
    server.create_repo("market", seed)
    server.start()
    app = build_app(
        tmp / "data",
        clock=FakeClock(),
        marketplace=server.url("market"),
        git_read_token=READ_TOKEN,
        git_write_token=WRITE_TOKEN,
        poll_interval=0,
        min_refresh_interval=0,
    )
    initial = git("rev-parse", "main", cwd=server.root / "market.git").strip()
    tokens = {role: app.state.services.tokens.mint_api_token(who) for role, who in ROLES.items()}
    yield server, app, client_for(app), tokens, initial
    server.stop()


def reset(world) -> None:
    server, app, _, _, initial = world
    git("update-ref", "refs/heads/main", initial, cwd=server.root / "market.git")
    app.state.services.source.check()


def expected(endpoint: str, role: str, name: str) -> int:
    readers, writers = SKILLS[name]
    if role not in readers:
        # Saving to an unseen name means creating it, which non-editors may not do:
        # the same 403 as for a name that does not exist, so nothing leaks.
        return 403 if endpoint == "save" and role != "editor" else 404
    if endpoint in ("list", "get", "install", "package"):
        return 200
    if endpoint == "publish":
        return 200 if role == "editor" else 403
    return 200 if role in writers else 403


def call(client: TestClient, token: str, endpoint: str, name: str):
    h = {"Authorization": f"Bearer {token}"}
    if endpoint == "list":
        names = {s["name"] for s in client.get("/api/skills", headers=h).json()["skills"]}
        return 200 if name in names else 404
    if endpoint == "get":
        return client.get(f"/api/skills/{name}", headers=h).status_code
    if endpoint == "install":
        return client.get(f"/api/skills/{name}/install", headers=h).status_code
    if endpoint == "package":
        return client.get(f"/api/skills/{name}/package", headers=h).status_code
    if endpoint == "edit":
        return client.get(f"/api/skills/{name}/edit", headers=h).status_code
    if endpoint == "save":
        body = {"files": [{"path": "matrix.md", "content": "m\n"}]}
        return client.post(f"/api/skills/{name}", headers=h, json=body).status_code
    if endpoint == "bump":
        return client.post(
            f"/api/skills/{name}/bump", headers=h, json={"type": "patch"}
        ).status_code
    if endpoint == "publish":
        body = {"description": "d", "tags": ["surface:CALL"]}
        return client.post(f"/api/skills/{name}/publish", headers=h, json=body).status_code
    if endpoint == "delete":
        return client.delete(f"/api/skills/{name}?confirm=true", headers=h).status_code
    raise AssertionError(endpoint)


ENDPOINTS = ["list", "get", "install", "package", "edit", "save", "bump", "publish", "delete"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_access_matrix(world, endpoint):
    _, _, client, tokens, _ = world
    got, want = {}, {}
    for role in ROLES:
        for name in SKILLS:
            want[role, name] = expected(endpoint, role, name)
            got[role, name] = call(client, tokens[role], endpoint, name)
            if got[role, name] == 200 and endpoint in ("save", "bump", "publish", "delete"):
                reset(world)
    assert got == want


def test_install_token_is_rechecked_against_the_policy_at_redemption(world):
    server, app, client, tokens, _ = world
    h = {"Authorization": f"Bearer {tokens['corp']}"}
    ticket = client.get("/api/skills/house-style/install", headers=h).json()
    tightened = dict(ACCESS, skills={"house-style": {"read": [ED.id]}})
    server.push_change("market", {".skillport/access.json": json.dumps(tightened)}, "Tighten")
    app.state.services.source.check()
    try:
        assert client.get(f"/api/install/{ticket['install_token']}").status_code == 404
    finally:
        reset(world)


def test_a_malformed_access_json_in_the_repo_closes_everything_and_shows_in_healthz(world):
    server, app, client, tokens, _ = world
    server.push_change("market", {".skillport/access.json": "{broken"}, "Oops")
    app.state.services.source.check()
    try:
        h = {"Authorization": f"Bearer {tokens['editor']}"}
        assert client.get("/api/skills", headers=h).json()["count"] == 0
        assert (
            client.post("/api/skills/changelog/bump", headers=h, json={"type": "patch"}).status_code
            == 404
        )
        health = client.get("/healthz", headers=h).json()  # details need a token
        assert health["access"]["ok"] is False and "not valid JSON" in health["access"]["error"]
        assert health["errors"] == 1  # counted like the banner and `validate` count it
    finally:
        reset(world)


def test_a_domain_rule_matches_only_a_verified_domain():
    """Issue 9 #11: an e-mail address the identity provider did not verify matches no
    ``domain:`` rule, for reading as for writing."""
    policy = AccessPolicy.parse(
        {"defaults": {"read": "domain:example.com", "write": "domain:example.com"}}
    )
    unverified = Identity(id="oidc:1", email="eve@example.com", name="eve")
    verified = Identity(
        id="oidc:2", email="kim@example.com", name="kim", verified_domains=("example.com",)
    )
    doc = skill("s", "g")
    assert not policy.can_read(unverified, doc) and not policy.can_write(unverified, doc)
    assert policy.can_read(verified, doc) and policy.can_write(verified, doc)

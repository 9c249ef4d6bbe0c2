"""Editor operations against a real git server: one commit each, conflict-safe, validated."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import AppFactory, skill_md
from gitserver import READ_TOKEN, WRITE_TOKEN, GitHttpServer, git
from serving import client_for, free_port, in_thread

from skillport_connector.app import ConnectorApp
from skillport_connector.auth import Identity
from skillport_connector.catalog import load_catalog
from skillport_connector.settings import demo_marketplace
from skillport_connector.sources.tree import DirectoryTree

ED = Identity.local("ed@example.com", name="Ed Itor")
WRITER = Identity.local("writer@example.com", name="Wri Ter")
CORP = Identity.local("x@corp.example", name="Corp Person")
READER = Identity.local("ann@example.com", name="Ann")
ACCESS = {
    "version": "1.0",
    "editors": [{"id": ED.id, "label": ED.email}]
    + [{"id": f"local:ed{i}@example.com"} for i in range(10)],
    "skills": {
        "meeting-notes": {"write": [WRITER.id]},
        "house-style": {"read": ["domain:corp.example"]},
    },
    "groups": {"engineering": {"read": "editors"}},
    "defaults": {"read": "*", "write": "editors"},
}


@pytest.fixture
def server(tmp_path: Path):
    seed = tmp_path / "seed"
    shutil.copytree(demo_marketplace(), seed)
    (seed / ".skillport/access.json").write_text(json.dumps(ACCESS, indent=2))
    with GitHttpServer.serving(tmp_path / "remote", seed) as srv:
        yield srv


def editable(server: GitHttpServer, *, write_token: str | None = WRITE_TOKEN) -> dict[str, Any]:
    """The settings of a connector that edits ``server``'s marketplace (for ``make_app``)."""
    return {
        "marketplace": server.url("market"),
        "git_read_token": READ_TOKEN,
        "git_write_token": write_token,
        "poll_interval": 0,
        "min_refresh_interval": 0,
        "public_url": "http://skills.test",
    }


@pytest.fixture
def app(make_app: AppFactory, server: GitHttpServer, tmp_path: Path) -> ConnectorApp:
    return make_app(**editable(server), audit_log=str(tmp_path / "audit.jsonl"))


def auth(app, who: Identity) -> dict[str, str]:
    return {"Authorization": f"Bearer {app.state.services.tokens.mint_api_token(who)}"}


def bare(server: GitHttpServer) -> Path:
    return server.root / "market.git"


def head(server: GitHttpServer) -> str:
    return git("rev-parse", "main", cwd=bare(server)).strip()


def show(server: GitHttpServer, path: str, ref: str = "main") -> str:
    return git("show", f"{ref}:{path}", cwd=bare(server))


def commit_files(server: GitHttpServer, ref: str = "main") -> list[str]:
    out = git("show", "--name-only", "--format=", ref, cwd=bare(server))
    return sorted(line for line in out.splitlines() if line)


def tree_errors(server: GitHttpServer, tmp_path: Path) -> list[str]:
    """What `validate` says about the branch as it is on the server."""
    work = tmp_path / f"check-{time.monotonic_ns()}"
    git("clone", "-q", str(bare(server)), str(work))
    return [str(f) for f in load_catalog(DirectoryTree(work)).errors]


def save(client, headers, name: str, files: dict[str, str], **extra):
    body = {"files": [{"path": p, "content": c} for p, c in files.items()], **extra}
    return client.post(f"/api/skills/{name}", headers=headers, json=body)


# -- one commit per operation -----------------------------------------------------------------


def test_save_is_one_commit_with_a_requested_by_trailer(server, app, client, tmp_path):
    before = head(server)
    response = save(
        client,
        auth(app, WRITER),
        "meeting-notes",
        {"examples.md": "# Examples\n"},
        commitMessage="Add examples",
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["commit"] == head(server)
    assert git("rev-parse", f"{result['commit']}^", cwd=bare(server)).strip() == before
    message = git("log", "-1", "--format=%B", cwd=bare(server))
    # commitMessage is the commit's message, as the original connector's.
    assert message.startswith("Add examples\n\nRequested-by: ")
    assert result["message"] == "Add examples"  # the answer says what the commit says
    assert f"Requested-by: Wri Ter <writer@example.com> ({WRITER.id})" in message
    assert (
        git("log", "-1", "--format=%an <%ae>", cwd=bare(server)).strip()
        == "Wri Ter <writer@example.com>"
    )
    assert commit_files(server) == ["plugins/writing/skills/meeting-notes/examples.md"]
    assert show(server, "plugins/writing/skills/meeting-notes/examples.md") == "# Examples\n"
    assert tree_errors(server, tmp_path) == []


def test_a_save_is_visible_at_once_to_its_author(app, client):
    headers = auth(app, WRITER)
    save(client, headers, "meeting-notes", {"examples.md": "x\n"})
    files = client.get("/api/skills/meeting-notes", headers=headers).json()["files"]
    assert "examples.md" in files


def test_multi_file_save_with_a_binary_and_a_deletion_is_one_commit(server, app, client):
    headers = auth(app, ED)
    response = client.post(
        "/api/skills/proposal-writer",
        headers=headers,
        json={
            "files": [
                {"path": "templates/proposal.md", "content": ""},
                {"path": "assets/stamp.bin", "content": "AAEC/w==", "encoding": "base64"},
                {"path": "SKILL.md", "content": skill_md("proposal-writer", "Drafts proposals.")},
            ]
        },
    )
    assert response.status_code == 200, response.text
    assert commit_files(server) == [
        "plugins/writing/skills/proposal-writer/SKILL.md",
        "plugins/writing/skills/proposal-writer/assets/stamp.bin",
        "plugins/writing/skills/proposal-writer/templates/proposal.md",
    ]
    blob = subprocess.run(
        ["git", "cat-file", "-p", "main:plugins/writing/skills/proposal-writer/assets/stamp.bin"],
        cwd=bare(server),
        capture_output=True,
        check=True,
    ).stdout
    assert blob == b"\x00\x01\x02\xff"


def test_new_skill_in_a_new_group_gets_plugin_json_and_stays_unpublished(server, app, client):
    headers = auth(app, ED)
    response = save(
        client,
        headers,
        "pitch-deck",
        {"SKILL.md": skill_md("pitch-deck", "Builds pitch decks.")},
        skill_group="sales",
        plugin_metadata={"description": "Sales helpers"},
    )
    assert response.status_code == 200, response.text
    manifest = json.loads(show(server, "plugins/sales/.claude-plugin/plugin.json"))
    # author and license default as the original connector's did: the editor, MIT.
    assert manifest == {
        "name": "sales",
        "version": "1.0.0",
        "description": "Sales helpers",
        "author": {"name": "Ed Itor", "email": "ed@example.com"},
        "license": "MIT",
        "keywords": [],
    }
    assert json.loads(show(server, ".claude-plugin/marketplace.json")) == json.loads(
        show(server, ".claude-plugin/marketplace.json", "main~1")
    )
    listed = {s["name"]: s for s in client.get("/api/skills", headers=headers).json()["skills"]}
    assert listed["pitch-deck"]["published"] is False
    assert "pitch-deck" not in {
        s["name"] for s in client.get("/api/skills", headers=auth(app, READER)).json()["skills"]
    }


def test_publish_adds_the_marketplace_entry_in_one_commit(server, app, client):
    headers = auth(app, ED)
    save(client, headers, "pitch-deck", {"SKILL.md": skill_md("pitch-deck")}, skill_group="sales",
         plugin_metadata={"description": "Sales helpers"})  # fmt: skip
    response = client.post(
        "/api/skills/pitch-deck/publish",
        headers=headers,
        json={
            "description": "Sales helpers",
            "tags": ["surface:CALL", "sales"],
            "category": "sales",
        },
    )
    assert response.status_code == 200, response.text
    assert commit_files(server) == [".claude-plugin/marketplace.json"]
    entry = json.loads(show(server, ".claude-plugin/marketplace.json"))["plugins"][-1]
    assert entry == {
        "name": "sales",
        "source": "./plugins/sales",
        "description": "Sales helpers",
        "version": "1.0.0",
        "category": "sales",
        "tags": ["surface:CALL", "sales"],
    }
    reader = {
        s["name"] for s in client.get("/api/skills", headers=auth(app, READER)).json()["skills"]
    }
    assert "pitch-deck" in reader


def test_publish_needs_a_surface_tag(app, client):
    response = client.post(
        "/api/skills/incident-review/publish",
        headers=auth(app, ED),
        json={"description": "d", "tags": ["x"]},
    )
    assert response.status_code == 400 and "surface" in response.json()["message"]


def test_bump_changes_plugin_json_and_the_entry_in_the_same_commit(server, app, client):
    response = client.post(
        "/api/skills/changelog/bump", headers=auth(app, ED), json={"type": "minor"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["version"] == "1.5.0"
    assert commit_files(server) == [
        ".claude-plugin/marketplace.json",
        "plugins/engineering/.claude-plugin/plugin.json",
    ]
    assert (
        json.loads(show(server, "plugins/engineering/.claude-plugin/plugin.json"))["version"]
        == "1.5.0"
    )
    entries = json.loads(show(server, ".claude-plugin/marketplace.json"))["plugins"]
    assert next(e for e in entries if e["name"] == "engineering")["version"] == "1.5.0"
    assert (
        client.get("/api/skills/changelog", headers=auth(app, ED)).json()["skill"]["version"]
        == "1.5.0"
    )


def test_delete_needs_confirmation(app, client):
    response = client.delete("/api/skills/changelog", headers=auth(app, ED))
    assert response.status_code == 400 and "confirm=true" in response.json()["message"]


def test_delete_removes_the_skill_folder_in_one_commit(server, app, client, tmp_path):
    response = client.delete("/api/skills/changelog?confirm=true", headers=auth(app, ED))
    assert response.status_code == 200, response.text
    assert commit_files(server) == ["plugins/engineering/skills/changelog/SKILL.md"]
    entries = json.loads(show(server, ".claude-plugin/marketplace.json"))["plugins"]
    assert "engineering" in [e["name"] for e in entries]  # the group keeps commit-messages
    assert tree_errors(server, tmp_path) == []


def test_deleting_the_last_skill_removes_the_group_and_its_entry(server, app, client, tmp_path):
    response = client.delete("/api/skills/csv-profiler?confirm=true", headers=auth(app, ED))
    assert response.status_code == 200, response.text
    files = commit_files(server)
    assert ".claude-plugin/marketplace.json" in files
    assert "plugins/data-tools/.claude-plugin/plugin.json" in files
    assert "plugins/data-tools/skills/csv-profiler/assets/logo.png" in files
    names = [
        e["name"] for e in json.loads(show(server, ".claude-plugin/marketplace.json"))["plugins"]
    ]
    assert "data-tools" not in names
    assert tree_errors(server, tmp_path) == []


def test_edit_token_round_trip_returns_the_files_without_install_extras(app, client):
    headers = auth(app, ED)
    ticket = client.get("/api/skills/csv-profiler/edit", headers=headers).json()
    assert (
        ticket["command"]
        == f"curl -sf http://skills.test/edit.sh | bash -s -- {ticket['edit_token']}"
    )
    payload = client.get(f"/api/edit/{ticket['edit_token']}").json()
    assert sorted(f["path"] for f in payload["files"]) == [
        "SKILL.md",
        "assets/logo.png",
        "scripts/profile_csv.py",
    ]
    assert client.get(f"/api/edit/{ticket['edit_token']}").status_code == 410
    assert 'MODE="edit"' in client.get("/edit.sh").text


def test_audit_log_has_one_line_per_action(app, client, tmp_path):
    save(client, auth(app, WRITER), "meeting-notes", {"a.md": "a\n"})
    client.post("/api/skills/changelog/bump", headers=auth(app, READER), json={"type": "patch"})
    lines = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert [(x["action"], x["user"], x["result"]) for x in lines] == [
        ("save", WRITER.id, "ok"),
        ("bump", READER.id, "refused:404"),
    ]
    assert (
        lines[0]["commit"] and lines[0]["group"] == "writing" and lines[0]["email"] == WRITER.email
    )


# -- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "files, status",
    [
        ({"../escape.md": "x"}, 400),
        ({"/abs.md": "x"}, 400),
        ({"a\\b.md": "x"}, 400),
        ({".git/config": "x"}, 400),
        ({".claude-plugin/plugin.json": "{}"}, 400),
        ({"SKILL.md": ""}, 400),
        ({"missing.md": ""}, 400),
        ({"SKILL.md": "---\nname: other\ndescription: d\n---\n"}, 400),
        # Repository and marketplace configuration, wherever it sits in the folder.
        ({".gitattributes": "* filter=evil\n"}, 400),
        ({"sub/.gitignore": "*\n"}, 400),
        ({".skillport/access.json": "{}"}, 400),
        ({"sub/.claude-plugin/plugin.json": "{}"}, 400),
        # Content the front-matter parser refuses: a bad request, never a 500.
        ({"SKILL.md": skill_md("changelog", extra="updated: 2024-02-30\n")}, 400),
        ({"SKILL.md": skill_md("changelog", extra=f"size: {'9' * 5000}\n")}, 400),
        ({"SKILL.md": skill_md("changelog", extra=f"deep: {'[' * 5000}{']' * 5000}\n")}, 400),
    ],
)
def test_bad_saves_are_refused_and_write_nothing(server, app, client, files, status):
    before = head(server)
    response = save(client, auth(app, ED), "changelog", files)
    assert response.status_code == status, response.text
    assert set(response.json()) == {"error", "message"}
    assert head(server) == before


def test_a_change_that_adds_catalog_errors_is_refused_with_400(server, app, client):
    before = head(server)
    long = skill_md("changelog", "x" * 1100)
    response = save(client, auth(app, ED), "changelog", {"SKILL.md": long})
    assert response.status_code == 400
    assert "description is 1100 characters" in response.json()["message"]
    assert head(server) == before


def test_new_group_without_metadata_is_400(app, client):
    response = save(
        client, auth(app, ED), "new-one", {"SKILL.md": skill_md("new-one")}, skill_group="brand-new"
    )
    assert response.status_code == 400 and "plugin_metadata" in response.json()["message"]


def test_non_editors_cannot_create_skills(app, client):
    response = save(
        client, auth(app, WRITER), "mine", {"SKILL.md": skill_md("mine")}, skill_group="writing"
    )
    assert response.status_code == 403


def test_malformed_json_body_is_400(app, client):
    response = client.post(
        "/api/skills/changelog",
        headers={**auth(app, ED), "Content-Type": "application/json"},
        content=b"{nope",
    )
    assert response.status_code == 400 and response.json()["error"] == "bad_request"


def test_push_with_a_read_only_token_fails_with_503_and_writes_nothing(server, make_app):
    app = make_app(**editable(server, write_token=None))
    client = client_for(app)
    before = head(server)
    response = save(client, auth(app, ED), "changelog", {"notes.md": "n\n"})
    assert response.status_code == 503
    assert READ_TOKEN not in response.text
    assert head(server) == before
    assert client.get("/api/skills/changelog", headers=auth(app, ED)).json()["files"] == [
        "SKILL.md"
    ]


def test_remote_down_during_a_save_is_503_and_nothing_changes(server, app, client):
    before = head(server)
    server.stop()
    response = save(client, auth(app, ED), "changelog", {"notes.md": "n\n"})
    assert response.status_code == 503
    server.start()
    assert head(server) == before


def test_plain_folder_marketplace_is_read_only(make_app, tmp_path):
    folder = shutil.copytree(demo_marketplace(), tmp_path / "plain")
    app = make_app(marketplace=folder)
    response = save(client_for(app), auth(app, ED), "changelog", {"notes.md": "n"})
    assert response.status_code == 503 and "read-only" in response.json()["message"]


# -- what a save may touch --------------------------------------------------------------------

ROOT_ACCESS = {
    "version": "1.0",
    "editors": [{"id": ED.id}],
    "skills": {"root-skill": {"write": [WRITER.id]}},
}


@pytest.fixture
def root_market(tmp_path: Path):
    """A marketplace whose root folder is itself a skill (``source: "./"``), writable by
    WRITER, next to a hidden plugin."""
    seed = tmp_path / "root-seed"
    (seed / ".claude-plugin").mkdir(parents=True)
    (seed / ".claude-plugin/marketplace.json").write_text(
        json.dumps({"name": "m", "owner": {"name": "o"},
                    "plugins": [{"name": "root-skill", "source": "./"}]})
    )  # fmt: skip
    (seed / "SKILL.md").write_text(skill_md("root-skill"))
    (seed / ".skillport").mkdir()
    (seed / ".skillport/access.json").write_text(json.dumps(ROOT_ACCESS))
    with GitHttpServer.serving(tmp_path / "root-remote", seed) as srv:
        yield srv


def test_a_writer_of_a_root_skill_cannot_save_into_the_whole_marketplace(root_market, make_app):
    app = make_app(**editable(root_market))
    client = client_for(app)
    assert "root-skill" in {
        s["name"] for s in client.get("/api/skills", headers=auth(app, WRITER)).json()["skills"]
    }
    before = head(root_market)
    escalate = dict(ROOT_ACCESS, editors=[{"id": ED.id}, {"id": WRITER.id}])
    response = save(
        client, auth(app, WRITER), "root-skill", {".skillport/access.json": json.dumps(escalate)}
    )
    assert response.status_code == 400, response.text
    assert "root" in response.json()["message"]
    response = save(client, auth(app, WRITER), "root-skill", {"notes.md": "n\n"})
    assert response.status_code == 400  # the same rule as delete: change it in git
    assert head(root_market) == before


@pytest.fixture
def looped_market(tmp_path: Path):
    """The demo with a ``self -> .`` link inside the changelog skill."""
    seed = tmp_path / "loop-seed"
    shutil.copytree(demo_marketplace(), seed)
    (seed / ".skillport/access.json").write_text(json.dumps(ACCESS, indent=2))
    (seed / "plugins/engineering/skills/changelog/self").symlink_to(".")
    with GitHttpServer.serving(tmp_path / "loop-remote", seed) as srv:
        yield srv


def test_deleting_a_skill_with_a_self_link_neither_hangs_nor_blocks_other_requests(
    looped_market, make_app
):
    app = make_app(**editable(looped_market))
    port = free_port()
    headers = {**auth(app, ED), "Host": "skills.test"}
    with in_thread(app, port) as base, ThreadPoolExecutor(1) as pool:
        deleting = pool.submit(
            httpx.delete, f"{base}/api/skills/changelog?confirm=true", headers=headers, timeout=60
        )
        # The server keeps answering while the delete is planned off the event loop.
        alive = httpx.get(f"{base}/healthz", timeout=10)
        response = deleting.result(timeout=60)
    assert alive.status_code == 200
    # Either the folder (link included) is gone in one commit, or the walk hit its bound
    # and nothing was written; never a hang, never a 5xx.
    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:
        assert "plugins/engineering/skills/changelog/self" in commit_files(looped_market)
    else:
        assert "git" in response.json()["message"]


# -- concurrency ------------------------------------------------------------------------------


def test_a_conflicting_save_is_409_and_names_the_file(server, app, client):
    server.push_change(
        "market",
        {
            "plugins/engineering/skills/changelog/SKILL.md": skill_md(
                "changelog", "Changed elsewhere."
            )
        },
        "Someone else",
    )
    theirs = head(server)
    response = save(
        client, auth(app, ED), "changelog", {"SKILL.md": skill_md("changelog", "Mine.")}
    )
    assert response.status_code == 409
    assert "plugins/engineering/skills/changelog/SKILL.md" in response.json()["message"]
    assert head(server) == theirs


def test_a_save_is_reapplied_when_the_branch_moved_elsewhere(server, app, client):
    server.push_change("market", {"plugins/brand/skills/house-style/extra.md": "x\n"}, "Elsewhere")
    theirs = head(server)
    response = save(client, auth(app, ED), "changelog", {"notes.md": "n\n"})
    assert response.status_code == 200 and response.json()["reapplied"] is True
    assert git("rev-parse", "main^", cwd=bare(server)).strip() == theirs
    assert show(server, "plugins/brand/skills/house-style/extra.md") == "x\n"


def test_fifty_parallel_saves_from_ten_editors_lose_nothing(server, app, tmp_path):
    port = free_port()
    editors = [Identity.local(f"ed{i}@example.com") for i in range(10)]
    tokens = [app.state.services.tokens.mint_api_token(e) for e in editors]
    start = head(server)
    targets = ["changelog", "commit-messages", "house-style"]

    def one(i: int) -> tuple[int, dict]:
        skill = targets[i % 3]
        # Every fifth save rewrites SKILL.md (contended); the rest add their own file.
        if i % 5 == 0:
            files = [{"path": "SKILL.md", "content": skill_md(skill, f"Version {i}.")}]
        else:
            files = [{"path": f"notes/{i}.md", "content": f"note {i}\n"}]
        r = httpx.post(
            f"http://127.0.0.1:{port}/api/skills/{skill}",
            # The app's public address (the Host every route checks), served on a free port.
            headers={"Authorization": f"Bearer {tokens[i % 10]}", "Host": "skills.test"},
            json={"files": files},
            timeout=120,
        )
        return r.status_code, r.json()

    with in_thread(app, port), ThreadPoolExecutor(10) as pool:
        results = list(pool.map(one, range(50)))
    statuses = [s for s, _ in results]
    assert set(statuses) <= {200, 409}, statuses
    ok = [body["commit"] for s, body in results if s == 200]
    history = git("rev-list", f"{start}..main", cwd=bare(server)).split()
    assert sorted(ok) == sorted(history)  # every 200 is in history, exactly one commit each
    assert statuses.count(200) >= 40  # all non-contended saves succeed
    for i, (status, _) in enumerate(results):
        if status == 200 and i % 5:
            group = "engineering" if i % 3 < 2 else "brand"
            path = f"plugins/{group}/skills/{targets[i % 3]}/notes/{i}.md"
            assert show(server, path) == f"note {i}\n"
    assert tree_errors(server, tmp_path) == []


def test_every_tree_the_connector_writes_passes_validate(server, app, client, tmp_path, capsys):
    from skillport_connector.cli import main

    headers = auth(app, ED)
    steps = [
        lambda: save(client, headers, "pitch-deck", {"SKILL.md": skill_md("pitch-deck")},
                     skill_group="sales", plugin_metadata={"description": "Sales"}),
        lambda: client.post("/api/skills/pitch-deck/publish", headers=headers,
                            json={"description": "Sales", "tags": ["surface:CD"]}),
        lambda: client.post("/api/skills/pitch-deck/bump", headers=headers, json={"type": "major"}),
        lambda: save(client, headers, "house-style", {"references/tone.md": "Tone.\n"}),
        lambda: client.delete("/api/skills/commit-messages?confirm=true", headers=headers),
        lambda: client.delete("/api/skills/pitch-deck?confirm=true", headers=headers),
    ]  # fmt: skip
    for i, step in enumerate(steps):
        response = step()
        assert response.status_code == 200, (i, response.text)
        work = tmp_path / f"written-{i}"
        git("clone", "-q", str(bare(server)), str(work))
        assert main(["validate", str(work)]) == 0, capsys.readouterr().out


def test_serve_without_a_reachable_remote_fails_with_a_clear_message(tmp_path, capsys):
    from skillport_connector.cli import main

    code = main(
        ["serve", "--marketplace", "http://127.0.0.1:9/none.git", "--data-dir", str(tmp_path)]
    )
    assert code == 2
    assert "no local copy yet" in capsys.readouterr().err

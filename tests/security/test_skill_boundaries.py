"""A skill's files are its own folder only (issue 9, defects 1, 6 and 7).

The marketplace has a root-level skill (``source: "./"`` and a root SKILL.md) whose only
writer is writer@, a published skill hidden by access.json (secret-skill, boss only), an
unpublished draft, and links from a public skill into the hidden one. Nobody but the
people allowed may ever see the hidden content: not over REST, not in a package or an
install payload, not over MCP; and a writer of the root skill can write only its folder.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hostile import (
    BOSS,
    DRAFT,
    READER,
    SECRET,
    WRITER,
    Link,
    Server,
    access,
    git,
    marketplace,
    mcp_rpc,
    names,
    oauth_access_token,
    rpc_result,
    serving,
    skill_md,
    zip_entries,
)

HIDDEN = (SECRET, DRAFT, BOSS)
SKILLS = "plugins/public/skills"
FILES = {
    ".claude-plugin/marketplace.json": marketplace(
        {"name": "root-skill", "source": "./", "description": "The repository is the skill."},
        {"name": "public", "source": "./plugins/public", "description": "Public things."},
    ),
    "SKILL.md": skill_md("root-skill", "A skill at the marketplace root."),
    "scripts/root-helper.py": "print('root helper')\n",
    ".skillport/access.json": access(
        skills={
            "secret-skill": {"read": [BOSS], "write": [BOSS]},
            "root-skill": {"write": [f"local:{WRITER}"]},
        }
    ),
    "plugins/public/.claude-plugin/plugin.json": {"name": "public", "version": "1.0.0"},
    f"{SKILLS}/public-skill/SKILL.md": skill_md("public-skill", "Anyone may read this."),
    f"{SKILLS}/public-skill/peek": Link("../secret-skill/SKILL.md"),
    f"{SKILLS}/public-skill/peekdir": Link("../secret-skill"),
    f"{SKILLS}/secret-skill/SKILL.md": skill_md("secret-skill", f"Only the boss: {SECRET}"),
    f"{SKILLS}/secret-skill/notes.md": f"more {SECRET}\n",
    "plugins/drafts/skills/draft-skill/SKILL.md": skill_md("draft-skill", f"Draft {DRAFT}"),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory.mktemp("boundaries"), FILES) as running:
        yield running


def assert_hidden_absent(data: bytes | str) -> None:
    text = data if isinstance(data, str) else data.decode("utf-8", "replace")
    for marker in HIDDEN:
        assert marker not in text


def test_the_fixture_hides_the_secret_skill_from_readers(server: Server) -> None:
    visible = names(server.get("/api/skills"))
    assert {"root-skill", "public-skill"} <= visible
    assert "secret-skill" not in visible and "draft-skill" not in visible
    assert "secret-skill" in names(server.get("/api/skills", who="boss@example.com"))


# -- defect 1: the root-level skill ---------------------------------------------------------------


def save(server: Server, who: str, path: str, content: str) -> int:
    body = {"files": [{"path": path, "content": content}], "commitMessage": "hostile save"}
    return server.post("/api/skills/root-skill", who=who, json=body).status_code


def test_writer_of_root_skill_cannot_write_access_json(server: Server) -> None:
    assert server.repo is not None
    before = server.repo.head()
    promoted = json.loads(json.dumps(FILES[".skillport/access.json"]))
    promoted["editors"].append({"id": f"local:{WRITER}"})
    status = save(server, WRITER, ".skillport/access.json", json.dumps(promoted))
    assert status in (400, 403), status
    assert server.repo.head() == before
    editors = json.loads(server.repo.show(".skillport/access.json"))["editors"]
    assert f"local:{WRITER}" not in json.dumps(editors)
    # and the writer did not become an editor of anything else
    assert server.get("/api/skills/public-skill/edit", who=WRITER).status_code == 403


def planted(path: str) -> str:
    """Content that would be valid at ``path``, so only the boundary can refuse it."""
    if path == ".claude-plugin/marketplace.json":
        hijacked = json.loads(json.dumps(FILES[path]))
        hijacked["plugins"].append({"name": "planted", "source": "./plugins/planted"})
        return json.dumps(hijacked)
    if path.endswith("plugin.json"):
        return json.dumps({"name": "root-skill", "version": "9.9.9"})
    if path.endswith("SKILL.md"):
        return skill_md(path.split("/")[-2] if "/" in path else "planted", "planted by a writer")
    return "* text eol=lf\n"


@pytest.mark.parametrize(
    "path",
    [
        ".claude-plugin/marketplace.json",
        ".claude-plugin/plugin.json",
        ".gitattributes",
        ".github/workflows/ci.yml",
        f"{SKILLS}/public-skill/SKILL.md",
        f"{SKILLS}/secret-skill/SKILL.md",
        "plugins/drafts/skills/draft-skill/SKILL.md",
        "plugins/new-group/skills/planted/SKILL.md",
    ],
)
def test_writer_of_root_skill_cannot_write_outside_its_own_folder(
    server: Server, path: str
) -> None:
    assert server.repo is not None
    before = server.repo.head()
    assert save(server, WRITER, path, planted(path)) in (400, 403)
    assert server.repo.head() == before


def test_a_save_of_the_root_skill_s_own_file_writes_that_file_only(server: Server) -> None:
    """Saving the root skill's SKILL.md is either refused as a whole (as delete is) or one
    commit that touches nothing but that file."""
    assert server.repo is not None
    before = server.repo.head()
    status = save(server, WRITER, "SKILL.md", skill_md("root-skill", "Revised at the root."))
    assert status in (200, 400, 403)
    if status == 200:
        changed = git("diff", "--name-only", before, "main", cwd=server.repo.bare).split()
        assert changed == ["SKILL.md"]
    else:
        assert server.repo.head() == before


def test_root_skill_detail_lists_only_its_own_files(server: Server) -> None:
    r = server.get("/api/skills/root-skill")
    assert r.status_code == 200
    files = r.json()["files"]
    assert "SKILL.md" in files
    for path in files:
        assert not path.startswith(("plugins/", ".skillport/", ".claude-plugin/", ".git")), path
    assert_hidden_absent(r.content)


def test_root_skill_package_holds_none_of_the_other_plugins_files(server: Server) -> None:
    r = server.get("/api/skills/root-skill/package")
    assert r.status_code == 200
    entries = zip_entries(r.content)
    assert "root-skill/SKILL.md" in entries
    for name, data in entries.items():
        rel = name.removeprefix("root-skill/")
        assert name.startswith("root-skill/") and not rel.startswith(("plugins/", ".skillport/"))
        assert not rel.startswith(".git")
        assert_hidden_absent(data)
    manifest = json.loads(entries["root-skill/.claude-plugin/plugin.json"])
    assert manifest["name"] == "root-skill"  # the generated one, not the repository's


def test_root_skill_install_payload_holds_no_hidden_content(server: Server) -> None:
    ticket = server.get("/api/skills/root-skill/install").json()
    r = server.get(f"/api/install/{ticket['install_token']}", who=None)
    assert r.status_code == 200
    paths = [f["path"] for f in r.json()["files"]]
    assert not any(p.startswith(("plugins/", ".skillport/")) for p in paths), paths
    assert_hidden_absent(r.content)


def test_root_skill_edit_payload_holds_no_other_plugins_files(server: Server) -> None:
    ticket = server.get("/api/skills/root-skill/edit", who=WRITER)
    assert ticket.status_code == 200
    r = server.get(f"/api/edit/{ticket.json()['edit_token']}", who=None)
    assert r.status_code == 200
    paths = [f["path"] for f in r.json()["files"]]
    assert not any(p.startswith(("plugins/", ".skillport/", ".claude-plugin/")) for p in paths)
    assert_hidden_absent(r.content)


@pytest.fixture(scope="module")
def reader_mcp(server: Server) -> str:
    return oauth_access_token(server.base, READER)


def test_root_skill_mcp_resources_stop_at_its_own_folder(server: Server, reader_mcp: str) -> None:
    entry = rpc_result(
        mcp_rpc(server.base, reader_mcp, "skills/get", {"uri": "skill://root-skill/SKILL.md"})
    )
    uris = [r["uri"] for r in entry["result"]["skill"]["resources"]]
    assert "skill://root-skill/SKILL.md" in uris
    assert not any("/plugins/" in u or "/.skillport/" in u for u in uris), uris
    for uri in (
        f"skill://root-skill/{SKILLS}/secret-skill/SKILL.md",
        "skill://root-skill/.skillport/access.json",
        "skill://root-skill/plugins/drafts/skills/draft-skill/SKILL.md",
    ):
        r = mcp_rpc(server.base, reader_mcp, "resources/read", {"uri": uri})
        assert "result" not in rpc_result(r), uri
        assert_hidden_absent(r.content)


# -- defect 6: the debug listing ------------------------------------------------------------------


def test_debug_plugins_does_not_name_skills_a_reader_cannot_see(server: Server) -> None:
    r = server.get("/api/debug/plugins")
    assert r.status_code == 200
    assert "secret-skill" not in r.text and "draft-skill" not in r.text
    assert_hidden_absent(r.content)


def test_debug_plugins_still_names_them_for_the_people_who_may_see_them(server: Server) -> None:
    assert "secret-skill" in server.get("/api/debug/plugins", who="boss@example.com").text


# -- defect 7: links out of a skill's folder -------------------------------------------------------


def test_link_into_another_skill_is_not_served_over_rest(server: Server) -> None:
    r = server.get("/api/skills/public-skill")
    assert r.status_code == 200
    assert not any(p == "peek" or p.startswith("peekdir") for p in r.json()["files"])
    assert_hidden_absent(r.content)


def test_link_into_another_skill_is_not_in_the_package(server: Server) -> None:
    r = server.get("/api/skills/public-skill/package")
    assert r.status_code == 200
    entries = zip_entries(r.content)
    assert not any(n.startswith(("public-skill/peek", "public-skill/peekdir")) for n in entries)
    for data in entries.values():
        assert_hidden_absent(data)


def test_link_into_another_skill_is_not_in_the_install_payload(server: Server) -> None:
    ticket = server.get("/api/skills/public-skill/install").json()
    r = server.get(f"/api/install/{ticket['install_token']}", who=None)
    assert r.status_code == 200
    assert_hidden_absent(r.content)


def test_link_into_another_skill_is_not_served_over_mcp(server: Server, reader_mcp: str) -> None:
    entry = rpc_result(
        mcp_rpc(server.base, reader_mcp, "skills/get", {"uri": "skill://public-skill/SKILL.md"})
    )
    uris = {r["uri"] for r in entry["result"]["skill"]["resources"]}
    assert uris.isdisjoint(
        {"skill://public-skill/peek", "skill://public-skill/peekdir/SKILL.md"}
    ), uris
    for uri in ("skill://public-skill/peek", "skill://public-skill/peekdir/notes.md"):
        r = mcp_rpc(server.base, reader_mcp, "resources/read", {"uri": uri})
        assert "result" not in rpc_result(r)
        assert_hidden_absent(r.content)


def test_hidden_content_never_reaches_a_reader_anywhere(server: Server, reader_mcp: str) -> None:
    """Every listing a reader can ask for, at once."""
    for path in ("/api/skills", "/api/skills?q=secret", "/api/skills?q=hostile", "/healthz"):
        assert_hidden_absent(server.get(path).content)
    listed = mcp_rpc(server.base, reader_mcp, "skills/list")
    assert_hidden_absent(listed.content)
    assert_hidden_absent(mcp_rpc(server.base, reader_mcp, "resources/list").content)

"""One skill name in several plugins (Claude Code's `telegram:access`, `discord:access`).

Every such skill is served under its qualified id ``plugin:skill``; a bare name keeps
working while it is unique (among the skills the caller may see) and answers 409
``ambiguous`` with the candidates when it is not. REST, MCP, install, check-updates,
editing, search and access rules all take both forms.
"""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import AppFactory, build_app, marketplace, skill_md, write_tree
from gitserver import GitHttpServer
from mcpclient import official_session
from serving import client_for, free_port, in_thread
from test_editing import ED, editable
from test_mcp_oauth import rpc

from skillport_connector.auth import Identity

ANN = Identity.local("ann@example.com", name="Ann")
BOB = Identity.local("bob@example.com", name="Bob")


def plugin(name: str, version: str) -> dict[str, Any]:
    return {"name": name, "source": f"./plugins/{name}", "version": version,
            "description": f"{name} channel", "tags": ["surface:CALL"]}  # fmt: skip


FILES: dict[str, Any] = {
    ".claude-plugin/marketplace.json": marketplace(
        plugin("telegram", "1.0.0"), plugin("discord", "2.0.0"), plugin("notes", "1.0.0")
    ),
    "plugins/telegram/.claude-plugin/plugin.json": {"name": "telegram", "version": "1.0.0"},
    "plugins/telegram/skills/access/SKILL.md": skill_md("access", "Telegram access."),
    "plugins/discord/.claude-plugin/plugin.json": {"name": "discord", "version": "2.0.0"},
    "plugins/discord/skills/access/SKILL.md": skill_md("access", "Discord access."),
    "plugins/notes/.claude-plugin/plugin.json": {"name": "notes", "version": "1.0.0"},
    "plugins/notes/skills/notes/SKILL.md": skill_md("notes", "Takes notes."),
    ".skillport/access.json": {
        "editors": [{"id": ED.id, "label": "ed"}],
        # Bob may not read Discord's access skill: for him the bare name is unique.
        "skills": {"discord:access": {"read": [{"id": ANN.id}]}},
        "defaults": {"read": "*", "write": "editors"},
    },
}


@pytest.fixture
def app(tmp_path: Path, make_app: AppFactory) -> Any:
    return make_app(marketplace=write_tree(tmp_path / "market", FILES), mcp_auth=False)


def headers(app: Any, who: Identity) -> dict[str, str]:
    return {"Authorization": f"Bearer {app.state.services.tokens.mint_api_token(who)}"}


# -- REST ---------------------------------------------------------------------------------------


def test_every_plugins_skill_is_listed_with_its_qualified_id(app):
    body = client_for(app).get("/api/skills", headers=headers(app, ANN)).json()
    shared = sorted((s["plugin"], s.get("id")) for s in body["skills"] if s["name"] == "access")
    assert shared == [("discord", "discord:access"), ("telegram", "telegram:access")]
    [notes] = [s for s in body["skills"] if s["name"] == "notes"]
    assert "id" not in notes  # a unique name looks exactly as before


def test_a_qualified_id_names_one_skill(app):
    body = client_for(app).get("/api/skills/discord:access", headers=headers(app, ANN)).json()
    assert body["skill"]["plugin"] == "discord" and "Discord access." in body["skill_md"]


def test_an_ambiguous_bare_name_answers_409_with_the_candidates(app):
    response = client_for(app).get("/api/skills/access", headers=headers(app, ANN))
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "ambiguous"
    assert body["candidates"] == ["telegram:access", "discord:access"]
    assert "telegram:access" in body["message"]


def test_a_bare_name_unique_among_what_the_caller_sees_resolves(app):
    body = client_for(app).get("/api/skills/access", headers=headers(app, BOB)).json()
    assert body["skill"]["plugin"] == "telegram"


def test_a_qualified_access_rule_hides_only_that_plugins_skill(app):
    client = client_for(app)
    hidden = client.get("/api/skills/discord:access", headers=headers(app, BOB))
    assert hidden.status_code == 404
    listed = client.get("/api/skills", headers=headers(app, BOB)).json()["skills"]
    assert [s["plugin"] for s in listed if s["name"] == "access"] == ["telegram"]


def test_search_finds_both(app):
    body = client_for(app).get("/api/skills?q=access", headers=headers(app, ANN)).json()
    assert sorted(s["id"] for s in body["skills"] if s["name"] == "access") == [
        "discord:access", "telegram:access",
    ]  # fmt: skip


def test_install_by_qualified_id_installs_that_plugins_skill(app):
    client = client_for(app)
    ticket = client.get("/api/skills/discord:access/install", headers=headers(app, ANN)).json()
    payload = client.get(f"/api/install/{ticket['install_token']}").json()
    assert payload["skill"]["plugin"] == "discord"
    md = next(f["content"] for f in payload["files"] if f["path"] == "SKILL.md")
    assert "Discord access." in md


def test_install_by_ambiguous_name_is_409(app):
    response = client_for(app).get("/api/skills/access/install", headers=headers(app, ANN))
    assert response.status_code == 409


def test_check_updates_takes_qualified_ids_and_plugin_names(app):
    installed = [
        {"name": "discord:access", "version": "1.0.0"},
        {"name": "telegram", "version": "0.1.0"},
    ]
    body = (
        client_for(app)
        .post("/api/check-updates", headers=headers(app, ANN), json={"installed": installed})
        .json()
    )
    assert body["updates"] == [
        {"name": "discord:access", "installedVersion": "1.0.0", "availableVersion": "2.0.0"},
        {"name": "telegram", "installedVersion": "0.1.0", "availableVersion": "1.0.0"},
    ]


def test_check_updates_answers_409_with_the_candidates_for_an_ambiguous_bare_name(app):
    installed = [{"name": "access", "version": "0.0.1"}]
    r = client_for(app).post(
        "/api/check-updates", headers=headers(app, ANN), json={"installed": installed}
    )
    assert r.status_code == 409 and r.json()["error"] == "ambiguous"
    assert sorted(r.json()["candidates"]) == ["discord:access", "telegram:access"]


def test_check_updates_takes_a_bare_name_unique_among_the_readers_skills(app):
    installed = [{"name": "access", "version": "0.0.1"}]
    r = client_for(app).post(
        "/api/check-updates", headers=headers(app, BOB), json={"installed": installed}
    )
    assert r.json()["updates"] == [
        {"name": "access", "installedVersion": "0.0.1", "availableVersion": "1.0.0"}
    ]


# -- MCP ----------------------------------------------------------------------------------------


@pytest.fixture
def mcp_base(tmp_path: Path) -> Iterator[str]:
    market = write_tree(tmp_path / "market", FILES)
    port = free_port()
    app = build_app(
        tmp_path / "data", mcp_auth=False, marketplace=market, dev_user=ANN.email,
        mcp_classic_tools=True, port=port,
    )  # fmt: skip
    with in_thread(app, port) as base:
        yield base


def test_mcp_resources_name_each_skill_by_its_reference(mcp_base):
    async def work() -> tuple[list[str], str]:
        async with official_session(mcp_base) as client:
            listed = [str(r.uri) for r in (await client.list_resources()).resources]
            read = await client.read_resource("skill://discord%3Aaccess/SKILL.md")
            return listed, read.contents[0].text  # type: ignore[union-attr]

    listed, text = asyncio.run(work())
    assert {"skill://telegram%3Aaccess/SKILL.md", "skill://discord%3Aaccess/SKILL.md",
            "skill://notes/SKILL.md"} <= set(listed)  # fmt: skip
    assert "Discord access." in text


def test_mcp_skills_list_names_each_skill_by_its_reference(mcp_base):
    listed = rpc(mcp_base, "no-sign-in", "skills/list")["result"]
    uris = {s["uri"] for s in listed["skills"]}
    assert {"skill://telegram%3Aaccess/SKILL.md", "skill://discord%3Aaccess/SKILL.md"} <= uris


def test_mcp_classic_tools_take_both_forms(mcp_base):
    async def work() -> tuple[Any, Any]:
        async with official_session(mcp_base) as client:
            one = await client.call_tool("get_skill", {"name": "telegram:access"})
            both = await client.call_tool("get_skill", {"name": "access"})
            return one, both

    one, both = asyncio.run(work())
    assert not one.is_error and "Telegram access." in json.dumps(one.structured_content)
    assert both.is_error and "discord:access" in both.content[0].text  # type: ignore[union-attr]


def test_mcp_check_updates_is_a_tool_error_naming_the_candidates_of_an_ambiguous_name(mcp_base):
    async def work() -> Any:
        async with official_session(mcp_base) as client:
            installed = [{"name": "access", "version": "0.0.1"}]
            return await client.call_tool("check_updates", {"installed": installed})

    result = asyncio.run(work())
    assert result.is_error and "discord:access" in result.content[0].text  # type: ignore[union-attr]


# -- editing ------------------------------------------------------------------------------------


@pytest.fixture
def editing(tmp_path: Path, make_app: AppFactory) -> Iterator[tuple[Any, Any]]:
    seed = write_tree(tmp_path / "seed", FILES)
    with GitHttpServer.serving(tmp_path / "remote", seed) as server:
        app = make_app(**editable(server))
        yield app, client_for(app)


def test_saving_by_qualified_id_changes_that_plugins_skill(editing):
    app, client = editing
    text = skill_md("access", "Discord access, revised.")
    saved = client.post("/api/skills/discord:access", headers=headers(app, ED),
                        json={"files": [{"path": "SKILL.md", "content": text}]})  # fmt: skip
    assert saved.status_code == 200, saved.text
    assert saved.json()["skill_group"] == "discord"
    body = client.get("/api/skills/discord:access", headers=headers(app, ED)).json()
    assert "revised" in body["skill_md"]
    other = client.get("/api/skills/telegram:access", headers=headers(app, ED)).json()
    assert "revised" not in other["skill_md"]


def test_saving_an_ambiguous_bare_name_is_409(editing):
    app, client = editing
    files = [{"path": "SKILL.md", "content": skill_md("access")}]
    saved = client.post("/api/skills/access", headers=headers(app, ED), json={"files": files})
    assert saved.status_code == 409 and saved.json()["error"] == "ambiguous"


def test_a_new_skill_may_share_a_name_when_saved_under_its_group(editing):
    app, client = editing
    saved = client.post(
        "/api/skills/notes:access",
        headers=headers(app, ED),
        json={"files": [{"path": "SKILL.md", "content": skill_md("access", "Notes access.")}]},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["files"][0]["path"] == "plugins/notes/skills/access/SKILL.md"
    listed = client.get("/api/skills", headers=headers(app, ED)).json()["skills"]
    assert sorted(s["plugin"] for s in listed if s["name"] == "access") == [
        "discord", "notes", "telegram",
    ]  # fmt: skip


def test_bump_and_delete_take_the_qualified_id(editing):
    app, client = editing
    bumped = client.post("/api/skills/telegram:access/bump", headers=headers(app, ED),
                         json={"type": "patch"}).json()  # fmt: skip
    assert (bumped["skill_group"], bumped["newVersion"]) == ("telegram", "1.0.1")
    deleted = client.delete("/api/skills/telegram:access?confirm=true", headers=headers(app, ED))
    assert deleted.status_code == 200 and deleted.json()["pluginDeleted"] is True
    body = client.get("/api/skills/access", headers=headers(app, ED)).json()
    assert body["skill"]["plugin"] == "discord"  # unique again


def test_a_marketplace_without_duplicates_keeps_bare_names_everywhere(tmp_path):
    files = {k: v for k, v in FILES.items() if "discord" not in k}
    files[".claude-plugin/marketplace.json"] = marketplace(
        plugin("telegram", "1.0.0"), plugin("notes", "1.0.0")
    )
    shutil.rmtree(tmp_path / "m", ignore_errors=True)
    market = write_tree(tmp_path / "m", files)
    app = build_app(tmp_path / "d", marketplace=market)
    client = client_for(app)
    listed = client.get("/api/skills", headers=headers(app, ANN)).json()["skills"]
    assert all("id" not in s for s in listed)
    assert client.get("/api/skills/access", headers=headers(app, ANN)).status_code == 200
    assert client.get("/api/skills/telegram:access", headers=headers(app, ANN)).status_code == 200


def test_the_package_link_of_a_qualified_id_serves_that_plugins_skill(app):
    client = client_for(app)
    ticket = client.get("/api/skills/discord:access/install", headers=headers(app, ANN)).json()
    package = client.get(ticket["package_url"].removeprefix(str(client.base_url)))
    assert package.status_code == 200
    with zipfile.ZipFile(io.BytesIO(package.content)) as zipped:
        md = next(n for n in zipped.namelist() if n.endswith("SKILL.md"))
        assert "Discord access." in zipped.read(md).decode()

"""Every hostile thing of the other modules in one git marketplace, served by one `serve`
process (issue 9, all repository defects together): it starts in bounded time, and a reader
walking everything it lists gets no 5xx, no hidden content, no invalid name and no package
entry outside its root folder."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import test_names_and_yaml as names_mod
import test_repository_content as content
import test_skill_boundaries as boundaries
import test_symlink_walks as walks
from hostile import (
    EDITOR,
    READER,
    Server,
    marketplace,
    mcp_rpc,
    module_server,
    oauth_access_token,
    rpc_result,
    zip_entries,
)

from skillport_connector.names import is_skill_name

MARKET_FILE = ".claude-plugin/marketplace.json"


def everything() -> dict[str, Any]:
    files: dict[str, Any] = {}
    for part in (
        content.every_poison(),
        names_mod.YAML_FILES,
        names_mod.UTF8_FILES,
        names_mod.NAME_FILES,
        walks.farm_files(),
        walks.loop_files(),
        boundaries.FILES,
    ):
        files.update(part)
    entries = {}
    for part in (names_mod.NAME_FILES, boundaries.FILES):
        for entry in part[MARKET_FILE]["plugins"]:
            entries[entry["name"]] = entry
    files[MARKET_FILE] = marketplace(*entries.values())
    files[".skillport/access.json"] = boundaries.FILES[".skillport/access.json"]
    return files


server = module_server("server", everything, timeout=45)


def test_the_whole_hostile_marketplace_starts_and_lists(server: Server) -> None:
    listing = server.get("/api/skills", timeout=10)
    assert listing.status_code == 200
    names = {s["name"] for s in listing.json()["skills"]}
    assert {"good-skill", "public-skill", "csv-profiler"} <= names
    assert all(is_skill_name(name) for name in names), names


def test_a_reader_walking_everything_sees_no_hidden_content(server: Server) -> None:
    listed = [s["name"] for s in server.get("/api/skills").json()["skills"]]
    for name in listed:
        detail = server.get(f"/api/skills/{quote(name, safe='')}", timeout=10)
        assert detail.status_code == 200, (name, detail.text[:200])
        boundaries.assert_hidden_absent(detail.content)
        package = server.get(f"/api/skills/{quote(name, safe='')}/package", timeout=10)
        assert package.status_code in (200, 413), (name, package.status_code)
        if package.status_code == 200:
            for entry, data in zip_entries(package.content).items():
                assert entry.split("/")[0] == name and ".." not in entry.split("/"), entry
                boundaries.assert_hidden_absent(data)


def test_mcp_lists_the_same_skills_with_small_bounded_answers(server: Server) -> None:
    token = oauth_access_token(server.base, READER)
    answer = mcp_rpc(server.base, token, "skills/list")
    assert answer.status_code == 200 and len(answer.content) < 1024 * 1024
    boundaries.assert_hidden_absent(answer.content)
    listed = {e["frontmatter"]["name"] for e in rpc_result(answer)["result"]["skills"]}
    assert "good-skill" in listed and all(is_skill_name(n) for n in listed)
    json.dumps(rpc_result(answer))  # plain JSON data


def test_an_editor_sees_the_problems_as_findings(server: Server) -> None:
    debug = server.get("/api/debug/plugins", who=EDITOR, timeout=10)
    assert debug.status_code == 200
    assert len(debug.json()["findings"]) >= 10

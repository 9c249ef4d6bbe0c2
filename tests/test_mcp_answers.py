"""``resources/list``, small ``resources/read`` answers and the ``list_skills`` tool come
from the wire form built once per snapshot, reader and protocol version
(``mcp/answers.py``): each reader still gets their own listing and their own refusals,
every protocol version its own shape, and a new snapshot is listed and read at once."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcprpc import PROTOCOL, rpc_message
from serving import build_app, free_port, in_thread
from test_mcp_oauth import tokens_for

from skillport_connector.app import services_of
from skillport_connector.settings import demo_marketplace

DRAFT = "skill://incident-review/SKILL.md"  # editors only, in the demo's access.json
LATEST, OLDER = PROTOCOL, "2025-06-18"


def call(
    base: str, method: str, params: dict[str, Any], token: str = "", version: str = LATEST
) -> dict[str, Any]:
    """One raw JSON-RPC call at ``version``: its message (a result or an error)."""
    headers = {
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": version,
        "Mcp-Method": method,
    }
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if "uri" in params or "name" in params:
        headers["Mcp-Name"] = params.get("uri") or params["name"]
    if version == LATEST:  # stateless: every request says who is asking
        params = {**params, "_meta": {
            "io.modelcontextprotocol/protocolVersion": version,
            "io.modelcontextprotocol/clientCapabilities": {},
        }}  # fmt: skip
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    r = httpx.post(f"{base}/mcp", json=body, headers=headers)
    assert r.status_code in (200, 400), r.text  # JSON-RPC errors may come with 400
    return rpc_message(r)


def list_resources(base: str, token: str = "", version: str = LATEST) -> dict[str, Any]:
    return call(base, "resources/list", {}, token, version)["result"]  # type: ignore[no-any-return]


def read(base: str, uri: str, token: str = "") -> dict[str, Any]:
    """The JSON-RPC message answering a ``resources/read`` of ``uri``."""
    return call(base, "resources/read", {"uri": uri}, token)


def uris(result: dict[str, Any]) -> set[str]:
    return {r["uri"] for r in result["resources"]}


@pytest.fixture(scope="module")
def signed_in(tmp_path_factory) -> Iterator[str]:
    port = free_port()
    app = build_app(
        tmp_path_factory.mktemp("listing") / "data", port=port, mcp_classic_tools=True,
        rate_limit_ip=100_000, rate_limit_register=100_000,
    )  # fmt: skip
    with in_thread(app, port) as base:
        yield base


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[tuple[str, Any, Path]]:
    """A server without sign-in over a copy of the demo marketplace it can reload."""
    market = tmp_path / "market"
    shutil.copytree(demo_marketplace(), market)
    port = free_port()
    app = build_app(
        tmp_path / "data", mcp_auth=False, marketplace=market, port=port,
        min_refresh_interval=0, mcp_classic_tools=True,
    )  # fmt: skip
    with in_thread(app, port) as base:
        yield base, app, market


def test_each_reader_gets_their_own_listing(signed_in):
    _, reader = tokens_for(signed_in, "eve@example.com")
    _, editor = tokens_for(signed_in, "developer@localhost")
    first = list_resources(signed_in, reader["access_token"])
    assert DRAFT in uris(list_resources(signed_in, editor["access_token"]))
    assert DRAFT not in uris(first)
    assert list_resources(signed_in, reader["access_token"]) == first


def test_each_protocol_version_gets_its_own_shape(folder):
    base, _, _ = folder
    latest = list_resources(base, version=LATEST)
    older = list_resources(base, version=OLDER)
    assert latest.get("resultType") == "complete"
    assert "resultType" not in older
    assert uris(older) == uris(latest)
    assert list_resources(base, version=LATEST) == latest


def test_a_new_snapshot_is_listed_at_once(folder):
    base, app, market = folder
    before = list_resources(base)
    skill = market / "plugins/writing/skills/release-notes"
    skill.mkdir()
    (skill / "SKILL.md").write_text(
        "---\nname: release-notes\ndescription: Write release notes.\n---\n\n# Release notes\n"
    )
    services_of(app).source.refresh()
    after = list_resources(base)
    assert uris(after) - uris(before) == {"skill://release-notes/SKILL.md"}


def test_a_skill_hidden_from_a_reader_stays_unreadable_after_an_editor_read_it(signed_in):
    _, reader = tokens_for(signed_in, "eve@example.com")
    _, editor = tokens_for(signed_in, "developer@localhost")
    assert "# " in read(signed_in, DRAFT, editor["access_token"])["result"]["contents"][0]["text"]
    assert "error" in read(signed_in, DRAFT, reader["access_token"])


def test_a_changed_file_is_read_anew_in_the_next_snapshot(folder):
    base, app, market = folder
    uri = "skill://meeting-notes/SKILL.md"
    before = read(base, uri)["result"]["contents"][0]["text"]
    path = market / "plugins/writing/skills/meeting-notes/SKILL.md"
    path.write_text(path.read_text() + "\nOne more rule.\n")
    services_of(app).source.refresh()
    after = read(base, uri)["result"]["contents"][0]["text"]
    assert after == before + "\nOne more rule.\n"


def list_skills(base: str, arguments: dict[str, Any], token: str = "") -> dict[str, Any]:
    return call(base, "tools/call", {"name": "list_skills", "arguments": arguments}, token)


def skill_names(message: dict[str, Any]) -> set[str]:
    return {s["name"] for s in message["result"]["structuredContent"]["skills"]}


def test_each_reader_gets_their_own_list_skills_answer(signed_in):
    _, reader = tokens_for(signed_in, "eve@example.com")
    _, editor = tokens_for(signed_in, "developer@localhost")
    first = list_skills(signed_in, {}, reader["access_token"])
    assert "incident-review" in skill_names(list_skills(signed_in, {}, editor["access_token"]))
    assert "incident-review" not in skill_names(first)
    assert list_skills(signed_in, {}, reader["access_token"]) == first


def test_list_skills_answers_each_surface_on_its_own(folder):
    base, _, _ = folder
    everything = skill_names(list_skills(base, {}))
    claude_code = skill_names(list_skills(base, {"surface": "CC"}))
    assert claude_code < everything
    assert skill_names(list_skills(base, {})) == everything


def test_list_skills_runs_once_per_snapshot_reader_and_arguments(folder, monkeypatch):
    base, app, _ = folder
    services, runs = services_of(app), []
    visible = type(services).visible
    monkeypatch.setattr(
        type(services), "visible", lambda self, *a: runs.append(a[1:]) or visible(self, *a)
    )
    first = list_skills(base, {"cursor": None})
    assert list_skills(base, {"cursor": None}) == first
    list_skills(base, {"surface": "CC"})
    assert runs == [(None,), ("CC",)]


def test_a_refused_list_skills_call_is_answered_afresh(folder):
    base, _, _ = folder
    for _ in range(2):
        refused = list_skills(base, {"surface": "MOBILE"})
        assert refused.get("error") or refused["result"].get("isError")


def test_list_skills_shows_a_new_snapshot_at_once(folder):
    base, app, market = folder
    before = skill_names(list_skills(base, {}))
    skill = market / "plugins/writing/skills/release-notes"
    skill.mkdir()
    (skill / "SKILL.md").write_text(
        "---\nname: release-notes\ndescription: Write release notes.\n---\n\n# Notes\n"
    )
    services_of(app).source.refresh()
    assert skill_names(list_skills(base, {})) - before == {"release-notes"}

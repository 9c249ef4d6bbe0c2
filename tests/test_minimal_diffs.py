"""Editors' commits are minimal, reviewable diffs: a version bump changes one line of
``plugin.json`` and one of ``marketplace.json``, whatever their formatting."""

from __future__ import annotations

import json

import pytest
from gitserver import git
from test_editing import ED, app, auth, bare, client, server  # noqa: F401 - fixtures

from skillport_connector.editing.jsontext import NotFoundInText, patched, replace_value


def test_replace_value_changes_only_that_value():
    text = '{\n  "a" : [1, {"version":"1.0.0" , "x": "y"}],\n\t"b": null\n}\n'
    out = replace_value(text, ("a", 1, "version"), "1.1.0")
    assert out == text.replace('"1.0.0"', '"1.1.0"')


def test_replace_value_refuses_a_path_that_is_not_there():
    with pytest.raises(NotFoundInText):
        replace_value('{"a": {"b": 1}}', ("a", "c"), 2)


def test_patched_keeps_a_byte_order_mark_and_gives_up_on_duplicate_keys():
    raw = '\ufeff{"version": "1.0.0"}'.encode()
    assert patched(raw, ("version",), "2.0.0", {"version": "2.0.0"}) == (
        '\ufeff{"version": "2.0.0"}'.encode()
    )
    twice = b'{"version": "1.0.0", "version": "1.5.0"}'
    assert patched(twice, ("version",), "2.0.0", {"version": "2.0.0"}) is None


def numstat(server) -> dict[str, tuple[int, int]]:  # noqa: F811
    out = git("show", "--numstat", "--format=", "main", cwd=bare(server))
    return {p: (int(a), int(d)) for a, d, p in (line.split("\t") for line in out.splitlines())}


def test_a_bump_is_a_one_line_change_in_each_file(server, app, client):  # noqa: F811
    r = client.post("/api/skills/changelog/bump", headers=auth(app, ED), json={"type": "minor"})
    assert r.status_code == 200, r.text
    stats = numstat(server)
    assert stats == {
        ".claude-plugin/marketplace.json": (1, 1),
        "plugins/engineering/.claude-plugin/plugin.json": (1, 1),
    }
    entry = next(
        p
        for p in json.loads(git("show", "main:.claude-plugin/marketplace.json", cwd=bare(server)))[
            "plugins"
        ]
        if p["name"] == "engineering"
    )
    assert entry["version"] == r.json()["newVersion"]

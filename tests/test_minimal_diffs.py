"""Editors' commits are minimal, reviewable diffs: a version bump changes one line of
``plugin.json`` and one of ``marketplace.json``, whatever their formatting; publishing a
group adds its entry's lines and deleting one removes them, the rest as written."""

from __future__ import annotations

import json

import pytest
from gitserver import git
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import plain_json
from test_editing import ED, app, auth, bare, server  # noqa: F401 - fixtures

from skillport_connector.editing.jsontext import (
    NotFoundInText,
    patched,
    replace_value,
    rewrite,
    same,
)


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


def test_rewrite_adds_a_missing_key_indented_like_its_siblings():
    raw = b'{\n    "name": "brand",\n    "author": { "name": "B" }\n}\n'
    out = rewrite(raw, {"name": "brand", "author": {"name": "B"}, "version": "1.0.0"})
    assert (
        out
        == b'{\n    "name": "brand",\n    "author": { "name": "B" },\n    "version": "1.0.0"\n}\n'
    )


def test_rewrite_keeps_a_one_line_object_on_one_line():
    out = rewrite(b'{"a": {"x": 1}}', {"a": {"x": 1, "y": [2]}})
    assert out == b'{"a": {"x": 1, "y": [2]}}'


def test_rewrite_removes_a_list_item_with_its_comma():
    raw = b'{"plugins": [\n  {"name": "a"},\n  {"name": "b"},\n  {"name": "c"}\n]}'
    assert rewrite(raw, {"plugins": [{"name": "a"}, {"name": "c"}]}) == (
        b'{"plugins": [\n  {"name": "a"},\n  {"name": "c"}\n]}'
    )
    assert rewrite(raw, {"plugins": [{"name": "b"}, {"name": "c"}]}) == (
        b'{"plugins": [\n  {"name": "b"},\n  {"name": "c"}\n]}'
    )


def test_rewrite_appends_a_list_item_formatted_at_its_siblings_indent():
    raw = b'{\n  "plugins": [\n    {"name": "a"}\n  ]\n}\n'
    out = rewrite(raw, {"plugins": [{"name": "a"}, {"name": "b", "tags": ["x"]}]})
    assert out == (
        b'{\n  "plugins": [\n    {"name": "a"},\n    {\n      "name": "b",\n'
        b'      "tags": [\n        "x"\n      ]\n    }\n  ]\n}\n'
    )


def test_rewrite_tells_true_from_one_and_gives_up_on_duplicate_keys():
    assert rewrite(b'{"a": 1}', {"a": True}) == b'{"a": true}'
    assert rewrite(b'{"v": "1", "v": "2"}', {"v": "3"}) is None


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


def test_bumping_a_group_without_a_version_adds_one_line_to_its_entry(server, app, client):  # noqa: F811
    r = client.post("/api/skills/house-style/bump", headers=auth(app, ED), json={"type": "minor"})
    assert r.status_code == 200, r.text
    added, removed = numstat(server)[".claude-plugin/marketplace.json"]
    assert (added, removed) == (2, 1)  # `"category": "design"` gains a comma


def test_publishing_a_group_adds_only_its_entry(server, app, client):  # noqa: F811
    body = {"description": "Incident reviews", "tags": ["surface:CC"]}
    r = client.post("/api/skills/incident-review/publish", headers=auth(app, ED), json=body)
    assert r.status_code == 200, r.text
    added, removed = numstat(server)[".claude-plugin/marketplace.json"]
    assert removed <= 1 and 8 <= added <= 12  # the entry, and a comma after the last one


def test_deleting_a_group_removes_only_its_entry(server, app, client):  # noqa: F811
    r = client.delete("/api/skills/house-style?confirm=true", headers=auth(app, ED))
    assert r.status_code == 200 and r.json()["pluginDeleted"] is True, r.text
    assert numstat(server)[".claude-plugin/marketplace.json"] == (0, 7)


@settings(max_examples=150, deadline=None)
@given(old=plain_json, new=plain_json, indent=st.sampled_from([None, 2, 4, "\t"]))
def test_rewrite_gives_the_new_document_or_nothing(old, new, indent):
    out = rewrite(json.dumps(old, indent=indent).encode(), new)
    assert out is None or same(json.loads(out), new)

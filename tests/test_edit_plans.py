"""The editing plans as pure functions: (snapshot, policy, person, request) in, file
changes out, or a domain error. No git, no HTTP."""

from __future__ import annotations

import json

import pytest
from conftest import marketplace, skill_md

from skillport_connector.access import AccessPolicy
from skillport_connector.auth import Identity
from skillport_connector.editing.operations import (
    BumpRequest,
    SaveRequest,
    plan_bump,
    plan_delete,
    plan_save,
)
from skillport_connector.errors import Forbidden, InvalidRequest, NotFound

ED = Identity.local("ed@example.com")
WRITER = Identity.local("w@example.com")
POLICY = AccessPolicy.parse(
    {"editors": [{"id": ED.id}], "skills": {"notes": {"write": [WRITER.id]}}}
)


def files(**contents: str) -> SaveRequest:
    return SaveRequest.model_validate(
        {"files": [{"path": p.replace("__", "/"), "content": c} for p, c in contents.items()]}
    )


@pytest.fixture
def catalog(load):
    return load(
        {
            ".claude-plugin/marketplace.json": marketplace(
                {"name": "writing", "source": "./plugins/writing"}
            ),
            "plugins/writing/skills/notes/SKILL.md": skill_md("notes"),
            "plugins/writing/skills/other/SKILL.md": skill_md("other"),
        }
    )


def test_a_save_writes_only_inside_the_skill_folder(catalog):
    plan = plan_save(catalog, POLICY, WRITER, "notes", files(a__b="x"))
    assert list(plan.changes) == ["plugins/writing/skills/notes/a/b"]
    assert plan.touched == ("plugins/writing/skills/notes/a/b",)


@pytest.mark.parametrize(
    "path",
    [
        ".gitignore",
        "x/.gitmodules",
        ".skillport/access.json",
        ".claude-plugin/plugin.json",
        # every spelling git itself refuses (it would skip the file and commit nothing)
        ".GIT/config",
        "x/.Git/hooks/pre-commit",
        "git~1/config",
        "GIT~2/config",
        ".git./config",
        ".git /config",
        ".g\u200cit/config",
        ".git::$INDEX_ALLOCATION/config",
        ".SkillPort/access.json",
    ],
)
def test_a_save_never_writes_configuration(catalog, path):
    with pytest.raises(InvalidRequest):
        plan_save(catalog, POLICY, WRITER, "notes", files(**{path.replace("/", "__"): "x"}))


def test_a_writer_of_one_skill_cannot_save_another(catalog):
    with pytest.raises(Forbidden):
        plan_save(catalog, POLICY, WRITER, "other", files(a="x"))


def test_a_hidden_or_absent_skill_is_not_found_for_delete(catalog):
    reader = Identity.local("r@example.com")
    with pytest.raises(NotFound):
        plan_delete(catalog, POLICY, reader, "nope")


def test_a_save_of_a_root_skill_is_refused(load):
    root = load(
        {
            ".claude-plugin/marketplace.json": marketplace({"name": "root", "source": "./"}),
            "SKILL.md": skill_md("root"),
        }
    )
    assert root.skill("root") is not None and root.skill("root").path == ""
    with pytest.raises(InvalidRequest, match="root"):
        plan_save(root, POLICY, ED, "root", files(a="x"))


def test_front_matter_python_cannot_read_is_a_bad_request(catalog):
    bad = skill_md("notes", extra="updated: 2024-02-30\n")
    with pytest.raises(InvalidRequest):
        plan_save(catalog, POLICY, WRITER, "notes", files(**{"SKILL.md": bad}))


def test_deleting_a_folder_with_a_link_loop_removes_the_link_itself(load, tmp_path):
    looped = load(
        {
            ".claude-plugin/marketplace.json": marketplace(
                {"name": "writing", "source": "./plugins/writing"}
            ),
            "plugins/writing/skills/notes/SKILL.md": skill_md("notes"),
            "plugins/writing/skills/keep/SKILL.md": skill_md("keep"),
        }
    )
    (tmp_path / "plugins/writing/skills/notes/self").symlink_to(".")
    plan = plan_delete(looped, POLICY, WRITER, "notes")
    assert sorted(plan.changes) == [
        "plugins/writing/skills/notes/SKILL.md",
        "plugins/writing/skills/notes/self",
    ]


@pytest.mark.parametrize("path", ["a\nb", "crlf\r\nX-Injected: 1", "tab\there", "del\x7f"])
def test_a_file_path_with_a_control_character_is_a_bad_request(catalog, path):
    request = SaveRequest.model_validate({"files": [{"path": path, "content": "x"}]})
    with pytest.raises(InvalidRequest, match="control character"):
        plan_save(catalog, POLICY, WRITER, "notes", request)


def test_a_save_through_an_existing_file_is_a_bad_request(catalog):
    with pytest.raises(InvalidRequest, match="not a folder"):
        plan_save(catalog, POLICY, WRITER, "notes", files(**{"SKILL.md__evil": "x"}))


def test_a_save_through_a_folder_link_is_a_bad_request(catalog, tmp_path):
    (tmp_path / "plugins/writing/skills/notes/sub").mkdir()
    (tmp_path / "plugins/writing/skills/notes/lnk").symlink_to("sub")
    with pytest.raises(InvalidRequest, match="not a folder"):
        plan_save(catalog, POLICY, WRITER, "notes", files(lnk__evil="x"))


def test_a_save_over_an_existing_folder_is_a_bad_request(catalog, tmp_path):
    (tmp_path / "plugins/writing/skills/notes/sub").mkdir()
    (tmp_path / "plugins/writing/skills/notes/sub/f.txt").write_text("kept")
    with pytest.raises(InvalidRequest, match="is a folder"):
        plan_save(catalog, POLICY, WRITER, "notes", files(sub="x"))


def test_a_save_into_an_existing_folder_is_fine(catalog, tmp_path):
    (tmp_path / "plugins/writing/skills/notes/sub").mkdir()
    plan = plan_save(catalog, POLICY, WRITER, "notes", files(sub__new="x"))
    assert list(plan.changes) == ["plugins/writing/skills/notes/sub/new"]


def test_deleting_a_skill_with_another_skill_inside_its_folder_is_refused(load):
    nested = load(
        {
            ".claude-plugin/marketplace.json": marketplace(
                {
                    "name": "writing",
                    "source": "./plugins/writing",
                    "skills": ["./skills/notes", "./skills/notes/hidden-deep"],
                }
            ),
            "plugins/writing/skills/notes/SKILL.md": skill_md("notes"),
            "plugins/writing/skills/notes/hidden-deep/SKILL.md": skill_md("hidden-deep"),
        }
    )
    assert nested.skill("hidden-deep") is not None
    with pytest.raises(Forbidden, match="content you cannot change") as refused:
        plan_delete(nested, POLICY, WRITER, "notes")
    assert "hidden-deep" not in str(refused.value)


def test_deleting_the_only_skill_of_a_group_removes_the_group_folder(load):
    alone = load(
        {
            ".claude-plugin/marketplace.json": marketplace(
                {"name": "writing", "source": "./plugins/writing"}
            ),
            "plugins/writing/.claude-plugin/plugin.json": '{"name": "writing"}',
            "plugins/writing/skills/notes/SKILL.md": skill_md("notes"),
        }
    )
    plan = plan_delete(alone, POLICY, WRITER, "notes")
    assert {p for p, c in plan.changes.items() if c is None} == {
        "plugins/writing/.claude-plugin/plugin.json",
        "plugins/writing/skills/notes/SKILL.md",
    }


def test_a_first_bump_writes_plugin_json_with_the_entrys_description_and_author(load):
    """Claude Code's validator warns about a plugin.json without them."""
    entry = {
        "name": "brand",
        "source": "./plugins/brand",
        "description": "House style",
        "author": {"name": "Brand Studio"},
        "category": "design",
    }
    catalog = load(
        {
            ".claude-plugin/marketplace.json": marketplace(entry),
            "plugins/brand/skills/notes/SKILL.md": skill_md("notes"),
        }
    )
    plan = plan_bump(catalog, POLICY, WRITER, "notes", BumpRequest(type="minor"))
    written = plan.changes["plugins/brand/.claude-plugin/plugin.json"]
    assert written is not None
    assert json.loads(written) == {
        "name": "brand",
        "description": "House style",
        "author": {"name": "Brand Studio"},
        "version": "0.1.0",
    }

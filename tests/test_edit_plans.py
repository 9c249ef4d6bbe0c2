"""The editing plans as pure functions: (snapshot, policy, person, request) in, file
changes out, or a domain error. No git, no HTTP."""

from __future__ import annotations

import pytest
from conftest import marketplace, skill_md

from skillport_connector.access import AccessPolicy
from skillport_connector.auth import Identity
from skillport_connector.editing.operations import (
    SaveRequest,
    plan_delete,
    plan_save,
)
from skillport_connector.editing.plan import MAX_DELETE_DEPTH
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
    "path", [".gitignore", "x/.gitmodules", ".skillport/access.json", ".claude-plugin/plugin.json"]
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


def test_deleting_a_folder_with_a_link_loop_is_bounded(load, tmp_path):
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
    try:
        plan = plan_delete(looped, POLICY, WRITER, "notes")
    except InvalidRequest as exc:
        assert "git" in str(exc)  # the walk stopped at its bound
    else:
        assert all(p.count("/self") < MAX_DELETE_DEPTH for p in plan.changes)


@pytest.mark.parametrize("path", ["a\nb", "crlf\r\nX-Injected: 1", "tab\there", "del\x7f"])
def test_a_file_path_with_a_control_character_is_a_bad_request(catalog, path):
    request = SaveRequest.model_validate({"files": [{"path": path, "content": "x"}]})
    with pytest.raises(InvalidRequest, match="control character"):
        plan_save(catalog, POLICY, WRITER, "notes", request)

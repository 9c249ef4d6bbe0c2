"""``skillport-connector validate``: findings as file:line: message, exit codes, --json."""

from __future__ import annotations

import json
import os
from pathlib import Path

from conftest import marketplace, skill_md, write_tree

from skillport_connector.cli import main
from skillport_connector.settings import demo_marketplace

MP = ".claude-plugin/marketplace.json"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["validate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_clean_marketplace_exits_zero(capsys):
    code, out, _ = run(capsys, str(demo_marketplace()), "--strict")
    assert code == 0
    assert "0 errors, 0 warnings" in out


def test_errors_are_printed_with_file_and_line_and_exit_one(tmp_path: Path, capsys):
    write_tree(
        tmp_path,
        {
            MP: marketplace({"name": "a", "source": "./a"}),
            "a/skills/bad/SKILL.md": "---\nname: Bad_Name\ndescription: d\n---\n",
        },
    )
    code, out, _ = run(capsys, str(tmp_path))
    assert code == 1
    assert "a/skills/bad/SKILL.md:2: error: name 'Bad_Name' must use only lowercase" in out


def test_warnings_fail_only_with_strict(tmp_path: Path, capsys):
    write_tree(
        tmp_path,
        {
            MP: marketplace({"name": "a", "source": "./a"}),
            "a/skills/folder/SKILL.md": skill_md("other"),
        },
    )
    assert run(capsys, str(tmp_path))[0] == 0
    assert run(capsys, str(tmp_path), "--strict")[0] == 1


def test_json_report_shape(tmp_path: Path, capsys):
    write_tree(
        tmp_path,
        {
            MP: marketplace(
                {"name": "a", "source": "./a", "version": "1.0.0"},
                {"name": "r", "source": {"source": "github", "repo": "o/r"}},
            ),
            "a/skills/one/SKILL.md": skill_md("one", "First skill."),
            "plugins/draft/skills/two/SKILL.md": skill_md("two"),
        },
    )
    code, out, _ = run(capsys, str(tmp_path), "--json")
    report = json.loads(out)
    assert code == 0
    assert report["marketplace"] == "test-market"
    by_name = {p["name"]: p for p in report["plugins"]}
    assert by_name["a"] == {
        "name": "a",
        "source": "./a",
        "remote": False,
        "published": True,
        "loadable": True,
        "version": "1.0.0",
        "skills": [{"name": "one", "path": "a/skills/one", "description": "First skill."}],
    }
    assert by_name["r"]["remote"] is True and by_name["r"]["skills"] == []
    assert by_name["draft"]["published"] is False
    assert report["findings"] == []


def test_thoroughly_broken_marketplace_is_explained_without_crashing(tmp_path: Path, capsys):
    write_tree(
        tmp_path,
        {
            MP: '{"name": "x", "owner": {"name": "o"}, "plugins": [\n'
            ' {"name": "a", "source": "./a"},\n'
            ' {"name": "b", "source": "../b"},\n'
            ' {"name": "c", "source": {"source": "github"}},\n'
            ' {"name": "d", "source": "./missing"},\n'
            ' "not-an-object"\n]}',
            "a/.claude-plugin/plugin.json": "{oops",
            "a/skills/s/SKILL.md": b"\xff\xfe garbage",
            "plugins/g/skills/t/SKILL.md": "---\nname: [\n---\n",
            "plugins/g/skills/u/SKILL.md": "no front matter",
        },
    )
    code, out, _ = run(capsys, str(tmp_path))
    assert code == 1
    lines = out.strip().splitlines()
    assert any(
        line.startswith(".claude-plugin/marketplace.json:3: error: plugin 'b'") for line in lines
    )
    assert any(
        line.startswith("a/.claude-plugin/plugin.json:1: error: is not valid JSON")
        for line in lines
    )
    assert any("plugins/g/skills/t/SKILL.md:2: error" in line for line in lines)
    assert any("plugins/g/skills/u/SKILL.md:1: error" in line for line in lines)
    assert lines[-1].endswith("warnings")


def test_missing_folder_exits_two(tmp_path: Path, capsys):
    code, _, err = run(capsys, str(tmp_path / "nope"))
    assert code == 2 and "is not a folder" in err


def _hostile_tree(root: Path) -> Path:
    write_tree(
        root,
        {
            MP: '{"name": "m", "owner": {"name": "o"}, "n": ' + "9" * 5000 + "}",
            "plugins/q/.claude-plugin/plugin.json": '{"name": "q", "x": '
            + "[" * 5000
            + "]" * 5000
            + "}",
            "plugins/p/skills/dated/SKILL.md": skill_md("dated", extra="updated: 2024-02-30\n"),
            "plugins/p/skills/alias/SKILL.md": skill_md("alias", extra="x: &a [*a]\n"),
            "plugins/p/skills/dots/SKILL.md": skill_md("dots", extra="n: " + "1" * 5000 + "\n"),
            ".skillport/access.json": '{"editors": [' + "7" * 5000 + "]}",
        },
    )
    (root / os.fsdecode(b"plugins/p/skills/dated/bad\xff.txt")).write_bytes(b"x")
    (root / "plugins/p/skills/dated/d").mkdir()
    for name in "abc":
        os.symlink(".", root / f"plugins/p/skills/dated/d/{name}")
    return root


def test_validate_reports_hostile_content_and_never_crashes(tmp_path: Path, capsys):
    """Issue 9 #2/#10: every problem in the tree is a finding; validate exits 1, no traceback."""
    code, out, err = run(capsys, str(_hostile_tree(tmp_path)))
    assert code == 1 and err == ""
    for expected in ("longer than 64 digits", "nests deeper than", "not a valid date", "alias"):
        assert expected in out, expected
    assert "bad\\xff.txt" in out
    assert ".skillport/access.json" in out


def test_validate_json_report_of_a_hostile_tree_is_valid_utf8_json(tmp_path: Path, capsys):
    code, out, _ = run(capsys, str(_hostile_tree(tmp_path)), "--json")
    report = json.loads(out.encode("utf-8"))
    assert code == 1 and report["findings"]


def test_a_folder_that_is_not_a_marketplace_exits_two(tmp_path: Path, capsys):
    (tmp_path / "notes.txt").write_text("hello\n")
    code, out, err = run(capsys, str(tmp_path))
    assert code == 2 and "is not a marketplace" in err and out == ""


def test_the_summary_says_how_many_skills_are_in_unpublished_groups(capsys):
    _, out, _ = run(capsys, str(demo_marketplace()))
    assert "8 skills (1 in unpublished groups, listed only for their editors)" in out


def test_a_broken_access_json_counts_as_an_error(tmp_path: Path, capsys):
    write_tree(
        tmp_path,
        {
            MP: marketplace({"name": "a", "source": "./a"}),
            "a/skills/one/SKILL.md": skill_md("one"),
            ".skillport/access.json": "{not json",
        },
    )
    code, out, _ = run(capsys, str(tmp_path))
    assert code == 1
    assert ".skillport/access.json" in out and "1 errors" in out


def test_a_git_url_is_named_as_given_with_a_hint(capsys):
    code, _, err = run(capsys, "https://github.com/acme/skills.git")
    assert code == 2
    assert "https://github.com/acme/skills.git is not a folder" in err and "git clone" in err

"""Issue 9: a hostile repository cannot crash, hang or widen access through the catalog.

Each test names the defect it closes; every one failed on the catalog before the fix.
The rules live in one place each (``catalog/files.py``, ``catalog/data.py``,
``names.py``), so REST, MCP, install, editing, validate and serve all get them.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import marketplace, messages, skill_md, write_tree
from gitrepos import git_tree

from skillport_connector.access import AccessPolicy
from skillport_connector.catalog import Limits, load_catalog
from skillport_connector.catalog.files import TooManyEntries, entries_under
from skillport_connector.catalog.semver import InvalidVersion, Version, is_newer
from skillport_connector.catalog.tree import Entry
from skillport_connector.sources.gitrepo import GitTree
from skillport_connector.sources.tree import DirectoryTree, EntryKind, MemoryTree

MP = ".claude-plugin/marketplace.json"
HUGE_INT = "9" * 5000
DEEP = "[" * 5000 + "]" * 5000


def single(name_line: str) -> dict[str, object]:
    """A one-skill plugin whose SKILL.md is at its root, so its front-matter name is used."""
    return {
        MP: marketplace({"name": "p", "source": "./p"}),
        "p/SKILL.md": f"---\n{name_line}\ndescription: d\n---\nbody\n",
    }


def encodes(catalog) -> None:
    """Everything a client could be sent encodes as UTF-8 JSON."""
    json.dumps([f.as_dict() for f in catalog.findings], ensure_ascii=False).encode()
    for skill in catalog.skills.values():
        json.dumps(
            {
                "name": skill.name,
                "fm": catalog.document(skill).data,
                "files": [f.path for f in skill.files],
            },
            ensure_ascii=False,
        ).encode()


# -- 1. a root-level skill is its own folder only ------------------------------------------


ROOT_MARKET = {
    MP: marketplace(
        {"name": "root", "source": "./"}, {"name": "other", "source": "./plugins/other"}
    ),
    "SKILL.md": skill_md("root"),
    "docs/guide.md": "guide\n",
    ".skillport/access.json": {"editors": [{"id": "local:boss@example.com"}]},
    ".github/workflows/ci.yml": "on: push\n",
    ".gitignore": "*.pyc\n",
    "plugins/other/skills/secret/SKILL.md": skill_md("secret"),
    "plugins/hidden/skills/draft/SKILL.md": skill_md("draft"),
    "plugins/README.md": "groups live here\n",
}


def test_root_level_skill_lists_only_its_own_files(load):
    cat = load(ROOT_MARKET)
    assert [f.path for f in cat.skill("root").files] == ["SKILL.md", "docs/guide.md"]


def test_root_level_skill_owns_no_config_machinery_or_other_groups(load):
    cat = load(ROOT_MARKET)
    root = cat.skill("root")
    for path in (
        ".skillport/access.json",
        ".claude-plugin/marketplace.json",
        ".github/workflows/ci.yml",
        ".gitattributes",
        "plugins/other/skills/secret/SKILL.md",
        "plugins/hidden/skills/draft/new.md",
        "plugins/new-group/x.md",
        "../escape",
        "",
    ):
        assert not cat.skill_owns(root, path), path
    assert cat.skill_owns(root, "docs/new.md")


def test_a_nested_skill_owns_only_paths_inside_its_folder(load):
    cat = load(ROOT_MARKET)
    secret = cat.skill("secret")
    assert cat.skill_owns(secret, "plugins/other/skills/secret/scripts/a.py")
    assert not cat.skill_owns(secret, "plugins/other/skills/secretive/a.py")
    assert not cat.skill_owns(secret, "plugins/other/.claude-plugin/plugin.json")
    assert not cat.skill_owns(secret, "plugins/other/skills/secret/.git/config")


# -- 2. nothing in repository content raises ------------------------------------------------


@pytest.mark.parametrize("value", ["2024-02-30", "2024-13-01", "2024-01-01 25:61:00"])
def test_an_impossible_date_in_front_matter_is_a_warning_and_kept_as_text(load, value):
    cat = load(single(f"name: s\nupdated: {value}"))
    assert cat.document(cat.skill("s")).data["updated"] == value
    assert any("not a valid date" in m for m in messages(cat, "warning"))


def test_a_valid_date_in_front_matter_stays_plain_text(load):
    cat = load(single("name: s\nupdated: 2024-02-29"))
    assert cat.document(cat.skill("s")).data["updated"] == "2024-02-29"


def test_a_huge_integer_in_front_matter_is_an_error_not_a_crash(load):
    cat = load(single(f"name: s\ncount: {HUGE_INT}"))
    assert any("longer than 64 digits" in m for m in messages(cat, "error"))
    encodes(cat)


@pytest.mark.parametrize("where", ["marketplace", "plugin"])
def test_a_huge_integer_in_a_manifest_is_a_finding(load, where):
    files: dict[str, object] = {
        MP: marketplace({"name": "p", "source": "./p"}),
        "p/skills/s/SKILL.md": skill_md("s"),
    }
    raw = '{"name": "p", "n": ' + HUGE_INT + "}"
    if where == "marketplace":
        files[MP] = '{"name": "m", "owner": {"name": "o"}, "plugins": [], "n": ' + HUGE_INT + "}"
    else:
        files["p/.claude-plugin/plugin.json"] = raw
    cat = load(files)
    assert any("longer than 64 digits" in m for m in messages(cat, "error"))


@pytest.mark.parametrize("where", ["marketplace", "plugin"])
def test_deep_nesting_in_a_manifest_is_a_finding(load, where):
    files: dict[str, object] = {
        MP: marketplace({"name": "p", "source": "./p"}),
        "p/skills/s/SKILL.md": skill_md("s"),
    }
    if where == "marketplace":
        files[MP] = '{"name": "m", "owner": {"name": "o"}, "x": ' + DEEP + "}"
    else:
        files["p/.claude-plugin/plugin.json"] = '{"name": "p", "x": ' + DEEP + "}"
    cat = load(files)
    assert any("nests deeper than" in m for m in messages(cat, "error"))


def test_deep_nesting_in_front_matter_is_a_finding(load):
    cat = load(single("name: s\nx: " + "[" * 5000 + "]" * 5000))
    assert messages(cat, "error")
    encodes(cat)


def test_a_version_with_thousands_of_digits_is_not_a_version():
    with pytest.raises(InvalidVersion):
        Version.parse(f"{HUGE_INT}.0.0")
    assert is_newer(f"{HUGE_INT}.0.0", "1.0.0") is True  # different text: offered


@pytest.mark.parametrize(
    "content",
    [
        '{"editors": [' + HUGE_INT + "]}",
        '{"skills": ' + DEEP + "}",
        '{"defaults": {"read": NaN}}',
        '{"editors": ["\\udcff:x"]}',
        b"\xff\xfe not utf-8",
    ],
    ids=["huge-int", "deep", "nan", "lone-surrogate", "not-utf8"],
)
def test_a_malformed_access_file_denies_everyone_with_a_finding(content):
    policy = AccessPolicy.from_tree(MemoryTree({".skillport/access.json": content}))
    assert policy.error is not None
    assert policy.findings()[0].level == "error"
    assert not policy.default_read.everyone


# -- 3. symlinks: every walk is linear and bounded ------------------------------------------


class CountingTree(DirectoryTree):
    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.listings = 0

    def list_dir(self, path: str):
        self.listings += 1
        return super().list_dir(path)


def test_a_symlink_farm_is_walked_once_not_exponentially(tmp_path):
    root = write_tree(
        tmp_path,
        {MP: marketplace({"name": "a", "source": "./a"}), "a/skills/one/SKILL.md": skill_md("one")},
    )
    (root / "a/skills/one/d").mkdir()
    for name in "abc":
        os.symlink(".", root / f"a/skills/one/d/{name}")
    tree = CountingTree(root)
    cat = load_catalog(tree, Limits(max_depth=8))
    assert [f.path for f in cat.skill("one").files] == ["SKILL.md"]
    assert tree.listings < 20
    assert sum("symlink to a folder" in m for m in messages(cat, "warning")) == 3


def test_the_entry_budget_stops_a_walk_with_a_finding(tmp_path):
    files: dict[str, object] = {
        MP: marketplace({"name": "a", "source": "./a"}),
        "a/skills/one/SKILL.md": skill_md("one"),
    }
    files.update({f"a/skills/one/f{i:03}.txt": "x" for i in range(200)})
    cat = load_catalog(DirectoryTree(write_tree(tmp_path, files)), Limits(max_entries=50))
    assert any("more than 50 files and folders" in m for m in messages(cat, "error"))


def test_a_git_snapshot_lists_no_more_than_the_entry_budget_and_says_so(tmp_path):
    files: dict[str, object] = {
        MP: marketplace({"name": "a", "source": "./a"}),
        "a/skills/one/SKILL.md": skill_md("one"),
    }
    files.update({f"a/skills/one/f{i:03}.txt": "x" for i in range(200)})
    full = git_tree(write_tree(tmp_path, files))
    tree = GitTree(full.repo, full.commit, max_entries=50)
    assert not full.truncated and tree.truncated
    assert len(tree._files) + len(tree._children) <= 50
    cat = load_catalog(tree, Limits(max_entries=50))
    assert any("more than 50 files and folders" in m for m in messages(cat, "error"))
    assert cat.skill("one") is not None  # what was listed still loads
    full.close()
    tree.close()


def test_git_tree_resolves_each_link_once(tmp_path):
    root = tmp_path / "r"
    (root / "d").mkdir(parents=True)
    (root / "d/f.txt").write_text("x")
    os.symlink(".", root / "d/l")
    tree = git_tree(root)
    reads = 0
    original = tree._read_blob

    def counting(sha: str) -> bytes:
        nonlocal reads
        reads += 1
        return original(sha)

    tree._read_blob = counting  # type: ignore[method-assign]
    assert tree.read_bytes("d/" + "l/" * 12 + "f.txt") == b"x"
    assert reads == 2  # the link once, the file once
    tree.close()


def test_git_tree_reports_a_link_cycle_as_an_escape(tmp_path):
    root = tmp_path / "r"
    root.mkdir()
    os.symlink("b", root / "a")
    os.symlink("a", root / "b")
    tree = git_tree(root)
    assert tree.kind("a") is EntryKind.ESCAPE and tree.resolve("a") is None
    tree.close()


def test_git_tree_lists_every_kind_of_entry_by_name(tmp_path):
    root = tmp_path / "r"
    (root / "d/sub").mkdir(parents=True)
    (root / "d/b-c.txt").write_text("12345")
    (root / "d/run.sh").write_text("#!/bin/sh\n")
    os.chmod(root / "d/run.sh", 0o755)
    os.symlink("b-c.txt", root / "d/link")
    os.symlink("/etc/passwd", root / "d/out")
    (root / "d/sub/x").write_text("x")
    tree = git_tree(root)
    git = ["git", "-C", str(root)]
    commit = tree.commit  # a submodule: a commit in the tree, not a blob
    subprocess.run([*git, "update-index", "--add", "--cacheinfo", f"160000,{commit},d/mod"])
    out = subprocess.run([*git, "write-tree"], capture_output=True, text=True, check=True)
    tree = GitTree(tree.repo, out.stdout.strip())
    assert tree.list_dir("d") == [
        Entry("b-c.txt", EntryKind.FILE, 5),
        Entry("link", EntryKind.FILE, 5, "d/b-c.txt"),
        Entry("mod", EntryKind.OTHER),
        Entry("out", EntryKind.ESCAPE),
        Entry("run.sh", EntryKind.FILE, 10, None, True),
        Entry("sub", EntryKind.DIR),
    ]
    assert [tree.kind(p) for p in ("d", "d/sub/x", "d/mod", "d/out", "d/none")] == [
        EntryKind.DIR, EntryKind.FILE, EntryKind.OTHER, EntryKind.ESCAPE, None
    ]  # fmt: skip
    tree.close()


# -- 7. an in-tree symlink may not leave the skill's folder ---------------------------------


def test_a_link_to_another_skills_file_is_not_part_of_the_skill(tmp_path):
    root = write_tree(
        tmp_path,
        {
            MP: marketplace({"name": "a", "source": "./a"}),
            "a/skills/public-skill/SKILL.md": skill_md("public-skill"),
            "a/skills/secret-skill/SKILL.md": skill_md("secret-skill", "Top secret."),
        },
    )
    os.symlink("../secret-skill/SKILL.md", root / "a/skills/public-skill/peek")
    os.symlink("../secret-skill", root / "a/skills/public-skill/peekdir")
    cat = load_catalog(DirectoryTree(root))
    assert [f.path for f in cat.skill("public-skill").files] == ["SKILL.md"]
    assert any("outside the skill's folder" in m for m in messages(cat, "warning"))


def test_a_skill_folder_that_is_a_symlink_is_not_served(tmp_path):
    root = write_tree(
        tmp_path,
        {
            MP: marketplace({"name": "a", "source": "./a"}),
            "a/skills/secret/SKILL.md": skill_md("secret"),
        },
    )
    os.symlink("secret", root / "a/skills/peek")
    cat = load_catalog(DirectoryTree(root))
    assert set(cat.skills) == {"secret"}
    assert any("only a real folder can hold a skill" in m for m in messages(cat, "error"))


def test_a_skill_md_linked_from_another_skill_makes_no_skill(tmp_path):
    root = write_tree(
        tmp_path,
        {
            MP: marketplace({"name": "a", "source": "./a"}),
            "a/skills/secret/SKILL.md": skill_md("secret"),
            "a/skills/copy/notes.md": "x",
        },
    )
    os.symlink("../secret/SKILL.md", root / "a/skills/copy/SKILL.md")
    cat = load_catalog(DirectoryTree(root))
    assert set(cat.skills) == {"secret"}


# -- 8. YAML aliases -------------------------------------------------------------------------


def test_a_recursive_yaml_alias_is_an_error_and_the_skill_stays_listable(load):
    cat = load(single("name: s\nx: &a [*a]"))
    assert any("alias" in m for m in messages(cat, "error"))
    encodes(cat)


def test_an_alias_bomb_expands_to_nothing(load):
    bomb = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
    )
    cat = load(single("name: s\n" + bomb.strip()))
    skill = cat.skill("p")
    assert skill is not None and len(json.dumps(cat.document(skill).data)) < 1000
    assert any("alias" in m for m in messages(cat, "error"))


# -- 9. names that are not UTF-8 -------------------------------------------------------------


def test_non_utf8_file_and_folder_names_are_skipped_with_a_finding(tmp_path):
    root = write_tree(
        tmp_path,
        {
            MP: marketplace({"name": "a", "source": "./a"}),
            "a/skills/one/SKILL.md": skill_md("one"),
        },
    )
    (root / os.fsdecode(b"a/skills/one/bad\xff.txt")).write_bytes(b"x")
    (root / "a/skills/one/back\\slash").write_text("x")
    (root / "a/skills/one/cr\rlf").write_text("x")
    group = root / os.fsdecode(b"plugins/x\xff/skills/s")
    group.mkdir(parents=True)
    (group / "SKILL.md").write_text(skill_md("s"))
    cat = load_catalog(DirectoryTree(root))
    assert [f.path for f in cat.skill("one").files] == ["SKILL.md"]
    assert [p.name for p in cat.plugins] == ["a"]
    assert any("bad\\xff.txt" in f.file for f in cat.findings)
    encodes(cat)


# -- 10. invalid skill names are not served --------------------------------------------------


@pytest.mark.parametrize(
    "name_line",
    [
        "name: ..",
        "name: '..\\..\\..\\evil'",
        "name: \u0441sv-profiler",  # a Cyrillic look-alike of csv-profiler
        "name: 日本語",
        'name: "a\\r\\nb"',
        "name: UPPER",
    ],
)
def test_a_skill_with_an_invalid_name_is_not_served(load, name_line):
    cat = load(single(name_line))
    assert cat.skills == {}
    assert any("not usable" in m for m in messages(cat, "error"))


def test_an_invalid_front_matter_name_is_one_error_at_its_line(load):
    cat = load(single("name: Bad_Name"))
    [finding] = [f for f in cat.findings if f.file == "p/SKILL.md"]
    assert (finding.level, finding.line) == ("error", 2)
    assert finding.message == (
        "name 'Bad_Name' must use only lowercase letters, digits and single hyphens, "
        "not starting or ending with a hyphen; the skill is not usable: not served"
    )


def test_a_folder_name_that_is_not_a_skill_name_is_not_served(load):
    cat = load(
        {
            MP: marketplace({"name": "a", "source": "./a"}),
            "a/skills/\u0441sv-profiler/SKILL.md": skill_md("csv-profiler"),
        }
    )
    assert cat.skills == {}


def test_an_unusable_folder_name_is_one_error_naming_the_rule(load):
    cat = load(
        {
            MP: marketplace({"name": "a", "source": "./a"}),
            "a/skills/Bad_Name/SKILL.md": skill_md("bad-name"),
        }
    )
    [error] = messages(cat, "error")
    assert error == (
        "skill name 'Bad_Name' is not usable: a name uses only lowercase ASCII letters, "
        "digits and single hyphens between them (e.g. 'csv-profiler'); not served"
    )


def test_entries_under_a_folder_do_not_follow_folder_links(tmp_path):
    """Issue 9 #3: deleting a skill with a `self -> .` link inside walked forever."""
    root = write_tree(tmp_path, {"s/SKILL.md": "x", "s/d/f.txt": "y"})
    os.symlink(".", root / "s/self")
    os.symlink("../s", root / "s/d/up")
    paths = entries_under(DirectoryTree(root), "s", max_entries=100)
    assert paths == ["s/SKILL.md", "s/d/f.txt", "s/d/up", "s/self"]


def test_entries_under_a_huge_folder_stop_at_the_budget(tmp_path):
    root = write_tree(tmp_path, {f"s/f{i}": "x" for i in range(30)})
    with pytest.raises(TooManyEntries):
        entries_under(DirectoryTree(root), "s", max_entries=10)


def test_a_git_snapshot_with_hostile_names_and_links_loads_with_findings(tmp_path):
    root = write_tree(
        tmp_path / "r",
        {
            MP: marketplace({"name": "a", "source": "./a"}),
            "a/skills/one/SKILL.md": skill_md("one"),
            "a/skills/secret/SKILL.md": skill_md("secret"),
        },
    )
    (root / os.fsdecode(b"a/skills/one/bad\xff.txt")).write_bytes(b"x")
    os.symlink("../secret/SKILL.md", root / "a/skills/one/peek")
    os.symlink(".", root / "a/skills/one/self")
    tree = git_tree(root)
    cat = load_catalog(tree)
    assert [f.path for f in cat.skill("one").files] == ["SKILL.md"]
    assert len(messages(cat, "warning")) == 3
    encodes(cat)
    tree.close()


def test_bounded_parsers_refuse_oversized_input_before_parsing():
    from skillport_connector.catalog.data import DataError, load_yaml, parse_json

    small = Limits(max_manifest_bytes=10, max_skill_md_bytes=10)
    with pytest.raises(DataError, match="the limit is 10"):
        parse_json(b'{"a": "0123456789"}', small)
    with pytest.raises(DataError, match="longer than 10"):
        load_yaml("a: 0123456789", small)

"""Each catalog rule, one behaviour per test, on small fixture trees."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import marketplace, messages, skill_md, write_tree

from skillport_connector.catalog import Limits, load_catalog
from skillport_connector.sources.tree import DirectoryTree

MP = ".claude-plugin/marketplace.json"


def group(name: str, version: str | None = "1.0.0", **extra: object) -> dict[str, object]:
    manifest: dict[str, object] = {"name": name, **extra}
    if version:
        manifest["version"] = version
    return manifest


# -- marketplace.json -----------------------------------------------------------------------


def test_entry_fields_are_kept_including_unknown_keys(load):
    entry = {
        "name": "alpha",
        "source": "./plugins/alpha",
        "description": "Alpha group",
        "category": "tools",
        "homepage": "https://example.com",
        "x-internal-owner": "team-7",
    }
    cat = load({MP: marketplace(entry), "plugins/alpha/skills/one/SKILL.md": skill_md("one")})
    plugin = cat.plugin("alpha")
    assert plugin.entry["x-internal-owner"] == "team-7"
    assert plugin.entry["homepage"] == "https://example.com"
    assert plugin.description == "Alpha group"


def test_skill_exposes_tags_keywords_category_and_author_from_entry(load):
    entry = {
        "name": "alpha",
        "source": "./plugins/alpha",
        "tags": ["surface:CC", "git"],
        "keywords": ["commit"],
        "category": "engineering",
        "author": {"name": "Ada"},
    }
    cat = load({MP: marketplace(entry), "plugins/alpha/skills/one/SKILL.md": skill_md("one")})
    skill = cat.skill("one")
    assert skill.tags == ("surface:CC", "git")
    assert skill.surface_tags == ("CC",)
    assert skill.keywords == ("commit",)
    assert skill.category == "engineering"
    assert skill.author == {"name": "Ada"}


def test_missing_marketplace_json_makes_every_group_unpublished(load):
    cat = load({"plugins/alpha/skills/one/SKILL.md": skill_md("one")})
    assert cat.skill("one").published is False
    assert any("marketplace.json" in f.file for f in cat.warnings)


def test_malformed_marketplace_json_reports_line_and_keeps_unpublished_groups(load):
    cat = load(
        {
            MP: '{\n  "name": "x",\n  "plugins": [,]\n}',
            "plugins/alpha/skills/one/SKILL.md": skill_md("one"),
        }
    )
    [err] = [f for f in cat.errors if f.file == MP]
    assert err.line == 3
    assert "not valid JSON" in err.message
    assert cat.skill("one") is not None


ENTRY_WITH_BAD_FIELDS = """{
  "name": "test-market",
  "owner": {"name": "Test"},
  "plugins": [
    {"name": "fine", "source": "./plugins/fine"},
    {
      "name": "alpha",
      "source": "./plugins/alpha",
      "author": {"name": "A"},
      "category": 7,
      "tags": "not-a-list",
      "x-note": {"category": "nested keys are not the entry's"}
    }
  ]
}
"""


def field_findings(load) -> dict[str, int | None]:
    cat = load(
        {
            MP: ENTRY_WITH_BAD_FIELDS,
            "plugins/fine/skills/one/SKILL.md": skill_md("one"),
            "plugins/alpha/skills/two/SKILL.md": skill_md("two"),
        }
    )
    return {f.message.split("'")[3]: f.line for f in cat.findings if "plugin 'alpha'" in f.message}


def test_a_bad_field_of_an_entry_is_reported_at_the_fields_own_line(load):
    assert field_findings(load)["category"] == 10


def test_each_bad_field_of_an_entry_is_its_own_finding_at_its_line(load):
    assert field_findings(load) == {"category": 10, "tags": 11, "x-note": 12}


def test_duplicate_plugin_entry_keeps_the_first(load):
    cat = load(
        {
            MP: marketplace(
                {"name": "alpha", "source": "./a"},
                {"name": "alpha", "source": "./b"},
            ),
            "a/skills/one/SKILL.md": skill_md("one"),
            "b/skills/two/SKILL.md": skill_md("two"),
        }
    )
    assert cat.plugin("alpha").path == "a"
    assert cat.skill("two") is None
    assert any("duplicate plugin name" in m for m in messages(cat, "error"))


# -- sources --------------------------------------------------------------------------------


def test_relative_source_path(load):
    cat = load(
        {
            MP: marketplace({"name": "a", "source": "./tools/a"}),
            "tools/a/skills/s/SKILL.md": skill_md("s"),
        }
    )
    assert cat.skill("s").path == "tools/a/skills/s"


def test_root_source(load):
    cat = load(
        {MP: marketplace({"name": "root", "source": "./"}), "skills/s/SKILL.md": skill_md("s")}
    )
    assert cat.plugin("root").path == ""
    assert cat.skill("s").path == "skills/s"


def test_bare_name_resolves_under_plugin_root(load):
    cat = load(
        {
            MP: marketplace(
                {"name": "fmt", "source": "fmt"}, metadata={"pluginRoot": "./packages"}
            ),
            "packages/fmt/skills/s/SKILL.md": skill_md("s"),
        }
    )
    assert cat.plugin("fmt").path == "packages/fmt"
    assert cat.skill("s") is not None


def test_bare_name_without_plugin_root_is_refused_as_claude_code_refuses_it(load):
    cat = load(
        {MP: marketplace({"name": "fmt", "source": "fmt"}), "fmt/skills/s/SKILL.md": skill_md("s")}
    )
    assert not cat.plugin("fmt").loadable
    assert cat.skill("s") is None
    assert any("needs metadata.pluginRoot" in m for m in messages(cat, "error"))


def test_remote_sources_are_listed_but_not_fetched(load):
    remotes = [
        {"name": "gh", "source": {"source": "github", "repo": "o/r"}},
        {"name": "url", "source": {"source": "url", "url": "https://git.example.com/r.git"}},
        {"name": "sub", "source": {"source": "git-subdir", "url": "https://x/r.git", "path": "p"}},
        {"name": "npm", "source": {"source": "npm", "package": "@acme/p"}},
        {"name": "arc", "source": {"source": "archive", "url": "https://x/p.zip"}},
    ]
    cat = load({MP: marketplace(*remotes)})
    for entry in remotes:
        plugin = cat.plugin(entry["name"])
        assert plugin.remote and plugin.loadable and plugin.skills == ()
    assert cat.errors == ()


def test_remote_source_missing_its_required_field_is_an_error(load):
    cat = load({MP: marketplace({"name": "gh", "source": {"source": "github"}})})
    assert cat.plugin("gh").remote and not cat.plugin("gh").loadable
    assert any("'repo'" in m for m in messages(cat, "error"))


def test_unknown_source_type_is_an_error_not_a_crash(load):
    cat = load(
        {
            MP: marketplace(
                {"name": "x", "source": {"source": "ftp", "host": "h"}}, {"name": "y", "source": 42}
            )
        }
    )
    assert not cat.plugin("x").loadable
    assert not cat.plugin("y").loadable
    assert len(cat.errors) == 2


def test_source_folder_that_does_not_exist_fails_the_plugin(load):
    cat = load({MP: marketplace({"name": "ghost", "source": "./nowhere"})})
    assert cat.plugin("ghost").loadable is False
    assert any("does not exist" in m for m in messages(cat, "error"))


def test_source_with_dotdot_fails_the_plugin(load):
    cat = load(
        {
            MP: marketplace({"name": "up", "source": "./a/../../etc"}),
            "a/skills/s/SKILL.md": skill_md("s"),
        }
    )
    assert cat.plugin("up").loadable is False
    assert cat.skill("s") is None
    assert any("'..'" in m for m in messages(cat, "error"))


def test_absolute_source_fails_the_plugin(load):
    cat = load({MP: marketplace({"name": "abs", "source": "/etc"})})
    assert cat.plugin("abs").loadable is False


# -- skill discovery ------------------------------------------------------------------------


def test_skills_are_found_one_level_under_skills(load):
    cat = load(
        {
            MP: marketplace({"name": "a", "source": "./a"}),
            "a/skills/one/SKILL.md": skill_md("one"),
            "a/skills/two/SKILL.md": skill_md("two"),
            "a/skills/nested/deeper/SKILL.md": skill_md("deeper"),
        }
    )
    assert cat.plugin("a").skills == ("one", "two")
    assert cat.skill("deeper") is None


def test_lowercase_skill_md_is_not_a_skill(load):
    cat = load(
        {
            MP: marketplace({"name": "a", "source": "./a"}),
            "a/skills/quiet/skill.md": skill_md("quiet"),
        }
    )
    assert cat.skill("quiet") is None


def test_skill_md_directly_in_skills_makes_one_skill_and_stops_the_scan(load):
    cat = load(
        {
            MP: marketplace({"name": "a", "source": "./a"}),
            "a/skills/SKILL.md": skill_md("whole"),
            "a/skills/inner/SKILL.md": skill_md("inner"),
        }
    )
    assert cat.plugin("a").skills == ("whole",)
    assert cat.skill("inner") is None


def test_entry_skills_paths_add_to_the_default_folder(load):
    cat = load(
        {
            MP: marketplace({"name": "a", "source": "./a", "skills": ["./extra"]}),
            "a/skills/one/SKILL.md": skill_md("one"),
            "a/extra/two/SKILL.md": skill_md("two"),
        }
    )
    assert set(cat.plugin("a").skills) == {"one", "two"}


def test_plugin_json_skills_paths_add_to_the_default_folder(load):
    cat = load(
        {
            MP: marketplace({"name": "a", "source": "./a"}),
            "a/.claude-plugin/plugin.json": group("a", skills="./more"),
            "a/skills/one/SKILL.md": skill_md("one"),
            "a/more/two/SKILL.md": skill_md("two"),
        }
    )
    assert set(cat.plugin("a").skills) == {"one", "two"}


def test_root_entry_listing_skills_loads_only_those(load):
    cat = load(
        {
            MP: marketplace(
                {"name": "docs", "source": "./", "strict": False, "skills": ["./skills/pdf"]}
            ),
            "skills/pdf/SKILL.md": skill_md("pdf"),
            "skills/xlsx/SKILL.md": skill_md("xlsx"),
        }
    )
    assert cat.plugin("docs").skills == ("pdf",)
    assert cat.skill("xlsx") is None


def test_plugin_with_root_skill_md_and_no_skills_folder_is_one_skill(load):
    cat = load(
        {
            MP: marketplace({"name": "solo", "source": "./solo"}),
            "solo/SKILL.md": skill_md("solo-skill"),
            "solo/helper.py": "print('hi')\n",
        }
    )
    skill = cat.skill("solo-skill")
    assert skill.path == "solo"
    assert [f.path for f in skill.files] == ["SKILL.md", "helper.py"]


def test_scanned_skill_is_named_by_its_folder_and_a_mismatch_is_reported(load):
    cat = load(
        {
            MP: marketplace({"name": "a", "source": "./a"}),
            "a/skills/folder-name/SKILL.md": skill_md("other-name"),
        }
    )
    assert cat.skill("folder-name") is not None
    assert cat.skill("other-name") is None
    assert any("differs from the folder name" in m for m in messages(cat, "warning"))


def test_skill_named_by_direct_path_uses_its_front_matter_name(load):
    cat = load(
        {
            MP: marketplace({"name": "a", "source": "./a", "skills": ["./special/dir"]}),
            "a/special/dir/SKILL.md": skill_md("fancy"),
        }
    )
    assert cat.skill("fancy").path == "a/special/dir"


# -- plugins Claude Code refuses ------------------------------------------------------------


def test_author_as_a_string_in_plugin_json_fails_the_plugin(load):
    cat = load(
        {
            MP: marketplace({"name": "a", "source": "./a"}, {"name": "b", "source": "./b"}),
            "a/.claude-plugin/plugin.json": {"name": "a", "author": "Ada Lovelace"},
            "a/skills/one/SKILL.md": skill_md("one"),
            "b/skills/two/SKILL.md": skill_md("two"),
        }
    )
    assert cat.plugin("a").loadable is False
    assert cat.skill("one") is None
    assert cat.skill("two") is not None
    [err] = cat.errors
    assert err.file == "a/.claude-plugin/plugin.json" and "author" in err.message


def test_component_path_without_dot_slash_fails_the_plugin(load):
    cat = load(
        {
            MP: marketplace({"name": "a", "source": "./a"}),
            "a/.claude-plugin/plugin.json": {"name": "a", "commands": "commands/"},
            "a/skills/one/SKILL.md": skill_md("one"),
        }
    )
    assert cat.plugin("a").loadable is False
    assert any("must start with './'" in m for m in messages(cat, "error"))


def test_malformed_plugin_json_hides_only_that_plugin(load):
    cat = load(
        {
            MP: marketplace({"name": "a", "source": "./a"}, {"name": "b", "source": "./b"}),
            "a/.claude-plugin/plugin.json": '{"name": "a",\n "version": 1.0.0}',
            "a/skills/one/SKILL.md": skill_md("one"),
            "b/skills/two/SKILL.md": skill_md("two"),
        }
    )
    [err] = cat.errors
    assert err.file == "a/.claude-plugin/plugin.json" and err.line == 2
    assert cat.skill("two") is not None


def test_strict_false_with_components_in_plugin_json_is_a_conflict(load):
    cat = load(
        {
            MP: marketplace(
                {"name": "a", "source": "./a", "strict": False, "skills": ["./skills/one"]}
            ),
            "a/.claude-plugin/plugin.json": {"name": "a", "skills": "./skills"},
            "a/skills/one/SKILL.md": skill_md("one"),
        }
    )
    assert cat.plugin("a").loadable is False
    assert any("conflicting manifests" in m for m in messages(cat, "error"))


def test_strict_false_with_metadata_only_plugin_json_loads(load):
    cat = load(
        {
            MP: marketplace({"name": "a", "source": "./a", "strict": False}),
            "a/.claude-plugin/plugin.json": {"name": "a", "version": "2.0.0"},
            "a/skills/one/SKILL.md": skill_md("one"),
        }
    )
    assert cat.plugin("a").loadable
    assert cat.skill("one").version == "2.0.0"


def test_strict_false_without_plugin_json_scans_the_default_folder(load):
    cat = load(
        {
            MP: marketplace({"name": "a", "source": "./a", "strict": False}),
            "a/skills/one/SKILL.md": skill_md("one"),
        }
    )
    assert cat.plugin("a").skills == ("one",)


# -- unpublished groups ---------------------------------------------------------------------


def test_group_under_plugins_missing_from_marketplace_is_unpublished(load):
    cat = load(
        {
            MP: marketplace({"name": "pub", "source": "./plugins/pub"}),
            "plugins/pub/skills/one/SKILL.md": skill_md("one"),
            "plugins/draft/skills/two/SKILL.md": skill_md("two"),
        }
    )
    assert cat.skill("one").published is True
    assert cat.skill("two").published is False
    assert cat.plugin("draft").published is False


def test_unpublished_groups_follow_a_custom_plugin_root(load):
    cat = load(
        {
            MP: marketplace(metadata={"pluginRoot": "./groups"}),
            "groups/draft/skills/two/SKILL.md": skill_md("two"),
            "plugins/ignored/skills/three/SKILL.md": skill_md("three"),
        }
    )
    assert cat.skill("two").published is False
    assert cat.skill("three") is None


# -- versions -------------------------------------------------------------------------------


def test_version_comes_from_plugin_json_first(load):
    cat = load(
        {
            MP: marketplace({"name": "a", "source": "./a", "version": "1.0.0"}),
            "a/.claude-plugin/plugin.json": {"name": "a", "version": "3.1.4"},
            "a/skills/one/SKILL.md": skill_md("one"),
        }
    )
    assert cat.skill("one").version == "3.1.4"


def test_version_falls_back_to_the_entry(load):
    cat = load(
        {
            MP: marketplace({"name": "a", "source": "./a", "version": "1.2.0"}),
            "a/skills/one/SKILL.md": skill_md("one"),
        }
    )
    assert cat.skill("one").version == "1.2.0"


def test_version_without_declaration_is_a_stable_content_hash(tmp_path: Path):
    files = {
        MP: marketplace({"name": "a", "source": "./a"}),
        "a/skills/one/SKILL.md": skill_md("one"),
    }
    write_tree(tmp_path, files)
    first = load_catalog(DirectoryTree(tmp_path)).skill("one").version
    again = load_catalog(DirectoryTree(tmp_path)).skill("one").version
    (tmp_path / "a/skills/one/SKILL.md").write_text(skill_md("one", "Changed."))
    changed = load_catalog(DirectoryTree(tmp_path)).skill("one").version
    assert first == again
    assert first.startswith("0.0.0+") and changed != first


def test_non_semver_version_is_a_warning(load):
    cat = load(
        {
            MP: marketplace({"name": "a", "source": "./a", "version": "v-latest"}),
            "a/skills/one/SKILL.md": skill_md("one"),
        }
    )
    assert any("not semver" in m for m in messages(cat, "warning"))


# -- surfaces -------------------------------------------------------------------------------


def test_surface_filter_follows_the_seed_rule(load):
    plugins = [
        {"name": "untagged", "source": "./p/untagged"},
        {"name": "all", "source": "./p/all", "tags": ["surface:CALL"]},
        {"name": "code", "source": "./p/code", "tags": ["surface:CC"]},
        {"name": "chat", "source": "./p/chat", "tags": ["surface:CDAI"]},
        {"name": "web", "source": "./p/web", "tags": ["surface:CAI"]},
    ]
    files = {MP: marketplace(*plugins)}
    for p in plugins:
        files[f"p/{p['name']}/skills/{p['name']}-s/SKILL.md"] = skill_md(f"{p['name']}-s")
    cat = load(files)

    def on(surface: str) -> set[str]:
        return {s.plugin for s in cat.skills.values() if s.available_on(surface)}

    assert on("CC") == {"untagged", "all", "code"}
    assert on("CD") == {"untagged", "all", "chat"}
    assert on("CAI") == {"untagged", "all", "chat", "web"}


def test_unknown_surface_tag_is_a_warning(load):
    cat = load(
        {
            MP: marketplace({"name": "a", "source": "./a", "tags": ["surface:MOBILE"]}),
            "a/skills/one/SKILL.md": skill_md("one"),
        }
    )
    assert any("unknown surface tag" in m for m in messages(cat, "warning"))


# -- duplicates, files, limits --------------------------------------------------------------


def test_one_skill_name_in_two_plugins_serves_both_under_qualified_ids(load):
    cat = load(
        {
            MP: marketplace({"name": "a", "source": "./a"}, {"name": "b", "source": "./b"}),
            "a/skills/same/SKILL.md": skill_md("same"),
            "b/skills/same/SKILL.md": skill_md("same"),
        }
    )
    assert sorted(cat.skills) == ["a:same", "b:same"]
    assert cat.skill("same") is None  # ambiguous: the caller names one
    assert cat.skill("b:same").path == "b/skills/same"
    assert [s.plugin for s in cat.candidates("same")] == ["a", "b"]
    assert not [f for f in cat.findings if "duplicate skill" in f.message]


def test_one_skill_name_twice_in_one_plugin_first_wins_and_both_paths_are_named(load):
    cat = load(
        {
            MP: marketplace({"name": "a", "source": "./a", "skills": ["./one", "./two"]}),
            "a/one/SKILL.md": skill_md("same"),
            "a/two/SKILL.md": skill_md("same"),
        }
    )
    assert cat.skill("same").path == "a/one"
    [dup] = [f for f in cat.findings if "duplicate skill" in f.message]
    assert dup.file == "a/two/SKILL.md" and "a/one/SKILL.md" in dup.message


def test_skill_files_are_listed_recursively(load):
    cat = load(
        {
            MP: marketplace({"name": "a", "source": "./a"}),
            "a/skills/one/SKILL.md": skill_md("one"),
            "a/skills/one/scripts/run.py": "print(1)\n",
            "a/skills/one/assets/img.bin": b"\x00\x01\x02",
        }
    )
    assert [f.path for f in cat.skill("one").files] == [
        "SKILL.md",
        "assets/img.bin",
        "scripts/run.py",
    ]


def test_symlink_outside_the_tree_is_never_followed(tmp_path: Path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("top secret")
    root = write_tree(
        tmp_path / "mp",
        {MP: marketplace({"name": "a", "source": "./a"}), "a/skills/one/SKILL.md": skill_md("one")},
    )
    os.symlink(outside / "secret.txt", root / "a/skills/one/leak.txt")
    os.symlink(outside, root / "a/skills/one/leakdir")
    cat = load_catalog(DirectoryTree(root))
    assert [f.path for f in cat.skill("one").files] == ["SKILL.md"]
    assert sum("pointing outside" in m for m in messages(cat, "warning")) == 2


def test_symlink_inside_the_skill_folder_is_served(tmp_path: Path):
    root = write_tree(
        tmp_path,
        {
            MP: marketplace({"name": "a", "source": "./a"}),
            "a/skills/one/SKILL.md": skill_md("one"),
            "a/skills/one/legal/LICENSE": "MIT\n",
        },
    )
    os.symlink(root / "a/skills/one/legal/LICENSE", root / "a/skills/one/LICENSE")
    cat = load_catalog(DirectoryTree(root))
    assert [f.path for f in cat.skill("one").files] == ["LICENSE", "SKILL.md", "legal/LICENSE"]


def test_symlink_leaving_the_skill_folder_is_not_served(tmp_path: Path):
    """Issue 9 #7: a link may not leave the skill's own folder, even inside the tree."""
    root = write_tree(
        tmp_path,
        {
            MP: marketplace({"name": "a", "source": "./a"}),
            "a/skills/one/SKILL.md": skill_md("one"),
            "shared/LICENSE": "MIT\n",
        },
    )
    os.symlink(root / "shared/LICENSE", root / "a/skills/one/LICENSE")
    cat = load_catalog(DirectoryTree(root))
    assert [f.path for f in cat.skill("one").files] == ["SKILL.md"]
    assert any("outside the skill's folder" in m for m in messages(cat, "warning"))


def test_symlinked_skill_md_pointing_outside_is_not_a_skill(tmp_path: Path):
    (tmp_path / "evil.md").write_text(skill_md("evil"))
    root = write_tree(
        tmp_path / "mp", {MP: marketplace({"name": "a", "source": "./a"}), "a/skills/one/x": "x"}
    )
    os.symlink(tmp_path / "evil.md", root / "a/skills/one/SKILL.md")
    cat = load_catalog(DirectoryTree(root))
    assert cat.skills == {}


def test_files_over_the_size_limit_are_reported_not_served(tmp_path: Path):
    root = write_tree(
        tmp_path,
        {
            MP: marketplace({"name": "a", "source": "./a"}),
            "a/skills/one/SKILL.md": skill_md("one"),
            "a/skills/one/big.bin": b"\x00" * 5000,
        },
    )
    cat = load_catalog(DirectoryTree(root), Limits(max_file_bytes=4096))
    assert [f.path for f in cat.skill("one").files] == ["SKILL.md"]
    assert any("over the 4096-byte file limit" in m for m in messages(cat, "warning"))


def test_too_many_files_are_capped_and_reported(tmp_path: Path):
    files = {
        MP: marketplace({"name": "a", "source": "./a"}),
        "a/skills/one/SKILL.md": skill_md("one"),
    }
    files.update({f"a/skills/one/f{i:02}.txt": "x" for i in range(10)})
    cat = load_catalog(DirectoryTree(write_tree(tmp_path, files)), Limits(max_files_per_skill=5))
    assert len(cat.skill("one").files) == 5
    assert any("more than 5 files" in m for m in messages(cat, "warning"))


def test_malformed_skill_md_is_reported_with_its_line_and_hides_nothing_else(load):
    cat = load(
        {
            MP: marketplace({"name": "a", "source": "./a"}),
            "a/skills/bad/SKILL.md": "---\nname: bad\ndescription: [unclosed\n---\nbody\n",
            "a/skills/good/SKILL.md": skill_md("good"),
        }
    )
    [err] = [f for f in cat.errors if f.file == "a/skills/bad/SKILL.md"]
    assert err.line == 3
    assert "not valid YAML" in err.message
    assert cat.skill("good") is not None


def test_the_plugin_root_is_read_once_for_every_caller(load):
    cat = load({MP: marketplace(metadata={"pluginRoot": "./groups/"})})
    assert cat.plugin_root.declared == "groups" and cat.plugin_root.folder == "groups"
    plain = load({MP: marketplace()})
    assert plain.plugin_root.declared is None and plain.plugin_root.folder == "plugins"

"""Claude Code's plugin manifest rules: on every case of tests/manifest_cases.py our verdict
(error: the plugin is refused; warning: it loads and the validator says so; ok) agrees with
the real `claude plugin validate` (offline, HOME in a temporary folder), which checks all the
cases at once as the plugins of one marketplace. A plugin whose manifest Claude Code refuses
serves no skills; one it only warns about serves them."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any, Literal

import pytest
from conftest import marketplace, skill_md, write_tree
from manifest_cases import ENTRY_CASES, PLUGIN_CASES

from skillport_connector.catalog import load_catalog
from skillport_connector.catalog.manifests import check_manifest
from skillport_connector.catalog.plugin_sources import remote_source_problem
from skillport_connector.sources.tree import DirectoryTree

CLAUDE = Path(__file__).parent / "claude/node_modules/.bin/claude"
Level = Literal["error", "warning", "ok"]
BASE = {"version": "1.0.0", "description": "Does things.", "author": {"name": "Ada"}}
#: Every file a case names, so that Claude Code's "Path not found" never decides a verdict.
FILES = {
    "commands/c.md": "# c\n",
    "agents/a.md": "# a\n",
    "skills/one/SKILL.md": skill_md("one"),
    "styles/s.md": "# s\n",
    "themes/t.json": {},
    "workflows/w.js": "export {}\n",
    "evals/e.json": {},
    "hooks.json": {"hooks": {}},
    "mcp.json": {"mcpServers": {}},
    "lsp.json": {},
    "mon.json": [],
    "s.mcpb": "bundle",
    "s.dxt": "bundle",
    "icon.png": "png",
}
PLACE = re.compile(r"^plugins(?:\[(\d+)\]|\.(\d+))")


def plugin_json(name: str, fields: dict[str, Any]) -> dict[str, Any]:
    """A valid plugin.json with the case's fields (None removes a field)."""
    manifest = {"name": name, **BASE, **fields}
    return {k: v for k, v in manifest.items() if v is not None}


def entry(name: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "source": f"./{name}", **fields}


def level(errors: list[str], warnings: list[str]) -> Level:
    return "error" if errors else "warning" if warnings else "ok"


def ours(fields: dict[str, Any], *, is_entry: bool) -> tuple[Level, list[str]]:
    data = entry("e", fields) if is_entry else plugin_json("p", fields)
    verdict = check_manifest(data, is_entry=is_entry)
    source = data.get("source")
    if is_entry and isinstance(source, dict) and (problem := remote_source_problem(source)):
        verdict.errors.append(problem)
    return level(verdict.errors, verdict.warnings), verdict.errors + verdict.warnings


def claude_validate(root: Path) -> dict[str, Any]:
    assert CLAUDE.exists(), "run `make test` (it installs Claude Code under tests/claude)"
    (root / "home").mkdir()
    run = subprocess.run(
        [str(CLAUDE), "plugin", "validate", "--json", str(root / "m")],
        env={"PATH": os.environ["PATH"], "HOME": str(root / "home")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    report: dict[str, Any] = json.loads(run.stdout)["manifest"]
    return report


@pytest.fixture(scope="module")
def claude(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Level, list[str]]]:
    """Claude Code's verdict on every case, from one run over a marketplace holding them all."""
    root = tmp_path_factory.mktemp("cases")
    cases = [(c, f, False) for c, f in PLUGIN_CASES] + [(c, f, True) for c, f in ENTRY_CASES]
    files: dict[str, Any] = {}
    entries = []
    for index, (_, fields, is_entry) in enumerate(cases):
        name = f"p{index}"
        files |= {f"m/{name}/{path}": content for path, content in FILES.items()}
        if is_entry:
            entries.append(entry(name, fields))
        else:
            files[f"m/{name}/.claude-plugin/plugin.json"] = plugin_json(name, fields)
            entries.append(entry(name, {}))
    files["m/.claude-plugin/marketplace.json"] = marketplace(*entries, description="Cases.")
    write_tree(root, files)
    report = claude_validate(root)
    found: list[dict[str, list[str]]] = [{"errors": [], "warnings": []} for _ in cases]
    for kind in ("errors", "warnings"):
        for item in report[kind]:
            place = PLACE.match(item["path"])
            if place and "Path not found" not in item["message"]:
                index = int(place[1] or place[2])
                found[index][kind].append(f"{item['path']}: {item['message']}")
    return {
        case: (level(f["errors"], f["warnings"]), f["errors"] + f["warnings"])
        for (case, _, _), f in zip(cases, found, strict=True)
    }


@pytest.mark.needs_node("claude")
@pytest.mark.parametrize(("case", "fields"), PLUGIN_CASES, ids=[c for c, _ in PLUGIN_CASES])
def test_our_plugin_json_verdict_agrees_with_claude_code(claude, case, fields):
    mine, why = ours(fields, is_entry=False)
    theirs, their_why = claude[case]
    assert mine == theirs, {"ours": why, "claude": their_why}


@pytest.mark.needs_node("claude")
@pytest.mark.parametrize(("case", "fields"), ENTRY_CASES, ids=[c for c, _ in ENTRY_CASES])
def test_our_marketplace_entry_verdict_agrees_with_claude_code(claude, case, fields):
    mine, why = ours(fields, is_entry=True)
    theirs, their_why = claude[case]
    assert mine == theirs, {"ours": why, "claude": their_why}


def test_a_plugin_with_a_refused_manifest_serves_no_skills(tmp_path):
    write_tree(
        tmp_path,
        {
            ".claude-plugin/marketplace.json": marketplace({"name": "p", "source": "./p"}),
            "p/.claude-plugin/plugin.json": {"name": "p", "lspServers": {"x": {}}},
            "p/skills/one/SKILL.md": skill_md("one"),
        },
    )
    catalog = load_catalog(DirectoryTree(tmp_path))
    assert catalog.skills == {}
    assert any("lspServers.x" in f.message for f in catalog.errors)


def test_a_plugin_claude_code_only_warns_about_serves_its_skills_with_a_warning(tmp_path):
    manifest = plugin_json("p", {"hooks": {"Nope": []}, "foo": 1})
    write_tree(
        tmp_path,
        {
            ".claude-plugin/marketplace.json": marketplace({"name": "p", "source": "./p"}),
            "p/.claude-plugin/plugin.json": manifest,
            "p/skills/one/SKILL.md": skill_md("one"),
        },
    )
    catalog = load_catalog(DirectoryTree(tmp_path))
    assert [s.name for s in catalog.skills.values()] == ["one"]
    assert catalog.errors == ()
    messages = [f.message for f in catalog.warnings]
    assert any("hooks.Nope" in m for m in messages) and any("'foo'" in m for m in messages)


def test_a_refused_marketplace_entry_serves_no_skills_and_names_the_field(tmp_path):
    plugin = {"name": "p", "source": "./p", "mcpServers": {"s": {"type": "bogus"}}}
    write_tree(
        tmp_path,
        {
            ".claude-plugin/marketplace.json": marketplace(plugin),
            "p/skills/one/SKILL.md": skill_md("one"),
        },
    )
    catalog = load_catalog(DirectoryTree(tmp_path))
    assert catalog.skills == {}
    assert any("mcpServers.s.type" in f.message for f in catalog.errors)


@pytest.mark.needs_node("claude")
@pytest.mark.parametrize(("root", "refused"), [(None, True), ("./packages", False)])
def test_a_bare_source_name_needs_a_plugin_root_for_both(tmp_path, root, refused):
    metadata = {"pluginRoot": root} if root else {}
    folder = "packages/fmt" if root else "fmt"
    write_tree(
        tmp_path,
        {
            "m/.claude-plugin/marketplace.json": marketplace(
                {"name": "fmt", "source": "fmt"}, description="d", metadata=metadata
            ),
            f"m/{folder}/.claude-plugin/plugin.json": plugin_json("fmt", {}),
            f"m/{folder}/skills/s/SKILL.md": skill_md("s"),
        },
    )
    theirs = [e for e in claude_validate(tmp_path)["errors"] if "source" in e["path"]]
    catalog = load_catalog(DirectoryTree(tmp_path / "m"))
    assert bool(theirs) is refused
    assert catalog.plugin("fmt").loadable is not refused

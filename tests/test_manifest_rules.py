"""Claude Code's plugin manifest rules: our verdict on a plugin.json agrees with the real
`claude plugin validate` (offline, HOME in a temporary folder), and a plugin whose manifest
it refuses serves no skills."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import marketplace, skill_md, write_tree

from skillport_connector.catalog import load_catalog
from skillport_connector.catalog.manifests import manifest_problems
from skillport_connector.sources.tree import DirectoryTree

CLAUDE = Path(__file__).parent / "claude/node_modules/.bin/claude"
STDIO = {"command": "node", "args": ["server.js"], "env": {"A": "1"}}
LSP = {"command": "pyright-langserver", "extensionToLanguage": {".py": "python"}}
HOOK = [{"matcher": "Bash", "hooks": [{"type": "command", "command": "echo"}]}]

MANIFESTS: list[tuple[str, dict[str, Any]]] = [
    ("minimal", {}),
    ("name with spaces", {"name": "Bad Name"}),
    ("homepage not a url", {"homepage": "not a url"}),
    ("homepage url", {"homepage": "https://example.com/p"}),
    ("author a string", {"author": "Ada"}),
    ("commands path", {"commands": "./commands"}),
    ("commands a number", {"commands": 5}),
    ("commands path without ./", {"commands": "commands"}),
    ("agents with a number", {"agents": ["./agents/a.md", 3]}),
    ("outputStyles an object", {"outputStyles": {"a": 1}}),
    ("hooks inline", {"hooks": {"PreToolUse": HOOK}}),
    ("hooks event a string", {"hooks": {"PreToolUse": "x"}}),
    ("hooks matcher without hooks", {"hooks": {"PreToolUse": [{"matcher": "Bash"}]}}),
    ("hooks unknown event", {"hooks": {"Nope": []}}),
    ("mcpServers inline", {"mcpServers": {"s": STDIO}}),
    ("mcpServers http", {"mcpServers": {"s": {"type": "http", "url": "https://x.test/mcp"}}}),
    ("mcpServers command a number", {"mcpServers": {"s": {"command": 5}}}),
    ("mcpServers args not strings", {"mcpServers": {"s": {"command": "x", "args": [1]}}}),
    ("lspServers inline", {"lspServers": {"py": LSP}}),
    ("lspServers empty config", {"lspServers": {"x": {}}}),
    ("lspServers command with spaces", {"lspServers": {"py": {**LSP, "command": "a b"}}}),
    ("lspServers no mapping", {"lspServers": {"py": {**LSP, "extensionToLanguage": {}}}}),
    ("lspServers list mixing", {"lspServers": ["./lsp.json", {"py": LSP}]}),
]


def claude_refuses(manifest: dict[str, Any], folder: Path) -> bool:
    """Whether Claude Code's validator reports a manifest error (not a warning)."""
    assert CLAUDE.exists(), "run `make test` (it installs Claude Code under tests/claude)"
    write_tree(folder, {".claude-plugin/plugin.json": manifest, "commands/c.md": "# c\n",
                        "agents/a.md": "# a\n", "lsp.json": {}})  # fmt: skip
    run = subprocess.run(
        [str(CLAUDE), "plugin", "validate", "--json", str(folder)],
        env={"PATH": os.environ["PATH"], "HOME": str(folder.parent / "home")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = json.loads(run.stdout)
    errors = [e for e in report["manifest"]["errors"] if "Path not found" not in e["message"]]
    return bool(errors)


@pytest.mark.parametrize(("case", "fields"), MANIFESTS, ids=[c for c, _ in MANIFESTS])
def test_our_verdict_agrees_with_claude_code(tmp_path, case, fields):
    manifest = {"name": "p", "version": "1.0.0", "description": "d", **fields}
    ours = bool(manifest_problems(manifest, is_entry=False))
    assert ours == claude_refuses(manifest, tmp_path / "p"), manifest_problems(
        manifest, is_entry=False
    )


def test_a_plugin_with_a_refused_manifest_serves_no_skills(tmp_path):
    manifest = {"name": "p", "lspServers": {"x": {}}}
    write_tree(
        tmp_path,
        {
            ".claude-plugin/marketplace.json": marketplace({"name": "p", "source": "./p"}),
            "p/.claude-plugin/plugin.json": manifest,
            "p/skills/one/SKILL.md": skill_md("one"),
        },
    )
    catalog = load_catalog(DirectoryTree(tmp_path))
    assert catalog.skills == {}
    assert any("lspServers.x" in f.message for f in catalog.errors)

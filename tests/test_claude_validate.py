"""Claude Code's own validator (`claude plugin validate`, npm @anthropic-ai/claude-code, run
offline with HOME in a temporary folder) on everything the connector writes or ships: the demo
marketplace and its plugins, every installed skill folder (the real install.sh ``--skill``),
and the repository after each editor operation made through the public REST API. Zero errors
and zero warnings. The plugin-directory (submission catalog) checks it also prints are not
part of its verdict and are not asserted here."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import AppFactory, skill_md
from gitserver import GitHttpServer, git
from serving import client_for, free_port, mint_token, serve
from starlette.testclient import TestClient
from test_editing import ACCESS, ED, editable

from skillport_connector.settings import demo_marketplace

CLAUDE = Path(__file__).parent / "claude/node_modules/.bin/claude"
pytestmark = pytest.mark.needs_node("claude")
DEMO = demo_marketplace()


def findings(report: Any, where: str = "") -> Iterator[str]:
    """Every error and warning in a `--json` report, outside the directory checks."""
    if isinstance(report, dict):
        for key, value in report.items():
            if key == "directory":
                continue
            if key in ("errors", "warnings") and isinstance(value, list):
                yield from (f"{where}{key[:-1]}: {item}" for item in value)
            else:
                yield from findings(value, f"{where}{key}.")
    elif isinstance(report, list):
        for item in report:
            yield from findings(item, where)


def claude_validate(path: Path, home: Path) -> list[str]:
    """What Claude Code objects to in ``path``: [] when it passes with no warning."""
    assert CLAUDE.exists(), "run `make test` (it installs Claude Code under tests/claude)"
    home.mkdir(parents=True, exist_ok=True)
    run = subprocess.run(
        [str(CLAUDE), "plugin", "validate", "--json", str(path)],
        env={"PATH": os.environ["PATH"], "HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    try:
        report = json.loads(run.stdout)
    except ValueError:
        return [f"exit {run.returncode}: {run.stdout[-2000:]} {run.stderr[-2000:]}"]
    problems = list(findings(report))
    if run.returncode != 0 or not report.get("success"):
        problems.append(f"exit {run.returncode}, success={report.get('success')}")
    return problems


def marketplace_problems(root: Path, home: Path) -> dict[str, list[str]]:
    """The marketplace manifest and every plugin folder under ``plugins/``."""
    targets = [root, *sorted(p for p in (root / "plugins").iterdir() if p.is_dir())]
    found = {str(t.relative_to(root)): claude_validate(t, home) for t in targets}
    return {where: problems for where, problems in found.items() if problems}


# -- what we ship ----------------------------------------------------------------------------


def test_the_demo_marketplace_and_its_plugins_pass_claude_code(tmp_path):
    assert marketplace_problems(DEMO, tmp_path / "home") == {}


def test_the_validator_reports_a_missing_author(tmp_path):
    """The check itself can fail: a plugin.json without an author is a warning."""
    plugin = tmp_path / "anon"
    (plugin / ".claude-plugin").mkdir(parents=True)
    (plugin / ".claude-plugin/plugin.json").write_text('{"name": "anon", "version": "1.0.0"}')
    problems = claude_validate(plugin, tmp_path / "home")
    assert any("No author information provided" in p for p in problems), problems


# -- what install.sh writes ------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[dict[str, str]]:
    data = tmp_path_factory.mktemp("data")
    proc, base = serve(free_port(), data)
    try:
        yield {"base": base, "token": mint_token("installer@example.com", data)}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def install_skill(served: dict[str, str], name: str, home: Path) -> Path:
    """The real `install.sh --skill` flow, as Claude Code runs it; returns the skill folder."""
    home.mkdir(parents=True, exist_ok=True)
    headers = {"Authorization": f"Bearer {served['token']}"}
    ticket = httpx.get(f"{served['base']}/api/skills/{name}/install", headers=headers).json()
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "TMPDIR": str(home)}
    run = subprocess.run(
        ["bash", "-c", ticket["claude_code_command"]],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    return home / ".claude/skills" / name


def published_skills(served: dict[str, str]) -> list[str]:
    headers = {"Authorization": f"Bearer {served['token']}"}
    skills = httpx.get(f"{served['base']}/api/skills", headers=headers).json()["skills"]
    return sorted(s["name"] for s in skills)


def test_every_installed_skill_folder_passes_claude_code(served, tmp_path):
    names = published_skills(served)
    assert {"csv-profiler", "house-style"} <= set(names)  # with and without a group plugin.json
    home = tmp_path / "home"
    folders = {name: install_skill(served, name, home) for name in names}
    problems = {
        name: claude_validate(folder, tmp_path / "claude") for name, folder in folders.items()
    }
    assert {name: p for name, p in problems.items() if p} == {}


def test_skills_of_one_group_installed_side_by_side_all_load_in_claude_code(served, tmp_path):
    """Claude Code loads each ~/.claude/skills folder with a plugin.json as a plugin named by
    it; two skills of one group (changelog, commit-messages) must not share that name."""
    home = tmp_path / "home"
    folders = {install_skill(served, name, home) for name in published_skills(served)}
    run = subprocess.run(
        [str(CLAUDE), "plugin", "list", "--json"],
        env={"PATH": os.environ["PATH"], "HOME": str(home)},
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    loaded = {
        Path(p["installPath"]) for p in json.loads(run.stdout) if p["id"].endswith("@skills-dir")
    }
    assert loaded == folders


# -- what the editor writes ------------------------------------------------------------------


@pytest.fixture
def editing(
    tmp_path: Path, make_app: AppFactory
) -> Iterator[tuple[GitHttpServer, TestClient, dict[str, str]]]:
    seed = tmp_path / "seed"
    shutil.copytree(DEMO, seed)
    (seed / ".skillport/access.json").write_text(json.dumps(ACCESS, indent=2))
    with GitHttpServer.serving(tmp_path / "remote", seed) as server:
        app = make_app(**editable(server))
        token = app.state.services.tokens.mint_api_token(ED)
        yield server, client_for(app), {"Authorization": f"Bearer {token}"}


def written_tree(server: GitHttpServer, into: Path) -> Path:
    """The branch as the editor left it on the git server."""
    git("clone", "-q", str(server.root / "market.git"), str(into))
    return into


def save(client: TestClient, headers: dict[str, str], name: str, files: dict[str, str], **extra):
    body = {"files": [{"path": p, "content": c} for p, c in files.items()], **extra}
    return client.post(f"/api/skills/{name}", headers=headers, json=body)


SALES = {"description": "Sales helpers", "author": {"name": "Sales Ops"}, "license": "MIT"}


def editor_steps(client: TestClient, headers: dict[str, str]) -> list[Callable[[], Any]]:
    post = client.post
    return [
        lambda: save(client, headers, "pitch-deck", {"SKILL.md": skill_md("pitch-deck")},
                     skill_group="sales", plugin_metadata=SALES),
        lambda: post("/api/skills/pitch-deck/publish", headers=headers,
                     json={"description": "Sales helpers", "tags": ["surface:CD"]}),
        lambda: post("/api/skills/pitch-deck/bump", headers=headers, json={"type": "minor"}),
        lambda: save(client, headers, "house-style", {"references/tone.md": "Tone.\n"}),
        lambda: save(client, headers, "csv-profiler", {"notes.md": "More.\n",
                     "scripts/profile_csv.py": "print('profile')\n"}),
        lambda: client.delete("/api/skills/commit-messages?confirm=true", headers=headers),
        lambda: client.delete("/api/skills/pitch-deck?confirm=true", headers=headers),
    ]  # fmt: skip


def test_every_tree_an_editor_operation_writes_passes_claude_code(editing, tmp_path):
    server, client, headers = editing
    for i, step in enumerate(editor_steps(client, headers)):
        response = step()
        assert response.status_code == 200, (i, response.text)
        tree = written_tree(server, tmp_path / f"after-{i}")
        assert marketplace_problems(tree, tmp_path / "home") == {}, (i, response.json())


def test_a_new_group_created_without_an_author_passes_claude_code(editing, tmp_path):
    server, client, headers = editing
    metadata = {"description": "Sales helpers"}
    response = save(client, headers, "pitch-deck", {"SKILL.md": skill_md("pitch-deck")},
                    skill_group="sales", plugin_metadata=metadata)  # fmt: skip
    assert response.status_code == 200, response.text
    tree = written_tree(server, tmp_path / "after")
    assert claude_validate(tree / "plugins/sales", tmp_path / "home") == []

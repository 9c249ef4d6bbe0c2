"""`skillport-connector init DIR`: a new skills repository that passes `validate --strict`
and Claude Code's own `claude plugin validate`, that `serve --marketplace DIR` serves at
once, with git initialised and the creator as its first editor."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest
from serving import CLI, free_port, mint_token, serve

CLAUDE = Path(__file__).parent / "claude/node_modules/.bin/claude"
EDITOR = "ann@acme.example"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLPORT_")}
    return subprocess.run(
        [*CLI, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("init") / "acme-skills"
    done = run(
        "init", str(root), "--editor", EDITOR, "--owner", "Acme",
        "--url", "https://skills.acme.example/",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return root


def test_the_repository_passes_strict_validation(repo):
    done = run("validate", "--strict", "--json", str(repo))
    assert done.returncode == 0, done.stdout
    report = json.loads(done.stdout)
    assert report["marketplace"] == "acme-skills"
    assert report["findings"] == []
    skills = {s["name"] for p in report["plugins"] for s in p["skills"]}
    assert skills == {"skillport", "example-skill"}


def test_git_is_initialised_with_everything_in_a_first_commit(repo):
    log = subprocess.run(
        ["git", "log", "--oneline"], cwd=repo, capture_output=True, text=True, check=True
    )
    assert len(log.stdout.splitlines()) == 1
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True, check=True
    )
    assert status.stdout == ""


def test_the_creator_is_the_first_editor_and_everyone_reads(repo):
    access = json.loads((repo / ".skillport" / "access.json").read_text())
    assert access["editors"] == [{"id": f"local:{EDITOR}", "label": EDITOR}]
    assert access["defaults"] == {"read": "*", "write": "editors"}


def test_the_meta_skill_is_the_demos_and_a_readme_welcomes_the_organisation(repo):
    skill_md = repo / "plugins" / "skillport" / "skills" / "skillport" / "SKILL.md"
    assert "name: skillport" in skill_md.read_text()
    readme = (repo / "README.md").read_text()
    assert readme.startswith("# Acme")
    assert "skillport-connector login https://skills.acme.example`" in readme


def test_init_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    done = run("init", str(tmp_path), "--editor", EDITOR)
    assert done.returncode == 1
    assert "not an empty folder" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_init_refuses_a_name_claude_code_would_not_accept(tmp_path):
    done = run("init", str(tmp_path / "x"), "--editor", EDITOR, "--name", "Not A Name")
    assert done.returncode == 2
    assert not (tmp_path / "x").exists()


def test_serve_serves_the_new_repository_at_once(repo, tmp_path):
    data = tmp_path / "data"
    proc, base = serve(free_port(), data, None, "--marketplace", str(repo))
    try:
        token = mint_token(EDITOR, data)
        listing = httpx.get(f"{base}/api/skills", headers={"Authorization": f"Bearer {token}"})
        assert {s["name"] for s in listing.json()["skills"]} == {"skillport", "example-skill"}
        detail = httpx.get(
            f"{base}/api/skills/example-skill", headers={"Authorization": f"Bearer {token}"}
        ).json()
        assert detail["editable"] is True  # the creator may edit
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.mark.needs_node
def test_claude_code_validates_the_marketplace_and_its_plugins(repo, tmp_path):
    if not CLAUDE.exists():
        pytest.skip("Claude Code is not installed under tests/claude (`make test` installs it)")
    for target in (repo, repo / "plugins" / "skillport", repo / "plugins" / "examples"):
        done = subprocess.run(
            [str(CLAUDE), "plugin", "validate", "--json", str(target)],
            env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        report = json.loads(done.stdout)
        assert done.returncode == 0 and report["success"], done.stdout[-2000:]
        assert report["manifest"]["errors"] == [] and report["manifest"]["warnings"] == []

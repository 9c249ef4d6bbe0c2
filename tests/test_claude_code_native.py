"""Claude Code, natively: the real `claude` CLI (offline, HOME in a temporary folder) adds a
person's marketplace from a running connector (`serve` on a git marketplace), installs a
group, updates it after a bump, and sees nothing it may not read; a revoked credential stops
working at once."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from gitserver import READ_TOKEN, WRITE_TOKEN, GitHttpServer
from serving import free_port, mint_token, serve

from skillport_connector.settings import demo_marketplace

pytestmark = pytest.mark.needs_node("claude")
CLAUDE = Path(__file__).parent / "claude/node_modules/.bin/claude"
MARKET = "skillport-demo"
ED = "ed@example.com"
ANN = "ann@example.com"
ACCESS = {
    "version": "1.0",
    "editors": [{"id": f"local:{ED}"}],
    "groups": {"engineering": {"read": "editors"}, "drafts": {"read": "editors"}},
    "defaults": {"read": "*", "write": "editors"},
}


@pytest.fixture(scope="module")
def connector(tmp_path_factory) -> Iterator[dict[str, Any]]:
    """`serve` on a git marketplace (the demo, engineering for editors only)."""
    root = tmp_path_factory.mktemp("native")
    seed = root / "seed"
    shutil.copytree(demo_marketplace(), seed)
    (seed / ".skillport/access.json").write_text(json.dumps(ACCESS))
    with GitHttpServer.serving(root / "remote", seed) as git_server:
        env = {
            "SKILLPORT_MARKETPLACE": git_server.url("market"),
            "SKILLPORT_GIT_READ_TOKEN": READ_TOKEN,
            "SKILLPORT_GIT_WRITE_TOKEN": WRITE_TOKEN,
            "SKILLPORT_POLL_INTERVAL": "0",
            "SKILLPORT_AUDIT_LOG": "",
        }
        data = root / "data"
        proc, base = serve(free_port(), data, env)
        try:
            yield {
                "base": base,
                "ed": mint_token(ED, data, env),
                "ann": mint_token(ANN, data, env),
            }
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def credential(connector: dict[str, Any], who: str, **body: Any) -> dict[str, Any]:
    r = httpx.post(
        f"{connector['base']}/api/claude-code/credentials",
        json={"label": "test laptop", **body},
        headers={"Authorization": f"Bearer {connector[who]}"},
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


def claude(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    assert CLAUDE.exists(), "run `make test` (it installs Claude Code under tests/claude)"
    run = subprocess.run(
        [str(CLAUDE), "plugin", *args],
        env={"PATH": os.environ["PATH"], "HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check:
        assert run.returncode == 0, run.stdout + run.stderr
    return run


def cached_versions(home: Path, plugin: str) -> list[Path]:
    return sorted((home / ".claude/plugins/cache" / MARKET / plugin).glob("*"))


def git_ls(url: str, password: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    """`git clone` of the person's repository with HTTP Basic, as Claude Code does."""
    authed = url.replace("http://", f"http://skillport:{password}@")
    return subprocess.run(
        ["git", "clone", "-q", authed, str(tmp)],
        env={"PATH": os.environ["PATH"], "HOME": str(tmp.parent), "GIT_TERMINAL_PROMPT": "0"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_person_adds_the_marketplace_and_installs_a_group(connector, tmp_path):
    cred = credential(connector, "ed")
    home = tmp_path / "home"
    claude(home, "marketplace", "add", cred["add_url"])
    claude(home, "install", f"engineering@{MARKET}")
    [version] = cached_versions(home, "engineering")
    assert (version / "skills/changelog/SKILL.md").is_file()
    assert (version / "skills/commit-messages/SKILL.md").is_file()
    manifest = json.loads((version / ".claude-plugin/plugin.json").read_text())
    assert manifest["name"] == "engineering"
    assert version.name == manifest["version"].replace("+", "-")  # Claude Code's folder name


def test_the_settings_snippet_registers_the_marketplace_with_its_header(connector, tmp_path):
    cred = credential(connector, "ed")
    home = tmp_path / "home"
    (home / ".claude").mkdir(parents=True)
    (home / ".claude/settings.json").write_text(json.dumps(cred["settings"]))
    # Claude Code registers extraKnownMarketplaces when a session starts (even signed out).
    subprocess.run(
        [str(CLAUDE), "-p", "hi"],
        env={"PATH": os.environ["PATH"], "HOME": str(home)},
        capture_output=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    known = json.loads((home / ".claude/plugins/known_marketplaces.json").read_text())
    assert known[MARKET]["source"]["headers"] == cred["headers"]
    claude(home, "install", f"skillport@{MARKET}")
    assert cached_versions(home, "skillport")


def test_a_bump_reaches_claude_code_through_marketplace_update(connector, tmp_path):
    cred = credential(connector, "ed")
    home = tmp_path / "home"
    claude(home, "marketplace", "add", cred["add_url"])
    claude(home, "install", f"brand@{MARKET}")
    [before] = cached_versions(home, "brand")
    r = httpx.post(
        f"{connector['base']}/api/skills/house-style/bump",
        json={"type": "minor"},
        headers={"Authorization": f"Bearer {connector['ed']}"},
    )
    assert r.status_code == 200, r.text
    claude(home, "marketplace", "update", MARKET)
    claude(home, "update", f"brand@{MARKET}")
    after = [v for v in cached_versions(home, "brand") if v != before]
    assert after, cached_versions(home, "brand")
    assert after[0].name.split("+")[0] != before.name.split("+")[0]
    installed = json.loads((home / ".claude/plugins/installed_plugins.json").read_text())
    assert after[0].name in json.dumps(installed)


def test_a_person_without_access_neither_sees_nor_fetches_the_group(connector, tmp_path):
    cred = credential(connector, "ann")
    listed = httpx.get(cred["marketplace_url"], headers=cred["headers"]).json()
    names = {p["name"] for p in listed["plugins"]}
    assert "engineering" not in names and {"brand", "skillport"} <= names
    clone = git_ls(cred["git"]["url"], cred["credential"], tmp_path / "clone")
    assert clone.returncode == 0, clone.stderr
    assert not (tmp_path / "clone/plugins/engineering").exists()
    assert (tmp_path / "clone/plugins/brand/skills/house-style/SKILL.md").is_file()
    home = tmp_path / "home"
    claude(home, "marketplace", "add", cred["add_url"])
    assert claude(home, "install", f"engineering@{MARKET}", check=False).returncode != 0
    assert not cached_versions(home, "engineering")


def test_a_revoked_credential_fails_at_once(connector, tmp_path):
    cred = credential(connector, "ed")
    home = tmp_path / "home"
    claude(home, "marketplace", "add", cred["add_url"])
    r = httpx.delete(
        f"{connector['base']}/api/claude-code/credentials/{cred['credential_id']}",
        headers={"Authorization": f"Bearer {connector['ed']}"},
    )
    assert r.status_code == 200, r.text
    assert httpx.get(cred["marketplace_url"], headers=cred["headers"]).status_code == 401
    assert git_ls(cred["git"]["url"], cred["credential"], tmp_path / "clone").returncode != 0
    assert claude(home, "install", f"engineering@{MARKET}", check=False).returncode != 0
    assert claude(home, "marketplace", "update", MARKET, check=False).returncode != 0

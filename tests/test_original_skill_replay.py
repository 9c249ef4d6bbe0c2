"""The original `skillport` skill (v1.3.4), replayed verbatim against a real server.

Every bash block of its SKILL.md and references/authoring-skills.md is taken from the
fixture (`../shared/testdata/real-marketplaces/cto4ai+skillport-marketplace/`) and run by
bash as written — `curl -sf` included — with only the skill's own placeholders filled in
(`<token from response>`, `{skill-name}`, `{install_token}`); its Python payload helper is
run as written too. The token comes from `skillport_auth` through the official MCP client.
Each test checks what the skill tells Claude to expect. The server is a real `serve`
process over a real git smart-HTTP remote holding that marketplace.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import stat
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REAL_MARKETPLACES
from gitserver import READ_TOKEN, WRITE_TOKEN, GitHttpServer, git
from mcp.client.session import ClientSession
from mcp.client.sse import sse_client
from serving import free_port, serve

FIXTURE = (
    Path(os.environ.get("SKILLPORT_REAL_MARKETPLACES", REAL_MARKETPLACES))
    / "cto4ai+skillport-marketplace"
)
SKILL_DIR = FIXTURE / "plugins/skillport/skills/skillport"
SKILL_MD = (SKILL_DIR / "SKILL.md").read_text()
AUTHORING = (SKILL_DIR / "references/authoring-skills.md").read_text()
DEV = "local:developer@localhost"
SCRIPT = "plugins/data-analyzer/skills/data-analyzer/scripts/analyze.sh"


def blocks(text: str, lang: str) -> list[str]:
    """The fenced code blocks of ``lang`` in ``text``, in order."""
    return re.findall(rf"```{lang}\n(.*?)```", text, re.S)


def block(text: str, lang: str, containing: str) -> str:
    [found] = [b for b in blocks(text, lang) if containing in b]
    return found


def seed(into: Path) -> Path:
    """The fixture, writable, with an executable script and the dev user as its editor."""
    shutil.copytree(FIXTURE, into)
    for path in [into, *into.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    script = into / SCRIPT
    script.parent.mkdir()
    script.write_text("#!/bin/sh\necho analyzed\n")
    script.chmod(0o755)
    access = json.loads((into / ".skillport/access.json").read_text())
    access["editors"] = [{"id": DEV, "label": "developer@localhost"}]
    (into / ".skillport/access.json").write_text(json.dumps(access, indent=2))
    return into


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("replay")
    with GitHttpServer.serving(root / "remote", seed(root / "seed")) as remote:
        env = {
            "SKILLPORT_MARKETPLACE": remote.url("market"),
            "SKILLPORT_GIT_READ_TOKEN": READ_TOKEN,
            "SKILLPORT_GIT_WRITE_TOKEN": WRITE_TOKEN,
            "SKILLPORT_AUDIT_LOG": "",
        }
        proc, base = serve(free_port(), root / "data", env, "--no-auth")
        try:
            yield {"base": base, "remote": remote, "auth": skillport_auth(base), "root": root}
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def skillport_auth(base: str) -> dict[str, Any]:
    """Prerequisites, step 1: call the `skillport_auth` MCP tool (no parameters)."""

    async def run() -> dict[str, Any]:
        async with (
            sse_client(f"{base}/sse") as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            result = await session.call_tool("skillport_auth", {})
            return json.loads(result.content[0].text)  # type: ignore[union-attr]

    return asyncio.run(run())


def bash(
    world: dict[str, Any], snippet: str, home: Path, **fill: str
) -> subprocess.CompletedProcess:
    """Run a snippet of the skill as written, after "Using the Token": TOKEN and BASE_URL
    assigned first. ``fill`` replaces the skill's ``{placeholders}``."""
    using = block(SKILL_MD, "bash", "<token from response>")
    prelude = using.split("# Then use them")[0]
    prelude = prelude.replace("<token from response>", world["auth"]["token"])
    prelude = prelude.replace("<base_url from response>", world["auth"]["base_url"])
    for key, value in fill.items():
        snippet = snippet.replace("{" + key + "}", value)
    home.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "SKILLPORT_PACKAGE_DIR": str(home),
        "SKILLPORT_EDIT_DIR": str(home / "skillport-edit"),
        "TMPDIR": str(home),
    }
    return subprocess.run(
        ["bash", "-c", prelude + snippet],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def ok_json(result: subprocess.CompletedProcess) -> Any:
    assert result.returncode == 0, result.stderr + result.stdout
    return json.loads(result.stdout)


def curl_line(text: str, containing: str) -> str:
    """The one bash block (of SKILL.md or the authoring guide) containing ``containing``,
    "Using the Token" aside (it is the prelude of every run)."""
    [found] = [
        b for b in blocks(text, "bash") if containing in b and "<token from response>" not in b
    ]
    return found


# -- Prerequisites and "Using the Token" -------------------------------------------------------


def test_skillport_auth_returns_token_base_url_and_client_info(world):
    auth = world["auth"]
    assert auth["token"].startswith("sk_api_") and auth["expires_in"] == 900
    assert auth["base_url"] == world["base"]
    assert auth["client_info"] == {"name": "mcp", "version": auth["client_info"]["version"]}


def test_using_the_token_block_lists_skills(world, tmp_path):
    using = block(SKILL_MD, "bash", "<token from response>")
    _, sep, rest = using.partition("# Then use them")
    body = ok_json(bash(world, sep + rest, tmp_path))  # the whole block, as written
    assert body["count"] == len(body["skills"]) > 0


# -- List Available Skills ---------------------------------------------------------------------


def test_list_has_published_and_surface_tags(world, tmp_path):
    body = ok_json(bash(world, curl_line(SKILL_MD, '/api/skills" -H'), tmp_path))
    names = {s["name"]: s for s in body["skills"]}
    assert {"skillport", "data-analyzer", "example-skill"} <= set(names)
    assert all(s["published"] is True for s in body["skills"])
    assert names["skillport"]["surface_tags"] == ["CALL"]


@pytest.mark.parametrize("surface", ["CC", "CD", "CAI", "CDAI", "CALL"])
def test_every_documented_surface_value_is_accepted(world, tmp_path, surface):
    """ "Valid surface values: CC, CD, CAI, CDAI, CALL"."""
    snippet = curl_line(SKILL_MD, "surface=CC").replace("surface=CC", f"surface={surface}")
    body = ok_json(bash(world, snippet, tmp_path))
    assert body["surface_filter"] == surface
    # "Skills tagged CALL appear in all surface filters."
    assert "skillport" in {s["name"] for s in body["skills"]}


def test_surface_cc_lists_cc_skills_and_not_others(world, tmp_path):
    body = ok_json(bash(world, curl_line(SKILL_MD, "surface=CC"), tmp_path))
    names = {s["name"] for s in body["skills"]}
    assert "skillport-repo-utils" in names  # tagged surface:CC


def test_force_refresh(world, tmp_path):
    body = ok_json(bash(world, curl_line(SKILL_MD, "refresh=true"), tmp_path))
    assert body["count"] > 0


# -- Get Skill Details ---------------------------------------------------------------------------


def test_get_skill_details_has_skill_md_published_and_surface_tags(world, tmp_path):
    snippet = curl_line(SKILL_MD, '/api/skills/{skill-name}" -H')
    body = ok_json(bash(world, snippet, tmp_path, **{"skill-name": "skillport"}))
    assert body["skill_md"] == (SKILL_DIR / "SKILL.md").read_text()
    assert body["skill"]["published"] is True and body["skill"]["surface_tags"] == ["CALL"]


def test_an_invalid_name_is_400_invalid_skill_name(world, tmp_path):
    snippet = curl_line(SKILL_MD, '/api/skills/{skill-name}" -H').replace("-sf", "-s")
    body = ok_json(bash(world, snippet, tmp_path, **{"skill-name": "Bad_Name"}))
    assert body["error"] == "bad_request" and body["message"].startswith("Invalid skill name")
    strict = bash(world, curl_line(SKILL_MD, "/api/skills/{skill-name}\" -H"), tmp_path,
                  **{"skill-name": "Bad_Name"})  # fmt: skip
    assert strict.returncode == 22  # curl -f: an HTTP error


# -- Install a Skill --------------------------------------------------------------------------


def install_token(world, home: Path, name: str) -> dict[str, Any]:
    """Install, step 1: the install token and command."""
    snippet = curl_line(SKILL_MD, '/install" -H')
    return ok_json(bash(world, snippet, home, **{"skill-name": name}))


def test_install_step_1_returns_token_and_command(world, tmp_path):
    ticket = install_token(world, tmp_path, "data-analyzer")
    assert ticket["install_token"].startswith("sk_install_")
    assert ticket["command"].endswith(f"{ticket['install_token']} --package")


def test_install_for_claude_code_with_skill_flag(world, tmp_path):
    ticket = install_token(world, tmp_path, "data-analyzer")
    snippet = curl_line(SKILL_MD, "{install_token} --skill")
    result = bash(world, snippet, tmp_path, install_token=ticket["install_token"])
    assert result.returncode == 0, result.stderr
    installed = tmp_path / ".claude/skills/data-analyzer"
    assert (installed / "SKILL.md").exists()
    assert stat.S_IMODE((installed / "scripts/analyze.sh").stat().st_mode) == 0o755
    assert subprocess.run([installed / "scripts/analyze.sh"], capture_output=True).stdout == (
        b"analyzed\n"
    )
    manifest = json.loads((installed / ".claude-plugin/plugin.json").read_text())
    assert manifest["name"] == "data-analyzer" and manifest["version"] == "1.1.3"


def test_install_for_chat_surfaces_with_package_flag(world, tmp_path):
    ticket = install_token(world, tmp_path, "data-analyzer")
    snippet = curl_line(SKILL_MD, "{install_token} --package")
    result = bash(world, snippet, tmp_path, install_token=ticket["install_token"])
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last == f"SKILL_FILE={tmp_path}/data-analyzer.skill"
    with zipfile.ZipFile(tmp_path / "data-analyzer.skill") as zf:
        info = zf.getinfo("data-analyzer/scripts/analyze.sh")
        assert stat.S_IMODE(info.external_attr >> 16) == 0o755
        assert "data-analyzer/SKILL.md" in zf.namelist()


def test_the_command_field_runs_as_given(world, tmp_path):
    """Install, step 2: "The command field contains the full install command"."""
    ticket = install_token(world, tmp_path, "example-skill")
    result = bash(world, ticket["command"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == f"SKILL_FILE={tmp_path}/example-skill.skill"


def test_install_sh_without_a_flag_installs_into_claude_skills(world, tmp_path):
    ticket = install_token(world, tmp_path, "example-skill")
    snippet = f"curl -sf $BASE_URL/install.sh | bash -s -- {ticket['install_token']}\n"
    result = bash(world, snippet, tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / ".claude/skills/example-skill/SKILL.md").exists()


def test_skillport_connector_url_overrides_the_address(world, tmp_path):
    """The original's override: here it points where no token is known, so nothing is
    installed and the token stays unused for the run without it."""
    ticket = install_token(world, tmp_path, "example-skill")
    token = ticket["install_token"]
    moved = bash(world, f"curl -sf $BASE_URL/install.sh | SKILLPORT_CONNECTOR_URL=$BASE_URL/x "
                 f"bash -s -- {token} --skill\n", tmp_path)  # fmt: skip
    assert moved.returncode == 1 and "unknown or has expired" in moved.stderr
    assert not (tmp_path / ".claude/skills/example-skill").exists()
    plain = bash(world, f"curl -sf $BASE_URL/install.sh | bash -s -- {token} --skill\n", tmp_path)
    assert plain.returncode == 0, plain.stderr


# -- Check for Updates ------------------------------------------------------------------------


def test_check_updates_block_as_written(world, tmp_path):
    body = ok_json(bash(world, curl_line(SKILL_MD, "check-updates"), tmp_path))
    assert body == {"hasUpdates": False, "updates": []}


def test_check_updates_with_an_installed_copys_plugin_json(world, tmp_path):
    """Step 1 reads ~/.claude/skills/{skill-name}/.claude-plugin/plugin.json (whose name is
    its group's); step 2 posts it."""
    ticket = install_token(world, tmp_path, "meeting-digest")
    installed = bash(world, curl_line(SKILL_MD, "{install_token} --skill"), tmp_path,
                     install_token=ticket["install_token"])  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    manifest = json.loads(
        (tmp_path / ".claude/skills/meeting-digest/.claude-plugin/plugin.json").read_text()
    )
    older = dict(manifest, version="0.0.1")
    snippet = curl_line(SKILL_MD, "check-updates").replace(
        """'{"installed": [{"name": "skill-a", "version": "1.0.0"}, {"name": "skill-b", "version": "2.1.0"}]}'""",  # noqa: E501
        "'" + json.dumps({"installed": [older, manifest]}) + "'",
    )
    body = ok_json(bash(world, snippet, tmp_path))
    assert body["hasUpdates"] is True
    assert body["updates"] == [
        {"name": manifest["name"], "installedVersion": "0.0.1",
         "availableVersion": manifest["version"]}
    ]  # fmt: skip


# -- Debug Endpoints ---------------------------------------------------------------------------


def test_debug_plugins_shows_plugin_directories(world, tmp_path):
    body = ok_json(bash(world, curl_line(SKILL_MD, "debug/plugins"), tmp_path))
    assert {"skillport", "data-analyzer"} <= set(body["names"])
    assert body["count"] == len(body["directories"]) == len(body["names"])
    assert {"name": "skillport", "path": "plugins/skillport", "type": "dir"} in body["directories"]


# -- Authoring: save, test, publish, bump, edit, delete, who am I -------------------------------


def build_payload(skill_dir: Path, group: str, message: str, description: str, out: Path):
    """ "Python helper to build payload from local files", run as written."""
    helper = block(AUTHORING, "python", "def build_skill_payload")
    scope: dict[str, Any] = {}
    exec(helper.split("# Usage:")[0], scope)  # the skill's own helper, as written
    out.write_text(scope["build_skill_payload"](str(skill_dir), group, message, description))


def save(world, home: Path, name: str) -> dict[str, Any]:
    snippet = curl_line(AUTHORING, "$(cat payload.json)")
    return ok_json(bash(world, snippet, home, **{"skill-name": name}))


def commit_message(world) -> str:
    return git("log", "-1", "--format=%B", cwd=world["remote"].root / "market.git")


def test_authoring_lifecycle_as_the_guide_describes(world, tmp_path):
    new = tmp_path / "src/team-notes"
    (new / "scripts").mkdir(parents=True)
    (new / "SKILL.md").write_text("---\nname: team-notes\ndescription: Team notes.\n---\n# Notes\n")
    (new / "scripts/helper.sh").write_text("#!/bin/bash\necho helped\n")
    build_payload(new, "team-tools", "Add team notes", "Team tools", tmp_path / "payload.json")

    saved = save(world, tmp_path, "team-notes")
    assert saved["success"] is True and saved["skill_group"] == "team-tools"
    assert saved["isNewSkill"] is True and saved["isNewGroup"] is True
    assert {"path": "plugins/team-tools/skills/team-notes/SKILL.md", "created": True} in saved[
        "files"
    ]
    assert "file(s) created" in saved["summary"]
    assert commit_message(world).startswith("Add team notes\n")  # commitMessage, as written
    group = json.loads(
        git("show", "main:plugins/team-tools/.claude-plugin/plugin.json",
            cwd=world["remote"].root / "market.git")
    )  # fmt: skip
    assert group["author"] == {"name": "developer", "email": "developer@localhost"}
    assert group["license"] == "MIT"

    # "Saved skills are NOT listed … until published": as the original connector's code, the
    # listing shows them to their editors with published: false; fetched by name for testing.
    listed = ok_json(bash(world, curl_line(SKILL_MD, '/api/skills" -H'), tmp_path))
    assert {s["name"]: s["published"] for s in listed["skills"]}["team-notes"] is False
    detail = curl_line(SKILL_MD, '/api/skills/{skill-name}" -H')
    fetched = ok_json(bash(world, detail, tmp_path, **{"skill-name": "team-notes"}))
    assert fetched["skill"]["published"] is False

    publish = curl_line(AUTHORING, "/publish")
    first = ok_json(bash(world, publish, tmp_path, **{"skill-name": "team-notes"}))
    assert first["action"] == "created"
    again = ok_json(bash(world, publish, tmp_path, **{"skill-name": "team-notes"}))
    assert again["action"] == "updated"

    bumped = ok_json(bash(world, curl_line(AUTHORING, "/bump"), tmp_path,
                          **{"skill-name": "team-notes"}))  # fmt: skip
    assert (bumped["oldVersion"], bumped["newVersion"]) == ("1.0.0", "1.1.0")

    ticket = install_token(world, tmp_path, "team-notes")
    installed = bash(world, curl_line(SKILL_MD, "{install_token} --skill"), tmp_path,
                     install_token=ticket["install_token"])  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    helper = tmp_path / ".claude/skills/team-notes/scripts/helper.sh"
    assert subprocess.run([helper], capture_output=True).stdout == b"helped\n"

    deleted = ok_json(bash(world, curl_line(AUTHORING, "-X DELETE"), tmp_path,
                           **{"skill-name": "team-notes"}))  # fmt: skip
    assert deleted["pluginDeleted"] is True
    assert sorted(deleted["deletedFiles"]) == [
        ".claude-plugin/plugin.json", "skills/team-notes/SKILL.md",
        "skills/team-notes/scripts/helper.sh",
    ]  # fmt: skip


def test_edit_download_then_save_back(world, tmp_path):
    ticket = ok_json(bash(world, curl_line(AUTHORING, "/edit\" -H"), tmp_path,
                          **{"skill-name": "data-analyzer"}))  # fmt: skip
    result = bash(world, ticket["command"], tmp_path)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "skillport-edit/data-analyzer"
    lines = result.stdout.splitlines()
    assert f"SKILL_DIR={folder}" in lines
    assert lines[lines.index("FILES:") + 1 :] == [
        "  SKILL.md", "  references/supported_formats.md", "  scripts/analyze.sh",
    ]  # fmt: skip
    info = json.loads((folder / ".edit_info").read_text())
    assert (info["name"], info["plugin"]) == ("data-analyzer", "data-analyzer")
    assert stat.S_IMODE((folder / "scripts/analyze.sh").stat().st_mode) == 0o755

    (folder / "SKILL.md").write_text((folder / "SKILL.md").read_text() + "\nMore.\n")
    build_payload(folder, "data-analyzer", "Say more", "unused", tmp_path / "payload.json")
    saved = save(world, tmp_path, "data-analyzer")
    assert saved["isNewSkill"] is False and saved["isNewGroup"] is False
    assert saved["ignored"] == [".edit_info"]
    modes = git("ls-tree", "main", "--", SCRIPT, cwd=world["remote"].root / "market.git")
    assert modes.startswith("100755 ")  # the script stays executable


def test_whoami(world, tmp_path):
    body = ok_json(bash(world, curl_line(AUTHORING, "whoami"), tmp_path))
    assert body["id"] == DEV

"""End to end: the real server process, the served install.sh run by bash, both modes.

Also runs install.sh against a hostile server (a small HTTP server of the test's own)
to prove that nothing the server sends can make it write outside its target.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from serving import free_port, mint_token, serve

from skillport_connector.settings import demo_marketplace

DEMO = demo_marketplace()
CLI = [sys.executable, "-m", "skillport_connector.cli"]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[dict[str, str]]:
    data = tmp_path_factory.mktemp("data")
    proc, base = serve(free_port(), data)
    try:
        token = mint_token("e2e@example.com", data)
        editor = mint_token("developer@localhost", data)
        yield {"base": base, "token": token, "editor": editor, "data": str(data)}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def run_install(
    server: dict[str, str], skill: str, mode: str, home: Path
) -> subprocess.CompletedProcess:
    ticket = httpx.get(
        f"{server['base']}/api/skills/{skill}/install",
        headers={"Authorization": f"Bearer {server['token']}"},
    ).json()
    command = ticket["command"] if mode == "package" else ticket["claude_code_command"]
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "SKILLPORT_PACKAGE_DIR": str(home),
        "TMPDIR": str(home),
    }
    return subprocess.run(
        ["bash", "-c", command], env=env, capture_output=True, text=True, timeout=60
    )


def source_files(skill_dir: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(skill_dir)): p.read_bytes() for p in skill_dir.rglob("*") if p.is_file()
    }


CSV = DEMO / "plugins/data-tools/skills/csv-profiler"


def test_token_command_prints_only_a_token(server):
    assert server["token"].startswith("sk_api_") and "\n" not in server["token"]


def test_install_sh_package_mode_writes_a_skill_zip(server, tmp_path):
    result = run_install(server, "csv-profiler", "package", tmp_path)
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last == f"SKILL_FILE={tmp_path}/csv-profiler.skill"
    with zipfile.ZipFile(tmp_path / "csv-profiler.skill") as zf:
        contents = {n: zf.read(n) for n in zf.namelist() if not n.endswith("/")}
    expected = {f"csv-profiler/{rel}": data for rel, data in source_files(CSV).items()}
    plugin_json = contents.pop("csv-profiler/.claude-plugin/plugin.json")
    assert contents == expected  # byte for byte, the PNG included
    assert json.loads(plugin_json)["version"] == "0.9.0-beta.1"


def test_install_sh_skill_mode_installs_into_claude_skills(server, tmp_path):
    result = run_install(server, "csv-profiler", "skill", tmp_path)
    assert result.returncode == 0, result.stderr
    target = tmp_path / ".claude/skills/csv-profiler"
    installed = source_files(target)
    plugin_json = installed.pop(".claude-plugin/plugin.json")
    assert installed == source_files(CSV)
    assert target.stat().st_mode & 0o777 == 0o755  # like its subfolders, not mkdtemp's 0700
    group = json.loads((CSV.parents[1] / ".claude-plugin/plugin.json").read_text())
    assert json.loads(plugin_json) == {**group, "name": "csv-profiler", "version": "0.9.0-beta.1"}
    assert f"SKILL_DIR={target}" in result.stdout


def test_install_sh_skill_mode_replaces_an_older_copy(server, tmp_path):
    target = tmp_path / ".claude/skills/changelog"
    target.mkdir(parents=True)
    (target / "stale.txt").write_text("from an older version")
    result = run_install(server, "changelog", "skill", tmp_path)
    assert result.returncode == 0, result.stderr
    assert not (target / "stale.txt").exists()
    assert (target / "SKILL.md").read_bytes() == (
        DEMO / "plugins/engineering/skills/changelog/SKILL.md"
    ).read_bytes()
    assert [p.name for p in (tmp_path / ".claude/skills").iterdir()] == ["changelog"]


def test_install_sh_reports_a_used_token(server, tmp_path):
    ticket = httpx.get(
        f"{server['base']}/api/skills/changelog/install",
        headers={"Authorization": f"Bearer {server['token']}"},
    ).json()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "SKILLPORT_PACKAGE_DIR": str(tmp_path),
    }
    first = subprocess.run(
        ["bash", "-c", ticket["command"]], env=env, capture_output=True, text=True
    )
    second = subprocess.run(
        ["bash", "-c", ticket["command"]], env=env, capture_output=True, text=True
    )
    assert first.returncode == 0
    assert second.returncode == 1 and "already used" in second.stderr


def test_install_sh_reports_an_unknown_token(server, tmp_path):
    script = httpx.get(f"{server['base']}/install.sh").text
    result = subprocess.run(
        ["bash", "-s", "--", "sk_install_doesnotexist", "--skill"],
        input=script,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and "unknown or has expired" in result.stderr
    assert not (tmp_path / ".claude").exists()


def test_make_run_demo_is_editable_end_to_end(server, tmp_path):
    """The demo is served from a git copy in the data folder; the dev user is its editor."""
    headers = {"Authorization": f"Bearer {server['editor']}"}
    ticket = httpx.get(f"{server['base']}/api/skills/house-style/edit", headers=headers).json()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "SKILLPORT_EDIT_DIR": str(tmp_path / "edit"),
    }
    result = subprocess.run(
        ["bash", "-c", ticket["command"]], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    edited = tmp_path / "edit/house-style/SKILL.md"
    # As the original edit.sh: SKILL_DIR=, then FILES: and the file list, and .edit_info.
    lines = result.stdout.strip().splitlines()
    assert lines[-3:] == [f"SKILL_DIR={edited.parent}", "FILES:", "  SKILL.md"]
    info = json.loads((edited.parent / ".edit_info").read_text())
    assert info == {
        "name": "house-style",
        "plugin": "brand",
        "version": info["version"],
        "files": ["SKILL.md"],
    }
    text = edited.read_text() + "\n- Use the Oxford comma.\n"
    saved = httpx.post(
        f"{server['base']}/api/skills/house-style",
        headers=headers,
        json={"files": [{"path": "SKILL.md", "content": text}], "commitMessage": "Oxford comma"},
    )
    assert saved.status_code == 200, saved.text
    repo = Path(server["data"]) / "demo-marketplace"
    log = subprocess.run(
        ["git", "log", "-1", "--format=%H %s"], cwd=repo, capture_output=True, text=True
    ).stdout
    assert log.split()[0] == saved.json()["commit"]
    assert (
        repo / "plugins/brand/skills/house-style/SKILL.md"
    ).read_text() == text  # work tree follows


# -- a hostile or flaky server ---------------------------------------------------------------


class Scripted:
    """A tiny HTTP server answering /api/install/* from a list of (status, body) replies."""

    def __init__(self, replies: list[tuple[int, bytes]]) -> None:
        self.replies = list(replies)
        self.hits = 0
        self.paths: list[str] = []
        #: Every process's command line while a request was being answered (`ps`).
        self.command_lines: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits += 1
                outer.paths.append(self.path)
                outer.command_lines += subprocess.run(
                    ["ps", "-e", "-o", "args="], capture_output=True, text=True
                ).stdout.splitlines()
                status, body = outer.replies.pop(0) if len(outer.replies) > 1 else outer.replies[0]
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def script_text() -> str:
    from skillport_connector.install import install_script

    return install_script("http://127.0.0.1:1")


#: Retries without waiting: the delays are configurable (default "1 2 4 8").
FAST_RETRIES = {"SKILLPORT_RETRY_DELAYS": "0.01 0.02 0.04 0.08"}


def run_against(
    replies: list[tuple[int, bytes]],
    tmp_path: Path,
    mode: str = "--skill",
    env: dict[str, str] | None = None,
    args: tuple[str, ...] = ("sk_install_x",),
    fake_out: list[Scripted] | None = None,
):
    fake = Scripted(replies)
    try:
        full_env = {
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path / "home"),
            "SKILLPORT_URL": fake.url,
            "SKILLPORT_PACKAGE_DIR": str(tmp_path / "pkg"),
            **FAST_RETRIES,
            **(env or {}),
        }
        (tmp_path / "home").mkdir(exist_ok=True)
        (tmp_path / "pkg").mkdir(exist_ok=True)
        result = subprocess.run(
            ["bash", "-s", "--", *args, mode],
            input=script_text(),
            env=full_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if fake_out is not None:
            fake_out.append(fake)
        return result, fake.hits
    finally:
        fake.close()


def payload(*files: dict[str, str], name: str = "evil") -> bytes:
    return json.dumps({"skill": {"name": name, "version": "1.0.0"}, "files": list(files)}).encode()


SKILL = {"path": "SKILL.md", "content": "---\nname: evil\ndescription: d\n---\n"}


@pytest.mark.parametrize(
    "path",
    [
        "../escape.txt",
        "/tmp/abs.txt",
        "a/../../escape.txt",
        "a\\..\\escape.txt",
        "a/./b",
        "nul\u0000.txt",
        "",
    ],
)
def test_install_sh_refuses_unsafe_paths(tmp_path, path):
    result, _ = run_against([(200, payload(SKILL, {"path": path, "content": "x"}))], tmp_path)
    assert result.returncode == 1
    assert "refusing" in result.stderr
    assert not (tmp_path / "escape.txt").exists()
    assert not (tmp_path / "home/.claude/skills/evil").exists()


@pytest.mark.parametrize(
    "name",
    ["..", "../evil", "a/b", ".hidden", "", "evil\n", "evil\r", "Evil", "ev il", "a" * 65, "-a"],
)
def test_install_sh_refuses_unsafe_skill_names(tmp_path, name):
    result, _ = run_against([(200, payload(SKILL, name=name))], tmp_path)
    assert result.returncode == 1 and "unsafe skill name" in result.stderr
    assert list((tmp_path / "home").iterdir()) == []


def test_install_sh_never_follows_a_planted_symlink_at_the_package_path(tmp_path):
    (tmp_path / "pkg").mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (tmp_path / "pkg/evil.skill").symlink_to(victim)
    result, _ = run_against([(200, payload(SKILL))], tmp_path, mode="--package")
    assert result.returncode == 0, result.stderr
    assert victim.read_text() == "keep me"
    assert zipfile.is_zipfile(tmp_path / "pkg/evil.skill")


def test_install_sh_retries_5xx_with_backoff_then_succeeds(tmp_path):
    replies = [(503, b"{}"), (502, b"{}"), (200, payload(SKILL))]
    result, hits = run_against(replies, tmp_path)
    assert result.returncode == 0, result.stderr
    assert hits == 3
    assert "retrying in 0.01s (1/5)" in result.stderr
    assert "retrying in 0.02s (2/5)" in result.stderr


def test_install_sh_backs_off_one_second_first_by_default(tmp_path):
    replies = [(503, b"{}"), (200, payload(SKILL))]
    result, hits = run_against(replies, tmp_path, env={"SKILLPORT_RETRY_DELAYS": ""})
    assert result.returncode == 0, result.stderr
    assert hits == 2 and "retrying in 1s (1/5)" in result.stderr


def test_install_sh_refuses_retry_delays_that_are_not_numbers(tmp_path):
    env = {"SKILLPORT_RETRY_DELAYS": "1 $(touch pwned)"}
    result, hits = run_against([(200, payload(SKILL))], tmp_path, env=env)
    assert result.returncode == 1 and hits == 0
    assert "SKILLPORT_RETRY_DELAYS" in result.stderr


def test_install_sh_gives_up_after_five_5xx(tmp_path):
    result, hits = run_against([(500, b"{}")], tmp_path)
    assert result.returncode == 1 and hits == 5
    assert "after 5 attempts" in result.stderr


def test_install_sh_takes_the_token_from_the_environment_out_of_sight_of_ps(tmp_path):
    token = "sk_install_" + "Q" * 32
    seen: list[Scripted] = []
    result, _ = run_against(
        [(200, payload(SKILL))],
        tmp_path,
        env={"SKILLPORT_TOKEN": token},
        args=(),
        fake_out=seen,
    )
    assert result.returncode == 0, result.stderr
    assert seen[0].paths == [f"/api/install/{token}"]
    assert seen[0].command_lines and not any(token in line for line in seen[0].command_lines)


def test_install_sh_reads_the_token_from_stdin_when_asked(tmp_path):
    fake = Scripted([(200, payload(SKILL))])
    script = tmp_path / "install.sh"
    script.write_text(script_text())
    token = "sk_install_" + "S" * 32
    try:
        result = subprocess.run(
            ["bash", str(script), "--token-stdin", "--skill"],
            input=token + "\n",
            env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "SKILLPORT_URL": fake.url},
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        fake.close()
    assert result.returncode == 0, result.stderr
    assert fake.paths == [f"/api/install/{token}"]
    assert not any(token in line for line in fake.command_lines)


@pytest.mark.parametrize("token", ["sk_install_../../etc", "sk_install_a b", "sk_install_x?y=1"])
def test_install_sh_refuses_a_token_that_is_not_a_token(tmp_path, token):
    result, hits = run_against(
        [(200, payload(SKILL))], tmp_path, env={"SKILLPORT_TOKEN": token}, args=()
    )
    assert result.returncode == 1 and hits == 0 and "not a Skillport token" in result.stderr


def test_install_sh_edits_in_a_fresh_private_folder(tmp_path):
    """Another local user may have created /tmp/skillport-edit and planted a link in it."""
    shared = tmp_path / "tmp"
    (shared / "skillport-edit").mkdir(parents=True)
    (shared / "skillport-edit").chmod(0o777)
    victim = tmp_path / "victim"
    victim.mkdir()
    (shared / "skillport-edit/evil").symlink_to(victim)
    result, _ = run_against(
        [(200, payload(SKILL))], tmp_path, "--edit", env={"TMPDIR": str(shared)}
    )
    assert result.returncode == 0, result.stderr
    [line] = [x for x in result.stdout.splitlines() if x.startswith("SKILL_DIR=")]
    skill_dir = Path(line.removeprefix("SKILL_DIR="))
    assert skill_dir.name == "evil" and (skill_dir / "SKILL.md").is_file()
    folder = skill_dir.parent
    assert folder.parent == shared and folder.name.startswith("skillport-edit.")
    assert folder != shared / "skillport-edit"
    assert folder.stat().st_mode & 0o777 == 0o700
    assert list(victim.iterdir()) == []


def test_install_sh_edits_twice_into_two_folders(tmp_path):
    shared = tmp_path / "tmp"
    shared.mkdir()
    dirs = []
    for _ in range(2):
        result, _ = run_against(
            [(200, payload(SKILL))], tmp_path, "--edit", env={"TMPDIR": str(shared)}
        )
        assert result.returncode == 0, result.stderr
        dirs.append([x for x in result.stdout.splitlines() if x.startswith("SKILL_DIR=")])
    assert dirs[0] != dirs[1]


def test_install_sh_name_rule_is_the_connector_s(tmp_path):
    from skillport_connector.names import SKILL_NAME_BASH

    assert f're.compile(r"{SKILL_NAME_BASH}")' in script_text()


def test_install_sh_rejects_a_payload_that_is_not_json(tmp_path):
    result, _ = run_against([(200, b"<html>proxy login</html>")], tmp_path)
    assert result.returncode == 1 and "not an install payload" in result.stderr


def test_serve_with_two_workers_answers_and_shuts_down_gracefully(tmp_path):
    proc, base = serve(free_port(), tmp_path, None, "--workers", "2")
    try:
        headers = {"Authorization": f"Bearer {mint_token('w@example.com', tmp_path)}"}
        assert {
            httpx.get(f"{base}/api/skills", headers=headers).status_code for _ in range(20)
        } == {200}
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0

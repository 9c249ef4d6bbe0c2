"""The people's command line end to end: `skillport-connector` subprocesses against a real
`serve` process on a copy of the demo marketplace. The sign-in is driven for real: the
browser login through `$BROWSER` (tests/people_browser.py follows the redirects and submits
the sign-in and consent forms to the CLI's loopback redirect), the device login by typing
the code the CLI prints into the /device page. HOME and the config folder are temporary;
the OS keyring is off (SKILLPORT_KEYRING=0), so credentials go to the 0600 file."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from people_browser import Browser
from serving import CLI, free_port, serve

from skillport_connector import __version__
from skillport_connector.settings import demo_marketplace

TESTS = Path(__file__).parent
CLAUDE = TESTS / "claude/node_modules/.bin/claude"


@pytest.fixture(scope="module")
def connector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("people")
    market = tmp / "market"
    shutil.copytree(demo_marketplace(), market)
    proc, base = serve(free_port(), tmp / "data", None, "--marketplace", str(market))
    try:
        yield {"base": base, "market": market}
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@dataclass
class Person:
    """One person's machine: a HOME, a config folder, and the CLI run there."""

    home: Path
    base: str
    email: str = "dana@example.com"

    @property
    def config(self) -> Path:
        return self.home / ".config" / "skillport"

    @property
    def skills(self) -> Path:
        return self.home / ".claude" / "skills"

    def env(self, **extra: str) -> dict[str, str]:
        browser = self.home / "browser"
        if not browser.exists():
            browser.parent.mkdir(parents=True, exist_ok=True)
            browser.write_text(
                f"#!{sys.executable}\nimport runpy, sys\nsys.path.insert(0, {str(TESTS)!r})\n"
                f"runpy.run_path({str(TESTS / 'people_browser.py')!r}, run_name='__main__')\n"
            )
            browser.chmod(0o755)
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SKILLPORT_", "XDG_", "CLAUDE_"))
        }
        return {
            **env,
            "HOME": str(self.home),
            "SKILLPORT_KEYRING": "0",
            "BROWSER": str(browser),
            "TEST_BROWSER_EMAIL": self.email,
            **extra,
        }

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CLI, *args], env=self.env(**env), capture_output=True, text=True, timeout=120
        )

    def json(self, *args: str) -> Any:
        done = self.run(*args, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def credentials(self) -> dict[str, Any]:
        return json.loads((self.config / "credentials.json").read_text())[self.base]

    def login(self) -> None:
        done = self.run("login", self.base)
        assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def dana(connector, tmp_path_factory) -> Person:
    person = Person(tmp_path_factory.mktemp("dana"), connector["base"])
    person.login()
    return person


@pytest.fixture(scope="module")
def erin(connector, tmp_path_factory) -> Person:
    """A second person, signed in once for the tests that do not sign out."""
    person = Person(tmp_path_factory.mktemp("erin"), connector["base"], "erin@example.com")
    person.login()
    return person


@pytest.fixture
def someone(connector, tmp_path) -> Person:
    """A fresh machine, not signed in."""
    return Person(tmp_path / "home", connector["base"], "erin@example.com")


# -- signing in ------------------------------------------------------------------------------


def test_login_through_the_browser_signs_in_the_person_who_consented(someone):
    done = someone.run("login", someone.base)
    assert done.returncode == 0, done.stderr
    assert "Signed in" in done.stderr and "erin@example.com" in done.stderr
    assert f"(credentials in {someone.config / 'credentials.json'})" in done.stderr
    assert someone.json("whoami")["email"] == "erin@example.com"


def test_credentials_are_kept_in_a_file_only_the_owner_can_read(dana):
    path = dana.config / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert dana.credentials()["refresh_token"].startswith("sprt_")


def test_a_declined_consent_leaves_the_person_signed_out(someone):
    done = someone.run("login", someone.base, TEST_BROWSER_DECISION="deny")
    assert done.returncode == 3, done.stderr
    assert "declined" in done.stderr
    assert someone.run("whoami").returncode == 3


def test_device_login_is_approved_through_the_real_pages(someone):
    proc = subprocess.Popen(
        [*CLI, "login", "--device", someone.base],
        env=someone.env(),
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stderr is not None
        code = None
        for line in proc.stderr:
            match = re.search(r"\b([B-Z]{4}-[B-Z]{4})\b", line)
            if match:
                code = match.group(1)
                break
        assert code, "the CLI printed no user code"
        page = Browser("erin@example.com").enter_device_code(someone.base, code.lower())
        assert page.status_code == 200 and "Device connected" in page.text
        assert proc.wait(timeout=60) == 0, proc.stderr.read()
    finally:
        proc.kill()
        proc.wait()
    assert someone.json("whoami")["email"] == "erin@example.com"


def test_an_expired_access_token_is_refreshed_transparently(erin):
    path = erin.config / "credentials.json"
    stored = json.loads(path.read_text())
    old = stored[erin.base]
    stored[erin.base] = {**old, "expires_at": 0}
    path.write_text(json.dumps(stored))
    assert erin.json("whoami")["email"] == "erin@example.com"
    fresh = erin.credentials()
    assert fresh["access_token"] != old["access_token"]
    assert fresh["refresh_token"] != old["refresh_token"]  # rotated


def test_concurrent_commands_refresh_once_and_the_sign_in_survives(erin):
    path = erin.config / "credentials.json"
    stored = json.loads(path.read_text())
    stored[erin.base]["expires_at"] = 0
    path.write_text(json.dumps(stored))
    # A spent refresh token revokes the whole sign-in: refreshing must be serialised.
    procs = [
        subprocess.Popen(
            [*CLI, "whoami"], env=erin.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(4)
    ]
    results = [(p.wait(timeout=60), p.stderr.read() if p.stderr else b"") for p in procs]
    for proc in procs:
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    assert [code for code, _ in results] == [0, 0, 0, 0], results
    assert erin.run("whoami").returncode == 0


def test_logging_in_again_revokes_the_previous_sign_in(erin):
    old = erin.credentials()["access_token"]
    erin.login()
    headers = {"Authorization": f"Bearer {old}"}
    assert httpx.get(f"{erin.base}/api/whoami", headers=headers).status_code == 401
    assert erin.run("whoami").returncode == 0


def test_logout_revokes_the_sign_in_at_the_connector(someone):
    someone.login()
    token = someone.credentials()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{someone.base}/api/whoami", headers=headers).status_code == 200
    done = someone.run("logout")
    assert done.returncode == 0, done.stderr
    assert httpx.get(f"{someone.base}/api/whoami", headers=headers).status_code == 401
    assert someone.run("whoami").returncode == 3


# -- reading -----------------------------------------------------------------------------------


def test_list_json_is_the_connectors_listing(dana):
    listing = dana.json("list")
    names = {s["name"] for s in listing["skills"]}
    assert {"meeting-notes", "csv-profiler", "skillport"} <= names
    assert listing["count"] == len(listing["skills"])


def test_list_in_a_table_shows_names_and_versions(dana):
    done = dana.run("list")
    assert done.returncode == 0
    assert re.search(r"^meeting-notes\s+2\.1\.0\s+", done.stdout, re.M)


def test_search_finds_the_best_match_first(dana):
    hits = dana.json("search", "csv profile")["skills"]
    assert hits[0]["name"] == "csv-profiler"


def test_show_gives_the_skill_md_and_files(dana):
    detail = dana.json("show", "csv-profiler")
    assert detail["skill"]["name"] == "csv-profiler"
    assert "scripts/profile_csv.py" in detail["files"]
    assert detail["skill_md"].startswith("---")


def test_an_unknown_skill_exits_4(dana):
    done = dana.run("show", "no-such-skill")
    assert done.returncode == 4
    assert "no-such-skill" in done.stderr


def test_a_malformed_skill_name_is_a_usage_error_without_a_request(dana):
    assert dana.run("show", "../etc").returncode == 2


def test_not_signed_in_exits_3(someone):
    done = someone.run("list", "--server", someone.base)
    assert done.returncode == 3
    assert "login" in done.stderr


def test_an_unreachable_connector_exits_5(someone):
    done = someone.run("login", f"http://127.0.0.1:{free_port()}")
    assert done.returncode == 5
    assert "cannot reach" in done.stderr


def test_bad_arguments_exit_2(dana):
    assert dana.run("install").returncode == 2
    assert dana.run("install", "x", "--surface", "desktop").returncode == 2


# -- installing --------------------------------------------------------------------------------


def test_install_for_claude_code_writes_the_skill_with_its_executable_bits(dana):
    done = dana.run("install", "csv-profiler")
    assert done.returncode == 0, done.stderr
    assert "Installed csv-profiler" in done.stderr  # progress on stderr
    folder = dana.skills / "csv-profiler"
    assert (folder / "SKILL.md").read_text().startswith("---")
    script = folder / "scripts" / "profile_csv.py"
    assert script.stat().st_mode & stat.S_IXUSR
    assert not (folder / "SKILL.md").stat().st_mode & stat.S_IXUSR
    assert (folder / "assets" / "logo.png").read_bytes().startswith(b"\x89PNG")
    manifest = json.loads((folder / ".claude-plugin" / "plugin.json").read_text())
    assert manifest["version"] == "0.9.0-beta.1"


def test_install_as_a_package_writes_a_skill_zip(dana, tmp_path):
    record = dana.json("install", "meeting-notes", "--surface", "package", "--dir", str(tmp_path))
    assert record["surface"] == "package" and record["version"] == "2.1.0"
    with zipfile.ZipFile(record["path"]) as zf:
        assert "meeting-notes/SKILL.md" in zf.namelist()


def test_a_qualified_name_installs_the_skill_under_its_own_name(dana, tmp_path):
    """`plugin:skill` (needed when plugins share a name) works like the bare name."""
    assert dana.run("show", "data-tools:csv-profiler").returncode == 0
    record = dana.json("install", "data-tools:csv-profiler", "--dir", str(tmp_path))
    assert record["path"] == str(tmp_path / "csv-profiler")
    assert (tmp_path / "csv-profiler" / "SKILL.md").is_file()
    package = dana.json(
        "install", "data-tools:csv-profiler", "--surface", "package", "--dir", str(tmp_path)
    )
    assert package["path"] == str(tmp_path / "csv-profiler.skill")
    assert dana.json("outdated") == {"updates": []}
    assert dana.run("uninstall", "data-tools:csv-profiler").returncode == 0
    assert not (tmp_path / "csv-profiler").exists()


def test_installing_an_unknown_skill_exits_4_and_writes_nothing(dana):
    assert dana.run("install", "no-such-skill").returncode == 4
    assert not (dana.skills / "no-such-skill").exists()


def test_outdated_and_update_bring_a_new_version(connector, erin):
    assert erin.run("install", "changelog").returncode == 0
    assert erin.json("outdated") == {"updates": []}
    market: Path = connector["market"]
    manifests = [
        market / ".claude-plugin" / "marketplace.json",
        market / "plugins" / "engineering" / ".claude-plugin" / "plugin.json",
    ]
    originals = [path.read_text() for path in manifests]
    for path, text in zip(manifests, originals, strict=True):
        path.write_text(text.replace('"1.4.2"', '"1.5.0"'))
    try:
        deadline = time.monotonic() + 30
        while True:  # the connector reloads a folder at most every couple of seconds
            token = erin.credentials()["access_token"]
            httpx.get(
                f"{erin.base}/api/skills?refresh=true",
                headers={"Authorization": f"Bearer {token}"},
            )
            updates = erin.json("outdated")["updates"]
            if updates or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert updates == [{"name": "changelog", "installed": "1.4.2", "available": "1.5.0"}]
        done = erin.run("update", "--all", "--json")
        assert done.returncode == 0, done.stderr
        assert "[1/1] changelog 1.4.2 -> 1.5.0" in done.stderr
        assert json.loads(done.stdout)["updated"][0]["version"] == "1.5.0"
        installed = erin.skills / "changelog" / ".claude-plugin" / "plugin.json"
        assert json.loads(installed.read_text())["version"] == "1.5.0"
        assert erin.json("outdated") == {"updates": []}
    finally:
        for path, text in zip(manifests, originals, strict=True):
            path.write_text(text)


def test_update_of_a_skill_not_installed_exits_4(dana):
    assert dana.run("update", "house-style").returncode == 4


def test_uninstall_removes_the_folder_once(dana):
    assert dana.run("install", "commit-messages").returncode == 0
    assert (dana.skills / "commit-messages").is_dir()
    assert dana.run("uninstall", "commit-messages").returncode == 0
    assert not (dana.skills / "commit-messages").exists()
    assert dana.run("uninstall", "commit-messages").returncode == 4


# -- Claude Code, completion, version ------------------------------------------------------------


def test_claude_code_setup_registers_a_device_credential_and_keeps_other_settings(erin):
    settings = erin.home / ".claude" / "settings.json"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps({"theme": "dark"}))
    setup = erin.json("claude-code", "setup", "--label", "test laptop")
    kept = json.loads(settings.read_text())
    assert kept["theme"] == "dark"
    assert stat.S_IMODE(settings.stat().st_mode) == 0o600  # it holds a credential now
    source = kept["extraKnownMarketplaces"][setup["marketplace"]]["source"]
    assert source["source"] == "url"
    assert source["url"] == f"{erin.base}/api/claude-code/marketplace.json"
    assert source["headers"]["Authorization"].startswith("Bearer sk_cc_")
    listed = httpx.get(source["url"], headers=source["headers"])
    assert listed.status_code == 200 and listed.json()["name"] == setup["marketplace"]


def test_claude_code_setup_again_replaces_and_revokes_this_devices_credential(erin):
    erin.json("claude-code", "setup")
    settings = erin.home / ".claude" / "settings.json"

    def headers() -> dict[str, str]:
        known = json.loads(settings.read_text())["extraKnownMarketplaces"]
        [entry] = known.values()
        return dict(entry["source"]["headers"])

    first = headers()
    erin.json("claude-code", "setup")
    url = f"{erin.base}/api/claude-code/marketplace.json"
    assert httpx.get(url, headers=first).status_code == 401
    assert httpx.get(url, headers=headers()).status_code == 200


def test_claude_code_remove_revokes_and_unregisters(erin):
    name = erin.json("claude-code", "setup")["marketplace"]
    settings = erin.home / ".claude" / "settings.json"
    held = json.loads(settings.read_text())["extraKnownMarketplaces"][name]["source"]
    done = erin.run("claude-code", "remove")
    assert done.returncode == 0, done.stderr
    assert name not in json.loads(settings.read_text())["extraKnownMarketplaces"]
    assert httpx.get(held["url"], headers=held["headers"]).status_code == 401
    assert erin.run("claude-code", "remove").returncode == 4


def test_claude_code_setup_needs_a_sign_in(someone):
    assert someone.run("claude-code", "setup", "--server", someone.base).returncode == 3
    assert not (someone.home / ".claude" / "settings.json").exists()


@pytest.mark.needs_node
def test_from_nothing_to_a_skill_in_claude_code_with_login_and_setup(erin):
    """The issue's promise: `login`, `claude-code setup`, then Claude Code's own install."""
    assert CLAUDE.exists(), "run `make test` (it installs Claude Code under tests/claude)"
    name = erin.json("claude-code", "setup")["marketplace"]
    env = {"PATH": os.environ["PATH"], "HOME": str(erin.home)}

    def claude(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(CLAUDE), *args], env=env, capture_output=True, text=True, timeout=120,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip

    # A session start registers extraKnownMarketplaces, in the background. Signed out,
    # `claude -p` ends at once, before a loaded machine has fetched the marketplace; with a
    # key for an API that does not answer, it keeps retrying as a person's session stays
    # open. It is stopped once the marketplace is known.
    offline = {
        **env,
        "ANTHROPIC_API_KEY": "sk-ant-test",
        "ANTHROPIC_BASE_URL": "http://127.0.0.1:9",
    }
    session = subprocess.Popen(
        [str(CLAUDE), "-p", "hi"], env=offline, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while name not in claude("plugin", "marketplace", "list").stdout:
            assert time.monotonic() < deadline, "the session never registered the marketplace"
            assert session.poll() is None, "the session ended before registering it"
            time.sleep(0.5)
    finally:
        session.kill()
        session.wait()
    done = claude("plugin", "install", f"engineering@{name}")
    if done.returncode != 0 and "marketplace update" in done.stdout + done.stderr:
        # A loaded machine can end the session before its first fetch of the marketplace
        # finishes; Claude Code then says to update it, as a person would.
        assert claude("plugin", "marketplace", "update", name).returncode == 0
        done = claude("plugin", "install", f"engineering@{name}")
    assert done.returncode == 0, done.stdout + done.stderr
    cache = erin.home / ".claude" / "plugins" / "cache" / name / "engineering"
    assert list(cache.glob("*/skills/changelog/SKILL.md"))


@pytest.mark.parametrize("shell", ["bash", "fish"])
def test_completion_scripts_know_every_command(dana, shell):
    done = dana.run("completion", shell)
    assert done.returncode == 0
    for command in ("login", "install", "outdated", "claude-code", "init"):
        assert command in done.stdout
    if shell == "bash" and shutil.which("bash"):
        assert subprocess.run(["bash", "-n"], input=done.stdout, text=True).returncode == 0


def test_bash_completion_completes_subcommands_and_options(dana):
    script = dana.run("completion", "bash").stdout
    probe = (
        script
        + "\nCOMP_WORDS=(skillport-connector install --s); COMP_CWORD=2; _skillport_connector;"
        + ' echo "${COMPREPLY[@]}"'
    )
    out = subprocess.run(["bash", "-c", probe], capture_output=True, text=True).stdout
    assert out.split() == ["--server", "--surface"]


def test_version(dana):
    done = dana.run("--version")
    assert done.returncode == 0 and __version__ in done.stdout

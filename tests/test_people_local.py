"""What the people's command line writes on the person's machine, whatever the connector
sends: install payloads and packages (hostile ones refused, nothing written), Claude Code's
settings (other keys kept, a broken file left alone), and the credentials file."""

from __future__ import annotations

import base64
import io
import json
import stat
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from skillport_connector.people import claude_code
from skillport_connector.people.credentials import Credentials, FileBackend, Tokens
from skillport_connector.people.exits import CliError
from skillport_connector.people.installing import (
    install_folder,
    parse_payload,
    write_package,
)
from skillport_connector.people.loopback import Receiver

SKILL_MD = "---\nname: demo\ndescription: A demo.\n---\nBody\n"


def payload(*files: dict[str, Any], name: str = "demo") -> dict[str, Any]:
    entries = [{"path": "SKILL.md", "content": SKILL_MD}, *files]
    return {"skill": {"name": name, "version": "1.2.0", "plugin": "p"}, "files": entries}


@pytest.mark.parametrize(
    "path",
    ["/etc/passwd", "../escape", "a/../../b", "a\\b", "a/./b", "a//b", "bad\nname", "", "x" * 2000],
)
def test_unsafe_paths_are_refused(path):
    with pytest.raises(CliError, match="unsafe"):
        parse_payload(payload({"path": path, "content": "x"}), "demo")


def test_a_payload_for_another_skill_is_refused():
    with pytest.raises(CliError, match="not 'demo'"):
        parse_payload(payload(name="other"), "demo")


def test_a_payload_without_skill_md_or_with_bad_base64_is_refused():
    with pytest.raises(CliError, match=r"no SKILL\.md"):
        parse_payload({"skill": {"name": "demo"}, "files": []}, "demo")
    bad = {"path": "logo.png", "content": "!!!", "encoding": "base64"}
    with pytest.raises(CliError, match="base64"):
        parse_payload(payload(bad), "demo")


def test_something_that_is_not_a_payload_is_refused():
    for junk in (None, [], {"skill": "x"}, {"skill": {"name": "demo"}, "files": "all"}):
        with pytest.raises(CliError):
            parse_payload(junk, "demo")


def test_a_duplicate_or_conflicting_path_writes_nothing(tmp_path):
    hostile = parse_payload(
        payload({"path": "a", "content": "file"}, {"path": "a/b", "content": "under a file"}),
        "demo",
    )
    with pytest.raises(CliError, match="conflicting"):
        install_folder(hostile, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_install_replaces_an_older_copy_and_marks_scripts_executable(tmp_path):
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "stale.txt").write_text("old")
    png = base64.b64encode(b"\x89PNG\r\n").decode()
    fresh = parse_payload(
        payload(
            {"path": "scripts/run.sh", "content": "#!/bin/sh\necho hi\n"},
            {"path": "assets/logo.png", "content": png, "encoding": "base64"},
        ),
        "demo",
    )
    dest = install_folder(fresh, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]  # no staging left behind
    assert not (dest / "stale.txt").exists()
    assert stat.S_IMODE((dest / "scripts" / "run.sh").stat().st_mode) == 0o755
    assert stat.S_IMODE((dest / "SKILL.md").stat().st_mode) == 0o644
    assert stat.S_IMODE(dest.stat().st_mode) == 0o755
    assert (dest / "assets" / "logo.png").read_bytes() == b"\x89PNG\r\n"


def zip_of(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return buffer.getvalue()


def test_a_package_must_be_a_zip_of_the_skills_folder(tmp_path):
    with pytest.raises(CliError, match="not a zip"):
        write_package(b"<html>", "demo", tmp_path)
    with pytest.raises(CliError, match=r"demo/ folder"):
        write_package(zip_of({"other/SKILL.md": SKILL_MD}), "demo", tmp_path)
    with pytest.raises(CliError, match=r"demo/ folder"):
        write_package(zip_of({"demo/SKILL.md": SKILL_MD, "../x": "y"}), "demo", tmp_path)
    assert list(tmp_path.iterdir()) == []
    dest = write_package(zip_of({"demo/SKILL.md": SKILL_MD}), "demo", tmp_path)
    assert dest == tmp_path / "demo.skill"


ENTRY = {
    "source": {
        "source": "url",
        "url": "https://s.example/x.json",
        "headers": {"Authorization": "Bearer sk_cc_x"},
    }
}


def test_setup_adds_the_marketplace_and_keeps_every_other_setting(tmp_path):
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"theme": "dark", "extraKnownMarketplaces": {"other": {}}}))
    assert claude_code.register(settings, "acme", ENTRY) is True
    data = json.loads(settings.read_text())
    assert data["theme"] == "dark"
    assert data["extraKnownMarketplaces"] == {"other": {}, "acme": ENTRY}
    assert claude_code.register(settings, "acme", ENTRY) is False  # already there


def test_setup_creates_the_settings_file_when_there_is_none(tmp_path):
    settings = tmp_path / ".claude" / "settings.json"
    assert claude_code.register(settings, "acme", ENTRY) is True
    assert json.loads(settings.read_text()) == {"extraKnownMarketplaces": {"acme": ENTRY}}


@pytest.mark.parametrize("text", ["{not json", "[]", '{"extraKnownMarketplaces": []}'])
def test_setup_leaves_a_settings_file_it_cannot_read_untouched(tmp_path, text):
    settings = tmp_path / "settings.json"
    settings.write_text(text)
    with pytest.raises(CliError):
        claude_code.register(settings, "acme", ENTRY)
    assert settings.read_text() == text


def snippet(url: str, **extra: Any) -> dict[str, Any]:
    source = {"source": "url", "url": url, "headers": {"Authorization": "Bearer sk_cc_x"}}
    return {"settings": {"extraKnownMarketplaces": {"acme": {"source": source}, **extra}}}


def test_the_settings_snippet_is_taken_only_when_it_is_one_url_source_on_the_connector():
    server = "https://skills.example.com"
    url = f"{server}/api/claude-code/marketplace.json"
    name, entry = claude_code.settings_entry(snippet(url), server)
    assert name == "acme" and entry["source"]["url"] == url
    for bad in (
        snippet("https://evil.example/m.json"),
        snippet("https://skills.example.com.evil.example/m.json"),
        snippet(url, other={"source": {}}),
        {"settings": {"extraKnownMarketplaces": {"../x": {"source": {}}}}},
        {"settings": {"extraKnownMarketplaces": {}}},
        {"settings": []},
        None,
    ):
        with pytest.raises(CliError):
            claude_code.settings_entry(bad, server)


def test_a_marketplace_name_from_the_connector_must_be_plain():
    assert claude_code.marketplace_name("acme-skills") == "acme-skills"
    for bad in ("../x", "", None, 7, "a b"):
        with pytest.raises(CliError):
            claude_code.marketplace_name(bad)


def test_credentials_are_written_owner_only_and_a_corrupt_file_reads_as_signed_out(
    tmp_path: Path,
):
    store = Credentials(tmp_path / "cfg", FileBackend(tmp_path / "cfg" / "credentials.json"))
    tokens = Tokens("spat_a", "sprt_b", 123.0, "spc_c")
    store.save("https://s.example", tokens)
    path = tmp_path / "cfg" / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.tokens("https://s.example") == tokens
    path.write_text("{garbage")
    assert store.tokens("https://s.example") is None
    store.forget("https://s.example")  # forgetting what cannot be read is fine


def test_the_loopback_redirect_waits_for_the_answer_to_its_own_sign_in():
    with Receiver("right") as receiver:
        base = receiver.redirect_uri
        assert httpx.get(f"{base}?code=evil&state=wrong").status_code == 400
        assert receiver.wait(0) is None
        assert httpx.get(f"{base}?code=good&state=right").status_code == 200
        assert receiver.wait(1) == {"code": "good", "state": "right"}
        assert httpx.get(f"{base}?code=late&state=right").status_code == 404

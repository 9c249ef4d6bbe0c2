"""Findings of the independent security review of the hardened branch (issue 9 follow-up).

Each test is one defect found by attacking a running ``serve`` on a hostile marketplace;
each fails on the reviewed commit and states the behaviour that should hold.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hostile import (
    BOSS,
    SECRET,
    WRITER,
    Link,
    Server,
    access,
    git,
    marketplace,
    names,
    serving,
    skill_md,
)

WRITES = f"local:{WRITER}"
BOSS_EMAIL = BOSS.split(":", 1)[1]
MULTI = "plugins/multi/skills"
FILES = {
    ".claude-plugin/marketplace.json": marketplace(
        # a second skill folder listed inside the first one's folder
        {
            "name": "multi",
            "source": "./plugins/multi",
            "description": "M.",
            "skills": ["./skills/nest/deep", "./skills/nest-two/deep"],
        },
    ),
    ".skillport/access.json": access(
        skills={
            "nest": {"write": [WRITES]},
            "deep-secret": {"read": [BOSS], "write": [BOSS]},
            "nest-two": {"write": [WRITES]},
            "deep-secret-two": {"read": [BOSS], "write": [BOSS]},
            "linky": {"write": [WRITES]},
            "notes-skill": {"write": [WRITES]},
            "git-skill": {"write": [WRITES]},
        }
    ),
    f"{MULTI}/nest/SKILL.md": skill_md("nest"),
    f"{MULTI}/nest/deep/SKILL.md": skill_md("deep-secret", f"Only the boss: {SECRET}"),
    f"{MULTI}/nest-two/SKILL.md": skill_md("nest-two"),
    f"{MULTI}/nest-two/deep/SKILL.md": skill_md("deep-secret-two", f"Boss only: {SECRET}"),
    f"{MULTI}/nest-two/deep/private-plan.md": f"{SECRET}\n",
    f"{MULTI}/linky/SKILL.md": skill_md("linky"),
    f"{MULTI}/linky/sub/f.txt": "a real file\n",
    f"{MULTI}/linky/lnk": Link("sub"),
    f"{MULTI}/notes-skill/SKILL.md": skill_md("notes-skill"),
    f"{MULTI}/notes-skill/notes.txt": "notes the writer keeps\n",
    f"{MULTI}/git-skill/SKILL.md": skill_md("git-skill"),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory.mktemp("review"), FILES) as running:
        yield running


def tree(server: Server, folder: str) -> list[str]:
    assert server.repo is not None
    out = git("ls-tree", "-r", "--name-only", "main", "--", folder, cwd=server.repo.bare)
    return out.splitlines()


def test_the_fixture_nests_a_hidden_skill_inside_a_writable_one(server: Server) -> None:
    assert "deep-secret" in names(server.get("/api/skills", who=BOSS_EMAIL))
    assert "deep-secret" not in names(server.get("/api/skills", who=WRITER))
    assert "nest" in names(server.get("/api/skills", who=WRITER))


# -- delete walks its own folder only ------------------------------------------------------------


def test_deleting_a_skill_never_deletes_another_skill_nested_in_its_folder(
    server: Server,
) -> None:
    """A writer of ``nest`` only must not remove ``deep-secret`` (boss only), whose folder
    lies inside ``nest``'s: a save already refuses to write there, a delete must not either."""
    r = server.delete("/api/skills/nest?confirm=true", who=WRITER)
    assert r.status_code in (200, 400, 403, 409), r.text
    assert f"{MULTI}/nest/deep/SKILL.md" in tree(server, MULTI)
    assert "deep-secret" in names(server.get("/api/skills", who=BOSS_EMAIL))


def test_a_delete_answer_never_names_a_hidden_skill_s_files(server: Server) -> None:
    r = server.delete("/api/skills/nest-two?confirm=true", who=WRITER)
    assert "private-plan" not in r.text and "deep/" not in r.text


def test_deleting_a_skill_removes_its_folder_links_too(server: Server) -> None:
    """``lnk -> sub`` is an entry of the skill's folder: a delete removes the link itself,
    not phantom files behind it, and leaves nothing of the skill in the repository."""
    r = server.delete("/api/skills/linky?confirm=true", who=WRITER)
    assert r.status_code == 200, r.text
    assert f"{MULTI}/linky/lnk/f.txt" not in r.json()["files"]
    assert tree(server, f"{MULTI}/linky") == []


# -- a save writes what it says, and only that ----------------------------------------------------


def test_a_save_never_silently_replaces_an_existing_file_with_a_folder(server: Server) -> None:
    """Saving ``notes.txt/evil`` while ``notes.txt`` is a file: git's index replaces the
    file by a folder, so the file is lost without being listed in the answer."""
    body = {"files": [{"path": "notes.txt/evil", "content": "x"}]}
    r = server.post("/api/skills/notes-skill", who=WRITER, json=body)
    assert r.status_code == 400, r.text
    assert f"{MULTI}/notes-skill/notes.txt" in tree(server, f"{MULTI}/notes-skill")


@pytest.mark.parametrize("path", [".GIT/config", "x/.Git/hooks/pre-commit", "git~1/config"])
def test_a_save_of_a_path_git_refuses_is_a_400_not_an_empty_commit(
    server: Server, path: str
) -> None:
    """``.git`` in any case (and its NTFS short name) is refused by git itself: the save
    answered 200 with a commit that wrote nothing. The reserved-path rule must match git's."""
    assert server.repo is not None
    before = server.repo.commits()
    r = server.post(
        "/api/skills/git-skill", who=WRITER, json={"files": [{"path": path, "content": "x"}]}
    )
    assert r.status_code == 400, r.text
    assert server.repo.commits() == before


# -- OAuth registration ------------------------------------------------------------------------


@pytest.mark.parametrize("grant_types", [[{}], [[]]])
def test_registration_with_unhashable_grant_types_is_a_400(
    server: Server, grant_types: list[object]
) -> None:
    body = {"redirect_uris": ["https://client.example/cb"], "grant_types": grant_types}
    r = httpx.post(f"{server.base}/register", json=body, timeout=10)
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "invalid_client_metadata"


# -- MCP: a missing resource is an answer, not a server error ----------------------------------


def test_reading_a_missing_mcp_resource_logs_no_traceback(server: Server) -> None:
    """Every ``resources/read`` of a skill or file the reader cannot see was logged as an
    ERROR with a full traceback: any signed-in reader can flood the log. NotFound is the
    expected answer (the same for hidden and absent), not a server error."""
    from hostile import mcp_rpc, oauth_access_token

    token = oauth_access_token(server.base, WRITER)
    start = len(server.output())
    for uri in ("skill://deep-secret/SKILL.md", "skill://no-such-skill/SKILL.md"):
        r = mcp_rpc(server.base, token, "resources/read", {"uri": uri})
        assert "Resource not found" in r.text
    log = server.output()[start:]
    assert "Traceback" not in log
    assert "Error reading resource" not in log


# -- OAuth: the token endpoint and what a client may register ----------------------------------


def test_a_non_ascii_pkce_challenge_is_refused_not_a_500(server: Server) -> None:
    """``hmac.compare_digest`` raises TypeError on non-ASCII text: a challenge of 43 ``é``
    passed the length check at /authorize and made the code exchange at /token a 500.
    A challenge is base64url (RFC 7636 §4.2); anything else is refused up front."""
    from test_mcp_oauth import REDIRECT, authorize, register, token

    client_id = register(server.base)
    try:
        code = authorize(server.base, client_id, "é" * 43, WRITER)
    except AssertionError:
        return  # refused at /authorize: that is the fix
    r = token(
        server.base,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT,
        client_id=client_id,
        code_verifier="v" * 43,
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "invalid_grant"


def test_a_redirect_uri_with_user_info_cannot_be_registered(server: Server) -> None:
    """``https://claude.ai%2F@evil.example/cb`` sends the code to evil.example while the
    consent page ("You will be sent back to …", percent-decoded) shows
    ``https://claude.ai/@evil.example/cb``. Loopback URLs already refuse user-info; the
    registration rule should refuse it for every redirect URI."""
    for uri in ("https://claude.ai@evil.example/cb", "https://claude.ai%2F@evil.example/cb"):
        body = {"redirect_uris": [uri], "client_name": "Claude"}
        r = httpx.post(f"{server.base}/register", json=body, timeout=10)
        assert r.status_code == 400, (uri, r.text)
        assert r.json()["error"] == "invalid_redirect_uri"


def test_a_non_ascii_sign_in_cookie_is_an_expired_sign_in_not_a_500(server: Server) -> None:
    """The browser-binding cookie is compared with ``secrets.compare_digest``, which raises
    TypeError on non-ASCII text: a forged ``sp_signin`` cookie made /login a 500."""
    from test_mcp_oauth import auth_params, pkce, register

    client_id = register(server.base)
    start = httpx.get(
        f"{server.base}/authorize", params=auth_params(client_id, pkce()[1]), timeout=10
    )
    assert start.status_code == 302, start.text
    login = start.headers["location"]
    r = httpx.get(
        f"{server.base}{login}", headers={"Cookie": "sp_signin=\u00e9t\u00e9".encode()}, timeout=10
    )
    assert r.status_code == 400, r.text


# -- the development sign-in on a server that listens on every address ----------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10"])
def test_dev_sign_in_does_not_exist_when_the_server_listens_off_loopback(
    tmp_path: Path, host: str
) -> None:
    """The image sets ``SKILLPORT_HOST=0.0.0.0``; ``docker run -p 8787:8787 -e
    SKILLPORT_PUBLIC_URL=http://localhost:8787`` (what one tries after the refusal of a
    non-loopback public URL) started with the "any e-mail" sign-in, and the Host check lets
    anyone on the network in with ``Host: localhost:8787``. The dev sign-in needs the
    listening address to be loopback too (``Settings.local_only``, as ``--no-auth`` does):
    refuse to start, or offer no dev sign-in. (Checked on the settings: binding every
    interface in a test would expose it.)"""
    from skillport_connector.settings import ConfigError, Settings

    settings = Settings(host=host, port=8787, public_url="http://localhost:8787", data_dir=tmp_path)
    try:
        settings.check()
    except ConfigError:
        return
    assert not settings.dev_sign_in


# -- access.json rules that name nothing --------------------------------------------------------


def test_an_access_rule_naming_no_skill_or_group_is_reported(tmp_path: Path) -> None:
    """``"skills": {"Secret-Skill": …}`` (a case slip) or a group renamed since: the rule
    matches nothing, so the skill it was meant to hide falls back to ``defaults`` (read
    ``*``), and ``validate`` said "0 errors, 0 warnings". A rule that names no skill or
    group fails open silently; it must at least be a finding wherever findings are shown."""
    import subprocess

    from hostile import CLI, write_files

    write_files(
        tmp_path,
        {
            ".claude-plugin/marketplace.json": marketplace(
                {"name": "tools", "source": "./plugins/tools", "description": "T."}
            ),
            ".skillport/access.json": access(
                skills={"Secret-Skill": {"read": [BOSS]}}, groups={"Tools": {"read": [BOSS]}}
            ),
            "plugins/tools/skills/secret-skill/SKILL.md": skill_md("secret-skill", SECRET),
        },
    )
    out = subprocess.run(
        [*CLI, "validate", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    report = out.stdout + out.stderr
    assert "Secret-Skill" in report, report
    assert "Tools" in report, report

"""Nothing in a repository can make a request or a start fail (issue 9, defects 2, 8, 9, 10
and 14): bad dates, 5,000-digit integers, 5,000-deep nesting, YAML aliases, non-UTF-8 names
and invalid skill names each become a finding, and the rest of the marketplace is served."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from hostile import (
    CLI,
    EDITOR,
    READER,
    Server,
    access,
    big_int,
    deep_json,
    marketplace,
    mcp_rpc,
    names,
    oauth_access_token,
    rpc_result,
    serving,
    skill_md,
    start,
    write_files,
    zip_entries,
)

SKILLS = "plugins/tools/skills"
MARKET = ".claude-plugin/marketplace.json"
TOOLS_JSON = "plugins/tools/.claude-plugin/plugin.json"
ACCESS = ".skillport/access.json"
WEBHOOK = "gitlab-hook-token-1234"


def base_files() -> dict[str, object]:
    return {
        MARKET: marketplace({"name": "tools", "source": "./plugins/tools", "description": "T."}),
        TOOLS_JSON: {"name": "tools", "version": "1.0.0"},
        f"{SKILLS}/good-skill/SKILL.md": skill_md("good-skill", "Still served."),
        ACCESS: access(),
    }


#: One bad value each; the good skill must still be served (and the bad one is a finding).
POISONS: dict[str, dict[str, object]] = {
    "invalid-date": {f"{SKILLS}/dated/SKILL.md": skill_md("dated", extra="updated: 2024-02-30\n")},
    "invalid-datetime": {
        f"{SKILLS}/timed/SKILL.md": skill_md("timed", extra="updated: 2024-13-01T25:61:00\n")
    },
    "huge-int-in-front-matter": {
        f"{SKILLS}/counted/SKILL.md": skill_md("counted", extra=f"count: {big_int()}\n")
    },
    "huge-version-in-front-matter": {
        f"{SKILLS}/versioned/SKILL.md": skill_md("versioned", extra=f"version: 1.0.{big_int()}\n")
    },
    "deep-front-matter": {
        f"{SKILLS}/nested/SKILL.md": skill_md("nested", extra=f"x: {deep_json()}\n")
    },
    "huge-int-in-plugin-json": {
        "plugins/other/.claude-plugin/plugin.json": f'{{"name": "other", "x": {big_int()}}}',
        "plugins/other/skills/other-skill/SKILL.md": skill_md("other-skill"),
    },
    "huge-version-in-plugin-json": {
        "plugins/other/.claude-plugin/plugin.json": (
            f'{{"name": "other", "version": "1.0.{big_int()}"}}'
        ),
        "plugins/other/skills/other-skill/SKILL.md": skill_md("other-skill"),
    },
    "backslash-in-a-folder-name": {f"{SKILLS}/back\\slash/SKILL.md": skill_md("backslash")},
    "deep-plugin-json": {
        "plugins/other/.claude-plugin/plugin.json": f'{{"name": "other", "x": {deep_json()}}}',
        "plugins/other/skills/other-skill/SKILL.md": skill_md("other-skill"),
    },
}
#: Bad values in marketplace.json: the marketplace is then unreadable, but still answers.
MARKET_POISONS = {
    "huge-int-in-marketplace-json": (
        '{"name": "hostile", "owner": {"name": "M"}, "plugins": [{"name": "tools", "source": '
        f'"./plugins/tools", "version": "1.0.{big_int()}"}}], "x": {big_int()}}}'
    ),
    "deep-marketplace-json": (
        '{"name": "hostile", "owner": {"name": "M"}, "plugins": [{"name": "tools", "source": '
        f'"./plugins/tools"}}], "x": {deep_json()}}}'
    ),
}
ACCESS_POISONS = {
    "huge-int-in-access-json": f'{{"version": "1.0", "editors": [], "x": {big_int()}}}',
    "deep-access-json": f'{{"version": "1.0", "editors": [], "x": {deep_json()}}}',
}


def every_poison() -> dict[str, object]:
    files = base_files()
    for poison in POISONS.values():
        files.update(poison)
    return files


# -- defect 2: one bad value is not an outage --------------------------------------------------


def test_cold_start_with_every_bad_value_still_serves_the_good_skill(tmp_path: Path) -> None:
    with serving(tmp_path, every_poison(), timeout=30) as server:
        assert "good-skill" in names(server.get("/api/skills"))
        debug = server.get("/api/debug/plugins", who=EDITOR)
        assert debug.status_code == 200
        files = {f["file"] for f in debug.json()["findings"]}
        for folder in ("dated", "timed", "nested"):
            assert f"{SKILLS}/{folder}/SKILL.md" in files, files


@pytest.mark.parametrize("poison", sorted(MARKET_POISONS))
def test_cold_start_with_a_bad_marketplace_json_still_answers(tmp_path: Path, poison: str) -> None:
    files = {**base_files(), MARKET: MARKET_POISONS[poison]}
    with serving(tmp_path, files, timeout=30) as server:
        assert server.get("/api/skills").status_code == 200
        debug = server.get("/api/debug/plugins", who=EDITOR)
        assert debug.status_code == 200
        assert MARKET in {f["file"] for f in debug.json()["findings"]}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A clean marketplace; each test pushes one bad value and asks for a refresh."""
    env = {"SKILLPORT_GITLAB_WEBHOOK_TOKEN": WEBHOOK, "SKILLPORT_POLL_INTERVAL": "0"}
    with serving(tmp_path_factory.mktemp("live"), base_files(), env=env) as server:
        yield server


def refresh_by_webhook(server: Server) -> int:
    r = server.post("/webhooks/gitlab", who=None, headers={"X-Gitlab-Token": WEBHOOK}, json={})
    return r.status_code


@pytest.fixture
def poisoned(live: Server) -> Iterator[Server]:
    assert live.repo is not None
    yield live
    live.repo.push(
        {**base_files(), **{p: None for poison in POISONS.values() for p in poison}}, "Undo"
    )
    refresh_by_webhook(live)


@pytest.mark.parametrize("poison", sorted(POISONS))
def test_a_pushed_bad_value_is_a_finding_not_a_failed_refresh(
    poisoned: Server, poison: str
) -> None:
    assert poisoned.repo is not None
    poisoned.repo.push(POISONS[poison], poison)
    assert refresh_by_webhook(poisoned) == 200
    assert "good-skill" in names(poisoned.get("/api/skills"))
    assert poisoned.get("/api/debug/plugins", who=EDITOR).status_code == 200
    assert poisoned.get("/healthz", who=None).status_code == 200


@pytest.mark.parametrize("poison", sorted(MARKET_POISONS))
def test_a_pushed_bad_marketplace_json_does_not_fail_the_refresh(
    poisoned: Server, poison: str
) -> None:
    assert poisoned.repo is not None
    poisoned.repo.push({MARKET: MARKET_POISONS[poison]}, poison)
    assert refresh_by_webhook(poisoned) == 200
    assert poisoned.get("/api/skills?refresh=true").status_code == 200
    poisoned.repo.push({MARKET: base_files()[MARKET]}, "Undo marketplace")


@pytest.mark.parametrize("poison", sorted(ACCESS_POISONS))
def test_a_malformed_access_json_denies_everything_instead_of_failing(
    poisoned: Server, poison: str
) -> None:
    assert poisoned.repo is not None
    poisoned.repo.push({ACCESS: ACCESS_POISONS[poison]}, poison)
    assert refresh_by_webhook(poisoned) == 200
    listing = poisoned.get("/api/skills")
    assert listing.status_code == 200 and listing.json()["count"] == 0
    assert poisoned.get("/api/skills/good-skill").status_code == 404
    assert poisoned.get("/api/skills/good-skill/package").status_code == 404
    debug = poisoned.get("/api/debug/plugins", who=EDITOR)
    assert debug.status_code == 200
    assert ACCESS in {f["file"] for f in debug.json()["findings"]}
    assert poisoned.get("/healthz", who=None).status_code == 200
    poisoned.repo.push({ACCESS: access()}, "Undo access")


def test_saving_deeply_nested_front_matter_answers_400_and_writes_nothing(live: Server) -> None:
    assert live.repo is not None
    before = live.repo.head()
    text = skill_md("good-skill", extra=f"x: {deep_json()}\n")
    body = {"files": [{"path": "SKILL.md", "content": text}], "commitMessage": "nest"}
    r = live.post("/api/skills/good-skill", who=EDITOR, json=body)
    assert r.status_code == 400, r.text[:300]
    assert set(r.json()) >= {"error", "message"}
    assert live.repo.head() == before


def test_saving_a_huge_version_answers_400_or_200_never_5xx(live: Server) -> None:
    text = skill_md("good-skill", extra=f"version: 1.0.{big_int()}\n")
    body = {"files": [{"path": "SKILL.md", "content": text}], "commitMessage": "version"}
    r = live.post("/api/skills/good-skill", who=EDITOR, json=body)
    assert r.status_code in (200, 400), r.text[:300]
    assert "good-skill" in names(live.get("/api/skills"))


def test_validate_reports_every_bad_value_without_a_traceback(tmp_path: Path) -> None:
    write_files(tmp_path, {**every_poison(), ACCESS: ACCESS_POISONS["huge-int-in-access-json"]})
    run = subprocess.run(
        [*CLI, "validate", str(tmp_path), "--json"], capture_output=True, text=True, timeout=60
    )
    assert "Traceback" not in run.stderr
    assert run.returncode == 1, run.stderr[-2000:]
    files = {f["file"] for f in json.loads(run.stdout)["findings"]}
    assert ACCESS in files
    for folder in ("dated", "timed", "nested"):
        assert f"{SKILLS}/{folder}/SKILL.md" in files


# -- defect 8: YAML aliases -----------------------------------------------------------------------

LAUGHS = "\n".join(
    [
        "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]",
        *(
            f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]"
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ]
)
YAML_FILES = {
    **base_files(),
    f"{SKILLS}/alias-loop/SKILL.md": skill_md("alias-loop", extra="x: &a [*a]\n"),
    f"{SKILLS}/alias-bomb/SKILL.md": skill_md("alias-bomb", extra=LAUGHS + "\n"),
}


@pytest.fixture(scope="module")
def yaml_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory.mktemp("yaml"), YAML_FILES) as server:
        yield server


@pytest.fixture(scope="module")
def yaml_mcp(yaml_server: Server) -> str:
    return oauth_access_token(yaml_server.base, READER)


def test_a_recursive_alias_does_not_empty_skills_list_for_everyone(
    yaml_server: Server, yaml_mcp: str
) -> None:
    result = rpc_result(mcp_rpc(yaml_server.base, yaml_mcp, "skills/list"))
    listed = {e["frontmatter"]["name"] for e in result["result"]["skills"]}
    assert "good-skill" in listed


def test_an_alias_bomb_gives_small_responses(yaml_server: Server, yaml_mcp: str) -> None:
    assert len(LAUGHS) < 500
    r = mcp_rpc(yaml_server.base, yaml_mcp, "skills/list")
    assert r.status_code == 200 and len(r.content) < 256 * 1024
    got = mcp_rpc(yaml_server.base, yaml_mcp, "skills/get", {"uri": "skill://alias-bomb/SKILL.md"})
    assert len(got.content) < 256 * 1024
    for path in ("/api/skills", "/api/skills/alias-bomb", "/api/skills?q=lol"):
        answer = yaml_server.get(path)
        assert answer.status_code in (200, 404) and len(answer.content) < 256 * 1024


def test_validate_reports_yaml_aliases(tmp_path: Path) -> None:
    write_files(tmp_path, YAML_FILES)
    run = subprocess.run(
        [*CLI, "validate", str(tmp_path), "--json"], capture_output=True, text=True, timeout=60
    )
    assert "Traceback" not in run.stderr
    files = {f["file"] for f in json.loads(run.stdout)["findings"]}
    assert f"{SKILLS}/alias-loop/SKILL.md" in files and f"{SKILLS}/alias-bomb/SKILL.md" in files


# -- defect 9: non-UTF-8 file and folder names (and defect 14: tokens never logged) --------------

UTF8_FILES = {
    **base_files(),
    f"{SKILLS}/x\udcff/SKILL.md": skill_md("latin-folder"),
    f"{SKILLS}/holder/SKILL.md": skill_md("holder", "Has a file with a bad name."),
    f"{SKILLS}/holder/bad\udcff.txt": "a file whose name is not UTF-8\n",
}


@pytest.fixture(scope="module")
def utf8_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory.mktemp("utf8"), UTF8_FILES) as server:
        yield server


def test_a_non_utf8_folder_does_not_break_the_listing(utf8_server: Server) -> None:
    assert {"good-skill", "holder"} <= names(utf8_server.get("/api/skills"))


def test_a_non_utf8_file_name_does_not_break_its_skill(utf8_server: Server) -> None:
    assert utf8_server.get("/api/skills/holder").status_code == 200
    package = utf8_server.get("/api/skills/holder/package")
    assert package.status_code == 200
    assert "holder/SKILL.md" in zip_entries(package.content)
    ticket = utf8_server.get("/api/skills/holder/install").json()
    assert utf8_server.get(f"/api/install/{ticket['install_token']}", who=None).status_code == 200


def test_non_utf8_names_do_not_empty_mcp_skills_list(utf8_server: Server) -> None:
    token = oauth_access_token(utf8_server.base, READER)
    result = rpc_result(mcp_rpc(utf8_server.base, token, "skills/list"))
    assert {"good-skill", "holder"} <= {
        e["frontmatter"]["name"] for e in result["result"]["skills"]
    }


def test_redemptions_never_write_the_token_to_the_log(utf8_server: Server) -> None:
    """Whatever the outcome of a redemption (served, failed, spent), its token is not logged."""
    tokens = []
    for skill in ("holder", "good-skill"):
        ticket = utf8_server.get(f"/api/skills/{skill}/install").json()
        tokens.append(ticket["install_token"])
        for _ in range(2):  # served (or failed), then spent
            utf8_server.get(f"/api/install/{ticket['install_token']}", who=None)
    edit = utf8_server.get("/api/skills/holder/edit", who=EDITOR).json()
    tokens.append(edit["edit_token"])
    utf8_server.get(f"/api/edit/{edit['edit_token']}", who=None)
    utf8_server.get("/api/install/sk_install_notatoken", who=None)
    log = utf8_server.output()
    for token in tokens:
        assert token not in log
        assert token[len("sk_install_") :][:16] not in log


# -- defect 10: invalid skill names are not served ----------------------------------------------

BAD_NAMES = [
    "..",
    "..\\..\\..\\evil",
    "\u0441sv-profiler",  # Cyrillic es
    "crlf\r\nX-Injected: 1",
    "\u6280\u80fd-\u30c7\u30fc\u30bf",  # not latin-1
    "Csv-Profiler",
]


def named(name: str) -> str:
    return f"---\nname: {json.dumps(name)}\ndescription: Profiles csv files too.\n---\n\nBody.\n"


#: Each bad name twice: as the front-matter name of a published single-skill plugin, and
#: (where a file system allows it) as a skill folder's name.
NAME_FILES: dict[str, object] = {
    **base_files(),
    MARKET: marketplace(
        {"name": "tools", "source": "./plugins/tools", "description": "T."},
        *(
            {"name": f"single{i}", "source": f"./plugins/single{i}", "description": "S."}
            for i in range(len(BAD_NAMES))
        ),
    ),
    f"{SKILLS}/csv-profiler/SKILL.md": skill_md("csv-profiler", "Profiles CSV files."),
    **{f"plugins/single{i}/SKILL.md": named(name) for i, name in enumerate(BAD_NAMES)},
    **{
        f"{SKILLS}/{name}/SKILL.md": named(name)
        for name in BAD_NAMES
        if "/" not in name and "\\" not in name and name != ".."
    },
}


@pytest.fixture(scope="module")
def name_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory.mktemp("names"), NAME_FILES) as server:
        yield server


def test_skills_with_invalid_names_are_not_listed(name_server: Server) -> None:
    assert names(name_server.get("/api/skills")) == {"good-skill", "csv-profiler"}


def test_a_lookalike_name_does_not_show_up_in_search(name_server: Server) -> None:
    assert names(name_server.get("/api/skills", params={"q": "csv profiler"})) == {"csv-profiler"}


@pytest.mark.parametrize("name", ["..", "..\\..\\..\\evil", "\u0441sv-profiler", "Csv-Profiler"])
def test_an_invalid_name_has_no_package(name_server: Server, name: str) -> None:
    r = name_server.get(f"/api/skills/{quote(name, safe='')}/package")
    assert r.status_code == 404


def test_no_package_has_an_entry_outside_its_root_folder(name_server: Server) -> None:
    for skill in names(name_server.get("/api/skills")):
        r = name_server.get(f"/api/skills/{quote(skill, safe='')}/package")
        assert r.status_code == 200, skill
        for entry in zip_entries(r.content):
            parts = entry.split("/")
            assert parts[0] == skill and ".." not in parts and "\\" not in entry, entry


def test_invalid_names_are_findings(name_server: Server) -> None:
    debug = name_server.get("/api/debug/plugins", who=EDITOR)
    assert debug.status_code == 200
    files = {f["file"] for f in debug.json()["findings"]}
    for i in range(len(BAD_NAMES)):
        assert f"plugins/single{i}/SKILL.md" in files


def test_mcp_lists_only_valid_names(name_server: Server) -> None:
    token = oauth_access_token(name_server.base, READER)
    result = rpc_result(mcp_rpc(name_server.base, token, "skills/list"))
    assert {e["frontmatter"]["name"] for e in result["result"]["skills"]} == {
        "good-skill",
        "csv-profiler",
    }


def test_a_server_on_every_hostile_value_starts(tmp_path: Path) -> None:
    """All of the above in one repository, as a folder (not git): it still starts."""
    files = {**every_poison(), **YAML_FILES, **UTF8_FILES, **NAME_FILES}
    write_files(tmp_path / "folder", files)
    server = start(tmp_path, tmp_path / "folder", timeout=30)
    try:
        assert "good-skill" in names(server.get("/api/skills"))
    finally:
        server.stop()

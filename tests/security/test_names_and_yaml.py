"""Names and encodings from a repository (issue 9, defects 8, 9, 10 and 14): YAML aliases,
non-UTF-8 file and folder names and invalid skill names each become a finding, the rest of
the marketplace is served, and no token reaches the log on the way."""

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
from test_repository_content import MARKET, SKILLS, base_files, every_poison

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
    if name == "..":  # the client folds /api/skills/../package into /api/package
        assert r.status_code == 404
        return
    # 400 "Invalid skill name", as the original connector (issue 10): never a package.
    assert r.status_code == 400 and r.json()["message"].startswith("Invalid skill name")


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

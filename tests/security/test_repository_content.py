"""Nothing in a repository can make a request or a start fail (issue 9, defects 2, 8, 9, 10
and 14): bad dates, 5,000-digit integers, 5,000-deep nesting, YAML aliases, non-UTF-8 names
and invalid skill names each become a finding, and the rest of the marketplace is served."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile import (
    CLI,
    EDITOR,
    Server,
    access,
    big_int,
    deep_json,
    marketplace,
    names,
    serving,
    skill_md,
    write_files,
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

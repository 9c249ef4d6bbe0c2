"""Sources read time from the injected clock: the refresh floor, the snapshot's age and the
upstream health ages move when the test moves the clock, never by sleeping."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import skill_md
from gitserver import READ_TOKEN, GitHttpServer
from serving import client_for

from skillport_connector.auth import Identity
from skillport_connector.clock import FakeClock
from skillport_connector.settings import demo_marketplace
from skillport_connector.sources.git import GitSource
from skillport_connector.sources.gitrepo import Credentials
from skillport_connector.sources.local import LocalSource

FLOOR = 60.0
NEW = "plugins/writing/skills/late/SKILL.md"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return Path(shutil.copytree(demo_marketplace(), tmp_path / "market"))


@pytest.fixture
def remote(tmp_path: Path):
    with GitHttpServer.serving(tmp_path / "remote", demo_marketplace()) as server:
        yield server


def add_skill(folder: Path) -> None:
    (folder / NEW).parent.mkdir(parents=True)
    (folder / NEW).write_text(skill_md("late"))


def git_source(remote: GitHttpServer, data: Path, clock: FakeClock) -> GitSource:
    return GitSource(
        remote.url("market"),
        data_dir=data,
        credentials=Credentials(READ_TOKEN),
        poll_interval=0,
        min_refresh_interval=FLOOR,
        clock=clock,
    )


# -- a folder ------------------------------------------------------------------------------


def test_a_folder_refresh_inside_the_floor_keeps_the_snapshot(folder):
    clock = FakeClock()
    source = LocalSource(folder, min_refresh_interval=FLOOR, clock=clock)
    add_skill(folder)
    clock.advance(FLOOR - 1)
    assert "late" not in source.refresh().skills


def test_a_folder_refresh_once_the_floor_has_passed_reloads(folder):
    clock = FakeClock()
    source = LocalSource(folder, min_refresh_interval=FLOOR, clock=clock)
    add_skill(folder)
    clock.advance(FLOOR)
    assert "late" in source.refresh().skills


def test_a_folder_snapshot_ages_with_the_clock(folder):
    clock = FakeClock()
    source = LocalSource(folder, clock=clock)
    clock.advance(42)
    assert source.snapshot_age() == 42
    assert source.loaded_at == clock.now - 42


# -- a git remote --------------------------------------------------------------------------


def test_a_git_refresh_inside_the_floor_asks_the_remote_nothing(remote, tmp_path):
    clock = FakeClock()
    source = git_source(remote, tmp_path / "data", clock)
    remote.push_change("market", {NEW: skill_md("late")}, "Add late")
    remote.reset_counts()
    clock.advance(FLOOR - 1)
    assert "late" not in source.refresh().skills
    assert remote.total == 0


def test_a_git_refresh_once_the_floor_has_passed_fetches_the_new_commit(remote, tmp_path):
    clock = FakeClock()
    source = git_source(remote, tmp_path / "data", clock)
    remote.push_change("market", {NEW: skill_md("late")}, "Add late")
    clock.advance(FLOOR)
    assert "late" in source.refresh().skills
    assert source.snapshot_age() == 0


def test_git_health_ages_follow_the_clock(remote, tmp_path):
    clock = FakeClock()
    source = git_source(remote, tmp_path / "data", clock)
    clock.advance(90)
    health = source.health()
    assert health["last_check_age_seconds"] == 90
    assert health["last_success_age_seconds"] == 90
    assert source.snapshot_age() == 90


# -- through the app -----------------------------------------------------------------------


def test_readyz_reports_the_snapshot_age_on_the_app_clock(make_app, clock):
    client = client_for(make_app())
    clock.advance(30)
    assert client.get("/readyz").json()["snapshot_age_seconds"] == 30


def test_a_requested_refresh_after_the_minimum_interval_reloads(make_app, clock, folder):
    app = make_app(marketplace=folder, min_refresh_interval=FLOOR)
    token = app.state.services.tokens.mint_api_token(Identity.local("a@example.com"))
    auth = {"Authorization": f"Bearer {token}"}
    add_skill(folder)
    client = client_for(app)
    assert "late" not in names(client.get("/api/skills?refresh=true", headers=auth).json())
    clock.advance(FLOOR)
    assert "late" in names(client.get("/api/skills?refresh=true", headers=auth).json())


def names(listing: dict) -> set[str]:
    return {s["name"] for s in listing["skills"]}

"""Every instance serves a new snapshot within 2 s of any one of them finding it: two real
connector processes on one real redis-server and one git remote, polling far away (600 s),
so only the announcement through the store can bring the second one up to date."""

from __future__ import annotations

import time

import httpx
import pytest
from cluster import github_push_hook, instances
from conftest import skill_md
from serving import mint_token

from skillport_connector.services.freshness import parse_announcement

pytestmark = pytest.mark.needs_redis

SECRET = "fresh-secret"
#: The one timed bound in the suite: the issue's promise.
FRESH_WITHIN = 2.0


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    env = {"SKILLPORT_POLL_INTERVAL": "600", "SKILLPORT_MIN_REFRESH_INTERVAL": "0"}
    with instances(tmp_path_factory.mktemp("fresh"), SECRET, env) as running:
        token = mint_token("fresh@example.com", env=running.env)
        yield {
            "a": running.a,
            "b": running.b,
            "git": running.git,
            "auth": {"Authorization": f"Bearer {token}"},
        }


def names_served(base: str, auth: dict[str, str], *, refresh: bool = False) -> set[str]:
    url = f"{base.rstrip('/')}/api/skills" + ("?refresh=true" if refresh else "")
    listing = httpx.get(url, headers=auth, timeout=10).json()
    return {s["name"] for s in listing["skills"]}


def seconds_until_served(base: str, auth: dict[str, str], name: str, limit: float) -> float:
    start = time.monotonic()
    while name not in names_served(base, auth):
        elapsed = time.monotonic() - start
        assert elapsed < limit, f"{base} still does not serve {name} after {elapsed:.1f}s"
        time.sleep(0.05)
    return time.monotonic() - start


def push_skill(pair, name: str) -> str:
    path = f"plugins/writing/skills/{name}/SKILL.md"
    return pair["git"].push_change("market", {path: skill_md(name)}, f"Add {name}")


def test_a_push_announced_by_webhook_to_one_instance_is_served_by_the_other_within_2s(pair):
    pushed = push_skill(pair, "fresh-by-hook")
    hooked = github_push_hook(pair["a"], SECRET)
    assert hooked.status_code == 200
    assert hooked.json()["commit"] == pushed
    seconds_until_served(pair["b"], pair["auth"], "fresh-by-hook", FRESH_WITHIN)


def test_a_refresh_on_one_instance_brings_the_other_up_to_date_within_2s(pair):
    push_skill(pair, "fresh-by-refresh")
    # A refresh is honoured at most every 2 s per instance, so ask until B has it.
    deadline = time.monotonic() + 15
    while "fresh-by-refresh" not in names_served(pair["b"] + "/", pair["auth"], refresh=True):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    seconds_until_served(pair["a"], pair["auth"], "fresh-by-refresh", FRESH_WITHIN)


def test_an_announcement_of_a_commit_is_recognised():
    commit = "a" * 40
    assert parse_announcement({"commit": commit, "from": "x1"}) == (commit, "x1")


@pytest.mark.parametrize(
    "message",
    [
        {},
        {"commit": "HEAD", "from": "x"},
        {"commit": "a" * 39, "from": "x"},
        {"commit": "A" * 40, "from": "x"},
        {"commit": "a" * 40},
        {"commit": "a" * 40, "from": 3},
        {"commit": "a" * 40, "from": "x" * 65},
        {"commit": ["a" * 40], "from": "x"},
    ],
)
def test_anything_else_on_the_channel_is_ignored(message):
    assert parse_announcement(message) is None

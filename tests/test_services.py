"""The service layer under REST and MCP: one minting path, per-snapshot caches that die
with their snapshot, coalesced refreshes, the Source protocol (hardening #15, #16, #19)."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import hmac
import json
import shutil
import threading
import weakref
from pathlib import Path
from typing import Any

import pytest
from conftest import AppFactory, skill_md
from mcpclient import official_session
from serving import client_for, free_port, in_thread

from skillport_connector.app import ConnectorApp
from skillport_connector.auth import Identity
from skillport_connector.catalog import Catalog
from skillport_connector.services.webhooks import Coalescer
from skillport_connector.settings import demo_marketplace
from skillport_connector.sources.base import EditableSource, Source
from skillport_connector.sources.git import GitSource
from skillport_connector.sources.local import LocalSource

ANN = Identity.local("ann@example.com")
SECRET = "hook-secret"


@pytest.fixture
def market(tmp_path: Path) -> Path:
    return Path(shutil.copytree(demo_marketplace(), tmp_path / "market"))


@pytest.fixture
def folder_app(make_app: AppFactory, market: Path) -> AppFactory:
    """``folder_app(**settings)``: a connector over the ``market`` folder, webhook on."""

    def make(**settings: Any) -> ConnectorApp:
        options = {"min_refresh_interval": 0, "github_webhook_secret": SECRET}
        return make_app(marketplace=market, **{**options, **settings})

    return make


# -- the Source protocol -----------------------------------------------------------------------


def test_a_folder_is_a_source_and_a_git_repository_an_editable_one(tmp_path, market):
    from gitserver import git

    folder = LocalSource(market)
    assert isinstance(folder, Source) and not isinstance(folder, EditableSource)
    git("init", "-q", "-b", "main", cwd=market)
    git("add", "-A", cwd=market)
    git("-c", "user.name=t", "-c", "user.email=t@e.com", "commit", "-q", "-m", "i", cwd=market)
    repo = GitSource(str(market), data_dir=tmp_path / "g", poll_interval=0)
    assert isinstance(repo, EditableSource)


def test_a_github_webhook_on_a_folder_marketplace_reloads_it(market, folder_app):
    app = folder_app()
    client = client_for(app)
    (market / "plugins/writing/skills/hooked").mkdir()
    (market / "plugins/writing/skills/hooked/SKILL.md").write_text(skill_md("hooked"))
    body = b'{"ref": "refs/heads/main"}'
    sig = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = client.post("/webhooks/github", content=body, headers={"X-Hub-Signature-256": sig})
    assert response.status_code == 200, response.text
    assert response.json() == {"refreshed": True, "commit": None}
    assert "hooked" in app.state.services.source.catalog.skills


# -- caches die with their snapshot ------------------------------------------------------------


def test_cached_listings_do_not_keep_old_snapshots_alive(folder_app):
    app = folder_app()
    client = client_for(app)
    h = {"Authorization": f"Bearer {app.state.services.tokens.mint_api_token(ANN)}"}
    old: weakref.ref[Catalog] = weakref.ref(app.state.services.source.catalog)
    for surface in ("", "?surface=CC", "?surface=CD", "?q=csv"):
        assert client.get(f"/api/skills{surface}", headers=h).status_code == 200
    assert client.get("/api/skills?refresh=true", headers=h).status_code == 200
    gc.collect()
    assert old() is None, "a cache still holds the previous snapshot"


def test_a_listing_is_built_once_per_snapshot_and_view(folder_app):
    app = folder_app()
    snapshots = app.state.services.snapshots
    catalog = app.state.services.source.catalog
    built = []
    for _ in range(3):
        snapshots.memo(catalog, ("k",), lambda: built.append(1) or b"x")
    assert built == [1]


# -- coalesced refreshes -----------------------------------------------------------------------


class GatedSource:
    """A source whose check blocks until released, counting checks (a test double for
    the timing only: real sources are covered by the webhook tests)."""

    def __init__(self) -> None:
        self.checks = 0
        self.gate = threading.Event()
        self.started = threading.Event()

    def check(self) -> bool:
        self.checks += 1
        self.started.set()
        self.gate.wait(10)
        return True


def test_concurrent_refreshes_share_one_running_and_one_queued_check():
    source = GatedSource()
    coalescer = Coalescer(source)  # type: ignore[arg-type]
    first = threading.Thread(target=coalescer.check)
    first.start()
    assert source.started.wait(5)
    waiting = [threading.Thread(target=coalescer.check) for _ in range(20)]
    for t in waiting:
        t.start()
    source.gate.set()
    for t in [first, *waiting]:
        t.join(10)
    assert source.checks == 2  # the running one, and one after it for everyone who waited


def test_a_refresh_after_the_last_one_finished_checks_again():
    source = GatedSource()
    source.gate.set()
    coalescer = Coalescer(source)  # type: ignore[arg-type]
    coalescer.check()
    coalescer.check()
    assert source.checks == 2


# -- one minting path --------------------------------------------------------------------------


async def install_over_mcp(base: str, times: int) -> list[bool]:
    """Call the install_skill tool ``times`` times; True where it was an error."""
    async with official_session(base, headers={"Host": base.split("//")[1]}) as session:
        errors = []
        for _ in range(times):
            result = await session.call_tool("install_skill", {"name": "changelog"})
            errors.append(bool(result.is_error))
        return errors


def test_mcp_install_skill_is_rate_limited_like_rest(make_app, market):
    port = free_port()
    app = make_app(
        marketplace=market,
        port=port,
        mcp_classic_tools=True,
        rate_limit_user=3,
        mcp_auth=False,  # the dev user, on loopback
    )
    with in_thread(app, port) as base:
        errors = asyncio.run(install_over_mcp(base, 5))
    assert errors == [False, False, False, True, True]
    metrics = client_for(app).get("/metrics").text
    assert 'skillport_tokens_minted_total{kind="install"} 3.0' in metrics


def test_install_and_edit_tokens_are_counted_in_the_metrics(folder_app):
    app = folder_app()
    client = client_for(app)
    h = {"Authorization": f"Bearer {app.state.services.tokens.mint_api_token(ANN)}"}
    client.get("/api/skills/changelog/install", headers=h)
    client.get("/api/skills/changelog/install", headers=h)
    text = client.get("/metrics").text
    assert 'skillport_tokens_minted_total{kind="install"} 2.0' in text


# -- spent tokens ------------------------------------------------------------------------------


def test_a_spent_install_token_answers_410_without_reading_the_skill(market, folder_app):
    app = folder_app()
    client = client_for(app)
    h = {"Authorization": f"Bearer {app.state.services.tokens.mint_api_token(ANN)}"}
    token = client.get("/api/skills/csv-profiler/install", headers=h).json()["install_token"]
    assert client.get(f"/api/install/{token}").status_code == 200
    # Reading the skill again would fail now (503): a replay must not get that far.
    (market / "plugins/data-tools/skills/csv-profiler/assets/logo.png").unlink()
    replay = client.get(f"/api/install/{token}")
    assert replay.status_code == 410 and replay.json()["error"] == "gone"


def test_an_unspent_token_survives_a_failed_build(market, folder_app):
    app = folder_app()
    client = client_for(app)
    h = {"Authorization": f"Bearer {app.state.services.tokens.mint_api_token(ANN)}"}
    token = client.get("/api/skills/csv-profiler/install", headers=h).json()["install_token"]
    logo = market / "plugins/data-tools/skills/csv-profiler/assets/logo.png"
    data = logo.read_bytes()
    logo.unlink()
    assert client.get(f"/api/install/{token}").status_code == 503
    logo.write_bytes(data)
    assert client.get(f"/api/install/{token}").status_code == 200


def test_the_audit_log_has_one_line_per_minted_token(tmp_path, folder_app):
    app = folder_app(audit_log=str(tmp_path / "audit.jsonl"))
    client = client_for(app)
    h = {"Authorization": f"Bearer {app.state.services.tokens.mint_api_token(ANN)}"}
    client.get("/api/skills/changelog/install", headers=h)
    lines = [json.loads(x) for x in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert [(x["action"], x["skill"], x["result"]) for x in lines] == [
        ("install-token", "changelog", "ok")
    ]


# -- one summary, two wire shapes; one error table per protocol -------------------------------


def test_rest_and_mcp_summaries_come_from_one_record(folder_app):
    from skillport_connector.api.schemas import SkillSummary as RestShape
    from skillport_connector.services import skills

    app = folder_app()
    view = app.state.services.view(ANN)
    summary = next(s for s in skills.list_skills(view) if s.name == "csv-profiler")
    assert set(summary.rest()) == set(RestShape.model_fields) - {"score"}
    assert summary.mcp() == {k: summary.rest()[k] for k in summary.mcp()}
    assert set(summary.mcp()) == {"name", "plugin", "description", "version", "surface_tags"}


def test_every_error_kind_has_an_http_status_and_an_mcp_error():
    from typing import get_args

    from skillport_connector.api.errors import HTTP_STATUS, WIRE_CODES
    from skillport_connector.errors import Kind
    from skillport_connector.mcp.errors import JSON_CODES, RPC_CODES

    kinds = set(get_args(Kind))
    assert set(HTTP_STATUS) == set(RPC_CODES) == set(JSON_CODES) == kinds
    assert all(status in WIRE_CODES for status in HTTP_STATUS.values())

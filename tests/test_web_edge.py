"""The web edge: which Host names and browser origins the server answers, what anonymous
callers learn, and that tokens never reach a log (hardening issue #5, #6, #14, #19)."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
from conftest import AppFactory
from serving import client_for

from skillport_connector.app import ConnectorApp
from skillport_connector.auth import Identity
from skillport_connector.settings import demo_marketplace

READER = Identity.local("ann@example.com", name="Ann")


@pytest.fixture
def market(tmp_path: Path) -> Path:
    return Path(shutil.copytree(demo_marketplace(), tmp_path / "market"))


@pytest.fixture
def app(make_app: AppFactory, market: Path) -> ConnectorApp:
    return make_app(
        marketplace=market, public_url="https://skills.example.com", min_refresh_interval=0
    )


@pytest.fixture
def auth(app) -> dict[str, str]:
    return {"Authorization": f"Bearer {app.state.services.tokens.mint_api_token(READER)}"}


# -- Host names (DNS rebinding) ----------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/skills", "/api/whoami", "/install.sh", "/authorize", "/openapi.json"]
)
def test_every_route_refuses_a_foreign_host_name(client, auth, path):
    response = client.get(path, headers={**auth, "Host": "attacker.example"})
    assert response.status_code == 421
    assert set(response.json()) == {"error", "message"}


def test_the_public_host_name_is_answered(client, auth):
    assert client.get("/api/whoami", headers=auth).status_code == 200


def test_a_configured_extra_host_name_is_answered(make_app, market):
    app = make_app(
        marketplace=market,
        public_url="https://skills.example.com",
        allowed_hosts=("skills.internal:8443",),
    )
    client = client_for(app)
    assert client.get("/install.sh", headers={"Host": "skills.internal:8443"}).status_code == 200


def test_probes_answer_any_host_name(client):
    # Orchestrators call probes by address; anonymously they tell nothing else.
    for path in ("/healthz", "/readyz", "/metrics"):
        assert client.get(path, headers={"Host": "10.1.2.3:8787"}).status_code == 200


# -- CORS only for browser MCP clients ---------------------------------------------------------


def test_the_rest_api_sends_no_cors_headers(client, auth):
    response = client.get("/api/skills", headers={**auth, "Origin": "https://evil.example"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    preflight = client.options(
        "/api/skills",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in preflight.headers


@pytest.mark.parametrize(
    "path", ["/.well-known/oauth-authorization-server", "/.well-known/oauth-protected-resource"]
)
def test_oauth_metadata_is_readable_from_a_browser_client(client, path):
    response = client.get(path, headers={"Origin": "https://claude.ai"})
    assert response.headers["access-control-allow-origin"] == "*"


# -- what anonymous callers and hidden skills reveal -------------------------------------------


def test_debug_plugins_does_not_name_skills_the_reader_cannot_see(app, client, auth, market):
    access = json.loads((market / ".skillport/access.json").read_text())
    access["groups"]["engineering"] = {"read": "editors"}
    (market / ".skillport/access.json").write_text(json.dumps(access))
    app.state.services.source.refresh()
    text = client.get("/api/debug/plugins", headers=auth).text
    for hidden in ("engineering", "commit-messages", "changelog", "incident-review", "drafts"):
        assert hidden not in text
    assert "csv-profiler" in text


def test_debug_plugins_shows_only_the_readable_skills_of_a_group(app, client, auth, market):
    access = json.loads((market / ".skillport/access.json").read_text())
    access["skills"] = {"changelog": {"read": "editors"}}
    (market / ".skillport/access.json").write_text(json.dumps(access))
    app.state.services.source.refresh()
    plugins = client.get("/api/debug/plugins", headers=auth).json()["plugins"]
    engineering = next(p for p in plugins if p["name"] == "engineering")
    assert engineering["skills"] == ["commit-messages"]


def test_anonymous_healthz_shows_no_paths_or_totals(client, market):
    text = client.get("/healthz").text
    assert str(market) not in text and "skills" not in text and "upstream" not in text


def test_readyz_shows_no_upstream_state(client):
    assert "upstream" not in client.get("/readyz").json()


# -- tokens never reach a log ------------------------------------------------------------------


def test_an_unexpected_error_on_a_redemption_logs_no_token(client, auth, app, caplog):
    token = client.get("/api/skills/csv-profiler/install", headers=auth).json()["install_token"]

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    app.state.services.tokens.peek_ticket = broken  # a store that fails unexpectedly
    failing = client_for(app, raise_server_exceptions=False)
    with caplog.at_level(logging.ERROR):
        assert failing.get(f"/api/install/{token}").status_code == 500
    assert caplog.records, "the error is logged"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "/api/install/" in logged
    assert token not in logged and token[len("sk_install_") :] not in logged


def test_a_token_inside_any_log_message_is_redacted(app, caplog):
    with caplog.at_level(logging.INFO):
        logging.getLogger("skillport_connector.any").info(
            "GET %s 200", "/api/edit/sk_edit_abcdef123456"
        )
    assert "sk_edit_abcdef123456" not in caplog.text and "sk_edit_[redacted]" in caplog.text


def test_debug_plugins_drops_findings_that_name_a_hidden_skill(app, client, auth, market):
    skill = market / "plugins/writing/skills/meeting-notes"
    (skill / "peek").symlink_to("../../../drafts/skills/incident-review/SKILL.md")
    app.state.services.source.refresh()
    text = client.get("/api/debug/plugins", headers=auth).text
    assert "incident-review" not in text and "drafts/" not in text

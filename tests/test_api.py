"""HTTP behaviour of every route, including every error status, against the demo marketplace."""

from __future__ import annotations

import base64
import io
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import AppFactory, skill_md
from serving import client_for

from skillport_connector.app import ConnectorApp
from skillport_connector.auth import Identity
from skillport_connector.settings import demo_marketplace
from skillport_connector.store import SQLiteStore

DEMO = demo_marketplace()
PUBLISHED = {
    "skillport",
    "meeting-notes",
    "proposal-writer",
    "commit-messages",
    "changelog",
    "csv-profiler",
    "house-style",
}


@pytest.fixture
def market(tmp_path: Path) -> Path:
    """A private copy of the demo, so tests may change it."""
    return Path(shutil.copytree(DEMO, tmp_path / "market"))


def public_app(make_app: AppFactory, market: Path, **settings: Any) -> ConnectorApp:
    options = {"public_url": "https://skills.example.com", "min_refresh_interval": 0}
    return make_app(marketplace=market, **{**options, **settings})


@pytest.fixture
def app(make_app: AppFactory, market: Path) -> ConnectorApp:
    return public_app(make_app, market)


@pytest.fixture
def token(app) -> str:
    return app.state.services.tokens.mint_api_token(Identity.local("ann@example.com", name="Ann"))


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_error(response, status: int, kind: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "message"}
    assert body["error"] == kind and body["message"]
    return body


# -- authentication --------------------------------------------------------------------------


def test_missing_token_is_401_with_a_bearer_challenge(client):
    response = client.get("/api/skills")
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_token_is_401(client):
    response = client.get("/api/skills", headers={"Authorization": "Bearer sk_api_nope"})
    assert_error(response, 401, "unauthorized")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_api_token_expires_after_15_minutes(client, auth, clock):
    clock.advance(14 * 60)
    assert client.get("/api/whoami", headers=auth).status_code == 200
    clock.advance(61)
    assert_error(client.get("/api/whoami", headers=auth), 401, "unauthorized")


def test_tokens_are_stored_only_as_hashes(make_app, market, tmp_path, clock):
    # Below the encryption at rest, which would hide a plain token from this check.
    plain = SQLiteStore(tmp_path / "plain" / "state.sqlite3", clock=clock)
    app = public_app(make_app, market, data_dir=tmp_path / "plain", store=plain)
    token = app.state.services.tokens.mint_api_token(Identity.local("ann@example.com"))
    auth = {"Authorization": f"Bearer {token}"}
    assert client_for(app).get("/api/skills/csv-profiler/install", headers=auth).status_code == 200
    raw = b"".join(p.read_bytes() for p in (tmp_path / "plain").rglob("*") if p.is_file())
    assert token.encode() not in raw
    assert b"sk_install_" not in raw


def test_whoami_returns_the_identity(client, auth):
    assert client.get("/api/whoami", headers=auth).json() == {
        "id": "local:ann@example.com",
        "email": "ann@example.com",
        "name": "Ann",
        "provider": "local",
    }


# -- listing and search ----------------------------------------------------------------------


def test_listing_has_the_contract_shape(client, auth):
    body = client.get("/api/skills", headers=auth).json()
    assert body["count"] == len(body["skills"]) == len(PUBLISHED)
    assert body["surface_filter"] is None
    assert {s["name"] for s in body["skills"]} == PUBLISHED
    csv = next(s for s in body["skills"] if s["name"] == "csv-profiler")
    assert csv == {
        "name": "csv-profiler",
        "plugin": "data-tools",
        "description": csv["description"],
        "version": "0.9.0-beta.1",
        "author": {"name": "Analytics Team"},
        "category": "data",
        "tags": ["surface:CAI", "surface:CD", "data"],
        "keywords": ["csv", "data", "profile", "statistics"],
        "surface_tags": ["CAI", "CD"],
        "published": True,
        "editable": False,
    }


def test_unpublished_skills_are_hidden_from_people_who_cannot_write_them(client, auth):
    names = {s["name"] for s in client.get("/api/skills", headers=auth).json()["skills"]}
    assert "incident-review" not in names
    assert_error(client.get("/api/skills/incident-review", headers=auth), 404, "not_found")


@pytest.mark.parametrize(
    "surface, expected",
    [
        ("CC", {"skillport", "commit-messages", "changelog", "house-style"}),
        ("CD", {"skillport", "meeting-notes", "proposal-writer", "csv-profiler", "house-style"}),
        ("cai", {"skillport", "meeting-notes", "proposal-writer", "csv-profiler", "house-style"}),
    ],
)
def test_surface_filter(client, auth, surface, expected):
    body = client.get(f"/api/skills?surface={surface}", headers=auth).json()
    assert body["surface_filter"] == surface.upper()
    assert {s["name"] for s in body["skills"]} == expected


def test_unknown_surface_is_400(client, auth):
    body = assert_error(client.get("/api/skills?surface=MOBILE", headers=auth), 400, "bad_request")
    assert "CC" in body["message"] and "CAI" in body["message"]


def test_search_ranks_best_match_first_with_scores(client, auth):
    body = client.get("/api/skills?q=csv data", headers=auth).json()
    assert body["query"] == "csv data"
    assert body["skills"][0]["name"] == "csv-profiler"
    scores = [s["score"] for s in body["skills"]]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0


def test_search_matches_the_skill_body(client, auth):
    names = [
        s["name"] for s in client.get("/api/skills?q=imperative", headers=auth).json()["skills"]
    ]
    assert names == ["commit-messages"]


def test_search_respects_the_surface_filter_and_visibility(client, auth):
    body = client.get("/api/skills?q=incident-review", headers=auth).json()
    assert all(s["name"] != "incident-review" for s in body["skills"])
    assert client.get("/api/skills?q=transcript", headers=auth).json()["count"] == 1
    assert client.get("/api/skills?q=transcript&surface=CC", headers=auth).json()["count"] == 0


def test_refresh_reloads_the_marketplace(client, auth, market):
    (market / "plugins/writing/skills/status-report").mkdir()
    (market / "plugins/writing/skills/status-report/SKILL.md").write_text(skill_md("status-report"))
    assert "status-report" not in {
        s["name"] for s in client.get("/api/skills", headers=auth).json()["skills"]
    }
    body = client.get("/api/skills?refresh=true", headers=auth).json()
    assert "status-report" in {s["name"] for s in body["skills"]}


def test_refreshes_closer_than_the_minimum_interval_share_one_reload(make_app, market):
    app = make_app(marketplace=market, min_refresh_interval=60)
    token = app.state.services.tokens.mint_api_token(Identity.local("a@example.com"))
    (market / "plugins/writing/skills/late").mkdir()
    (market / "plugins/writing/skills/late/SKILL.md").write_text(skill_md("late"))
    body = client_for(app).get(
        "/api/skills?refresh=true", headers={"Authorization": f"Bearer {token}"}
    )
    assert "late" not in {s["name"] for s in body.json()["skills"]}


def test_bad_boolean_query_is_400(client, auth):
    assert_error(client.get("/api/skills?refresh=maybe", headers=auth), 400, "bad_request")


# -- one skill -------------------------------------------------------------------------------


def test_skill_detail_has_the_skill_md_its_files_and_whether_it_is_editable(client, auth):
    body = client.get("/api/skills/csv-profiler", headers=auth).json()
    assert body["skill"]["name"] == "csv-profiler"
    assert (
        body["skill_md"] == (DEMO / "plugins/data-tools/skills/csv-profiler/SKILL.md").read_text()
    )
    assert body["files"] == ["SKILL.md", "assets/logo.png", "scripts/profile_csv.py"]
    assert body["editable"] is False


def test_unknown_skill_is_404(client, auth):
    body = assert_error(client.get("/api/skills/no-such-skill", headers=auth), 404, "not_found")
    assert "GET /api/skills" in body["message"]


# -- install tokens --------------------------------------------------------------------------


def ticket(client, auth, name="csv-profiler") -> dict:
    response = client.get(f"/api/skills/{name}/install", headers=auth)
    assert response.status_code == 200, response.text
    return response.json()


def test_an_install_ticket_is_a_15_minute_token_with_both_install_commands(client, auth):
    body = ticket(client, auth)
    token = body["install_token"]
    assert token.startswith("sk_install_") and len(token) == len("sk_install_") + 32
    assert body["skill"] == "csv-profiler" and body["version"] == "0.9.0-beta.1"
    assert body["expires_in"] == 900
    assert (
        body["command"]
        == f"curl -sf https://skills.example.com/install.sh | bash -s -- {token} --package"
    )
    assert body["claude_code_command"].endswith(f"{token} --skill")


def test_install_ticket_for_unknown_skill_is_404(client, auth):
    assert_error(client.get("/api/skills/nope/install", headers=auth), 404, "not_found")


def test_redeeming_returns_every_file_with_binaries_in_base64(client, auth):
    token = ticket(client, auth)["install_token"]
    body = client.get(f"/api/install/{token}").json()
    assert body["skill"] == {
        "name": "csv-profiler",
        "version": "0.9.0-beta.1",
        "plugin": "data-tools",
    }
    files = {f["path"]: f for f in body["files"]}
    src = DEMO / "plugins/data-tools/skills/csv-profiler"
    assert files["SKILL.md"]["content"] == (src / "SKILL.md").read_text()
    assert "encoding" not in files["SKILL.md"]
    assert files["assets/logo.png"]["encoding"] == "base64"
    assert (
        base64.b64decode(files["assets/logo.png"]["content"])
        == (src / "assets/logo.png").read_bytes()
    )
    manifest = json.loads(files[".claude-plugin/plugin.json"]["content"])
    group = json.loads((src.parents[1] / ".claude-plugin/plugin.json").read_text())
    # The group's own manifest (author and license kept) under the skill's name.
    assert manifest == {**group, "name": "csv-profiler"}


def test_install_token_works_once_then_410(client, auth):
    token = ticket(client, auth)["install_token"]
    assert client.get(f"/api/install/{token}").status_code == 200
    assert_error(client.get(f"/api/install/{token}"), 410, "gone")


def test_install_token_expires_after_15_minutes_then_404(client, auth, clock):
    token = ticket(client, auth)["install_token"]
    clock.advance(15 * 60 + 1)
    assert_error(client.get(f"/api/install/{token}"), 404, "not_found")


def test_unknown_install_token_is_404(client):
    assert_error(client.get("/api/install/sk_install_unknown"), 404, "not_found")
    assert_error(client.get("/api/install/garbage"), 404, "not_found")


def test_redeem_as_skill_zip(client, auth):
    token = ticket(client, auth)["install_token"]
    response = client.get(f"/api/install/{token}?format=skill")
    assert response.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert "csv-profiler/SKILL.md" in names


def test_redeem_with_unknown_format_is_400_and_keeps_the_token(client, auth):
    token = ticket(client, auth)["install_token"]
    assert_error(client.get(f"/api/install/{token}?format=tar"), 400, "bad_request")
    assert client.get(f"/api/install/{token}").status_code == 200


# -- packages --------------------------------------------------------------------------------


def test_package_is_a_zip_with_one_root_folder_named_after_the_skill(client, auth):
    response = client.get("/api/skills/csv-profiler/package", headers=auth)
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="csv-profiler.skill"'
    zf = zipfile.ZipFile(io.BytesIO(response.content))
    assert {n.split("/")[0] for n in zf.namelist()} == {"csv-profiler"}
    src = DEMO / "plugins/data-tools/skills/csv-profiler"
    for rel in ("SKILL.md", "assets/logo.png", "scripts/profile_csv.py"):
        assert zf.read(f"csv-profiler/{rel}") == (src / rel).read_bytes()


def test_package_needs_a_token(client):
    assert_error(client.get("/api/skills/csv-profiler/package"), 401, "unauthorized")


def test_package_over_the_size_limit_is_413(make_app, market):
    app = make_app(marketplace=market, max_package_bytes=1000)
    token = app.state.services.tokens.mint_api_token(Identity.local("a@example.com"))
    response = client_for(app).get(
        "/api/skills/csv-profiler/package", headers={"Authorization": f"Bearer {token}"}
    )
    assert_error(response, 413, "too_large")


def test_install_script_has_the_public_url_baked_in(client):
    response = client.get("/install.sh")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/x-shellscript")
    assert (
        'BASE_URL="${SKILLPORT_CONNECTOR_URL:-${SKILLPORT_URL:-https://skills.example.com}}"'
        in response.text
    )
    assert "__SKILLPORT_BASE_URL__" not in response.text


# -- updates ---------------------------------------------------------------------------------


def test_check_updates_reports_newer_versions_only(client, auth):
    installed = [
        {"name": "meeting-notes", "version": "2.0.0"},
        {"name": "changelog", "version": "1.4.2"},
        {"name": "csv-profiler", "version": "0.9.0-alpha"},
        {"name": "skillport", "version": "9.0.0"},
        {"name": "not-in-the-marketplace", "version": "1.0.0"},
        {"name": "incident-review", "version": "0.0.1"},
    ]
    body = client.post("/api/check-updates", headers=auth, json={"installed": installed}).json()
    assert body == {
        "hasUpdates": True,
        "updates": [
            {"name": "meeting-notes", "installedVersion": "2.0.0", "availableVersion": "2.1.0"},
            {
                "name": "csv-profiler",
                "installedVersion": "0.9.0-alpha",
                "availableVersion": "0.9.0-beta.1",
            },
        ],
    }


def test_check_updates_with_nothing_newer(client, auth):
    body = client.post(
        "/api/check-updates",
        headers=auth,
        json={"installed": [{"name": "changelog", "version": "1.4.2"}]},
    ).json()
    assert body == {"hasUpdates": False, "updates": []}


@pytest.mark.parametrize(
    "payload",
    [
        '{"installed": "all"}',
        '{"installed": [{"name": "x"}]}',
        "not json",
        "[]",
        '{"installed": [{"name": 1, "version": []}]}',
    ],
)
def test_check_updates_rejects_bad_bodies_with_400(client, auth, payload):
    response = client.post(
        "/api/check-updates", headers={**auth, "Content-Type": "application/json"}, content=payload
    )
    assert_error(response, 400, "bad_request")


# -- debug, health, docs, unknown routes -----------------------------------------------------


def test_debug_plugins_lists_published_plugins_and_findings(client, auth):
    body = client.get("/api/debug/plugins", headers=auth).json()
    assert body["marketplace"] == "skillport-demo"
    assert body["plugin_root"] == "plugins"
    names = {p["name"] for p in body["plugins"]}
    assert names == {"skillport", "writing", "engineering", "data-tools", "brand"}
    assert body["findings"] == []


def test_anonymous_healthz_is_liveness_only(client):
    body = client.get("/healthz").json()
    assert body == {"status": "ok", "version": body["version"]}


def test_healthz_with_a_token_shows_the_snapshot(client, auth):
    body = client.get("/healthz", headers=auth).json()
    assert body["status"] == "ok"
    assert body["marketplace"] == "skillport-demo"
    assert body["skills"] == 8 and body["errors"] == 0
    assert body["snapshot_age_seconds"] >= 0


def test_healthz_with_a_bad_token_is_401(client):
    response = client.get("/healthz", headers={"Authorization": "Bearer sk_api_nope"})
    assert_error(response, 401, "unauthorized")


def test_openapi_describes_every_route(client):
    spec = client.get("/openapi.json").json()
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    routes = {
        (route.path, method.lower())
        for route in client.app.routes
        for method in route.methods or ()
        if method != "HEAD" and route.path != "/openapi.json"
    }
    assert routes == documented
    assert spec["paths"]["/api/whoami"]["get"]["security"] == [{"bearerAuth": []}]
    assert "security" not in spec["paths"]["/install.sh"]["get"]


def test_openapi_documents_the_conditional_answers(client, auth):
    paths = client.get("/openapi.json").json()["paths"]
    conditional = {
        (path, method)
        for path, ops in paths.items()
        for method, op in ops.items()
        if "304" in op["responses"]
    }
    assert conditional == {
        ("/api/skills", "get"),
        ("/api/skills/{name}", "get"),
        ("/api/check-updates", "post"),
    }
    for path, method in conditional:
        op = paths[path][method]
        assert {"ETag", "Cache-Control"} <= set(op["responses"]["200"]["headers"])
        assert any(p["name"] == "If-None-Match" for p in op["parameters"])
    etag = client.get("/api/skills/csv-profiler", headers=auth).headers["ETag"]
    again = client.get("/api/skills/csv-profiler", headers={**auth, "If-None-Match": etag})
    assert again.status_code == 304  # what the document says is what the server does


def test_openapi_shapes_match_what_the_server_sends(client, auth):
    from skillport_connector.api import schemas

    schemas.SkillList.model_validate(client.get("/api/skills?q=csv", headers=auth).json())
    schemas.SkillDetail.model_validate(client.get("/api/skills/csv-profiler", headers=auth).json())
    ticket = client.get("/api/skills/csv-profiler/install", headers=auth).json()
    schemas.InstallTicket.model_validate(ticket)
    schemas.InstallPayload.model_validate(
        client.get(f"/api/install/{ticket['install_token']}").json()
    )
    schemas.WhoAmI.model_validate(client.get("/api/whoami", headers=auth).json())
    schemas.DebugPlugins.model_validate(client.get("/api/debug/plugins", headers=auth).json())
    schemas.Health.model_validate(client.get("/healthz").json())
    schemas.Health.model_validate(client.get("/healthz", headers=auth).json())


def test_unknown_route_is_a_json_404(client):
    assert_error(client.get("/api/nothing-here"), 404, "not_found")


def test_wrong_method_is_a_json_405(client, auth):
    assert_error(client.delete("/api/whoami", headers=auth), 405, "method_not_allowed")


def test_metrics_count_requests_by_route_template_and_status(client, auth):
    client.get("/api/skills", headers=auth)
    client.get("/api/skills/csv-profiler", headers=auth)
    client.get("/api/skills/no-such", headers=auth)
    text = client.get("/metrics").text
    assert (
        'skillport_http_requests_total{method="GET",route="/api/skills",status="200"} 1.0' in text
    )
    assert 'route="/api/skills/{name}",status="404"' in text
    assert "no-such" not in text  # raw paths never become labels
    assert "skillport_snapshot_age_seconds" in text and "skillport_skills 8.0" in text
    assert 'skillport_http_request_duration_seconds_bucket{le="0.005",route="/api/skills"}' in text


def test_readyz_reports_snapshot_age_and_store(client):
    body = client.get("/readyz").json()
    assert body["ready"] is True and body["problems"] == []
    assert body["snapshot_age_seconds"] >= 0
    assert set(body) == {"ready", "snapshot_age_seconds", "problems"}  # no server details

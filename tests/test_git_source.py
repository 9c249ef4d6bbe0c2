"""Reading a marketplace from a real git smart-HTTP server: clone, poll, webhooks, outages."""

from __future__ import annotations

import hashlib
import hmac
import shutil
from pathlib import Path

import pytest
from conftest import skill_md
from gitserver import READ_TOKEN, WRITE_TOKEN, GitHttpServer
from serving import client_for

from skillport_connector.auth import Identity
from skillport_connector.settings import demo_marketplace
from skillport_connector.sources.git import GitSource, SourceUnavailable
from skillport_connector.sources.gitrepo import Credentials

SECRET = "webhook-secret"


@pytest.fixture
def server(tmp_path: Path):
    with GitHttpServer.serving(tmp_path / "remote", demo_marketplace()) as srv:
        yield srv


def source(server: GitHttpServer, data: Path, **kwargs) -> GitSource:
    return GitSource(
        server.url("market"),
        branch="main",
        data_dir=data,
        credentials=Credentials(READ_TOKEN, WRITE_TOKEN),
        poll_interval=0,
        min_refresh_interval=0,
        **kwargs,
    )


def head(server: GitHttpServer) -> str:
    return (server.root / "market.git/refs/heads/main").read_text().strip()


def test_clone_loads_the_catalog_from_the_branch_commit(server, tmp_path):
    src = source(server, tmp_path / "data")
    assert src.commit == head(server)
    assert "csv-profiler" in src.catalog.skills
    assert src.catalog.skill("csv-profiler").files[1].path == "assets/logo.png"


def test_binary_files_come_through_git_unchanged(server, tmp_path):
    src = source(server, tmp_path / "data")
    png = src.catalog.tree.read_bytes("plugins/data-tools/skills/csv-profiler/assets/logo.png")
    assert (
        png
        == (
            demo_marketplace() / "plugins/data-tools/skills/csv-profiler/assets/logo.png"
        ).read_bytes()
    )


def test_a_bad_read_token_fails_the_start_with_a_clear_message(server, tmp_path):
    with pytest.raises(SourceUnavailable) as err:
        GitSource(server.url("market"), data_dir=tmp_path / "d", credentials=Credentials("wrong"))
    assert "no local copy" in str(err.value)
    assert "wrong" not in str(err.value)


def test_no_change_poll_costs_one_request(server, tmp_path):
    src = source(server, tmp_path / "data")
    server.reset_counts()
    assert src.check() is False
    assert server.total == 1


def test_poll_picks_up_a_new_commit(server, tmp_path):
    src = source(server, tmp_path / "data")
    old = src.catalog
    server.push_change(
        "market", {"plugins/writing/skills/status/SKILL.md": skill_md("status")}, "Add status"
    )
    assert src.check() is True
    assert src.commit == head(server)
    assert "status" in src.catalog.skills
    assert "status" not in old.skills  # the old snapshot is untouched


def test_remote_down_keeps_serving_the_last_snapshot_and_reports_staleness(server, tmp_path):
    src = source(server, tmp_path / "data")
    served = src.commit
    server.stop()
    assert src.check() is False
    assert src.commit == served and src.catalog.skill("csv-profiler") is not None
    health = src.health()
    assert health["stale"] is True and health["last_error"]
    server.start()
    server.push_change("market", {"plugins/writing/skills/back/SKILL.md": skill_md("back")}, "Back")
    assert src.check() is True
    assert src.health()["stale"] is False


def test_start_with_remote_down_serves_the_local_copy(server, tmp_path):
    source(server, tmp_path / "data")
    server.stop()
    src = source(server, tmp_path / "data")
    assert src.catalog.skill("csv-profiler") is not None
    assert src.health()["stale"] is True


def test_start_with_remote_down_and_no_local_copy_fails_clearly(server, tmp_path):
    server.stop()
    with pytest.raises(SourceUnavailable) as err:
        source(server, tmp_path / "fresh")
    assert "cannot read branch 'main'" in str(err.value)


def test_missing_branch_fails_clearly(server, tmp_path):
    with pytest.raises(SourceUnavailable):
        GitSource(
            server.url("market"),
            branch="nope",
            data_dir=tmp_path / "d",
            credentials=Credentials(READ_TOKEN),
        )


# -- through the HTTP API ---------------------------------------------------------------------


@pytest.fixture
def app(make_app, server):
    return make_app(
        marketplace=server.url("market"),
        git_read_token=READ_TOKEN,
        git_write_token=WRITE_TOKEN,
        poll_interval=0,
        min_refresh_interval=0,
        github_webhook_secret=SECRET,
        gitlab_webhook_token=SECRET,
    )


@pytest.fixture
def client(app):
    """With the lifespan started, as the server runs."""
    with client_for(app) as c:
        yield c


@pytest.fixture
def auth(app):
    token = app.state.services.tokens.mint_api_token(Identity.local("ann@example.com"))
    return {"Authorization": f"Bearer {token}"}


def names(client, auth) -> set[str]:
    return {s["name"] for s in client.get("/api/skills", headers=auth).json()["skills"]}


def github(client, body: bytes, secret: str = SECRET, event: str = "push", delivery: str = ""):
    sig = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {"X-Hub-Signature-256": sig, "X-GitHub-Event": event}
    if delivery:
        headers["X-GitHub-Delivery"] = delivery
    return client.post(
        "/webhooks/github", content=body, headers={**headers, "Content-Type": "application/json"}
    )


def test_github_webhook_with_a_good_signature_refreshes(server, client, auth):
    server.push_change(
        "market", {"plugins/writing/skills/hooked/SKILL.md": skill_md("hooked")}, "Hook"
    )
    assert "hooked" not in names(client, auth)
    response = github(client, b'{"ref": "refs/heads/main"}')
    assert response.status_code == 200
    assert response.json() == {"refreshed": True, "commit": head(server)}
    assert "hooked" in names(client, auth)


def test_a_replayed_webhook_delivery_costs_no_upstream_request(server, client):
    body = b'{"ref": "refs/heads/main", "after": "0123abcd"}'
    assert github(client, body, delivery="d-1").status_code == 200
    server.reset_counts()
    for delivery in ("d-1", "d-1", "d-2", ""):  # the same delivery, or the same signed body
        replay = github(client, body, delivery=delivery)
        assert replay.status_code == 200 and replay.json()["duplicate"] is True
        assert replay.json()["refreshed"] is False
    assert server.total == 0


def test_a_new_delivery_still_refreshes_after_a_replay(server, client, auth):
    github(client, b'{"after": "1"}', delivery="d-1")
    github(client, b'{"after": "1"}', delivery="d-1")
    server.push_change("market", {"plugins/writing/skills/later/SKILL.md": skill_md("later")}, "L")
    response = github(client, b'{"after": "2"}', delivery="d-2")
    assert response.json() == {"refreshed": True, "commit": head(server)}
    assert "later" in names(client, auth)


def test_gitlab_deliveries_are_told_apart_by_their_key_not_their_body(server, client, auth):
    def gitlab(key: str = ""):
        headers = {"X-Gitlab-Token": SECRET, **({"Idempotency-Key": key} if key else {})}
        return client.post("/webhooks/gitlab", content=b"{}", headers=headers)

    assert gitlab("k-1").status_code == 200
    assert gitlab("k-1").json()["duplicate"] is True  # a retry of the same delivery
    server.push_change("market", {"plugins/writing/skills/gl/SKILL.md": skill_md("gl")}, "GL")
    assert gitlab().json()["refreshed"] is True  # same body, no key: a new delivery
    assert "gl" in names(client, auth)


def test_github_webhook_with_a_bad_signature_is_401(client):
    response = github(client, b"{}", secret="guess")
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"
    assert client.post("/webhooks/github", content=b"{}").status_code == 401


def test_github_ping_is_answered_without_refreshing(client):
    assert github(client, b"{}", event="ping").json()["refreshed"] is False


def test_gitlab_webhook_checks_its_token(server, client, auth):
    assert (
        client.post("/webhooks/gitlab", content=b"{}", headers={"X-Gitlab-Token": "x"}).status_code
        == 401
    )
    server.push_change(
        "market", {"plugins/writing/skills/labbed/SKILL.md": skill_md("labbed")}, "Lab"
    )
    response = client.post("/webhooks/gitlab", content=b"{}", headers={"X-Gitlab-Token": SECRET})
    assert response.json()["refreshed"] is True
    assert "labbed" in names(client, auth)


def test_webhooks_are_off_without_a_secret(server, make_app):
    app = make_app(marketplace=server.url("market"), git_read_token=READ_TOKEN, poll_interval=0)
    client = client_for(app)
    assert client.post("/webhooks/github", content=b"{}").status_code == 404


def test_refresh_query_fetches_a_new_commit(server, client, auth):
    server.push_change(
        "market", {"plugins/writing/skills/fresh/SKILL.md": skill_md("fresh")}, "Fresh"
    )
    body = client.get("/api/skills?refresh=true", headers=auth).json()
    assert "fresh" in {s["name"] for s in body["skills"]}


def test_healthz_reports_the_commit_and_staleness(server, client, auth):
    assert client.get("/healthz", headers=auth).json()["upstream"]["commit"] == head(server)
    server.stop()
    client.app.state.services.source.check()
    health = client.get("/healthz", headers=auth).json()
    assert health["upstream"]["stale"] is True
    assert health["status"] == "ok"  # still serving


def test_poller_thread_refreshes_on_its_own(server, tmp_path):
    src = GitSource(
        server.url("market"),
        data_dir=tmp_path / "p",
        credentials=Credentials(READ_TOKEN),
        poll_interval=0.2,
    )
    src.start()
    try:
        server.push_change(
            "market", {"plugins/writing/skills/polled/SKILL.md": skill_md("polled")}, "Poll"
        )
        import time

        deadline = time.monotonic() + 10
        while "polled" not in src.catalog.skills and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "polled" in src.catalog.skills
    finally:
        src.stop()


def test_a_local_git_repository_path_works_as_a_source(tmp_path, make_app):
    repo = tmp_path / "local"
    shutil.copytree(demo_marketplace(), repo)
    from gitserver import git

    git("init", "-q", "-b", "main", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "init", cwd=repo)
    app = make_app(marketplace=repo)
    token = app.state.services.tokens.mint_api_token(Identity.local("ann@example.com"))
    health = client_for(app).get("/healthz", headers={"Authorization": f"Bearer {token}"})
    assert health.json()["upstream"]["commit"] == git("rev-parse", "HEAD", cwd=repo).strip()


@pytest.mark.parametrize("path", [".GIT/config", "plugins/x/.Git/hooks/pre-commit"])
def test_a_write_git_skips_is_refused_not_an_empty_commit(server, tmp_path, path):
    """git's index silently drops a path it refuses: the write checks the commit holds
    every file it was asked to write, whatever the plan let through."""
    from skillport_connector.sources.git import Invalid

    src = source(server, tmp_path / "data")
    before = head(server)
    with pytest.raises(Invalid, match="git refuses the path"):
        src.write(src.catalog, {path: b"x"}, (path,), "m\n", ("A", "a@x"), lambda a, b: [])
    assert head(server) == before

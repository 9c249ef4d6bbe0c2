"""The Redis store behaves like the embedded one: values, expiry, atomic single use."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from redisserver import RedisServer
from serving import client_for

from skillport_connector.auth import Identity, TokenService
from skillport_connector.store.redis import RedisStore


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server):
    return redis_server.url


@pytest.fixture
def store(redis_url, request):
    return RedisStore(redis_url, prefix=f"t{request.node.name}:")


def test_values_round_trip(store):
    store.put("k", {"v": [1, "x"]})
    assert store.get("k") == {"v": [1, "x"]}
    assert store.delete("k") and store.get("k") is None


def test_expiry_is_enforced_by_redis(store):
    store.put("k", {"v": 1}, ttl=0.3)
    assert store.get("k") == {"v": 1}
    time.sleep(0.5)
    assert store.get("k") is None
    assert store.claim("k") == (None, False)


def test_claim_succeeds_exactly_once_under_contention(store):
    store.put("once", {"x": 1}, ttl=60)
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda _: store.claim("once")[1], range(100)))
    assert results.count(True) == 1


def test_putting_a_value_again_resets_its_use(store):
    store.put("k", {"x": 1})
    assert store.claim("k")[1] is True
    store.put("k", {"x": 2})
    assert store.claim("k") == ({"x": 2}, True)


def test_tokens_work_on_redis(store):
    tokens = TokenService(store)
    who = Identity.local("r@example.com")
    token = tokens.mint_api_token(who)
    assert tokens.identity_for(token) == who
    ticket = tokens.mint_install_token(who, "s", "1.0.0")
    assert tokens.redeem_install_token(ticket).status == "ok"
    assert tokens.redeem_install_token(ticket).status == "used"


def test_redis_down_gives_503_then_recovers_without_manual_steps(redis_server, tmp_path):
    from skillport_connector.app import create_app
    from skillport_connector.settings import Settings, demo_marketplace

    settings = Settings(
        marketplace=demo_marketplace(), data_dir=tmp_path, audit_log="", redis_url=redis_server.url
    )
    app = create_app(settings)
    client = client_for(app)
    who = Identity.local("down@example.com")
    token = app.state.services.tokens.mint_api_token(who)
    assert (
        client.get("/api/whoami", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )
    redis_server.stop()
    try:
        down = client.get("/api/skills", headers={"Authorization": f"Bearer {token}"})
        assert down.status_code == 503 and down.json()["error"] == "unavailable"
        assert down.headers["Retry-After"]
        assert client.get("/healthz").status_code == 200  # liveness does not need the store
        assert client.post("/token", data={"grant_type": "refresh_token"}).status_code == 503
    finally:
        redis_server.start()
    fresh = app.state.services.tokens.mint_api_token(who)  # no persistence: state starts empty
    assert (
        client.get("/api/whoami", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200
    )

"""The Redis store behaves like the embedded one: values, expiry, atomic single use.
Expiry is Redis' own (its clock, not the connector's): the tests read the lifetimes Redis
holds and move a deadline into the past rather than wait for it."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from redisserver import RedisServer
from serving import client_for

from skillport_connector.auth import Identity, TokenService
from skillport_connector.store.redis import RedisStore

pytestmark = pytest.mark.needs_redis


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


def test_a_value_is_read_back_until_deleted(store):
    store.put("k", {"v": [1, "x"]})
    assert store.get("k") == {"v": [1, "x"]}
    assert store.delete("k") and store.get("k") is None


@pytest.fixture
def raw(redis_url):
    """Redis itself, to read and move the lifetimes the store set."""
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


def test_a_lifetime_becomes_a_redis_expiry_of_that_many_milliseconds(store, raw):
    store.put("k", {"v": 1}, ttl=300)
    assert 299_000 < raw.pttl(store.prefix + "k") <= 300_000
    store.put("forever", {"v": 1})
    assert raw.pttl(store.prefix + "forever") == -1  # no lifetime: no expiry


def test_the_used_marker_of_a_claim_expires_with_its_value(store, raw):
    store.put("k", {"v": 1}, ttl=300)
    assert store.claim("k") == ({"v": 1}, True)
    value_left = raw.pttl(store.prefix + "k")
    assert 0 < raw.pttl(store.prefix + "k:used") <= value_left + 5  # never outlives it


def test_a_counter_expires_at_the_end_of_its_first_window(store, raw):
    assert store.incr("n", ttl=60) == 1
    first = raw.pttl(store.prefix + "n")
    assert 59_000 < first <= 60_000
    assert store.incr("n", ttl=60) == 2
    assert raw.pttl(store.prefix + "n") <= first  # a later hit does not extend the window


def test_a_value_past_its_redis_deadline_is_gone_and_cannot_be_claimed(store, raw):
    store.put("k", {"v": 1}, ttl=300)
    assert store.get("k") == {"v": 1}
    now_seconds, now_micros = raw.time()  # Redis' clock decides, not this process's
    raw.pexpireat(store.prefix + "k", now_seconds * 1000 + now_micros // 1000 - 1)
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


def test_api_and_single_use_install_tokens_work_on_redis(store):
    tokens = TokenService(store)
    who = Identity.local("r@example.com")
    token = tokens.mint_api_token(who)
    assert tokens.identity_for(token) == who
    ticket = tokens.mint_install_token(who, "s", "1.0.0")
    assert tokens.redeem_install_token(ticket).status == "ok"
    assert tokens.redeem_install_token(ticket).status == "used"


def test_redis_down_gives_503_then_recovers_without_manual_steps(redis_server, make_app):
    app = make_app(redis_url=redis_server.url)
    client = client_for(app)
    who = Identity.local("down@example.com")
    token = app.state.services.tokens.mint_api_token(who)
    assert (
        client.get("/api/whoami", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )
    redis_server.stop()
    try:
        # Verified tokens are cached while the invalidation channel is up; once the
        # connector has noticed the channel is gone it reads the store, so it answers 503.
        invalidation = app.state.store.invalidation
        deadline = time.monotonic() + 10
        while invalidation.epoch() is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert invalidation.epoch() is None
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

"""The Redis store behaves like the embedded one: values, expiry, atomic single use."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from redisserver import RedisServer

from skillport_connector.auth import Identity, TokenService
from skillport_connector.store.redis import RedisStore


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server.url
    server.stop()


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

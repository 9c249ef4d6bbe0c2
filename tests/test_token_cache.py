"""Verified credentials are read from memory, and a revocation empties that memory on
every instance before the revoking call returns (SQLite: other processes see the file
change; Redis: every listening instance acknowledges)."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet
from redisserver import RedisServer

from skillport_connector.auth import Identity, TokenService
from skillport_connector.clock import FakeClock
from skillport_connector.store import CACHED_PREFIXES, SQLiteStore, StoreUnavailable, keys
from skillport_connector.store.cached import DISTRUST, CachedStore
from skillport_connector.store.encrypted import EncryptedStore
from skillport_connector.store.invalidation import RedisInvalidation, SQLiteInvalidation
from skillport_connector.store.redis import RedisStore

KEY = Fernet.generate_key().decode()
ALICE = Identity.local("alice@example.com")


def sqlite_instance(path, clock=None) -> tuple[CachedStore, SQLiteStore]:
    clock = clock or FakeClock()
    raw = SQLiteStore(path, clock=clock)
    cached = CachedStore(
        EncryptedStore(raw, KEY), SQLiteInvalidation(raw), CACHED_PREFIXES, clock=clock
    )
    return cached, raw


def test_a_verified_token_is_answered_from_memory(tmp_path):
    store, raw = sqlite_instance(tmp_path / "s.db")
    tokens = TokenService(store)
    token = tokens.mint_api_token(ALICE)
    assert tokens.identity_for(token) == ALICE
    # Behind the cache's back, on its own connection (no other process wrote).
    raw.delete(keys.hashed(keys.API_TOKEN, token))
    assert tokens.identity_for(token) == ALICE


def test_a_record_handed_out_from_memory_is_the_callers_own_copy(tmp_path):
    store, _ = sqlite_instance(tmp_path / "s.db")
    key = keys.hashed(keys.API_TOKEN, TokenService(store).mint_api_token(ALICE))
    store.get(key)  # now in memory
    store.get(key).clear()  # type: ignore[union-attr]
    assert store.get(key) == {"user": ALICE.as_dict()}


def test_the_identity_kept_with_a_token_goes_with_its_revocation(tmp_path):
    server, _ = sqlite_instance(tmp_path / "s.db")
    cli, _ = sqlite_instance(tmp_path / "s.db")
    token = TokenService(cli).mint_api_token(ALICE)
    first = TokenService(server).identity_for(token)
    assert TokenService(server).identity_for(token) is first  # parsed once, kept
    TokenService(cli).revoke_api_token(token)
    assert TokenService(server).identity_for(token) is None


def test_a_token_revoked_by_another_process_is_refused_at_once(tmp_path):
    server, _ = sqlite_instance(tmp_path / "s.db")
    cli, _ = sqlite_instance(tmp_path / "s.db")
    token = TokenService(cli).mint_api_token(ALICE)
    assert TokenService(server).identity_for(token) == ALICE
    TokenService(cli).revoke_api_token(token)
    assert TokenService(server).identity_for(token) is None


def test_a_token_revoked_in_this_process_is_refused_at_once(tmp_path):
    store, _ = sqlite_instance(tmp_path / "s.db")
    tokens = TokenService(store)
    token = tokens.mint_api_token(ALICE)
    assert tokens.identity_for(token) == ALICE
    tokens.revoke_api_token(token)
    assert tokens.identity_for(token) is None


def test_a_cached_token_is_not_trusted_past_its_expiry(tmp_path):
    clock = FakeClock()
    store, _ = sqlite_instance(tmp_path / "s.db", clock)
    tokens = TokenService(store)
    token = tokens.mint_api_token(ALICE, ttl=30)
    assert tokens.identity_for(token) == ALICE
    clock.advance(31)
    assert tokens.identity_for(token) is None


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("tokencache"))
    yield server.url
    server.stop()


def redis_instance(url: str) -> tuple[CachedStore, RedisInvalidation]:
    raw = RedisStore(url, prefix="cache-test:")
    invalidation = RedisInvalidation(raw)
    assert invalidation._changes.wait_subscribed(10)  # type: ignore[attr-defined]
    assert invalidation._answers.wait_subscribed(10)  # type: ignore[attr-defined]
    return CachedStore(EncryptedStore(raw, KEY), invalidation, CACHED_PREFIXES), invalidation


@pytest.mark.needs_redis
def test_a_token_revoked_on_one_instance_is_refused_by_the_other_when_the_call_returns(
    redis_url,
):
    a, _ = redis_instance(redis_url)
    b, _ = redis_instance(redis_url)
    token = TokenService(a).mint_api_token(ALICE)
    for _ in range(2):  # the second answer comes from B's memory
        assert TokenService(b).identity_for(token) == ALICE
    TokenService(a).revoke_api_token(token)
    assert TokenService(b).identity_for(token) is None
    a.close()
    b.close()


@pytest.mark.needs_redis
def test_an_instance_that_cannot_hear_revocations_reads_the_store_every_time(redis_url):
    a, _ = redis_instance(redis_url)
    b, deaf = redis_instance(redis_url)
    token = TokenService(a).mint_api_token(ALICE)
    assert TokenService(b).identity_for(token) == ALICE
    deaf._changes.close()
    assert deaf.epoch() is None
    TokenService(a).revoke_api_token(token)
    assert TokenService(b).identity_for(token) is None
    a.close()
    b.close()


BOB = Identity.local("bob@example.com")


def split_instance(data_url: str, channel_url: str, clock: FakeClock) -> tuple[CachedStore, Any]:
    """A store whose data and whose invalidation channel are on two Redis servers, so the
    data can fail while the channel stays up (the gap before a subscription notices)."""
    raw = RedisStore(data_url, prefix="split-test:")
    invalidation = RedisInvalidation(RedisStore(channel_url, prefix="split-test:"))
    assert invalidation._changes.wait_subscribed(10)  # type: ignore[attr-defined]
    assert invalidation._answers.wait_subscribed(10)  # type: ignore[attr-defined]
    cached = CachedStore(EncryptedStore(raw, KEY), invalidation, CACHED_PREFIXES, clock=clock)
    return cached, raw


@pytest.mark.needs_redis
def test_after_a_store_error_no_token_is_answered_from_memory(redis_url, tmp_path):
    data = RedisServer(tmp_path)
    store, _ = split_instance(data.url, redis_url, FakeClock())
    tokens = TokenService(store)
    remembered, other = tokens.mint_api_token(ALICE), tokens.mint_api_token(BOB)
    assert tokens.identity_for(remembered) == ALICE
    data.stop()
    try:
        assert tokens.identity_for(remembered) == ALICE  # from memory: nothing failed yet
        with pytest.raises(StoreUnavailable):
            tokens.identity_for(other)  # a read that reaches the store fails
        with pytest.raises(StoreUnavailable):
            tokens.identity_for(remembered)  # and memory is no longer trusted
    finally:
        store.close()


@pytest.mark.needs_redis
def test_memory_is_trusted_again_once_the_store_has_answered_for_a_while(redis_url, tmp_path):
    data, clock = RedisServer(tmp_path), FakeClock()
    store, raw = split_instance(data.url, redis_url, clock)
    tokens = TokenService(store)
    token = tokens.mint_api_token(ALICE)
    data.stop()
    with pytest.raises(StoreUnavailable):
        tokens.identity_for(token)
    data.start()
    try:
        token = tokens.mint_api_token(ALICE)  # the restart lost the data: mint again
        assert tokens.identity_for(token) == ALICE
        raw.delete(keys.hashed(keys.API_TOKEN, token))  # behind the cache's back
        assert tokens.identity_for(token) is None  # still distrusted: read from the store
        token = tokens.mint_api_token(ALICE)
        clock.advance(DISTRUST)
        assert tokens.identity_for(token) == ALICE
        raw.delete(keys.hashed(keys.API_TOKEN, token))
        assert tokens.identity_for(token) == ALICE  # from memory again
    finally:
        store.close()
        data.stop()  # the restarted server, not left running after the test

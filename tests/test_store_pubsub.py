"""The stores' publish/subscribe pair: Redis delivers small JSON objects to every
subscriber of a channel and nothing else; the embedded store has nobody to tell."""

from __future__ import annotations

import queue

import pytest
import redis
from redisserver import RedisServer

from skillport_connector.store import SQLiteStore
from skillport_connector.store.redis import RedisStore


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("pubsub"))
    yield server.url
    server.stop()


@pytest.mark.needs_redis
def test_a_message_published_by_one_instance_reaches_a_subscriber_on_another(redis_url):
    sender, receiver = RedisStore(redis_url), RedisStore(redis_url)
    heard: queue.Queue[dict] = queue.Queue()
    subscription = receiver.subscribe("events:test", heard.put)
    try:
        assert subscription.wait_subscribed(10)  # type: ignore[attr-defined]
        assert sender.publish("events:test", {"commit": "abc"}) == 1
        assert heard.get(timeout=10) == {"commit": "abc"}
    finally:
        subscription.close()


@pytest.mark.needs_redis
def test_what_is_not_a_small_json_object_never_reaches_the_listener(redis_url):
    store = RedisStore(redis_url, prefix="hostile:")
    heard: queue.Queue[dict] = queue.Queue()
    subscription = store.subscribe("events:test", heard.put)
    raw = redis.Redis.from_url(redis_url)
    try:
        assert subscription.wait_subscribed(10)  # type: ignore[attr-defined]
        for junk in (b"not json", b"[1,2]", b'"text"', b'{"a":"' + b"x" * 5000 + b'"}'):
            raw.publish("hostile:events:test", junk)
        store.publish("events:test", {"last": True})
        assert heard.get(timeout=10) == {"last": True}
        assert heard.empty()
    finally:
        subscription.close()
        raw.close()


def test_the_embedded_store_publishes_to_nobody(tmp_path):
    store = SQLiteStore(tmp_path / "s.db")
    subscription = store.subscribe("events:test", lambda message: None)
    assert store.publish("events:test", {"commit": "abc"}) == 0
    subscription.close()

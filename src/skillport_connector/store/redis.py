from __future__ import annotations

import contextlib
import functools
import json
import logging
import threading
import time
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .base import Listener, StoreUnavailable, Subscription

log = logging.getLogger("skillport_connector.store.redis")
#: Largest pub/sub message a listener is handed; anything bigger is not ours.
MAX_MESSAGE_BYTES = 4096

# GET the value and, in the same atomic step, set the "used" marker only if absent, with
# the value's remaining lifetime: the primitive behind single-use tokens on many instances.
_CLAIM = """
local v = redis.call('GET', KEYS[1])
if not v then return nil end
local ttl = redis.call('PTTL', KEYS[1])
local ok
if ttl > 0 then
  ok = redis.call('SET', KEYS[2], '1', 'NX', 'PX', ttl)
else
  ok = redis.call('SET', KEYS[2], '1', 'NX')
end
if ok then return {v, 1} end
return {v, 0}
"""


def _guard(method: Any) -> Any:
    """Turn connection failures into StoreUnavailable (answered with 503, never 500)."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise StoreUnavailable(f"Redis is unreachable: {exc}") from None

    return wrapper


class RedisStore:
    """Shared state for several instances (``SKILLPORT_REDIS_URL``). Redis enforces expiry."""

    def __init__(self, url: str, *, prefix: str = "skillport:") -> None:
        self.url = url
        self.prefix = prefix
        self._db = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._claim = self._db.register_script(_CLAIM)

    def _k(self, key: str) -> str:
        return self.prefix + key

    @_guard
    def put(self, key: str, value: dict[str, Any], ttl: float | None = None) -> None:
        data = json.dumps(value, separators=(",", ":"))
        pipe = self._db.pipeline(transaction=True)
        if ttl is None:
            pipe.set(self._k(key), data)
        else:
            pipe.set(self._k(key), data, px=max(1, int(ttl * 1000)))
        pipe.delete(self._k(key) + ":used")
        pipe.execute()

    @_guard
    def get(self, key: str) -> dict[str, Any] | None:
        raw = self._db.get(self._k(key))
        return json.loads(raw) if raw is not None else None

    @_guard
    def delete(self, key: str) -> bool:
        return bool(self._db.delete(self._k(key), self._k(key) + ":used"))

    @_guard
    def claim(self, key: str) -> tuple[dict[str, Any] | None, bool]:
        result = self._claim(keys=[self._k(key), self._k(key) + ":used"])
        if result is None:
            return None, False
        raw, first = result
        return json.loads(raw), bool(first)

    @_guard
    def incr(self, key: str, ttl: float) -> int:
        pipe = self._db.pipeline(transaction=True)
        pipe.incr(self._k(key))
        pipe.pexpire(self._k(key), max(1, int(ttl * 1000)), nx=True)
        count, _ = pipe.execute()
        return int(count)

    @_guard
    def publish(self, channel: str, message: dict[str, Any]) -> int:
        data = json.dumps(message, separators=(",", ":"))
        return int(self._db.publish(self._k(channel), data))  # type: ignore[arg-type]

    def subscribe(self, channel: str, listener: Listener) -> Subscription:
        # Its own connection, with no silent reconnects: every lost connection surfaces,
        # so the subscription knows it may have missed messages (see ``generation``).
        db = redis.Redis.from_url(
            self.url, socket_connect_timeout=5, health_check_interval=5, retry=Retry(NoBackoff(), 0)
        )
        return _RedisSubscription(db, self._k(channel), listener)

    @_guard
    def get_expiring(self, key: str) -> tuple[dict[str, Any] | None, float | None]:
        pipe = self._db.pipeline(transaction=False)
        pipe.get(self._k(key))
        pipe.pttl(self._k(key))
        raw, pttl = pipe.execute()
        if raw is None:
            return None, None
        return json.loads(raw), (time.time() + pttl / 1000 if pttl >= 0 else None)

    @_guard
    def ping(self) -> bool:
        return bool(self._db.ping())

    def close(self) -> None:
        self._db.close()


def _parse_message(data: object) -> dict[str, Any] | None:
    """A published message, or None when it is not a small JSON object (hostile input)."""
    if not isinstance(data, bytes | str) or len(data) > MAX_MESSAGE_BYTES:
        return None
    try:
        value = json.loads(data)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


class _RedisSubscription:
    """One channel listened to by a daemon thread that survives Redis restarts: it
    (re)subscribes until it succeeds, and a lost connection is retried every second."""

    def __init__(self, db: redis.Redis, channel: str, listener: Listener) -> None:
        self._db = db
        self._pubsub = db.pubsub()
        self._channel = channel
        self._listener = listener
        self._stop = threading.Event()
        self._subscribed = threading.Event()
        #: Successful (re)subscriptions so far: a change means messages may have been missed.
        self.generation = 0
        self._thread = threading.Thread(target=self._run, name="skillport-pubsub", daemon=True)
        self._thread.start()

    @property
    def subscribed(self) -> bool:
        return self._subscribed.is_set()

    def wait_subscribed(self, timeout: float) -> bool:
        """True once the channel is subscribed (tests and start-up ordering)."""
        return self._subscribed.wait(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if not self._pubsub.subscribed:
                    self._pubsub.subscribe(self._channel)
                message = self._pubsub.get_message(timeout=0.5)
            except Exception as exc:  # any failure: start again on a fresh connection
                if self._subscribed.is_set():
                    log.warning("pub/sub connection lost, retrying: %s", exc)
                self._subscribed.clear()
                with contextlib.suppress(Exception):
                    self._pubsub.reset()
                self._pubsub = self._db.pubsub()
                self._stop.wait(1.0)
                continue
            if message is not None and message.get("type") == "subscribe":
                # Redis confirmed: from here on nothing published on the channel is missed.
                self.generation += 1
                self._subscribed.set()
            if message is None or message.get("type") != "message":
                continue
            parsed = _parse_message(message.get("data"))
            if parsed is None:
                continue
            try:
                self._listener(parsed)
            except Exception:  # a listener's bug must not end the subscription
                log.exception("pub/sub listener failed")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._subscribed.clear()
        with contextlib.suppress(Exception):
            self._pubsub.close()
        self._db.close()

"""Verified credentials read from memory: a read-through cache that a revocation empties
on every instance before the revoking call returns.

Every authenticated request reads its token's record (and, for OAuth, its grant
family): a store round trip, a decryption and a JSON parse, most of the connector's own
work on a listing. :class:`CachedStore` keeps those records (keys under ``prefixes``) in
memory, each under the *epoch* its :class:`Invalidation` reported when it was read, and
for no longer than the record's own expiry or ``max_age``, whichever comes first.

Any change to a cached key (a revocation deletes a token or marks its family revoked)
goes to the store first, then empties this instance's cache and calls
:meth:`Invalidation.everywhere`, which returns once every other instance has emptied
its own (Redis: an announcement they acknowledge; SQLite: other processes see the file
change through ``PRAGMA data_version``). While an instance cannot hear invalidations
(its Redis subscription is down) its epoch is ``None`` and nothing is served from memory.

A store error (Redis unreachable) can come before the subscription notices that its own
connection is gone, and in that gap an announcement can be missed. So any store error
empties the cache, and nothing is served from memory again until the invalidation
channel starts a new epoch (it subscribed again) or :data:`DISTRUST` seconds have
passed without another error (time for the subscription's own health check to fail).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Hashable, Iterator
from typing import Any, Protocol, TypeVar

from ..clock import Clock, system_clock
from .base import Listener, Store, StoreUnavailable, Subscription

T = TypeVar("T")
#: Longest a record is trusted from memory, whatever its expiry.
MAX_AGE = 60.0
#: Most records kept (the cache is emptied when it would grow past this).
MAX_ENTRIES = 20_000
#: Seconds nothing is served from memory after a store error (Redis checks a subscription's
#: connection every 5 s), unless the invalidation channel starts a new epoch sooner.
DISTRUST = 10.0


class Invalidation(Protocol):
    def epoch(self) -> Hashable | None:
        """Changes whenever something may have been invalidated here; None: do not cache."""
        ...

    def everywhere(self) -> None:
        """Return once every instance has dropped what it cached before this call."""
        ...

    def close(self) -> None: ...


class CachedStore:
    def __init__(
        self,
        inner: Store,
        invalidation: Invalidation,
        prefixes: tuple[str, ...],
        *,
        clock: Clock = system_clock,
        max_age: float = MAX_AGE,
    ) -> None:
        self.inner = inner
        self.invalidation = invalidation
        self.prefixes = prefixes
        self._clock = clock
        self._max_age = max_age
        #: key -> (epoch, until, record, what each parser made of the record)
        self._entries: dict[str, tuple[Hashable, float, dict[str, Any], dict[Any, Any]]] = {}
        self._lock = threading.Lock()
        #: After a store error: the epoch it happened in, and until when memory is distrusted.
        self._distrust: tuple[Hashable | None, float] | None = None

    def _cached(self, key: str) -> bool:
        return key.startswith(self.prefixes)

    def get(self, key: str) -> dict[str, Any] | None:
        return self.read(key, dict)

    def read(self, key: str, parse: Callable[[dict[str, Any]], T]) -> T | None:
        """``parse(record)``; for a cached key what ``parse`` made of the record is kept with
        it, under the same epoch, expiry and distrust (see :func:`.base.read`)."""
        if not self._cached(key):
            return self._parsed(self._inner_get(key), parse)
        epoch = self.invalidation.epoch()
        now = self._clock()
        if epoch is None or (self._distrust is not None and not self._trusted(epoch, now)):
            return self._parsed(self._inner_get(key), parse)
        hit = self._entries.get(key)
        if hit is not None and hit[0] == epoch and now < hit[1]:
            if parse is dict:
                return parse(hit[2])  # a copy: the caller may change it
            parsed = hit[3].get(parse)
            if parsed is None:
                parsed = hit[3][parse] = parse(hit[2])
            return parsed  # type: ignore[no-any-return]
        value, expires_at = self.get_expiring(key)
        if value is None:
            return None
        until = now + self._max_age
        if expires_at is not None:
            until = min(until, expires_at)
        parsed = parse(value)
        kept = {} if parse is dict else {parse: parsed}
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (epoch, until, dict(value), kept)
        return parsed

    @staticmethod
    def _parsed(record: dict[str, Any] | None, parse: Callable[[dict[str, Any]], T]) -> T | None:
        return None if record is None else parse(record)

    def _inner_get(self, key: str) -> dict[str, Any] | None:
        with self._watching():
            return self.inner.get(key)

    def _trusted(self, epoch: Hashable, now: float) -> bool:
        """False while a store error in this epoch is recent (see the module's note)."""
        distrust = self._distrust
        if distrust is None or distrust[0] != epoch or now >= distrust[1]:
            self._distrust = None
            return True
        return False

    @contextlib.contextmanager
    def _watching(self) -> Iterator[None]:
        """Run a store call; on a store error, forget everything and distrust memory."""
        try:
            yield
        except StoreUnavailable:
            try:
                epoch = self.invalidation.epoch()
            except Exception:  # the invalidation channel may be failing too
                epoch = None
            with self._lock:
                self._entries.clear()
                self._distrust = (epoch, self._clock() + DISTRUST)
            raise

    def get_expiring(self, key: str) -> tuple[dict[str, Any] | None, float | None]:
        with self._watching():
            return self.inner.get_expiring(key)

    def _changed(self, key: str) -> None:
        if self._cached(key):
            with self._lock:
                self._entries.clear()
            self.invalidation.everywhere()

    def put(self, key: str, value: dict[str, Any], ttl: float | None = None) -> None:
        # A new key (a token just minted) cannot be cached anywhere: nothing caches an
        # absence, and these keys are random digests nobody else creates meanwhile.
        existed = self._cached(key) and self.get_expiring(key)[0] is not None
        with self._watching():
            self.inner.put(key, value, ttl)
        if existed:
            self._changed(key)

    def delete(self, key: str) -> bool:
        with self._watching():
            deleted = self.inner.delete(key)
        self._changed(key)
        return deleted

    def claim(self, key: str) -> tuple[dict[str, Any] | None, bool]:
        with self._watching():
            return self.inner.claim(key)  # marks use; what get() returns does not change

    def incr(self, key: str, ttl: float) -> int:
        with self._watching():
            return self.inner.incr(key, ttl)

    def publish(self, channel: str, message: dict[str, Any]) -> int:
        with self._watching():
            return self.inner.publish(channel, message)

    def subscribe(self, channel: str, listener: Listener) -> Subscription:
        return self.inner.subscribe(channel, listener)

    def close(self) -> None:
        self.invalidation.close()
        self.inner.close()

"""How each store tells its instances that cached records may be stale (see :mod:`.cached`).

SQLite (one machine, maybe several processes): every change to a cached record is
followed by a new random value in a small file beside the database (``<db>-epoch``),
and that value is the epoch. Reading it is one ``pread`` per request (a ``PRAGMA
data_version`` costs a statement and two lock system calls, measured at a fifth of a
listing's time); every process that writes the store goes through :mod:`.cached`, so
every such change is announced there before the revoking call returns.

Redis (several instances): a change is announced on ``events:invalidate``; every instance
starts a new epoch and acknowledges on ``events:invalidated``; the announcer waits for as
many acknowledgements as Redis counted listeners. An instance whose subscription is down
has no epoch (it reads the store every time), and a re-subscription starts a new epoch,
so nothing cached before a gap is trusted after it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import threading
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from .base import StoreUnavailable

if TYPE_CHECKING:  # the redis client is imported only where a Redis store is opened
    from .redis import RedisStore
    from .sqlite import SQLiteStore

log = logging.getLogger("skillport_connector.store.invalidation")

CHANNEL = "events:invalidate"
ACK_CHANNEL = "events:invalidated"
#: Longest a change waits for the other instances' acknowledgements.
ACK_TIMEOUT = 2.0
#: Size of the SQLite epoch (random bytes).
EPOCH_BYTES = 16


class SQLiteInvalidation:
    def __init__(self, store: SQLiteStore) -> None:
        self.path = store.path.with_name(store.path.name + "-epoch")
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)

    def epoch(self) -> Hashable | None:
        return os.pread(self._fd, EPOCH_BYTES, 0)

    def everywhere(self) -> None:
        """A new value for every process's next :meth:`epoch`."""
        os.pwrite(self._fd, secrets.token_bytes(EPOCH_BYTES), 0)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)


class RedisInvalidation:
    def __init__(self, store: RedisStore, *, timeout: float = ACK_TIMEOUT) -> None:
        self.store = store
        self.instance = secrets.token_hex(8)
        self.timeout = timeout
        self._generation = 0
        self._acks: dict[str, set[str]] = {}
        self._cond = threading.Condition()
        self._changes = store.subscribe(CHANNEL, self._heard)
        self._answers = store.subscribe(ACK_CHANNEL, self._acknowledged)

    def epoch(self) -> Hashable | None:
        if not self._changes.subscribed:  # type: ignore[attr-defined]
            return None
        return (self._changes.generation, self._generation)  # type: ignore[attr-defined]

    def _heard(self, message: dict[str, Any]) -> None:
        nonce = message.get("nonce")
        if not isinstance(nonce, str) or len(nonce) > 64:
            return
        with self._cond:
            self._generation += 1
        # If this fails the announcer times out; our epoch has moved on regardless.
        with contextlib.suppress(StoreUnavailable):
            self.store.publish(ACK_CHANNEL, {"nonce": nonce, "by": self.instance})

    def _acknowledged(self, message: dict[str, Any]) -> None:
        nonce, by = message.get("nonce"), message.get("by")
        with self._cond:
            if isinstance(nonce, str) and isinstance(by, str) and nonce in self._acks:
                self._acks[nonce].add(by)
                self._cond.notify_all()

    def everywhere(self) -> None:
        nonce = secrets.token_hex(16)
        with self._cond:
            self._generation += 1
            self._acks[nonce] = set()
        try:
            listeners = self.store.publish(CHANNEL, {"nonce": nonce})
            with self._cond:
                done = self._cond.wait_for(
                    lambda: len(self._acks[nonce]) >= listeners, timeout=self.timeout
                )
            if not done:
                log.warning(
                    "%d of %d instances acknowledged a revocation in %.1fs; the others "
                    "stop trusting their cache when their subscription's health check fails",
                    len(self._acks[nonce]), listeners, self.timeout,
                )  # fmt: skip
        except StoreUnavailable as exc:
            log.warning(
                "could not announce a revocation (instances cut off read the store): %s", exc
            )
        finally:
            with self._cond:
                self._acks.pop(nonce, None)

    def close(self) -> None:
        self._changes.close()
        self._answers.close()

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from ..clock import Clock, system_clock
from .base import Listener, NoSubscription, Subscription

_UPSERT = "INSERT OR REPLACE INTO kv (key, value, expires_at, used) VALUES (?, ?, ?, 0)"


class SQLiteStore:
    """Embedded store: one SQLite file under the data directory.

    WAL mode lets the server and the ``token`` command share the file; each operation is
    one short transaction, so calling it from async code does not block for long. The
    database and its ``-wal`` and ``-shm`` files are readable by their owner only (0600):
    SQLite gives the side files the database's mode, so the database is created 0600
    before SQLite first opens it.
    """

    def __init__(self, path: str | os.PathLike[str], *, clock: Clock = system_clock) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        _create_private(self.path)
        self._clock = clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            self.path, timeout=30, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS kv ("
            " key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at REAL,"
            " used INTEGER NOT NULL DEFAULT 0)"
        )
        for name in ("", "-wal", "-shm"):  # files an older version left world-readable
            side = self.path.with_name(self.path.name + name)
            with contextlib.suppress(OSError):  # absent, or a read-only mount: keep going
                os.chmod(side, 0o600)
        self._last_sweep = 0.0

    def _expiry(self, ttl: float | None) -> float | None:
        return None if ttl is None else self._clock() + ttl

    def _sweep(self, now: float) -> None:
        if now - self._last_sweep > 60:
            self._last_sweep = now
            self._db.execute(
                "DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?", (now,)
            )

    def put(self, key: str, value: dict[str, Any], ttl: float | None = None) -> None:
        data = json.dumps(value, separators=(",", ":"))
        with self._lock:
            self._db.execute(_UPSERT, (key, data, self._expiry(ttl)))

    def get(self, key: str) -> dict[str, Any] | None:
        now = self._clock()
        with self._lock:
            self._sweep(now)
            row = self._db.execute(
                "SELECT value FROM kv WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)",
                (key, now),
            ).fetchone()
        return json.loads(row[0]) if row else None

    def get_expiring(self, key: str) -> tuple[dict[str, Any] | None, float | None]:
        now = self._clock()
        with self._lock:
            row = self._db.execute(
                "SELECT value, expires_at FROM kv WHERE key = ?"
                " AND (expires_at IS NULL OR expires_at > ?)",
                (key, now),
            ).fetchone()
        return (json.loads(row[0]), row[1]) if row else (None, None)

    def delete(self, key: str) -> bool:
        with self._lock:
            cur = self._db.execute("DELETE FROM kv WHERE key = ?", (key,))
        return cur.rowcount > 0

    def claim(self, key: str) -> tuple[dict[str, Any] | None, bool]:
        now = self._clock()
        with self._lock:
            # The UPDATE is the atomic step: only one caller, in any process, flips used 0 -> 1.
            cur = self._db.execute(
                "UPDATE kv SET used = 1 WHERE key = ? AND used = 0"
                " AND (expires_at IS NULL OR expires_at > ?)",
                (key, now),
            )
            first = cur.rowcount == 1
            row = self._db.execute(
                "SELECT value FROM kv WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)",
                (key, now),
            ).fetchone()
        if row is None:
            return None, False
        return json.loads(row[0]), first

    def incr(self, key: str, ttl: float) -> int:
        now = self._clock()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    "SELECT value FROM kv WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)",
                    (key, now),
                ).fetchone()
                count = (json.loads(row[0])["n"] if row else 0) + 1
                if row:
                    self._db.execute(
                        "UPDATE kv SET value = ? WHERE key = ?", (json.dumps({"n": count}), key)
                    )
                else:
                    self._db.execute(_UPSERT, (key, json.dumps({"n": count}), now + ttl))
                self._db.execute("COMMIT")
            except Exception:
                self._db.execute("ROLLBACK")
                raise
        return count

    def publish(self, channel: str, message: dict[str, Any]) -> int:
        """One instance: nobody else to tell."""
        return 0

    def subscribe(self, channel: str, listener: Listener) -> Subscription:
        return NoSubscription()

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _create_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists (whatever the umask)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))

"""Fixed-window rate limits kept in the shared store, so every instance counts together."""

from __future__ import annotations

import time

from ..store import Store


class RateLimited(Exception):
    def __init__(self, retry_after: int, what: str) -> None:
        super().__init__(f"Too many {what}; try again in {retry_after} s.")
        self.retry_after = retry_after


class RateLimiter:
    def __init__(self, store: Store, *, window: int = 60) -> None:
        self.store = store
        self.window = window

    def hit(self, scope: str, subject: str, limit: int, what: str) -> None:
        """Count one request of ``subject`` in ``scope``; RateLimited past ``limit`` per window."""
        if limit <= 0:
            return
        now = time.time()
        slot = int(now // self.window)
        count = self.store.incr(f"rl:{scope}:{subject}:{slot}", ttl=self.window)
        if count > limit:
            raise RateLimited(max(1, int(self.window - now % self.window) + 1), what)

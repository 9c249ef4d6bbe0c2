"""Fixed-window rate limits kept in the shared store, so every instance counts together."""

from __future__ import annotations

from ..clock import Clock, system_clock
from ..errors import RateLimited
from ..store import Store, keys

__all__ = ["RateLimited", "RateLimiter"]


class RateLimiter:
    def __init__(self, store: Store, *, window: int = 60, clock: Clock = system_clock) -> None:
        self.store = store
        self.window = window
        self.clock = clock

    def hit(self, scope: str, subject: str, limit: int, what: str) -> None:
        """Count one request of ``subject`` in ``scope``; RateLimited past ``limit`` per window."""
        if limit <= 0:
            return
        now = self.clock()
        slot = int(now // self.window)
        count = self.store.incr(keys.rate_limit(scope, subject, slot), ttl=self.window)
        if count > limit:
            retry_after = max(1, int(self.window - now % self.window) + 1)
            raise RateLimited(
                f"Too many {what}; try again in {retry_after} s.", retry_after=retry_after
            )

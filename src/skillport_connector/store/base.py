from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

#: Called with each message published on a channel (in a background thread).
Listener = Callable[[dict[str, Any]], None]
T = TypeVar("T")


class StoreUnavailable(Exception):
    """The state store cannot be reached; callers answer 503 and keep nothing half-done."""


class Subscription(Protocol):
    def close(self) -> None:
        """Stop listening; no callback runs after this returns."""
        ...


class NoSubscription:
    """What a one-instance store hands out: nothing to listen to, nothing to stop."""

    def close(self) -> None:
        return None


class Store(Protocol):
    """The state interface every backend implements.

    ``claim`` is the primitive single-use tokens rely on: it marks a record as used and
    tells the caller whether it was the first to do so, atomically across processes.
    """

    def put(self, key: str, value: dict[str, Any], ttl: float | None = None) -> None: ...

    def get(self, key: str) -> dict[str, Any] | None: ...

    def get_expiring(self, key: str) -> tuple[dict[str, Any] | None, float | None]:
        """The value and when it expires (seconds since the epoch; None: never)."""
        ...

    def delete(self, key: str) -> bool: ...

    def claim(self, key: str) -> tuple[dict[str, Any] | None, bool]:
        """Mark ``key`` used. Returns ``(value, first)``; ``(None, False)`` when absent."""
        ...

    def incr(self, key: str, ttl: float) -> int:
        """Add one to a counter that disappears ``ttl`` seconds after its first increment."""
        ...

    def publish(self, channel: str, message: dict[str, Any]) -> int:
        """Announce ``message`` to every instance listening on ``channel`` (fire and
        forget; how many received it). Messages are hints, never authority: a listener
        re-reads what they point at. A one-instance store delivers nothing (0)."""
        ...

    def subscribe(self, channel: str, listener: Listener) -> Subscription:
        """Call ``listener`` for each message on ``channel`` until the subscription closes."""
        ...

    def close(self) -> None: ...


def read(store: Store, key: str, parse: Callable[[dict[str, Any]], T]) -> T | None:
    """``parse`` of the record under ``key`` (None when absent). A store that keeps records
    in memory (:class:`~.cached.CachedStore`) keeps what ``parse`` made of them too, so
    ``parse`` must return something immutable and must be the same function every time."""
    reader = getattr(store, "read", None)
    if reader is not None:
        return reader(key, parse)  # type: ignore[no-any-return]
    record = store.get(key)
    return None if record is None else parse(record)

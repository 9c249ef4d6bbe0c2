from __future__ import annotations

from typing import Any, Protocol


class StoreUnavailable(Exception):
    """The state store cannot be reached; callers answer 503 and keep nothing half-done."""


class Store(Protocol):
    """The state interface every backend implements.

    ``claim`` is the primitive single-use tokens rely on: it marks a record as used and
    tells the caller whether it was the first to do so, atomically across processes.
    """

    def put(self, key: str, value: dict[str, Any], ttl: float | None = None) -> None: ...

    def get(self, key: str) -> dict[str, Any] | None: ...

    def delete(self, key: str) -> bool: ...

    def claim(self, key: str) -> tuple[dict[str, Any] | None, bool]:
        """Mark ``key`` used. Returns ``(value, first)``; ``(None, False)`` when absent."""
        ...

    def incr(self, key: str, ttl: float) -> int:
        """Add one to a counter that disappears ``ttl`` seconds after its first increment."""
        ...

    def close(self) -> None: ...

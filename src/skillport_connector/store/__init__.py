"""Key-value state that is not in git: tokens, and later OAuth clients, codes, counters.

One small interface (:class:`Store`) with an embedded SQLite implementation that survives
restarts. Values are JSON-serialisable dicts; every key may carry an expiry that the store
enforces itself, so an expired token is gone even if nobody cleans up.
"""

from .base import Store
from .sqlite import SQLiteStore

__all__ = ["SQLiteStore", "Store"]

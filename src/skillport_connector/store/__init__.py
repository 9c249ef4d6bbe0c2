"""Key-value state that is not in git: tokens, and later OAuth clients, codes, counters.

One small interface (:class:`Store`) with an embedded SQLite implementation that survives
restarts. Values are JSON-serialisable dicts; every key may carry an expiry that the store
enforces itself, so an expired token is gone even if nobody cleans up.
"""

from typing import Any

from ..clock import Clock, system_clock
from . import keys
from .base import Store, StoreUnavailable
from .sqlite import SQLiteStore

__all__ = ["SQLiteStore", "Store", "StoreUnavailable", "keys", "open_store"]


def open_store(settings: Any, *, clock: Clock = system_clock) -> Store:
    """Redis when ``SKILLPORT_REDIS_URL`` is set (several instances), else SQLite on disk;
    either way with values encrypted at rest. ``clock`` is SQLite's (Redis keeps its own)."""
    from .encrypted import EncryptedStore, load_or_create_key

    inner: Store
    if settings.redis_url:
        from .redis import RedisStore

        inner = RedisStore(settings.redis_url)
    else:
        inner = SQLiteStore(settings.store_path, clock=clock)
    key = settings.secret_key or load_or_create_key(settings.data_dir / "secret.key")
    return EncryptedStore(inner, key)

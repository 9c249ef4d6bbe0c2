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

#: Records read on every authenticated request, kept in memory until revoked (see .cached).
CACHED_PREFIXES = (keys.API_TOKEN, keys.OAUTH_ACCESS, keys.OAUTH_FAMILY)

__all__ = ["SQLiteStore", "Store", "StoreUnavailable", "keys", "open_store"]


def open_store(settings: Any, *, clock: Clock = system_clock) -> Store:
    """Redis when ``SKILLPORT_REDIS_URL`` is set (several instances), else SQLite on disk;
    either way with values encrypted at rest and verified credentials cached in memory
    until a revocation reaches every instance. ``clock`` is SQLite's (Redis keeps its own)."""
    from .cached import CachedStore, Invalidation
    from .encrypted import EncryptedStore, load_or_create_key
    from .invalidation import RedisInvalidation, SQLiteInvalidation

    inner: Store
    invalidation: Invalidation
    if settings.redis_url:
        from .redis import RedisStore

        redis_store = RedisStore(settings.redis_url)
        inner, invalidation = redis_store, RedisInvalidation(redis_store)
    else:
        sqlite_store = SQLiteStore(settings.store_path, clock=clock)
        inner, invalidation = sqlite_store, SQLiteInvalidation(sqlite_store)
    key = settings.secret_key or load_or_create_key(settings.data_dir / "secret.key")
    cache_clock = system_clock if settings.redis_url else clock
    return CachedStore(EncryptedStore(inner, key), invalidation, CACHED_PREFIXES, clock=cache_clock)

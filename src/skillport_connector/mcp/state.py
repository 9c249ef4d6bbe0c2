"""fastmcp's per-client state, kept without its key-value library.

fastmcp keeps per-client state (visibility rules, ``ctx.set_state`` values, user sessions)
in a ``key_value`` store that it creates on the first list, read or call. Importing that
library costs ~6 MB of memory and 0.6 to 0.9 s (it is instrumented by beartype as it is
imported), paid by the first request after every start. This server sets no visibility
rules and keeps no state of its own (it is stateless HTTP), so fastmcp only ever looks
here and finds nothing; whatever fastmcp itself stores is kept in a bounded dict, each
entry until its expiry, the way its in-memory store would.
"""

from __future__ import annotations

from typing import Any, SupportsFloat

from fastmcp import FastMCP

from ..clock import Clock, system_clock

#: Entries kept at most (the oldest go first).
MAX_ENTRIES = 10_000


class SessionState:
    """The store interface fastmcp uses (``get``, ``put``, ``delete`` by key and collection),
    in memory."""

    def __init__(self, clock: Clock = system_clock, max_entries: int = MAX_ENTRIES) -> None:
        self.clock = clock
        self.max_entries = max_entries
        self._entries: dict[tuple[str | None, str], tuple[Any, float | None]] = {}

    async def get(self, key: str, *, collection: str | None = None, default: Any = None) -> Any:
        found = self._entries.get((collection, key))
        if found is None:
            return default
        value, expires = found
        if expires is not None and self.clock() >= expires:
            del self._entries[(collection, key)]
            return default
        return value

    async def put(
        self, key: str, value: Any, *, collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:  # fmt: skip
        expires = None if ttl is None else self.clock() + float(ttl)
        self._entries.pop((collection, key), None)  # re-inserted last: the newest
        self._entries[(collection, key)] = (value, expires)
        while len(self._entries) > self.max_entries:
            del self._entries[next(iter(self._entries))]

    async def delete(self, key: str, *, collection: str | None = None) -> bool:
        return self._entries.pop((collection, key), None) is not None


class LightFastMCP(FastMCP):
    """FastMCP whose per-client state is a :class:`SessionState`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._session_state = SessionState()

    @property
    def _state_store(self) -> Any:  # fastmcp's lazily built key-value adapter, replaced
        return self._session_state

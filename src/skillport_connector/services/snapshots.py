"""Per-snapshot state (the access policy, memoised listings) that dies with its snapshot.

Keyed weakly by the :class:`~skillport_connector.catalog.Catalog`: once a refresh swaps in
a new snapshot and the last request using the old one ends, the old catalog, its git
reader process and everything cached for it go away together. Nothing here holds a
catalog strongly.
"""

from __future__ import annotations

import sys
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from ..access import AccessPolicy
from ..catalog import Catalog

T = TypeVar("T")
#: Memoised values kept per snapshot (listings per view and surface), at most, ...
MAX_MEMO = 256
#: ... and at most this many bytes of them (:func:`footprint`; the latest always): at
#: 50,000 skills a listing's first page is ~300 KB, so 256 of them would be ~77 MB.
MAX_MEMO_BYTES = 24 * 1024 * 1024


def footprint(value: object) -> int:
    """About how many bytes ``value`` holds of its own: text and bytes by their length, a
    tuple by its parts, an answer by its body, any other container by its own table (what
    it holds is mostly the snapshot's records, which it shares)."""
    if isinstance(value, bytes | bytearray | str):
        return len(value)
    if isinstance(value, tuple):
        return sys.getsizeof(value) + sum(footprint(v) for v in value)
    body = getattr(value, "body", None)
    if isinstance(body, bytes):
        return sys.getsizeof(value) + len(body)
    return sys.getsizeof(value)


class _SnapshotState:
    __slots__ = ("memo", "policy", "size")

    def __init__(self, policy: AccessPolicy) -> None:
        self.policy = policy
        self.memo: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self.size = 0

    def put(self, key: Hashable, value: object) -> None:
        """Keep ``value``, dropping the least recently used past either bound (hold the
        lock)."""
        if key in self.memo:
            self.size -= self.memo.pop(key)[1]
        size = footprint(value)
        self.memo[key] = (value, size)
        self.size += size
        while len(self.memo) > 1 and (len(self.memo) > MAX_MEMO or self.size > MAX_MEMO_BYTES):
            self.size -= self.memo.popitem(last=False)[1][1]


class Snapshots:
    def __init__(self) -> None:
        self._states: weakref.WeakKeyDictionary[Catalog, _SnapshotState] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def _state(self, catalog: Catalog) -> _SnapshotState:
        state = self._states.get(catalog)
        if state is None:
            state = _SnapshotState(AccessPolicy.for_catalog(catalog))
            with self._lock:
                state = self._states.setdefault(catalog, state)
        return state

    def policy(self, catalog: Catalog) -> AccessPolicy:
        """The access policy of one snapshot (its own ``.skillport/access.json``)."""
        return self._state(catalog).policy

    def memo(self, catalog: Catalog, key: Hashable, build: Callable[[], T]) -> T:
        """``build()``, computed once per snapshot and key while kept (the most recently
        used keys are kept, within :data:`MAX_MEMO` values and :data:`MAX_MEMO_BYTES`)."""
        state = self._state(catalog)
        with self._lock:
            found = state.memo.get(key)
            if found is not None:
                state.memo.move_to_end(key)
                return found[0]  # type: ignore[return-value]
        value = build()
        with self._lock:
            state.put(key, value)
        return value

    def __len__(self) -> int:
        """Snapshots still alive with state (for tests and metrics)."""
        return len(self._states)

"""Per-snapshot state (the access policy, memoised listings) that dies with its snapshot.

Keyed weakly by the :class:`~skillport_connector.catalog.Catalog`: once a refresh swaps in
a new snapshot and the last request using the old one ends, the old catalog, its git
reader process and everything cached for it go away together. Nothing here holds a
catalog strongly.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from ..access import AccessPolicy
from ..catalog import Catalog

T = TypeVar("T")
#: Memoised values kept per snapshot (listings per view and surface).
MAX_MEMO = 256


class _SnapshotState:
    __slots__ = ("memo", "policy")

    def __init__(self, policy: AccessPolicy) -> None:
        self.policy = policy
        self.memo: OrderedDict[Hashable, object] = OrderedDict()


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
        """``build()``, computed once per snapshot and key (the most recent keys are kept)."""
        memo = self._state(catalog).memo
        try:
            value = memo[key]
        except KeyError:
            value = build()
            with self._lock:
                memo[key] = value
                while len(memo) > MAX_MEMO:
                    memo.popitem(last=False)
        return value  # type: ignore[return-value]

    def __len__(self) -> int:
        """Snapshots still alive with state (for tests and metrics)."""
        return len(self._states)

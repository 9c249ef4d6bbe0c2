"""A marketplace in a local directory, reloaded on demand. Read-only: it has no ``write``,
so it is a :class:`~skillport_connector.sources.base.Source` but not an editable one."""

from __future__ import annotations

import threading
from pathlib import Path

from .. import heap
from ..catalog import Catalog, Limits, load_catalog
from ..clock import Clock, system_clock
from .base import UpstreamHealth
from .tree import DirectoryTree


class LocalSource:
    """Holds the current catalog of a directory; :meth:`refresh` swaps in a new one.

    Readers take :attr:`catalog` once per request and keep using that object, so a refresh
    in the middle of a request never mixes two snapshots.
    """

    upstream_requests = 0

    def __init__(
        self,
        path: str | Path,
        limits: Limits | None = None,
        *,
        min_refresh_interval: float = 2.0,
        clock: Clock = system_clock,
    ) -> None:
        self.path = Path(path)
        self.min_refresh_interval = min_refresh_interval
        self.clock = clock
        if not self.path.is_dir():
            raise FileNotFoundError(f"marketplace folder {self.path} does not exist")
        self.limits = limits or Limits()
        self._lock = threading.Lock()
        self.loaded_at = 0.0
        self._catalog = self._load()

    def _load(self) -> Catalog:
        with heap.loading():
            catalog = load_catalog(DirectoryTree(self.path), self.limits)
        self.loaded_at = self.clock()
        return catalog

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    def refresh(self) -> Catalog:
        """Reload, unless the snapshot is younger than ``min_refresh_interval`` seconds.

        ``?refresh=true`` is open to every signed-in user; without the floor, a loop of
        them would keep the server re-reading the whole tree. Concurrent calls wait for
        the one reload in progress and share its result.
        """
        with self._lock:
            if self.clock() - self.loaded_at >= self.min_refresh_interval:
                self._catalog = self._load()
            return self._catalog

    def check(self) -> bool:
        """A webhook for a folder: reload (with the same floor); True when reloaded."""
        before = self._catalog
        return self.refresh() is not before

    def snapshot_age(self) -> float:
        return self.clock() - self.loaded_at

    def describe(self) -> str:
        return str(self.path)

    def health(self) -> UpstreamHealth:
        return {"commit": None, "stale": False, "last_error": None}

    def start(self) -> None:
        """Nothing to poll: a folder is re-read on ``?refresh=true``."""

    def stop(self) -> None:
        """Nothing to stop."""

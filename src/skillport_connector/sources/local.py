"""A marketplace in a local directory, reloaded on demand."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from ..catalog import Catalog, Limits, load_catalog
from .tree import DirectoryTree


class LocalSource:
    """Holds the current catalog of a directory; :meth:`refresh` swaps in a new one.

    Readers take :attr:`catalog` once per request and keep using that object, so a refresh
    in the middle of a request never mixes two snapshots.
    """

    def __init__(self, path: str | Path, limits: Limits | None = None) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise FileNotFoundError(f"marketplace folder {self.path} does not exist")
        self.limits = limits or Limits()
        self._lock = threading.Lock()
        self.loaded_at = 0.0
        self._catalog = self._load()

    def _load(self) -> Catalog:
        catalog = load_catalog(DirectoryTree(self.path), self.limits)
        self.loaded_at = time.time()
        return catalog

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    def refresh(self) -> Catalog:
        with self._lock:
            self._catalog = self._load()
            return self._catalog

    def describe(self) -> str:
        return str(self.path)

"""What every marketplace source offers the server: the :class:`Source` protocol.

A source holds the current immutable :class:`~skillport_connector.catalog.Catalog` and
swaps in a new one on :meth:`Source.refresh` (a request asked), :meth:`Source.check` (a
webhook or the poller said the remote may have moved) or after its own write. Readers take
``source.catalog`` once per request and keep that object, so a swap never mixes two
snapshots. A source that can also commit changes is an :class:`EditableSource`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ..catalog import Catalog

#: The upstream state a source reports: ``commit``, ``stale``, ``last_error`` and,
#: for git, the age of the last check and of the last success.
UpstreamHealth = dict[str, object]
#: Told the commit of each snapshot a source swaps in (from its own poll, check or write).
SnapshotListener = Callable[[str], None]
#: Given the catalogs before and after a change, the problems the change introduces.
Validator = Callable[[Catalog, Catalog], list[str]]


@dataclass(frozen=True)
class WriteResult:
    commit: str
    catalog: Catalog
    reapplied: bool


@runtime_checkable
class Source(Protocol):
    #: When the served snapshot was loaded (seconds since the epoch).
    loaded_at: float
    #: Requests made to a remote so far (0 for a local folder).
    upstream_requests: int

    @property
    def catalog(self) -> Catalog:
        """The snapshot to serve now."""
        ...

    def refresh(self) -> Catalog:
        """Reload now (at most once per minimum interval) and return the new snapshot."""
        ...

    def check(self) -> bool:
        """Look for a change (a webhook arrived); True when a new snapshot was swapped in."""
        ...

    def snapshot_age(self) -> float:
        """Seconds since the served snapshot was loaded, on the source's clock."""
        ...

    def health(self) -> UpstreamHealth: ...

    def describe(self) -> str:
        """Where the marketplace comes from, without credentials."""
        ...

    def start(self) -> None:
        """Start background work (the git poller); nothing for a folder."""
        ...

    def stop(self) -> None: ...


@runtime_checkable
class EditableSource(Source, Protocol):
    def write(
        self,
        base: Catalog,
        changes: dict[str, bytes | None],
        touched: tuple[str, ...],
        message: str,
        author: tuple[str, str],
        validate: Validator,
    ) -> WriteResult:
        """Apply ``changes`` on top of ``base`` as exactly one commit, or raise
        :class:`~skillport_connector.errors.Conflict` / ``InvalidRequest`` /
        ``Unavailable`` and write nothing."""
        ...


@runtime_checkable
class Announcing(Protocol):
    """A source whose snapshots have a commit id other instances can fetch too (git)."""

    @property
    def commit(self) -> str: ...

    def catch_up(self, commit: str) -> bool:
        """Fetch now: another instance announced ``commit`` (a hint; the remote decides)."""
        ...

    def add_listener(self, listener: SnapshotListener) -> None:
        """Call ``listener(commit)`` after every swap (in the thread that swapped)."""
        ...

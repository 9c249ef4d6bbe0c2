"""A marketplace in a git repository: snapshots per commit, polling, and one-commit writes.

Requests never wait on the network: they read :attr:`GitSource.catalog`, an immutable
snapshot built from one commit of a local bare mirror. A poll (one ``ls-remote``, a single
HTTP request when nothing changed), a webhook or ``?refresh=true`` fetches the new commit
and swaps in a new snapshot. If the remote is unreachable the last good snapshot keeps
serving and :meth:`health` says how stale it is.

Writes turn an editing :class:`~skillport_connector.editing.operations.Plan` into exactly
one commit on top of the snapshot the request read. If the branch moved meanwhile, the
plan is re-applied on the new head when none of the paths it touches changed there;
otherwise it is refused as a conflict. The push is a compare-and-swap
(``--force-with-lease``), so two instances can never overwrite each other.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path

from .. import errors, heap
from ..catalog import Catalog, Limits, load_catalog
from ..clock import Clock, system_clock
from .base import SnapshotListener, UpstreamHealth, Validator, WriteResult
from .gitrepo import (
    Credentials,
    GitError,
    GitRepo,
    GitTree,
    LeaseRejected,
    RemoteUnavailable,
    public_url,
)
from .tree import EntryKind

log = logging.getLogger("skillport_connector.sources.git")


class SourceUnavailable(Exception):
    """The marketplace cannot be loaded at all (no remote, no local copy)."""


class Conflict(errors.Conflict):
    """The branch moved and touched what the change touches; nothing was written."""

    def __init__(self, message: str, paths: list[str] | None = None) -> None:
        super().__init__(message)
        self.paths = paths or []


class Invalid(errors.InvalidRequest):
    """The change would add catalog errors; nothing was written."""

    def __init__(self, findings: list[str]) -> None:
        super().__init__(
            "The change would break the marketplace, so nothing was written: " + "; ".join(findings)
        )
        self.findings = findings


class GitSource:
    """A :class:`~skillport_connector.sources.base.EditableSource` over a git remote."""

    def __init__(
        self,
        url: str,
        *,
        branch: str = "main",
        data_dir: Path,
        credentials: Credentials | None = None,
        limits: Limits | None = None,
        poll_interval: float = 60.0,
        min_refresh_interval: float = 2.0,
        committer: tuple[str, str] = ("Skillport Connector", "skillport@localhost"),
        clock: Clock = system_clock,
    ) -> None:
        key = hashlib.sha256(f"{url}\0{branch}".encode()).hexdigest()[:16]
        self.repo = GitRepo(
            data_dir / "git" / f"{key}.git", url, branch, credentials or Credentials()
        )
        self.index_dir = data_dir / "git" / f"{key}.index"
        self.limits = limits or Limits()
        self.poll_interval = poll_interval
        self.min_refresh_interval = min_refresh_interval
        self.committer = committer
        self.clock = clock
        self._lock = threading.Lock()  # one fetch/load at a time
        self._write_lock = threading.Lock()  # one write at a time per process
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None
        self.last_check_at = 0.0
        self.last_success_at = 0.0
        self.last_error: str | None = None
        self.upstream_requests = 0
        self._listeners: list[SnapshotListener] = []
        try:
            head = self._fetch()
        except RemoteUnavailable as exc:
            if not self.repo.has_commit(self.repo.ref):
                raise SourceUnavailable(
                    f"cannot read branch {branch!r} of {public_url(url)} ({exc}) and there is "
                    "no local copy yet: check SKILLPORT_MARKETPLACE, SKILLPORT_BRANCH and the "
                    "read token"
                ) from None
            head = self.repo.rev_parse(self.repo.ref)
            self.last_error = str(exc)
            log.warning("remote unreachable, serving the local copy at %s: %s", head[:12], exc)
        self._catalog = self._load(head)
        self.loaded_at = self.clock()

    # -- reading --------------------------------------------------------------------------

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    @property
    def commit(self) -> str:
        return self._catalog.tree.commit  # type: ignore[attr-defined,no-any-return]

    def snapshot_age(self) -> float:
        return self.clock() - self.loaded_at

    def describe(self) -> str:
        return f"{public_url(self.repo.url)}#{self.repo.branch}"

    def _load(self, commit: str) -> Catalog:
        with heap.loading():
            tree = GitTree(self.repo, commit, self.limits.max_entries)
            return load_catalog(tree, self.limits)

    def _fetch(self) -> str:
        self.last_check_at = self.clock()
        self.upstream_requests += 2
        head = self.repo.fetch()
        self.last_success_at = self.clock()
        self.last_error = None
        return head

    def check(self) -> bool:
        """Poll once: one cheap request; fetch and swap only when the branch moved."""
        with self._lock:
            self.last_check_at = self.clock()
            try:
                self.upstream_requests += 1
                remote = self.repo.remote_head()
                self.last_success_at = self.clock()
                self.last_error = None
                if remote is None:
                    self.last_error = f"branch {self.repo.branch!r} not found on the remote"
                    return False
                if remote == self.commit:
                    return False
                head = self._fetch()
            except GitError as exc:
                self.last_error = str(exc)
                log.warning("refresh failed, still serving %s: %s", self.commit[:12], exc)
                return False
            self._swap(head)
            return True

    def catch_up(self, commit: str) -> bool:
        """Another instance announced ``commit``: fetch and swap at once, without first
        asking the remote whether it moved (it did). True when a new snapshot came in."""
        with self._lock:
            if commit == self.commit:
                return False
            try:
                head = self._fetch()
            except GitError as exc:
                self.last_error = str(exc)
                log.warning("catching up failed, still serving %s: %s", self.commit[:12], exc)
                return False
            self._swap(head)
            return True

    def _swap(self, head: str) -> None:
        if head != self.commit:
            catalog = self._load(head)
            problem = getattr(catalog.tree, "problem", None)
            if problem is not None:  # a commit git cannot list: keep serving the last one
                self.last_error = problem
                log.warning("still serving %s: %s", self.commit[:12], problem)
                return
            self._catalog = catalog
            self.loaded_at = self.clock()
            log.info("marketplace now at %s", head[:12])
            self._announce(head)

    def add_listener(self, listener: SnapshotListener) -> None:
        self._listeners.append(listener)

    def _announce(self, commit: str) -> None:
        for listener in self._listeners:
            try:
                listener(commit)
            except Exception:  # a listener never undoes or fails a swap
                log.exception("snapshot listener failed")

    def refresh(self) -> Catalog:
        if self.clock() - self.last_check_at >= self.min_refresh_interval:
            self.check()
        return self._catalog

    def health(self) -> UpstreamHealth:
        now = self.clock()
        return {
            "commit": self.commit,
            "last_check_age_seconds": round(now - self.last_check_at, 3)
            if self.last_check_at
            else None,
            "last_success_age_seconds": round(now - self.last_success_at, 3)
            if self.last_success_at
            else None,
            "last_error": self.last_error,
            "stale": self.last_error is not None,
        }

    # -- polling --------------------------------------------------------------------------

    def start(self) -> None:
        if self.poll_interval > 0 and self._poller is None:
            self._poller = threading.Thread(
                target=self._poll_loop, name="skillport-poll", daemon=True
            )
            self._poller.start()

    def stop(self) -> None:
        self._stop.set()
        if self._poller is not None:
            self._poller.join(timeout=5)

    def _poll_loop(self) -> None:
        while not self._stop.wait(self.poll_interval):
            try:
                self.check()
            except Exception:  # pragma: no cover - never let the poller die
                log.exception("poll failed")

    # -- writing --------------------------------------------------------------------------

    def write(
        self,
        base: Catalog,
        changes: dict[str, bytes | None],
        touched: tuple[str, ...],
        message: str,
        author: tuple[str, str],
        validate: Validator,
    ) -> WriteResult:
        """Commit ``changes`` on top of ``base``'s commit and push it: exactly one commit.

        Raises :class:`Conflict`, :class:`Invalid`, or
        :class:`~skillport_connector.errors.Unavailable` when git cannot be reached.
        """
        try:
            with self._write_lock:
                return self._write(base, changes, touched, message, author, validate)
        except GitError as exc:
            raise errors.Unavailable(
                f"The marketplace repository cannot be written right now ({exc}); "
                "nothing was changed, try again later."
            ) from None

    def _write(
        self,
        base: Catalog,
        changes: dict[str, bytes | None],
        touched: tuple[str, ...],
        message: str,
        author: tuple[str, str],
        validate: Validator,
    ) -> WriteResult:
        base_commit: str = base.tree.commit  # type: ignore[attr-defined]
        reapplied = False
        for _attempt in range(5):
            try:
                head = self._fetch()
            except RemoteUnavailable as exc:
                self.last_error = str(exc)
                raise
            if head != base_commit:
                moved = self.repo.changed_paths(base_commit, head, touched)
                if moved:
                    shown = ", ".join(moved[:5]) + (" …" if len(moved) > 5 else "")
                    raise Conflict(
                        f"Someone changed {shown} since you read it (now at {head[:12]}); "
                        "fetch the skill again and reapply your change.",
                        moved,
                    )
                reapplied = True
            commit = self.repo.commit_changes(
                head, changes, message, author, self.committer, self.index_dir
            )
            head_catalog = self._catalog if head == self.commit else self._load(head)
            try:
                new_catalog = self._load(commit)
            except (ValueError, RecursionError) as exc:
                # Content the loader cannot read: the change is refused, never a 500.
                raise Invalid([f"the result cannot be loaded: {str(exc)[:200]}"]) from None
            unwritten = _unwritten(changes, new_catalog)
            if unwritten:
                raise Invalid([f"git refuses the path {p!r}" for p in unwritten[:5]])
            problems = validate(head_catalog, new_catalog)
            if problems:
                raise Invalid(problems)
            try:
                self.upstream_requests += 2
                self.repo.push(commit, head)
            except LeaseRejected:
                log.info("branch moved during push; re-checking")
                continue
            with self._lock:
                self._catalog = new_catalog
                self.loaded_at = self.clock()
            self._announce(commit)
            return WriteResult(commit, new_catalog, reapplied)
        raise Conflict("The branch kept moving while saving; try again in a moment.")


def _unwritten(changes: dict[str, bytes | None], catalog: Catalog) -> list[str]:
    """The files ``changes`` writes that the new commit does not hold: git skips paths it
    refuses (``.GIT/…`` and the like) without failing, so a save must check."""
    return sorted(
        path
        for path, content in changes.items()
        if content is not None and catalog.tree.kind(path) is not EntryKind.FILE
    )

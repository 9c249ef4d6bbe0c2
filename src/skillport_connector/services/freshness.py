"""Every instance serves a new snapshot within moments of any one of them finding it.

When a git source swaps in a new commit (its poll, a webhook, ``?refresh=true``, a save),
this instance announces the commit on the shared store's ``events:snapshot`` channel.
Every other instance hears it and fetches from its own remote in a background thread:
the announcement is a hint, never authority (the commit served is always what the git
remote says). Announcements that arrive while a check runs are coalesced into one.
Polling stays as the safety net for a lost message or an unreachable store; with the
embedded store (one instance) nothing is published and nothing listens.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
from typing import Any

from ..sources.base import Announcing, Source
from ..store import Store, StoreUnavailable
from ..store.base import Subscription

log = logging.getLogger("skillport_connector.services.freshness")

CHANNEL = "events:snapshot"
_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def parse_announcement(message: dict[str, Any]) -> tuple[str, str] | None:
    """``(commit, sender)`` of a well-formed announcement; None for anything else."""
    commit, sender = message.get("commit"), message.get("from")
    if not isinstance(commit, str) or not _COMMIT.fullmatch(commit):
        return None
    if not isinstance(sender, str) or len(sender) > 64:
        return None
    return commit, sender


class Freshness:
    def __init__(self, source: Source, store: Store, *, instance: str | None = None) -> None:
        self.source = source
        self.store = store
        self.instance = instance or secrets.token_hex(8)
        self._wanted: str | None = None
        self._told: str | None = None  # the last commit we swapped to because we were told
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._subscription: Subscription | None = None
        self._worker: threading.Thread | None = None
        #: Checks run because another instance announced a commit (for metrics and tests).
        self.catch_ups = 0

    @property
    def active(self) -> bool:
        return self._subscription is not None

    def start(self) -> None:
        source = self.source
        if not isinstance(source, Announcing) or self._subscription is not None:
            return
        source.add_listener(self._announce)
        self._subscription = self.store.subscribe(CHANNEL, self._heard)
        self._worker = threading.Thread(
            target=self._catch_up_loop, args=(source,), name="skillport-freshness", daemon=True
        )
        self._worker.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._subscription is not None:
            self._subscription.close()
        if self._worker is not None:
            self._worker.join(timeout=5)

    def _announce(self, commit: str) -> None:
        """A swap happened here: tell the others (unless they told us)."""
        if commit == self._told:
            return
        try:
            self.store.publish(CHANNEL, {"commit": commit, "from": self.instance})
        except StoreUnavailable as exc:
            log.warning("could not announce %s, the others will poll: %s", commit[:12], exc)

    def _heard(self, message: dict[str, Any]) -> None:
        parsed = parse_announcement(message)
        if parsed is None or parsed[1] == self.instance:
            return
        self._wanted = parsed[0]
        self._wake.set()

    def _catch_up_loop(self, source: Announcing) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            wanted = self._wanted
            if self._stop.is_set() or wanted is None or wanted == source.commit:
                continue
            self._told = wanted
            self.catch_ups += 1
            try:
                source.catch_up(wanted)
            except Exception:  # never let the listener die; the poll is the safety net
                log.exception("catching up with %s failed", wanted[:12])

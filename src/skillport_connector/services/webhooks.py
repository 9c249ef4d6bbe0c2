"""Push webhooks: signature checks, replay protection and coalesced refreshes.

A signed delivery can be captured and replayed; each replay used to cost one upstream
fetch. Now a delivery is acted on once: its id (GitHub's ``X-GitHub-Delivery``, GitLab's
``Idempotency-Key`` or ``X-Gitlab-Event-UUID``) and, for GitHub, whose signature covers the
body, the hash of the signed body are remembered in the shared store for a day. Concurrent
deliveries share one refresh (at most one running and one queued behind it, so a push
during a check is never missed).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from dataclasses import dataclass, field
from typing import Literal

from ..audit import AuditLog
from ..sources.base import Source
from ..store import Store, keys
from .records import WebhookOutcome

Provider = Literal["github", "gitlab"]
#: Providers whose signature covers the body, so a replayed body is a replayed delivery.
SIGNED_BODIES: frozenset[Provider] = frozenset({"github"})
#: How long a delivery id or body is remembered.
REPLAY_WINDOW = 24 * 60 * 60


def github_signature_ok(secret: str, body: bytes, given: str) -> bool:
    """``X-Hub-Signature-256`` is the HMAC-SHA256 of the body under the shared secret."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(given.encode(), expected.encode())


def gitlab_token_ok(secret: str, given: str) -> bool:
    return hmac.compare_digest(given.encode(), secret.encode())


@dataclass
class Coalescer:
    """Runs ``source.check`` for many concurrent callers with at most one check running
    and one queued: a caller arriving during a check waits for the next one, which starts
    after it (the push that woke it may have landed after the running check looked)."""

    source: Source
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _cond: threading.Condition = field(init=False)
    _running: bool = False
    _generation: int = 0
    _last: bool = False

    def __post_init__(self) -> None:
        self._cond = threading.Condition(self._lock)

    def check(self) -> bool:
        with self._cond:
            # The first check that starts after now: the next one, or the one after the
            # check already running.
            wanted = self._generation + (2 if self._running else 1)
            while True:
                if self._generation >= wanted:
                    return self._last
                if not self._running:
                    break
                self._cond.wait()
            self._running = True
        changed = False
        try:
            changed = self.source.check()
        finally:
            with self._cond:
                self._running = False
                self._generation += 1
                self._last = changed
                self._cond.notify_all()
        return changed


@dataclass
class Webhooks:
    source: Source
    store: Store
    audit: AuditLog
    coalescer: Coalescer = field(init=False)

    def __post_init__(self) -> None:
        self.coalescer = Coalescer(self.source)

    def _delivery_keys(self, provider: Provider, delivery: str | None, body: bytes) -> list[str]:
        prefix = f"{keys.WEBHOOK_DELIVERY}{provider}:"
        found = []
        if provider in SIGNED_BODIES:
            found.append(f"{prefix}body:{hashlib.sha256(body).hexdigest()}")
        if delivery:
            found.append(f"{prefix}id:{keys.digest(delivery[:200])}")
        return found

    def _first_delivery(self, provider: Provider, delivery: str | None, body: bytes) -> bool:
        counts = [
            self.store.incr(key, ttl=REPLAY_WINDOW)
            for key in self._delivery_keys(provider, delivery, body)
        ]
        return all(count == 1 for count in counts)  # nothing to remember: a new delivery

    def _forget(self, provider: Provider, delivery: str | None, body: bytes) -> None:
        for key in self._delivery_keys(provider, delivery, body):
            self.store.delete(key)

    def deliver(self, provider: Provider, delivery: str | None, body: bytes) -> WebhookOutcome:
        """Refresh once per delivery (blocking). A replay answers ``duplicate`` unread.

        When the refresh fails (the remote is down), the delivery is forgotten again so
        the provider's own retry or a manual redelivery still works.
        """
        if not self._first_delivery(provider, delivery, body):
            commit = self.source.health().get("commit")
            self.audit.record(None, f"webhook:{provider}", result="duplicate", commit=commit)
            return WebhookOutcome(False, _text(commit), duplicate=True)
        changed = self.coalescer.check()
        health = self.source.health()
        if health.get("last_error"):
            self._forget(provider, delivery, body)
        commit = _text(health.get("commit"))
        self.audit.record(
            None, f"webhook:{provider}", result="refreshed" if changed else "unchanged",
            commit=commit,
        )  # fmt: skip
        return WebhookOutcome(changed, commit)

    def current_commit(self) -> str | None:
        return _text(self.source.health().get("commit"))


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None

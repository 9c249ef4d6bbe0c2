"""Browser sessions of the web pages: a random cookie, stored only as a hash, revocable.

The cookie is HttpOnly, SameSite=Lax and Secure whenever the public URL is not loopback;
a new one is issued at every sign-in (the old one is revoked), and signing out deletes the
stored record, so a copied cookie stops working at once on every instance. Each session
carries its own CSRF token for the forms it is shown.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from ..auth import Identity
from ..clock import Clock, system_clock
from ..store import Store, keys

COOKIE = "sp_session"
#: How long a browser session lasts (a fixed lifetime: signing in again renews it).
SESSION_TTL = 12 * 3600
#: Longer cookie values are not looked up.
MAX_COOKIE = 100


@dataclass(frozen=True, slots=True)
class WebSession:
    who: Identity
    csrf: str
    created: int

    def to_record(self) -> dict[str, Any]:
        return {"user": self.who.as_dict(), "csrf": self.csrf, "created": self.created}

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> WebSession | None:
        try:
            return cls(Identity.from_dict(data["user"]), str(data["csrf"]), int(data["created"]))
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True)
class Sessions:
    store: Store
    clock: Clock = system_clock
    ttl: int = SESSION_TTL

    def open(self, who: Identity, previous: str | None = None) -> tuple[str, WebSession]:
        """A new session for ``who`` (the cookie value, shown once); ``previous`` is revoked."""
        if previous:
            self.close(previous)
        token = secrets.token_urlsafe(32)
        session = WebSession(who, secrets.token_urlsafe(24), int(self.clock()))
        self.store.put(keys.hashed(keys.WEB_SESSION, token), session.to_record(), ttl=self.ttl)
        return token, session

    def get(self, token: str | None) -> WebSession | None:
        if not token or len(token) > MAX_COOKIE:
            return None
        data = self.store.get(keys.hashed(keys.WEB_SESSION, token))
        return WebSession.from_record(data) if data else None

    def close(self, token: str) -> None:
        if token and len(token) <= MAX_COOKIE:
            self.store.delete(keys.hashed(keys.WEB_SESSION, token))

"""API and install tokens: random, shown once, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from ..store import Store
from .identity import Identity

API_TOKEN_PREFIX = "sk_api_"
INSTALL_TOKEN_PREFIX = "sk_install_"
EDIT_TOKEN_PREFIX = "sk_edit_"
_PREFIX = {"install": INSTALL_TOKEN_PREFIX, "edit": EDIT_TOKEN_PREFIX}
API_TOKEN_TTL = 15 * 60
INSTALL_TOKEN_TTL = 15 * 60


def _new(prefix: str) -> str:
    # 24 random bytes -> 32 url-safe characters, as the original connector's tokens.
    return prefix + secrets.token_urlsafe(24)


def _key(kind: str, token: str) -> str:
    return f"{kind}:" + hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Redemption:
    """Outcome of redeeming a single-use token."""

    status: str  # "ok" | "unknown" | "used"
    record: dict[str, Any] | None = None


class TokenService:
    def __init__(self, store: Store) -> None:
        self.store = store

    def mint_api_token(self, identity: Identity, ttl: int = API_TOKEN_TTL) -> str:
        token = _new(API_TOKEN_PREFIX)
        self.store.put(_key("api", token), {"user": identity.as_dict()}, ttl=ttl)
        return token

    def identity_for(self, token: str) -> Identity | None:
        if not token.startswith(API_TOKEN_PREFIX) or len(token) > 200:
            return None
        record = self.store.get(_key("api", token))
        return Identity.from_dict(record["user"]) if record else None

    def revoke_api_token(self, token: str) -> bool:
        return self.store.delete(_key("api", token))

    def mint_ticket(self, kind: str, identity: Identity, skill: str, version: str) -> str:
        """A single-use token for ``kind`` ("install" or "edit") of one skill, 15 minutes."""
        token = _new(_PREFIX[kind])
        record = {"user": identity.as_dict(), "skill": skill, "version": version}
        self.store.put(_key(kind, token), record, ttl=INSTALL_TOKEN_TTL)
        return token

    def peek_ticket(self, kind: str, token: str) -> dict[str, Any] | None:
        if not token.startswith(_PREFIX[kind]) or len(token) > 200:
            return None
        return self.store.get(_key(kind, token))

    def redeem_ticket(self, kind: str, token: str) -> Redemption:
        if not token.startswith(_PREFIX[kind]) or len(token) > 200:
            return Redemption("unknown")
        record, first = self.store.claim(_key(kind, token))
        if record is None:
            return Redemption("unknown")
        return Redemption("ok" if first else "used", record)

    def mint_install_token(self, identity: Identity, skill: str, version: str) -> str:
        return self.mint_ticket("install", identity, skill, version)

    def peek_install_token(self, token: str) -> dict[str, Any] | None:
        return self.peek_ticket("install", token)

    def redeem_install_token(self, token: str) -> Redemption:
        return self.redeem_ticket("install", token)

"""API tokens and single-use install/edit tickets: random, shown once, stored only as a
SHA-256 hash (keys from :mod:`skillport_connector.store.keys`), read back as typed records.

    api:<sha256>             an sk_api_ token          {"user": {…}}                 15 min
    install:<sha256>         an sk_install_ ticket     {"user", "skill", "version"}  15 min
    edit:<sha256>            an sk_edit_ ticket        same
    spent:<kind>:<sha256>    marks a redeemed ticket, so a replay is refused unread
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Literal

from ..store import Store, keys
from ..store.base import read
from .identity import Identity

API_TOKEN_PREFIX = "sk_api_"
INSTALL_TOKEN_PREFIX = "sk_install_"
EDIT_TOKEN_PREFIX = "sk_edit_"
API_TOKEN_TTL = 15 * 60
INSTALL_TOKEN_TTL = 15 * 60
MAX_TOKEN_LENGTH = 200

TicketKind = Literal["install", "edit"]
_PREFIX: dict[TicketKind, str] = {"install": INSTALL_TOKEN_PREFIX, "edit": EDIT_TOKEN_PREFIX}

_TICKET_KEY: dict[TicketKind, str] = {"install": keys.INSTALL_TICKET, "edit": keys.EDIT_TICKET}


def _token_identity(record: dict[str, Any]) -> Identity:
    return Identity.from_dict(record["user"])


def _new(prefix: str) -> str:
    # 24 random bytes -> 32 url-safe characters, as the original connector's tokens.
    return prefix + secrets.token_urlsafe(24)


def _looks_like(token: str, prefix: str) -> bool:
    return token.startswith(prefix) and len(token) <= MAX_TOKEN_LENGTH


@dataclass(frozen=True, slots=True)
class Ticket:
    """What a single-use token was minted for."""

    kind: TicketKind
    user: Identity
    skill: str
    version: str

    def to_record(self) -> dict[str, Any]:
        return {"user": self.user.as_dict(), "skill": self.skill, "version": self.version}

    @classmethod
    def from_record(cls, kind: TicketKind, record: dict[str, Any]) -> Ticket:
        return cls(kind, Identity.from_dict(record["user"]), record["skill"], record["version"])


@dataclass(frozen=True, slots=True)
class Redemption:
    """Outcome of looking at or redeeming a single-use token."""

    status: Literal["ok", "unknown", "used"]
    ticket: Ticket | None = None


class TokenService:
    def __init__(self, store: Store) -> None:
        self.store = store

    # -- API tokens ------------------------------------------------------------------------

    def mint_api_token(self, identity: Identity, ttl: int = API_TOKEN_TTL) -> str:
        token = _new(API_TOKEN_PREFIX)
        self.store.put(keys.hashed(keys.API_TOKEN, token), {"user": identity.as_dict()}, ttl=ttl)
        return token

    def identity_for(self, token: str) -> Identity | None:
        if not _looks_like(token, API_TOKEN_PREFIX):
            return None
        return read(self.store, keys.hashed(keys.API_TOKEN, token), _token_identity)

    def revoke_api_token(self, token: str) -> bool:
        return self.store.delete(keys.hashed(keys.API_TOKEN, token))

    # -- tickets ---------------------------------------------------------------------------

    def mint_ticket(self, kind: TicketKind, identity: Identity, skill: str, version: str) -> str:
        """A single-use token for ``kind`` ("install" or "edit") of one skill, 15 minutes."""
        token = _new(_PREFIX[kind])
        ticket = Ticket(kind, identity, skill, version)
        self.store.put(
            keys.hashed(_TICKET_KEY[kind], token), ticket.to_record(), ttl=INSTALL_TOKEN_TTL
        )
        return token

    def peek_ticket(self, kind: TicketKind, token: str) -> Redemption:
        """The ticket behind ``token`` without spending it; "used" once it was redeemed."""
        if not _looks_like(token, _PREFIX[kind]):
            return Redemption("unknown")
        digest = keys.digest(token)
        if self.store.get(f"{keys.SPENT_TICKET}{kind}:{digest}") is not None:
            return Redemption("used")
        record = self.store.get(_TICKET_KEY[kind] + digest)
        if record is None:
            return Redemption("unknown")
        return Redemption("ok", Ticket.from_record(kind, record))

    def redeem_ticket(self, kind: TicketKind, token: str) -> Redemption:
        """Spend a ticket, atomically across processes: "ok" only for the first caller."""
        if not _looks_like(token, _PREFIX[kind]):
            return Redemption("unknown")
        digest = keys.digest(token)
        record, first = self.store.claim(_TICKET_KEY[kind] + digest)
        if record is None:
            return Redemption("unknown")
        ticket = Ticket.from_record(kind, record)
        if not first:
            return Redemption("used", ticket)
        self.store.put(f"{keys.SPENT_TICKET}{kind}:{digest}", {}, ttl=INSTALL_TOKEN_TTL)
        return Redemption("ok", ticket)

    def mint_install_token(self, identity: Identity, skill: str, version: str) -> str:
        return self.mint_ticket("install", identity, skill, version)

    def redeem_install_token(self, token: str) -> Redemption:
        return self.redeem_ticket("install", token)

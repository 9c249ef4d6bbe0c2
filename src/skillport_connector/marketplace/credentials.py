"""Marketplace credentials: one per person and device, long-lived, revocable at once.

A credential (``sk_cc_…``) lets Claude Code read one thing: the person's own marketplace
(``marketplace.json`` and its read-only git repository). It cannot call the rest of the
API, mint tokens or change anything. Stored only as its SHA-256 digest; the person's list
is a second record, and a credential works only while its id is on that list, so a lost
update of the list fails closed (the credential stops working) and a revocation is
effective for the very next request.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from typing import Any

from ..auth import Identity
from ..clock import Clock, system_clock
from ..errors import Conflict, NotFound
from ..store import Store, keys

PREFIX = "sk_cc_"
#: Credentials one person may hold at once (one per device; revoke one to add more).
MAX_PER_PERSON = 50
MAX_LABEL = 100


@dataclass(frozen=True, slots=True)
class CredentialInfo:
    """What the person sees of a credential: never the secret."""

    id: str
    label: str
    created: float

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "created": self.created}


def clean_label(label: str | None) -> str:
    """A printable, bounded label (``"Claude Code"`` when none is given)."""
    text = "".join(c for c in (label or "") if c.isprintable()).strip()
    return text[:MAX_LABEL] or "Claude Code"


def is_credential(token: str) -> bool:
    return token.startswith(PREFIX)


class Credentials:
    def __init__(self, store: Store, clock: Clock = system_clock) -> None:
        self.store = store
        self.clock = clock
        self._lock = threading.Lock()

    def _person_key(self, who: Identity) -> str:
        return keys.hashed(keys.CC_PERSON, who.id)

    def _listed(self, who: Identity) -> list[dict[str, Any]]:
        record = self.store.get(self._person_key(who)) or {}
        items = record.get("items")
        return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []

    def mint(self, who: Identity, label: str | None = None) -> tuple[str, CredentialInfo]:
        """A new credential for ``who``; the secret is returned once and never stored."""
        secret = PREFIX + secrets.token_urlsafe(32)
        info = CredentialInfo(secrets.token_hex(8), clean_label(label), self.clock())
        digest = keys.digest(secret)
        with self._lock:
            listed = self._listed(who)
            if len(listed) >= MAX_PER_PERSON:
                raise Conflict(
                    f"You already have {MAX_PER_PERSON} Claude Code credentials; revoke one "
                    "(DELETE /api/claude-code/credentials/<id>) first."
                )
            self.store.put(
                keys.CC_CREDENTIAL + digest,
                {"id": info.id, "user": who.as_dict(), "created": info.created},
            )
            listed.append({**info.as_dict(), "digest": digest})
            self.store.put(self._person_key(who), {"items": listed})
        return secret, info

    def list(self, who: Identity) -> list[CredentialInfo]:
        return [
            CredentialInfo(str(i.get("id")), str(i.get("label")), float(i.get("created", 0)))
            for i in self._listed(who)
        ]

    def revoke(self, who: Identity, credential_id: str) -> CredentialInfo:
        """Revoke one of ``who``'s credentials; NotFound when it is not theirs."""
        with self._lock:
            listed = self._listed(who)
            match = next((i for i in listed if i.get("id") == credential_id), None)
            if match is None:
                raise NotFound(
                    f"You have no Claude Code credential {credential_id[:40]!r}; "
                    "GET /api/claude-code/credentials lists yours."
                )
            self.store.put(self._person_key(who), {"items": [i for i in listed if i is not match]})
            self.store.delete(keys.CC_CREDENTIAL + str(match.get("digest")))
        return CredentialInfo(credential_id, str(match.get("label")), float(match["created"]))

    def identify(self, secret: str) -> Identity | None:
        """The person behind a credential still on their list; None otherwise."""
        record = self.store.get(keys.hashed(keys.CC_CREDENTIAL, secret))
        if record is None:
            return None
        who = Identity.from_dict(record["user"])
        if not any(i.get("id") == record.get("id") for i in self._listed(who)):
            return None
        return who

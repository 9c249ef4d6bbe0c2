from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Identity:
    """A signed-in person. ``id`` is ``<provider>:<uid>`` (never the e-mail, which can change).

    The OAuth sign-in (Google, Entra, any OIDC issuer) produces the same shape as the
    ``token`` command does for local users, so nothing downstream cares how they signed in.

    ``verified_domains`` are the organisation domains the identity provider vouches for
    (see :func:`skillport_connector.auth.providers.verified_domains`): a Google Workspace
    ``hd``, an Entra tenant id, or the domain of an e-mail address the provider marked
    verified. An unverified e-mail address gives none: ``domain:`` access rules and the
    allowed-domains check match only these (:meth:`in_domain`).
    """

    id: str
    email: str
    name: str
    verified_domains: tuple[str, ...] = ()

    @property
    def provider(self) -> str:
        return self.id.split(":", 1)[0]

    def in_domain(self, domain: str) -> bool:
        """Whether the identity provider vouches that this person belongs to ``domain``."""
        return domain.strip().lower() in self.verified_domains

    @classmethod
    def local(cls, email: str, *, id: str | None = None, name: str | None = None) -> Identity:
        """Someone the operator vouches for: the ``token`` command, or the development sign-in
        (which exists only when the public URL is loopback, i.e. for the operator alone)."""
        email = email.strip()
        if "@" not in email or any(c.isspace() for c in email):
            raise ValueError(f"{email!r} is not an e-mail address")
        uid = id or f"local:{email.lower()}"
        if ":" not in uid or uid.startswith(":") or uid.endswith(":"):
            raise ValueError(f"user id {uid!r} must look like PROVIDER:UID")
        domain = email.rsplit("@", 1)[1].lower()
        return cls(
            id=uid, email=email, name=name or email.split("@", 1)[0], verified_domains=(domain,)
        )

    def whoami(self) -> dict[str, str]:
        """The public shape (``/api/whoami``, MCP ``whoami``): id, email, name, provider."""
        return {"id": self.id, "email": self.email, "name": self.name, "provider": self.provider}

    def as_dict(self) -> dict[str, Any]:
        """The stored form (tokens, grants): the public shape plus what was verified."""
        return {**self.whoami(), "verified_domains": list(self.verified_domains)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Identity:
        """Read :meth:`as_dict` back; a record without ``verified_domains`` verifies nothing."""
        domains = data.get("verified_domains") or []
        return cls(
            id=data["id"],
            email=data["email"],
            name=data["name"],
            verified_domains=tuple(str(d).lower() for d in domains if isinstance(d, str)),
        )

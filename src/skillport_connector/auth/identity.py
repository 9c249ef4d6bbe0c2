from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Identity:
    """A signed-in person. ``id`` is ``<provider>:<uid>`` (never the e-mail, which can change).

    The OAuth sign-in (Google, Entra, any OIDC issuer) produces the same shape as the
    ``token`` command does for local users, so nothing downstream cares how they signed in.
    """

    id: str
    email: str
    name: str

    @property
    def provider(self) -> str:
        return self.id.split(":", 1)[0]

    @classmethod
    def local(cls, email: str, *, id: str | None = None, name: str | None = None) -> Identity:
        email = email.strip()
        if "@" not in email or any(c.isspace() for c in email):
            raise ValueError(f"{email!r} is not an e-mail address")
        uid = id or f"local:{email.lower()}"
        if ":" not in uid or uid.startswith(":") or uid.endswith(":"):
            raise ValueError(f"user id {uid!r} must look like PROVIDER:UID")
        return cls(id=uid, email=email, name=name or email.split("@", 1)[0])

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "provider": self.provider}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Identity:
        return cls(id=data["id"], email=data["email"], name=data["name"])

"""What the OAuth server keeps in the store, as typed records.

Each record converts to and from the JSON dict the store holds (``to_record`` /
``from_record``); a stored value that does not parse (another version, tampering) reads as
absent, never as an exception. Keys are in :mod:`skillport_connector.store.keys`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal, TypeVar

from .identity import Identity

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
GrantType = Literal[
    "authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"
]
AuthMethod = Literal["none", "client_secret_post", "client_secret_basic"]
GRANT_TYPES: tuple[GrantType, ...] = ("authorization_code", "refresh_token", DEVICE_CODE_GRANT)
AUTH_METHODS: tuple[AuthMethod, ...] = ("none", "client_secret_post", "client_secret_basic")

R = TypeVar("R")


def parse(kind: type[R], data: dict[str, Any] | None) -> R | None:
    """``kind.from_record(data)``, or None when absent or not a record of that kind."""
    if data is None:
        return None
    try:
        return kind.from_record(data)  # type: ignore[attr-defined, no-any-return]
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


@dataclass(frozen=True)
class OAuthClient:
    """A dynamically registered client (RFC 7591). ``secret_hash`` for confidential ones;
    ``used_at`` is set by its first successful token request (until then it expires soon)."""

    client_id: str
    client_name: str
    redirect_uris: tuple[str, ...]
    token_endpoint_auth_method: AuthMethod
    grant_types: tuple[GrantType, ...]
    issued_at: int
    secret_hash: str | None = field(default=None, repr=False)
    used_at: int | None = None

    def metadata(self) -> dict[str, Any]:
        """The registration response's metadata (without the secret)."""
        return {
            "client_id": self.client_id,
            "client_name": self.client_name,
            "redirect_uris": list(self.redirect_uris),
            "token_endpoint_auth_method": self.token_endpoint_auth_method,
            "grant_types": list(self.grant_types),
            "response_types": ["code"],
            "client_id_issued_at": self.issued_at,
        }

    def to_record(self) -> dict[str, Any]:
        return {**asdict(self), "redirect_uris": list(self.redirect_uris)}

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> OAuthClient:
        return cls(
            client_id=str(data["client_id"]),
            client_name=str(data["client_name"]),
            redirect_uris=tuple(str(u) for u in data["redirect_uris"]),
            token_endpoint_auth_method=data["token_endpoint_auth_method"],
            grant_types=tuple(data["grant_types"]),
            issued_at=int(data.get("issued_at", data.get("client_id_issued_at", 0))),
            secret_hash=data.get("secret_hash", data.get("client_secret_hash")),
            used_at=data.get("used_at"),
        )


@dataclass(frozen=True)
class PendingAuthorization:
    """An authorization request between /authorize and consent: what the client asked for,
    the browser that started it (cookie value), and who signed in (once someone has)."""

    client_id: str
    redirect_uri: str
    state: str | None
    code_challenge: str
    resource: str
    scope: str
    browser: str = field(repr=False)
    user: Identity | None = None
    #: For a device authorization (RFC 8628): the user code being approved; then there is
    #: no redirect, consent settles the device's request instead.
    device: str | None = None

    def signed_in(self, identity: Identity) -> PendingAuthorization:
        return replace(self, user=identity)

    def to_record(self) -> dict[str, Any]:
        data = asdict(self)
        data["user"] = self.user.as_dict() if self.user else None
        return data

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> PendingAuthorization:
        user = data.get("user")
        return cls(
            client_id=str(data["client_id"]),
            redirect_uri=str(data["redirect_uri"]),
            state=data.get("state"),
            code_challenge=str(data["code_challenge"]),
            resource=str(data["resource"]),
            scope=str(data["scope"]),
            browser=str(data["browser"]),
            user=Identity.from_dict(user) if user else None,
            device=data.get("device"),
        )


@dataclass(frozen=True)
class UpstreamSignIn:
    """A sign-in at the upstream identity provider, remembered until its callback."""

    state: str
    nonce: str = field(repr=False)
    verifier: str = field(repr=False)
    pending_id: str = ""

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> UpstreamSignIn:
        return cls(
            state=str(data["state"]),
            nonce=str(data["nonce"]),
            verifier=str(data["verifier"]),
            pending_id=str(data.get("pending_id") or data["pending"]),
        )


@dataclass(frozen=True)
class Grant:
    """What an access or refresh token stands for: who, for which client, resource and
    scope, and the family (one authorization) it descends from."""

    user: Identity
    client_id: str
    resource: str
    scope: str
    family: str

    def to_record(self) -> dict[str, Any]:
        return {**asdict(self), "user": self.user.as_dict()}

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> Grant:
        return cls(
            user=Identity.from_dict(data["user"]),
            client_id=str(data["client_id"]),
            resource=str(data["resource"]),
            scope=str(data["scope"]),
            family=str(data["family"]),
        )


@dataclass(frozen=True)
class GrantFamily:
    """Every token of one authorization; revoking it revokes them all at once."""

    revoked: bool = False

    def to_record(self) -> dict[str, Any]:
        return {"revoked": self.revoked}

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> GrantFamily:
        return cls(revoked=bool(data["revoked"]))


@dataclass(frozen=True)
class TokenResponse:
    """The token endpoint's answer (RFC 6749 §5.1)."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in: int
    scope: str
    token_type: Literal["Bearer"] = "Bearer"

    def as_dict(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "token_type": self.token_type,
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
            "scope": self.scope,
        }


@dataclass(frozen=True)
class Registration:
    """A new client and, for a confidential one, its secret (shown once)."""

    client: OAuthClient
    client_secret: str | None = field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        body = self.client.metadata()
        if self.client_secret is not None:
            body["client_secret"] = self.client_secret
            body["client_secret_expires_at"] = 0
        return body

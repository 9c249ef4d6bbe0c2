"""The device authorization grant (RFC 8628), for command lines on machines without a browser.

The device asks (``POST /device_authorization``) and gets a device code (secret, kept by the
device) and a short user code (shown to the person). The person opens ``/device`` anywhere,
types the user code, signs in through the usual pages and consents; the device polls the
token endpoint meanwhile. Rules enforced here:

* only a client registered with the device grant may use it; codes live 10 minutes;
* user codes are 8 letters from an alphabet without vowels or look-alikes (20^8 choices),
  typed with or without the dash, in any case; looking one up is rate-limited per address
  like every sign-in request;
* polling faster than the interval answers ``slow_down`` and adds 5 seconds to it;
* an approved request yields tokens once; a denied one answers ``access_denied`` once;
* device codes and user codes are stored only as hashes.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from ..store import keys
from .errors import OAuthError
from .identity import Identity
from .oauth import SCOPES, OAuthServer
from .records import DEVICE_CODE_GRANT, OAuthClient, PendingAuthorization, TokenResponse, parse

DEVICE_TTL = 600
INTERVAL = 5
SLOW_DOWN_STEP = 5
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
USER_CODE_LENGTH = 8

Status = Literal["pending", "approved", "denied"]


def new_user_code() -> str:
    letters = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))
    return f"{letters[:4]}-{letters[4:]}"


def normalise_user_code(typed: str) -> str | None:
    """``bcdf-ghjk``, ``BCDFGHJK`` and ``bcdf ghjk`` are one code; None if it cannot be one."""
    letters = "".join(c for c in typed.upper()[:40] if c not in "- ")
    if len(letters) != USER_CODE_LENGTH or any(c not in USER_CODE_ALPHABET for c in letters):
        return None
    return f"{letters[:4]}-{letters[4:]}"


@dataclass(frozen=True)
class DeviceRequest:
    """A device authorization between its request and its tokens."""

    client_id: str
    user_code: str
    resource: str
    scope: str
    expires_at: float
    interval: int = INTERVAL
    last_poll: float = 0.0
    status: Status = "pending"
    user: Identity | None = None

    def to_record(self) -> dict[str, Any]:
        return {**asdict(self), "user": self.user.as_dict() if self.user else None}

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> DeviceRequest:
        user = data.get("user")
        status = data["status"]
        if status not in ("pending", "approved", "denied"):
            raise ValueError(status)
        return cls(
            client_id=str(data["client_id"]),
            user_code=str(data["user_code"]),
            resource=str(data["resource"]),
            scope=str(data["scope"]),
            expires_at=float(data["expires_at"]),
            interval=int(data["interval"]),
            last_poll=float(data["last_poll"]),
            status=status,
            user=Identity.from_dict(user) if user else None,
        )


@dataclass(frozen=True)
class DeviceAuthorization:
    """The answer to ``POST /device_authorization`` (RFC 8628 §3.2)."""

    device_code: str
    user_code: str
    verification_uri: str
    expires_in: int
    interval: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "device_code": self.device_code,
            "user_code": self.user_code,
            "verification_uri": self.verification_uri,
            "verification_uri_complete": f"{self.verification_uri}?user_code={self.user_code}",
            "expires_in": self.expires_in,
            "interval": self.interval,
        }


class DeviceFlow:
    """RFC 8628 over the authorization server's store, clients and token issuing."""

    def __init__(self, server: OAuthServer, base_url: str) -> None:
        self.server = server
        self.store = server.store
        self.verification_uri = f"{base_url.rstrip('/')}/device"

    def _key(self, device_code: str) -> str:
        return keys.hashed(keys.OAUTH_DEVICE, device_code)

    def _put(self, key: str, request: DeviceRequest) -> None:
        # Kept a minute past expiry, so a late poll hears expired_token, not invalid_grant.
        ttl = max(1.0, request.expires_at - self.server.clock() + 60)
        self.store.put(key, request.to_record(), ttl=ttl)

    def request(
        self, client: OAuthClient, scope: str | None, resource: str | None
    ) -> DeviceAuthorization:
        if DEVICE_CODE_GRANT not in client.grant_types:
            raise OAuthError(
                "unauthorized_client", "this client is not registered for the device grant"
            )
        scope = scope or " ".join(SCOPES)
        if not set(scope.split()) <= set(SCOPES):
            raise OAuthError("invalid_scope", f"supported scopes: {' '.join(SCOPES)}")
        named = self.server.resource_named(resource or self.server.resource)
        if named is None:
            raise OAuthError(
                "invalid_target", f"tokens are issued only for {', '.join(self.server.resources)}"
            )
        device_code = secrets.token_urlsafe(32)
        user_code = new_user_code()
        request = DeviceRequest(
            client_id=client.client_id,
            user_code=user_code,
            resource=named,
            scope=scope,
            expires_at=self.server.clock() + DEVICE_TTL,
        )
        self._put(self._key(device_code), request)
        digest = {"device": self._key(device_code)}
        self.store.put(keys.hashed(keys.OAUTH_USER_CODE, user_code), digest, ttl=DEVICE_TTL)
        return DeviceAuthorization(
            device_code, user_code, self.verification_uri, DEVICE_TTL, INTERVAL
        )

    def _by_user_code(self, typed: str) -> tuple[str, DeviceRequest] | None:
        code = normalise_user_code(typed)
        if code is None:
            return None
        ref = self.store.get(keys.hashed(keys.OAUTH_USER_CODE, code))
        key = ref.get("device") if ref else None
        if not isinstance(key, str):
            return None
        request = parse(DeviceRequest, self.store.get(key))
        if request is None or request.status != "pending":
            return None
        if request.expires_at <= self.server.clock():
            return None
        return key, request

    def start_sign_in(self, typed: str) -> str | None:
        """A pending authorization for the device whose user code was typed (its id), or
        None when no waiting request has that code."""
        found = self._by_user_code(typed)
        if found is None:
            return None
        _, request = found
        pending = PendingAuthorization(
            client_id=request.client_id,
            redirect_uri="",
            state=None,
            code_challenge="",
            resource=request.resource,
            scope=request.scope,
            browser=secrets.token_urlsafe(16),
            device=request.user_code,
        )
        pending_id = secrets.token_urlsafe(24)
        self.store.put(keys.OAUTH_PENDING + pending_id, pending.to_record(), ttl=DEVICE_TTL)
        return pending_id

    def settle(self, pending_id: str, allow: bool) -> None:
        """Consent given or refused for a device's pending authorization (works once)."""
        data, first = self.store.claim(keys.OAUTH_PENDING + pending_id[:100])
        pending = parse(PendingAuthorization, data)
        if pending is None or not first or pending.device is None or pending.user is None:
            raise OAuthError("invalid_request", "this sign-in was already used or has expired")
        found = self._by_user_code(pending.device)
        if found is None:
            raise OAuthError("invalid_request", "the device's request has expired; start again")
        key, request = found
        status: Status = "approved" if allow else "denied"
        self._put(key, replace(request, status=status, user=pending.user))

    def poll(self, client: OAuthClient, device_code: str) -> TokenResponse:
        """The token endpoint's device grant: tokens, or the RFC 8628 §3.5 error."""
        key = self._key(device_code or "")
        request = parse(DeviceRequest, self.store.get(key))
        if request is None or request.client_id != client.client_id:
            raise OAuthError("invalid_grant", "the device code is unknown")
        now = self.server.clock()
        if request.expires_at <= now:
            raise OAuthError("expired_token", "the device code has expired; start again")
        if request.status == "pending":
            if now - request.last_poll < request.interval:
                interval = request.interval + SLOW_DOWN_STEP
                self._put(key, replace(request, last_poll=now, interval=interval))
                raise OAuthError("slow_down", f"poll at most every {interval} seconds")
            self._put(key, replace(request, last_poll=now))
            raise OAuthError("authorization_pending", "the person has not approved yet")
        _, first = self.store.claim(key)
        if not first:
            raise OAuthError("invalid_grant", "the device code was already used")
        if request.status == "denied" or request.user is None:
            raise OAuthError("access_denied", "the person declined")
        issued, _ = self.server.issue_new_grant(
            client, request.user, request.resource, request.scope
        )
        return issued

"""An OAuth 2.1 authorization server for MCP clients (Claude.ai, Claude Desktop, Claude Code).

State lives in the shared :class:`~skillport_connector.store.Store`, so every instance
answers every step and a revocation is seen by all of them at once. Rules enforced here:

* dynamic client registration (RFC 7591); redirect URIs must be https, or http on a
  loopback host (any port, RFC 8252);
* authorization code with PKCE, ``S256`` only; codes live 5 minutes and work once;
* opaque access tokens (1 hour) and refresh tokens (30 days), stored only as hashes;
* refresh rotation: each refresh token works once; presenting a spent one revokes the
  whole grant (every token descended from the same authorization);
* revocation (RFC 7009) takes effect immediately, because validation reads the store;
* tokens are bound to the resource they were issued for (RFC 8707).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..store import Store
from .identity import Identity

ACCESS_TTL = 3600
REFRESH_TTL = 30 * 24 * 3600
CODE_TTL = 300
PENDING_TTL = 600
CLIENT_TTL = 365 * 24 * 3600
SCOPES = ("skills",)
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


class OAuthError(Exception):
    """An error in the shape RFC 6749 prescribes (``error`` + ``error_description``)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict[str, str]:
        return {
            "error": self.error,
            "error_description": self.description,
            "message": self.description,
        }


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _secret(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def s256(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


def check_redirect_uri(uri: str) -> str | None:
    """Why ``uri`` cannot be registered, or None when it can."""
    if not isinstance(uri, str) or len(uri) > 2000:
        return "redirect URI must be a string of at most 2000 characters"
    parts = urlsplit(uri)
    if parts.fragment:
        return f"redirect URI {uri!r} must not have a fragment"
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return None
    return f"redirect URI {uri!r} must use https (http is allowed only on loopback)"


def _is_loopback(host: str) -> bool:
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def redirect_matches(registered: str, given: str) -> bool:
    """Exact match, except that a loopback redirect may use any port (RFC 8252 §7.3)."""
    if registered == given:
        return True
    a, b = urlsplit(registered), urlsplit(given)
    return (
        a.scheme == b.scheme == "http"
        and a.hostname is not None
        and _is_loopback(a.hostname)
        and a.hostname == b.hostname
        and a.path == b.path
        and a.query == b.query
    )


@dataclass(frozen=True)
class AccessGrant:
    identity: Identity
    client_id: str
    resource: str
    scope: str


class OAuthServer:
    def __init__(self, store: Store, *, resource: str, issuer: str) -> None:
        self.store = store
        self.resource = resource
        self.issuer = issuer

    # -- clients --------------------------------------------------------------------------

    def register(self, metadata: dict[str, Any]) -> dict[str, Any]:
        uris = metadata.get("redirect_uris")
        if not isinstance(uris, list) or not uris or len(uris) > 10:
            raise OAuthError("invalid_redirect_uri", "redirect_uris must list 1 to 10 URIs")
        for uri in uris:
            why = check_redirect_uri(uri)
            if why:
                raise OAuthError("invalid_redirect_uri", why)
        method = metadata.get("token_endpoint_auth_method", "none")
        if method not in ("none", "client_secret_post", "client_secret_basic"):
            raise OAuthError(
                "invalid_client_metadata", f"unsupported token_endpoint_auth_method {method!r}"
            )
        grants = metadata.get("grant_types", ["authorization_code", "refresh_token"])
        if not isinstance(grants, list) or not set(grants) <= {
            "authorization_code",
            "refresh_token",
        }:
            raise OAuthError(
                "invalid_client_metadata", "grant_types may be authorization_code and refresh_token"
            )
        name = metadata.get("client_name") or "an unnamed application"
        if not isinstance(name, str) or len(name) > 200:
            raise OAuthError(
                "invalid_client_metadata", "client_name must be a string of at most 200 characters"
            )
        client_id = "spc_" + secrets.token_urlsafe(16)
        record: dict[str, Any] = {
            "client_id": client_id,
            "client_name": name,
            "redirect_uris": uris,
            "token_endpoint_auth_method": method,
            "grant_types": grants,
            "response_types": ["code"],
            "client_id_issued_at": int(time.time()),
        }
        response = dict(record)
        if method != "none":
            client_secret = _secret("spcs_")
            record["client_secret_hash"] = _hash(client_secret)
            response["client_secret"] = client_secret
            response["client_secret_expires_at"] = 0
        self.store.put(f"oauth:client:{client_id}", record, ttl=CLIENT_TTL)
        return response

    def client(self, client_id: str | None) -> dict[str, Any] | None:
        if not client_id or len(client_id) > 100:
            return None
        return self.store.get(f"oauth:client:{client_id}")

    def authenticate_client(
        self, client_id: str | None, client_secret: str | None
    ) -> dict[str, Any]:
        client = self.client(client_id)
        if client is None:
            raise OAuthError("invalid_client", "unknown client_id; register again", 401)
        expected = client.get("client_secret_hash")
        if expected is not None and not (
            client_secret and hmac.compare_digest(_hash(client_secret), expected)
        ):
            raise OAuthError("invalid_client", "client authentication failed", 401)
        return client

    # -- authorization --------------------------------------------------------------------

    def start(self, params: dict[str, str]) -> tuple[dict[str, Any], str]:
        """Validate an authorization request; returns the client and a pending-request id.

        Raises OAuthError with ``redirect=False`` semantics (status 400) for problems that
        must not be sent to the redirect URI (unknown client, unregistered redirect).
        """
        client = self.client(params.get("client_id"))
        if client is None:
            raise OAuthError(
                "invalid_client", "unknown client_id: the application must register first"
            )
        redirect_uri = params.get("redirect_uri") or (
            client["redirect_uris"][0] if len(client["redirect_uris"]) == 1 else ""
        )
        if not any(redirect_matches(r, redirect_uri) for r in client["redirect_uris"]):
            raise OAuthError("invalid_request", "redirect_uri is not registered for this client")
        pending = {
            "client_id": client["client_id"],
            "redirect_uri": redirect_uri,
            "state": params.get("state"),
        }
        # From here on, errors go back to the client through its redirect URI.
        if params.get("response_type") != "code":
            raise RedirectError(pending, "unsupported_response_type", "response_type must be code")
        challenge = params.get("code_challenge") or ""
        if params.get("code_challenge_method") != "S256" or not (43 <= len(challenge) <= 128):
            raise RedirectError(
                pending, "invalid_request", "PKCE with code_challenge_method=S256 is required"
            )
        resource = params.get("resource") or self.resource
        if resource.rstrip("/") != self.resource.rstrip("/"):
            raise RedirectError(
                pending, "invalid_target", f"this server issues tokens only for {self.resource}"
            )
        scope = params.get("scope") or " ".join(SCOPES)
        if not set(scope.split()) <= set(SCOPES):
            raise RedirectError(pending, "invalid_scope", f"supported scopes: {' '.join(SCOPES)}")
        pending.update(
            code_challenge=challenge,
            resource=self.resource,
            scope=scope,
            browser=secrets.token_urlsafe(16),
        )
        pending_id = secrets.token_urlsafe(24)
        self.store.put(f"oauth:pending:{pending_id}", pending, ttl=PENDING_TTL)
        return client, pending_id

    def pending(self, pending_id: str | None) -> dict[str, Any] | None:
        if not pending_id or len(pending_id) > 100:
            return None
        return self.store.get(f"oauth:pending:{pending_id}")

    def signed_in(self, pending_id: str, identity: Identity) -> None:
        record = self.pending(pending_id)
        if record is None:
            raise OAuthError(
                "invalid_request", "the sign-in took too long; start again from the application"
            )
        record["user"] = identity.as_dict()
        self.store.put(f"oauth:pending:{pending_id}", record, ttl=PENDING_TTL)

    def approve(self, pending_id: str) -> str:
        """Consent given: a one-time code; returns the redirect URL with it."""
        record, first = self.store.claim(f"oauth:pending:{pending_id}")
        if record is None or not first or "user" not in record:
            raise OAuthError(
                "invalid_request", "this sign-in was already used or has expired; start again"
            )
        code = secrets.token_urlsafe(32)
        self.store.put(f"oauth:code:{_hash(code)}", record, ttl=CODE_TTL)
        return _with_query(record["redirect_uri"], code=code, state=record.get("state"))

    def deny(self, pending_id: str) -> str:
        record, _ = self.store.claim(f"oauth:pending:{pending_id}")
        if record is None:
            raise OAuthError("invalid_request", "this sign-in has expired")
        return _with_query(
            record["redirect_uri"], error="access_denied",
            error_description="the user declined", state=record.get("state"),
        )  # fmt: skip

    # -- tokens ---------------------------------------------------------------------------

    def exchange_code(
        self, client: dict[str, Any], code: str, redirect_uri: str | None, verifier: str | None
    ) -> dict[str, Any]:
        record, first = self.store.claim(f"oauth:code:{_hash(code or '')}")
        if record is None:
            raise OAuthError("invalid_grant", "the authorization code is unknown or expired")
        if not first:
            # A replayed code: whatever it produced is no longer trustworthy.
            issued = self.store.get(f"oauth:codefamily:{_hash(code)}")
            if issued is not None:
                self.revoke_family(issued["family"])
            raise OAuthError("invalid_grant", "the authorization code was already used")
        if record["client_id"] != client["client_id"]:
            raise OAuthError("invalid_grant", "the code was issued to another client")
        if redirect_uri is not None and redirect_uri != record["redirect_uri"]:
            raise OAuthError(
                "invalid_grant", "redirect_uri does not match the authorization request"
            )
        if (
            not verifier
            or not (43 <= len(verifier) <= 128)
            or not hmac.compare_digest(s256(verifier), record["code_challenge"])
        ):
            raise OAuthError("invalid_grant", "PKCE verification failed (code_verifier)")
        family = secrets.token_urlsafe(16)
        self.store.put(f"oauth:family:{family}", {"revoked": False}, ttl=REFRESH_TTL)
        self.store.put(f"oauth:codefamily:{_hash(code)}", {"family": family}, ttl=CODE_TTL)
        return self._issue(record, family)

    def refresh(self, client: dict[str, Any], refresh_token: str) -> dict[str, Any]:
        record, first = self.store.claim(f"oauth:refresh:{_hash(refresh_token or '')}")
        if record is None:
            raise OAuthError("invalid_grant", "the refresh token is unknown, expired or revoked")
        if record["client_id"] != client["client_id"]:
            raise OAuthError("invalid_grant", "the refresh token belongs to another client")
        if not first or not self._family_alive(record["family"]):
            self.revoke_family(record["family"])
            raise OAuthError("invalid_grant", "the refresh token was already used; sign in again")
        return self._issue(record, record["family"])

    def _issue(self, grant: dict[str, Any], family: str) -> dict[str, Any]:
        access = _secret("spat_")
        refresh = _secret("sprt_")
        common = {
            "user": grant["user"],
            "client_id": grant["client_id"],
            "resource": grant["resource"],
            "scope": grant["scope"],
            "family": family,
        }
        self.store.put(f"oauth:access:{_hash(access)}", common, ttl=ACCESS_TTL)
        self.store.put(f"oauth:refresh:{_hash(refresh)}", common, ttl=REFRESH_TTL)
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": ACCESS_TTL,
            "refresh_token": refresh,
            "scope": grant["scope"],
        }

    def _family_alive(self, family: str) -> bool:
        record = self.store.get(f"oauth:family:{family}")
        return record is not None and not record.get("revoked")

    def revoke_family(self, family: str) -> None:
        self.store.put(f"oauth:family:{family}", {"revoked": True}, ttl=REFRESH_TTL)

    def revoke(self, client: dict[str, Any], token: str) -> None:
        """RFC 7009: revoke an access or refresh token (and its grant); unknown tokens are fine."""
        for kind in ("access", "refresh"):
            record = self.store.get(f"oauth:{kind}:{_hash(token or '')}")
            if record is not None and record["client_id"] == client["client_id"]:
                self.store.delete(f"oauth:{kind}:{_hash(token)}")
                self.revoke_family(record["family"])

    def validate(self, token: str, resource: str | None = None) -> AccessGrant | None:
        """The grant behind a bearer token, or None (unknown, expired, revoked, wrong audience)."""
        if not token.startswith("spat_") or len(token) > 200:
            return None
        record = self.store.get(f"oauth:access:{_hash(token)}")
        if record is None or not self._family_alive(record["family"]):
            return None
        if resource is not None and record["resource"].rstrip("/") != resource.rstrip("/"):
            return None
        return AccessGrant(
            Identity.from_dict(record["user"]),
            record["client_id"],
            record["resource"],
            record["scope"],
        )


class RedirectError(OAuthError):
    """An authorization error to report through the client's redirect URI."""

    def __init__(self, pending: dict[str, Any], error: str, description: str) -> None:
        super().__init__(error, description)
        self.location = _with_query(
            pending["redirect_uri"],
            error=error,
            error_description=description,
            state=pending.get("state"),
        )


def _with_query(uri: str, **params: str | None) -> str:
    from urllib.parse import urlencode

    extra = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{uri}{'&' if '?' in uri else '?'}{extra}"

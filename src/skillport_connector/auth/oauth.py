"""An OAuth 2.1 authorization server for MCP clients (Claude.ai, Claude Desktop, Claude Code).

State lives in the shared :class:`~skillport_connector.store.Store`, so every instance
answers every step and a revocation is seen by all of them at once. Rules enforced here:

* dynamic client registration (RFC 7591), bounded (:mod:`.registration`); redirect URIs
  must be https, or http on a loopback host (any port, RFC 8252); a client that never
  obtains a token expires within the hour;
* authorization code with PKCE, ``S256`` only; codes live 5 minutes and work once;
* opaque access tokens (1 hour) and refresh tokens (30 days), stored only as hashes;
* refresh rotation: each refresh token works once; presenting a spent one revokes the
  whole grant (every token descended from the same authorization);
* revocation (RFC 7009) takes effect immediately, because validation reads the store;
* tokens are bound to the connector they were issued for (RFC 8707): each MCP transport
  is a resource of its own (``/mcp``, ``/sse``), and a token for one works on all of them.

HTTP lives elsewhere (:mod:`.handlers`); this class takes and returns typed records.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..clock import Clock, system_clock
from ..store import Store, keys
from . import pkce, registration
from .errors import InvalidClient, OAuthError, RedirectError
from .identity import Identity
from .records import (
    Grant,
    GrantFamily,
    OAuthClient,
    PendingAuthorization,
    Registration,
    TokenResponse,
    UpstreamSignIn,
    parse,
)
from .redirects import redirect_matches, with_query

ACCESS_TTL = 3600
REFRESH_TTL = 30 * 24 * 3600
CODE_TTL = 300
PENDING_TTL = 600
SCOPES = ("skills",)
#: How often a client's use is written back (each write extends its life).
CLIENT_TOUCH_INTERVAL = 24 * 3600
#: The client id of sign-ins started by the connector's own web pages (never registered:
#: such a sign-in ends in a browser session, not in an authorization code).
WEB_CLIENT_ID = "skillport-web"

__all__ = ["SCOPES", "WEB_CLIENT_ID", "AccessGrant", "OAuthError", "OAuthServer", "RedirectError"]


@dataclass(frozen=True)
class AccessGrant:
    identity: Identity
    client_id: str
    resource: str
    scope: str


def _secret(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def _bounded(value: str | None, limit: int = 200) -> str:
    """An identifier from a request, or "" when absent or implausibly long."""
    return value if value and len(value) <= limit else ""


class OAuthServer:
    def __init__(
        self,
        store: Store,
        *,
        resource: str,
        issuer: str,
        clock: Clock = system_clock,
        also_resources: tuple[str, ...] = (),
    ) -> None:
        self.store = store
        #: The default resource (a request naming none gets it); ``resources`` are all of
        #: this connector's, one per MCP transport.
        self.resource = resource
        self.resources = (resource, *also_resources)
        self.issuer = issuer
        self.clock = clock

    def resource_named(self, resource: str | None) -> str | None:
        """Which of this connector's resources ``resource`` names (a trailing slash aside)."""
        wanted = (resource or "").rstrip("/")
        return next((r for r in self.resources if r.rstrip("/") == wanted), None)

    # -- clients --------------------------------------------------------------------------

    def register(self, metadata: dict[str, Any]) -> Registration:
        meta = registration.validate(metadata)
        secret = _secret("spcs_") if meta.token_endpoint_auth_method != "none" else None
        client = OAuthClient(
            client_id="spc_" + secrets.token_urlsafe(16),
            client_name=meta.client_name,
            redirect_uris=meta.redirect_uris,
            token_endpoint_auth_method=meta.token_endpoint_auth_method,
            grant_types=meta.grant_types,
            issued_at=int(self.clock()),
            secret_hash=keys.digest(secret) if secret else None,
        )
        self._put_client(client, registration.UNUSED_CLIENT_TTL)
        return Registration(client, secret)

    def _put_client(self, client: OAuthClient, ttl: float) -> None:
        self.store.put(keys.OAUTH_CLIENT + client.client_id, client.to_record(), ttl=ttl)

    def client(self, client_id: str | None) -> OAuthClient | None:
        client_id = _bounded(client_id, 100)
        if not client_id:
            return None
        return parse(OAuthClient, self.store.get(keys.OAUTH_CLIENT + client_id))

    def authenticate_client(self, client_id: str | None, client_secret: str | None) -> OAuthClient:
        client = self.client(client_id)
        if client is None:
            raise InvalidClient("unknown client_id; register again")
        expected = client.secret_hash
        if expected is not None and not (
            client_secret
            and hmac.compare_digest(keys.digest(client_secret).encode(), expected.encode())
        ):
            raise InvalidClient("client authentication failed")
        return client

    def _mark_used(self, client: OAuthClient) -> None:
        """A token was issued: the client lives on (written at most once a day)."""
        now = int(self.clock())
        if client.used_at is None or now - client.used_at >= CLIENT_TOUCH_INTERVAL:
            self._put_client(replace(client, used_at=now), registration.CLIENT_TTL)

    # -- authorization --------------------------------------------------------------------

    def start(self, params: Mapping[str, str]) -> tuple[OAuthClient, str]:
        """Validate an authorization request; returns the client and a pending-request id.

        Problems that must not be sent to the redirect URI (unknown client, unregistered
        redirect) raise OAuthError; the others RedirectError, whose ``location`` carries them.
        """
        client = self.client(params.get("client_id"))
        if client is None:
            raise InvalidClient("unknown client_id: the application must register first")
        redirect_uri = params.get("redirect_uri") or (
            client.redirect_uris[0] if len(client.redirect_uris) == 1 else ""
        )
        if not any(redirect_matches(r, redirect_uri) for r in client.redirect_uris):
            raise OAuthError("invalid_request", "redirect_uri is not registered for this client")
        state = params.get("state")

        def back(error: str, description: str) -> RedirectError:
            location = with_query(
                redirect_uri, error=error, error_description=description, state=state
            )
            return RedirectError(location, error, description)

        # From here on, errors go back to the client through its redirect URI.
        if params.get("response_type") != "code":
            raise back("unsupported_response_type", "response_type must be code")
        challenge = params.get("code_challenge") or ""
        if params.get("code_challenge_method") != "S256" or not pkce.well_formed(challenge):
            raise back("invalid_request", "PKCE with code_challenge_method=S256 is required")
        resource = self.resource_named(params.get("resource") or self.resource)
        if resource is None:
            served = " or ".join(self.resources)
            raise back("invalid_target", f"this server issues tokens only for {served}")
        scope = params.get("scope") or " ".join(SCOPES)
        if not set(scope.split()) <= set(SCOPES):
            raise back("invalid_scope", f"supported scopes: {' '.join(SCOPES)}")
        pending = PendingAuthorization(
            client_id=client.client_id,
            redirect_uri=redirect_uri,
            state=state,
            code_challenge=challenge,
            resource=resource,
            scope=scope,
            browser=secrets.token_urlsafe(16),
        )
        pending_id = secrets.token_urlsafe(24)
        self.store.put(keys.OAUTH_PENDING + pending_id, pending.to_record(), ttl=PENDING_TTL)
        return client, pending_id

    def start_web(self, next_path: str) -> str:
        """A sign-in for the web pages; once signed in it goes back to ``next_path``."""
        pending = PendingAuthorization(
            client_id=WEB_CLIENT_ID, redirect_uri=next_path, state=None, code_challenge="",
            resource="", scope="", browser=secrets.token_urlsafe(16),
        )  # fmt: skip
        pending_id = secrets.token_urlsafe(24)
        self.store.put(keys.OAUTH_PENDING + pending_id, pending.to_record(), ttl=PENDING_TTL)
        return pending_id

    def finish_web(self, pending_id: str) -> PendingAuthorization | None:
        """Spend a signed-in web sign-in (once); None when unknown, used or not a web one."""
        data, first = self.store.claim(keys.OAUTH_PENDING + _bounded(pending_id, 100))
        pending = parse(PendingAuthorization, data)
        if pending is None or not first or pending.user is None:
            return None
        return pending if pending.client_id == WEB_CLIENT_ID else None

    def pending(self, pending_id: str | None) -> PendingAuthorization | None:
        pending_id = _bounded(pending_id, 100)
        if not pending_id:
            return None
        return parse(PendingAuthorization, self.store.get(keys.OAUTH_PENDING + pending_id))

    def signed_in(self, pending_id: str, identity: Identity) -> None:
        pending = self.pending(pending_id)
        if pending is None:
            raise OAuthError(
                "invalid_request", "the sign-in took too long; start again from the application"
            )
        record = pending.signed_in(identity).to_record()
        self.store.put(keys.OAUTH_PENDING + pending_id, record, ttl=PENDING_TTL)

    def approve(self, pending_id: str) -> str:
        """Consent given: a one-time code; returns the redirect URL with it."""
        data, first = self.store.claim(keys.OAUTH_PENDING + _bounded(pending_id, 100))
        pending = parse(PendingAuthorization, data)
        if pending is None or not first or pending.user is None or pending.device is not None:
            raise OAuthError(
                "invalid_request", "this sign-in was already used or has expired; start again"
            )
        code = secrets.token_urlsafe(32)
        self.store.put(keys.hashed(keys.OAUTH_CODE, code), pending.to_record(), ttl=CODE_TTL)
        return with_query(pending.redirect_uri, code=code, state=pending.state)

    def deny(self, pending_id: str) -> str:
        data, _ = self.store.claim(keys.OAUTH_PENDING + _bounded(pending_id, 100))
        pending = parse(PendingAuthorization, data)
        if pending is None:
            raise OAuthError("invalid_request", "this sign-in has expired")
        if pending.device is not None:  # a device's sign-in: no redirect; the code expires
            return "/device?done=denied"
        return with_query(
            pending.redirect_uri, error="access_denied",
            error_description="the user declined", state=pending.state,
        )  # fmt: skip

    # -- the upstream identity provider's round trip ---------------------------------------

    def remember_upstream(self, sign_in: UpstreamSignIn) -> None:
        self.store.put(keys.OAUTH_UPSTREAM + sign_in.state, sign_in.to_record(), ttl=PENDING_TTL)

    def resume_upstream(self, state: str | None) -> UpstreamSignIn | None:
        """The sign-in ``state`` names, once: a second callback with it gets None."""
        data, first = self.store.claim(keys.OAUTH_UPSTREAM + _bounded(state, 100))
        return parse(UpstreamSignIn, data) if first else None

    # -- tokens ---------------------------------------------------------------------------

    def exchange_code(
        self, client: OAuthClient, code: str, redirect_uri: str | None, verifier: str | None
    ) -> TokenResponse:
        code = code or ""
        data, first = self.store.claim(keys.hashed(keys.OAUTH_CODE, code))
        request = parse(PendingAuthorization, data)
        if request is None or request.user is None:
            raise OAuthError("invalid_grant", "the authorization code is unknown or expired")
        if not first:
            # A replayed code: whatever it produced is no longer trustworthy.
            issued = self.store.get(keys.hashed(keys.OAUTH_CODE_FAMILY, code))
            if issued is not None and isinstance(issued.get("family"), str):
                self.revoke_family(issued["family"])
            raise OAuthError("invalid_grant", "the authorization code was already used")
        if request.client_id != client.client_id:
            raise OAuthError("invalid_grant", "the code was issued to another client")
        if redirect_uri is not None and redirect_uri != request.redirect_uri:
            raise OAuthError(
                "invalid_grant", "redirect_uri does not match the authorization request"
            )
        if not pkce.verify(verifier, request.code_challenge):
            raise OAuthError("invalid_grant", "PKCE verification failed (code_verifier)")
        issued, family = self.issue_new_grant(client, request.user, request.resource, request.scope)
        self.store.put(keys.hashed(keys.OAUTH_CODE_FAMILY, code), {"family": family}, ttl=CODE_TTL)
        return issued

    def issue_new_grant(
        self, client: OAuthClient, user: Identity, resource: str, scope: str
    ) -> tuple[TokenResponse, str]:
        """Tokens of a new authorization (a new grant family), and that family's id."""
        family = secrets.token_urlsafe(16)
        self.store.put(keys.OAUTH_FAMILY + family, GrantFamily().to_record(), ttl=REFRESH_TTL)
        grant = Grant(user, client.client_id, resource, scope, family)
        return self._issue(client, grant), family

    def refresh(self, client: OAuthClient, refresh_token: str) -> TokenResponse:
        data, first = self.store.claim(keys.hashed(keys.OAUTH_REFRESH, refresh_token or ""))
        grant = parse(Grant, data)
        if grant is None:
            raise OAuthError("invalid_grant", "the refresh token is unknown, expired or revoked")
        if grant.client_id != client.client_id:
            raise OAuthError("invalid_grant", "the refresh token belongs to another client")
        if not first or not self._family_alive(grant.family):
            self.revoke_family(grant.family)
            raise OAuthError("invalid_grant", "the refresh token was already used; sign in again")
        return self._issue(client, grant)

    def _issue(self, client: OAuthClient, grant: Grant) -> TokenResponse:
        access = _secret("spat_")
        refresh = _secret("sprt_")
        record = grant.to_record()
        self.store.put(keys.hashed(keys.OAUTH_ACCESS, access), record, ttl=ACCESS_TTL)
        self.store.put(keys.hashed(keys.OAUTH_REFRESH, refresh), record, ttl=REFRESH_TTL)
        self._mark_used(client)
        return TokenResponse(access, refresh, ACCESS_TTL, grant.scope)

    def _family_alive(self, family: str) -> bool:
        record = parse(GrantFamily, self.store.get(keys.OAUTH_FAMILY + family))
        return record is not None and not record.revoked

    def revoke_family(self, family: str) -> None:
        self.store.put(
            keys.OAUTH_FAMILY + family, GrantFamily(revoked=True).to_record(), ttl=REFRESH_TTL
        )

    def revoke(self, client: OAuthClient, token: str) -> None:
        """RFC 7009: revoke an access or refresh token (and its grant); unknown tokens are fine."""
        for prefix in (keys.OAUTH_ACCESS, keys.OAUTH_REFRESH):
            key = keys.hashed(prefix, token or "")
            grant = parse(Grant, self.store.get(key))
            if grant is not None and grant.client_id == client.client_id:
                self.store.delete(key)
                self.revoke_family(grant.family)

    def validate(self, token: str, resource: str | None = None) -> AccessGrant | None:
        """The grant behind a bearer token, or None (unknown, expired, revoked, wrong audience).
        A token issued for any of this connector's resources is good for all of them."""
        if not token.startswith("spat_") or len(token) > 200:
            return None
        grant = parse(Grant, self.store.get(keys.hashed(keys.OAUTH_ACCESS, token)))
        if grant is None or not self._family_alive(grant.family):
            return None
        if self.resource_named(grant.resource) is None:
            return None
        if resource is not None and self.resource_named(resource) is None:
            return None
        return AccessGrant(grant.user, grant.client_id, grant.resource, grant.scope)

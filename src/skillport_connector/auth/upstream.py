"""Sign-in through the organisation's identity provider (OpenID Connect).

Google Workspace, Microsoft Entra ID and any OIDC issuer found by discovery (Okta,
Keycloak, Auth0, …) go through the same code: authorization code with PKCE, then the ID
token is verified against the issuer's published keys (signature, issuer, audience,
expiry, nonce). The user id is ``<provider>:<sub>``.

A domain allow-list applies to every provider: Google's ``hd`` claim, Entra's tenant
(``tid``) or, elsewhere, the domain of a *verified* e-mail address.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from .identity import Identity
from .oauth import s256

ID_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]


class SignInError(Exception):
    """Sign-in failed; ``status`` 403 means the account is not allowed (not a malfunction)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class UpstreamConfig:
    provider: str  # "google" | "entra" | a label for a generic issuer ("oidc", "okta", …)
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    allowed_domains: tuple[str, ...] = ()
    scopes: str = "openid email profile"


def google(client_id: str, client_secret: str, allowed_domains: tuple[str, ...]) -> UpstreamConfig:
    return UpstreamConfig(
        "google", "https://accounts.google.com", client_id, client_secret, allowed_domains
    )


def entra(
    tenant: str, client_id: str, client_secret: str, allowed: tuple[str, ...]
) -> UpstreamConfig:
    issuer = f"https://login.microsoftonline.com/{tenant}/v2.0"
    return UpstreamConfig("entra", issuer, client_id, client_secret, allowed)


class Upstream:
    """One configured identity provider, with its discovery document and keys cached."""

    def __init__(
        self, config: UpstreamConfig, redirect_uri: str, *, http: httpx.Client | None = None
    ) -> None:
        self.config = config
        self.redirect_uri = redirect_uri
        self.http = http or httpx.Client(timeout=10, follow_redirects=False)
        self._discovery: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._keys_at = 0.0

    # -- discovery ------------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        if self._discovery is None:
            url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
            try:
                response = self.http.get(url)
                response.raise_for_status()
                doc = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise SignInError(
                    f"cannot read the identity provider's configuration: {exc}", 502
                ) from None
            if doc.get("issuer", "").rstrip("/") != self.config.issuer.rstrip("/"):
                raise SignInError(
                    "the identity provider's discovery document names another issuer", 502
                )
            self._discovery = doc
        return self._discovery

    def keys(self, refresh: bool = False) -> KeySet:
        if self._keys is None or (refresh and time.time() - self._keys_at > 60):
            try:
                response = self.http.get(self.discovery()["jwks_uri"])
                response.raise_for_status()
                self._keys = KeySet.import_key_set(response.json())
                self._keys_at = time.time()
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                raise SignInError(f"cannot read the identity provider's keys: {exc}", 502) from None
        return self._keys

    # -- the flow -------------------------------------------------------------------------

    def begin(self) -> tuple[str, dict[str, str]]:
        """The URL to send the browser to, and what to remember until it comes back."""
        state = secrets.token_urlsafe(24)
        nonce = secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)
        params = {
            "response_type": "code",
            "client_id": self.config.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": self.config.scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": s256(verifier),
            "code_challenge_method": "S256",
        }
        if self.config.provider == "google" and len(self.config.allowed_domains) == 1:
            params["hd"] = self.config.allowed_domains[0]  # a hint only; checked again below
        if self.config.provider == "google":
            params["prompt"] = "select_account"
        url = self.discovery()["authorization_endpoint"]
        return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}", {
            "state": state,
            "nonce": nonce,
            "verifier": verifier,
        }

    def finish(self, code: str, remembered: dict[str, str]) -> Identity:
        """Exchange the code, verify the ID token, apply the domain allow-list."""
        try:
            response = self.http.post(
                self.discovery()["token_endpoint"],
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": self.redirect_uri,
                    "code_verifier": remembered["verifier"],
                },
                auth=(self.config.client_id, self.config.client_secret),
            )
        except httpx.HTTPError as exc:
            raise SignInError(f"the identity provider did not answer: {exc}", 502) from None
        if response.status_code != 200:
            raise SignInError("the identity provider refused the sign-in code; try again", 502)
        id_token = response.json().get("id_token")
        if not isinstance(id_token, str):
            raise SignInError(
                "the identity provider sent no ID token (is 'openid' in the scopes?)", 502
            )
        claims = self._verify(id_token, remembered["nonce"])
        return self._identity(claims)

    def _verify(self, id_token: str, nonce: str) -> dict[str, Any]:
        for attempt in range(2):
            try:
                token = jwt.decode(
                    id_token, self.keys(refresh=attempt > 0), algorithms=ID_TOKEN_ALGORITHMS
                )
                break
            except JoseError as exc:
                if attempt:
                    raise SignInError(f"the ID token could not be verified: {exc}", 502) from None
        claims = dict(token.claims)
        registry = jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": self.discovery()["issuer"]},
            aud={"essential": True, "value": self.config.client_id},
            exp={"essential": True},
            sub={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise SignInError(f"the ID token is not valid here: {exc}", 502) from None
        return claims

    def _identity(self, claims: dict[str, Any]) -> Identity:
        email = claims.get("email") or claims.get("preferred_username") or ""
        allowed = tuple(d.lower() for d in self.config.allowed_domains)
        if allowed:
            if self.config.provider == "google":
                ok = str(claims.get("hd", "")).lower() in allowed
            elif self.config.provider == "entra":
                ok = (
                    str(claims.get("tid", "")).lower() in allowed
                    or _verified_domain(claims) in allowed
                )
            else:
                ok = _verified_domain(claims) in allowed
            if not ok:
                raise SignInError(
                    f"{email or 'This account'} is not allowed here: only accounts of "
                    + ", ".join(allowed)
                    + " can sign in.",
                    403,
                )
        if not email or "@" not in email:
            raise SignInError(
                "the identity provider did not share an e-mail address (scope 'email')", 502
            )
        name = claims.get("name") or email.split("@")[0]
        return Identity(id=f"{self.config.provider}:{claims['sub']}", email=email, name=str(name))


def _verified_domain(claims: dict[str, Any]) -> str:
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email or claims.get("email_verified") is not True:
        return ""
    return email.rsplit("@", 1)[1].lower()


def issuer_allowed(issuer: str, loopback: bool) -> str | None:
    """Why ``issuer`` is unacceptable, or None: http only for a loopback issuer and server."""
    parts = urlsplit(issuer)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1") and loopback:
        return None
    return f"issuer {issuer!r} must use https (http is accepted only on loopback, for tests)"

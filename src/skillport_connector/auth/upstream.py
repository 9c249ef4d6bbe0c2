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
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from ..clock import Clock, system_clock
from ..errors import Kind, SkillportError
from .identity import Identity
from .pkce import s256
from .providers import (
    UpstreamConfig,
    entra,
    google,
    issuer_allowed,
    verified_domains,
)
from .records import UpstreamSignIn

if TYPE_CHECKING:  # httpx is imported where an identity provider is configured
    import httpx

__all__ = [
    "ProviderFailed",
    "SignInError",
    "SignInRefused",
    "Upstream",
    "UpstreamConfig",
    "entra",
    "google",
    "issuer_allowed",
]

ID_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]


class SignInError(SkillportError):
    """Sign-in failed; the page says why with ``status`` (400 unless a subclass says)."""

    kind: ClassVar[Kind] = "invalid"
    status: ClassVar[int] = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)


class SignInRefused(SignInError):
    """The account is not allowed here (not a malfunction)."""

    kind: ClassVar[Kind] = "forbidden"
    status: ClassVar[int] = 403


class ProviderFailed(SignInError):
    """The identity provider misbehaved or could not be reached (502 Bad Gateway)."""

    kind: ClassVar[Kind] = "unavailable"
    status: ClassVar[int] = 502


class Upstream:
    """One configured identity provider, with its discovery document and keys cached."""

    def __init__(
        self,
        config: UpstreamConfig,
        redirect_uri: str,
        *,
        http: httpx.Client | None = None,
        clock: Clock = system_clock,
    ) -> None:
        import httpx

        self.config = config
        self.redirect_uri = redirect_uri
        self.http = http or httpx.Client(timeout=10, follow_redirects=False)
        self._discovery: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._keys_at = 0.0
        self._clock = clock

    # -- discovery ------------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        import httpx

        if self._discovery is None:
            url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
            try:
                response = self.http.get(url)
                response.raise_for_status()
                doc = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise ProviderFailed(
                    f"cannot read the identity provider's configuration: {exc}"
                ) from None
            if doc.get("issuer", "").rstrip("/") != self.config.issuer.rstrip("/"):
                raise ProviderFailed(
                    "the identity provider's discovery document names another issuer"
                )
            self._discovery = doc
        return self._discovery

    def keys(self, refresh: bool = False) -> KeySet:
        import httpx

        if self._keys is None or (refresh and self._clock() - self._keys_at > 60):
            try:
                response = self.http.get(self.discovery()["jwks_uri"])
                response.raise_for_status()
                self._keys = KeySet.import_key_set(response.json())
                self._keys_at = self._clock()
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                raise ProviderFailed(f"cannot read the identity provider's keys: {exc}") from None
        return self._keys

    # -- the flow -------------------------------------------------------------------------

    def begin(self, pending_id: str = "") -> tuple[str, UpstreamSignIn]:
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
        if self.config.kind == "google" and len(self.config.allowed_domains) == 1:
            params["hd"] = self.config.allowed_domains[0]  # a hint only; checked again below
        if self.config.kind == "google":
            params["prompt"] = "select_account"
        url = self.discovery()["authorization_endpoint"]
        location = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
        return location, UpstreamSignIn(state, nonce, verifier, pending_id)

    def finish(self, code: str, remembered: UpstreamSignIn) -> Identity:
        """Exchange the code, verify the ID token, apply the domain allow-list."""
        import httpx

        try:
            response = self.http.post(
                self.discovery()["token_endpoint"],
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": self.redirect_uri,
                    "code_verifier": remembered.verifier,
                },
                auth=(self.config.client_id, self.config.client_secret),
            )
        except httpx.HTTPError as exc:
            raise ProviderFailed(f"the identity provider did not answer: {exc}") from None
        if response.status_code != 200:
            raise ProviderFailed("the identity provider refused the sign-in code; try again")
        try:
            id_token = response.json().get("id_token")
        except (ValueError, AttributeError):
            id_token = None
        if not isinstance(id_token, str):
            raise ProviderFailed(
                "the identity provider sent no ID token (is 'openid' in the scopes?)"
            )
        claims = self._verify(id_token, remembered.nonce)
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
                    raise ProviderFailed(f"the ID token could not be verified: {exc}") from None
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
            raise ProviderFailed(f"the ID token is not valid here: {exc}") from None
        return claims

    def _identity(self, claims: dict[str, Any]) -> Identity:
        email = claims.get("email") or claims.get("preferred_username") or ""
        if not isinstance(email, str):
            email = ""
        domains = verified_domains(self.config.kind, claims)
        allowed = tuple(d.lower() for d in self.config.allowed_domains)
        if allowed and not set(domains) & set(allowed):
            raise SignInRefused(
                f"{email or 'This account'} is not allowed here: only accounts of "
                + ", ".join(allowed)
                + " can sign in."
            )
        if not email or "@" not in email:
            raise ProviderFailed(
                "the identity provider did not share an e-mail address (scope 'email')"
            )
        name = claims.get("name") or email.split("@")[0]
        return Identity(
            id=f"{self.config.provider}:{claims['sub']}",
            email=email,
            name=str(name),
            verified_domains=domains,
        )

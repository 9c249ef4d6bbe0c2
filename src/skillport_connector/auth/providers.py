"""Which identity provider signs people in, and what it vouches for.

Exactly one of Google Workspace, Microsoft Entra ID or a generic OpenID Connect issuer
(Okta, Keycloak, Auth0, …) is configured, or none (then only the development sign-in
exists, and only when the public URL is loopback). :func:`verified_domains` is the one
rule for "this person belongs to that organisation": the allowed-domains check at sign-in
and ``domain:`` rules in access.json both use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from ..errors import ConfigError
from ..loopback import is_loopback_url

#: How a provider's ID tokens are read: Google's ``hd``, Entra's ``tid``, or plain OIDC.
ProviderKind = Literal["google", "entra", "oidc"]


@dataclass(frozen=True)
class UpstreamConfig:
    #: The provider part of user ids: "google", "entra", or a label ("okta", "keycloak", …).
    provider: str
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    allowed_domains: tuple[str, ...] = ()
    scopes: str = "openid email profile"
    kind: ProviderKind = "oidc"


def google(client_id: str, client_secret: str, allowed_domains: tuple[str, ...]) -> UpstreamConfig:
    return UpstreamConfig(
        "google", "https://accounts.google.com", client_id, client_secret, allowed_domains,
        kind="google",
    )  # fmt: skip


def entra(
    tenant: str, client_id: str, client_secret: str, allowed: tuple[str, ...]
) -> UpstreamConfig:
    issuer = f"https://login.microsoftonline.com/{tenant}/v2.0"
    return UpstreamConfig("entra", issuer, client_id, client_secret, allowed, kind="entra")


def verified_email_domain(claims: dict[str, Any]) -> str:
    """The domain of the e-mail address, only when the provider says it verified it."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email or claims.get("email_verified") is not True:
        return ""
    return email.rsplit("@", 1)[1].strip().lower()


def verified_domains(kind: ProviderKind, claims: dict[str, Any]) -> tuple[str, ...]:
    """The organisations an ID token vouches for: Google's Workspace domain (``hd``; a
    Google account's e-mail domain alone proves nothing), Entra's tenant id (``tid``) and a
    verified e-mail domain, or elsewhere a verified e-mail domain. Never an unverified one."""
    found: list[str] = []
    if kind == "google":
        found.append(str(claims.get("hd") or ""))
    else:
        if kind == "entra":
            found.append(str(claims.get("tid") or ""))
        found.append(verified_email_domain(claims))
    return tuple(sorted({d.strip().lower() for d in found if d.strip()}))


def issuer_allowed(issuer: str, loopback: bool) -> str | None:
    """Why ``issuer`` is unacceptable, or None: http only for a loopback issuer and server."""
    parts = urlsplit(issuer)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and loopback and is_loopback_url(issuer):
        return None
    return f"issuer {issuer!r} must use https (http is accepted only on loopback, for tests)"


class ProviderSettings(Protocol):
    """The settings :func:`select_provider` reads (``Settings`` has them all)."""

    oidc_issuer: str | None
    oidc_client_id: str | None
    oidc_client_secret: str | None
    oidc_provider_name: str
    google_client_id: str | None
    google_client_secret: str | None
    entra_tenant_id: str | None
    entra_client_id: str | None
    entra_client_secret: str | None
    allowed_domains: tuple[str, ...]

    @property
    def loopback(self) -> bool: ...


def _missing(*pairs: tuple[str, str | None]) -> list[str]:
    return [name for name, value in pairs if not value]


def select_provider(s: ProviderSettings) -> UpstreamConfig | None:
    """The configured identity provider, None when there is none; ConfigError when the
    settings name several, or one incompletely."""
    configured = []
    if s.oidc_issuer or s.oidc_client_id:
        configured.append("OIDC")
    if s.google_client_id:
        configured.append("Google")
    if s.entra_client_id or s.entra_tenant_id:
        configured.append("Entra")
    if len(configured) > 1:
        raise ConfigError(f"configure one identity provider, not {' and '.join(configured)}")
    if not configured:
        return None
    if configured == ["Google"]:
        if not s.google_client_secret:
            raise ConfigError("SKILLPORT_GOOGLE_CLIENT_SECRET is missing")
        return google(s.google_client_id or "", s.google_client_secret, s.allowed_domains)
    if configured == ["Entra"]:
        missing = _missing(
            ("SKILLPORT_ENTRA_TENANT_ID", s.entra_tenant_id),
            ("SKILLPORT_ENTRA_CLIENT_ID", s.entra_client_id),
            ("SKILLPORT_ENTRA_CLIENT_SECRET", s.entra_client_secret),
        )
        if missing:
            raise ConfigError(f"Entra ID sign-in needs {', '.join(missing)}")
        return entra(
            s.entra_tenant_id or "",
            s.entra_client_id or "",
            s.entra_client_secret or "",
            s.allowed_domains,
        )
    missing = _missing(
        ("SKILLPORT_OIDC_ISSUER", s.oidc_issuer),
        ("SKILLPORT_OIDC_CLIENT_ID", s.oidc_client_id),
        ("SKILLPORT_OIDC_CLIENT_SECRET", s.oidc_client_secret),
    )
    if missing:
        raise ConfigError(f"OIDC sign-in needs {', '.join(missing)}")
    why = issuer_allowed(s.oidc_issuer or "", s.loopback)
    if why:
        raise ConfigError(why)
    return UpstreamConfig(
        s.oidc_provider_name,
        s.oidc_issuer or "",
        s.oidc_client_id or "",
        s.oidc_client_secret or "",
        s.allowed_domains,
    )

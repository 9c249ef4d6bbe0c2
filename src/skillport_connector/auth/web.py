"""The authorization server's routes: metadata, registration, the sign-in and consent
pages, token and revocation, and the device authorization grant (RFC 8628). Each endpoint
is a handler in :mod:`.handlers`; this module only assembles them."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.routing import Route

from ..clientip import ClientAddress
from ..loopback import is_loopback_url
from .device import DeviceFlow
from .handlers.authorize import AuthorizationHandler
from .handlers.consent import ConsentHandler
from .handlers.device import DeviceAuthorizationHandler, DevicePageHandler
from .handlers.guard import Endpoint, Guarded
from .handlers.metadata import AuthorizationServerMetadataHandler, ProtectedResourceMetadataHandler
from .handlers.register import RegistrationHandler
from .handlers.revoke import RevocationHandler
from .handlers.signin import DevSignInHandler, UpstreamCallbackHandler
from .handlers.token import TokenHandler
from .oauth import OAuthServer
from .ratelimit import RateLimiter
from .upstream import Upstream

PROTECTED_RESOURCE = "/.well-known/oauth-protected-resource"


def sign_in_starter(
    server: OAuthServer, base_url: str, upstream: Upstream | None, dev_sign_in: bool
) -> AuthorizationHandler:
    """What sends a browser to sign in: the organisation's identity provider or, without
    one, the development form, and only when the public URL itself is loopback (whatever the
    caller asked: behind a proxy it is off). The OAuth flow and the web pages share it."""
    dev = dev_sign_in and upstream is None and is_loopback_url(base_url)
    return AuthorizationHandler(server, upstream, dev, base_url.startswith("https://"))


def oauth_routes(
    server: OAuthServer,
    *,
    base_url: str,
    resource_paths: list[str],
    upstream: Upstream | None,
    dev_sign_in: bool,
    limiter: RateLimiter | None = None,
    ip_limit: int = 0,
    register_limit: int = 0,
    client_address: ClientAddress | None = None,
) -> list[Route]:
    """Routes of the authorization server. ``upstream`` is the organisation's identity
    provider; without one, ``dev_sign_in`` offers a plain login form, and only when the
    public URL itself is loopback (whatever the caller asked: behind a proxy it is off).
    ``ip_limit`` counts every sign-in request and ``register_limit`` registrations, per
    client address as ``client_address`` resolves it (trusted proxies)."""
    guard = _Guard(limiter, ip_limit, client_address or ClientAddress())
    authorize = sign_in_starter(server, base_url, upstream, dev_sign_in)
    return [
        *_metadata_routes(server, base_url, resource_paths),
        *_sign_in_routes(server, base_url, upstream, authorize, guard, register_limit),
    ]


@dataclass(frozen=True)
class _Guard:
    """Wraps each endpoint in the per-address limit and the error shape it answers with."""

    limiter: RateLimiter | None
    ip_limit: int
    addresses: ClientAddress

    def __call__(self, handle: Endpoint, json_errors: bool) -> Endpoint:
        return Guarded(handle, json_errors, self.limiter, self.ip_limit, self.addresses).handle


def _metadata_routes(server: OAuthServer, base_url: str, resource_paths: list[str]) -> list[Route]:
    """The discovery documents: the authorization server's, the resource's, and one per
    transport path (``/.well-known/oauth-protected-resource/mcp`` and the like)."""
    resource = ProtectedResourceMetadataHandler(server.resource, base_url).handle
    return [
        Route(
            "/.well-known/oauth-authorization-server",
            AuthorizationServerMetadataHandler(base_url).handle,
            methods=["GET"],
        ),
        Route(PROTECTED_RESOURCE, resource, methods=["GET"]),
        *(
            Route(PROTECTED_RESOURCE + p, _resource_metadata(server, base_url, p), methods=["GET"])
            for p in resource_paths
        ),
    ]


def _sign_in_routes(
    server: OAuthServer,
    base_url: str,
    upstream: Upstream | None,
    authorize: AuthorizationHandler,
    guarded: _Guard,
    register_limit: int,
) -> list[Route]:
    """Registration, the sign-in and consent pages, token, revocation, the device grant."""
    register = RegistrationHandler(server, guarded.limiter, register_limit).handle
    device = DeviceFlow(server, base_url)
    return [
        Route("/register", guarded(register, True), methods=["POST"]),
        Route("/authorize", guarded(authorize.handle, False), methods=["GET"]),
        Route(
            "/callback",
            guarded(UpstreamCallbackHandler(server, upstream).handle, False),
            methods=["GET"],
        ),
        Route(
            "/login",
            guarded(DevSignInHandler(server, authorize.dev_sign_in).handle, False),
            methods=["GET", "POST"],
        ),
        Route(
            "/consent",
            guarded(ConsentHandler(server, device).handle, False),
            methods=["GET", "POST"],
        ),
        Route("/token", guarded(TokenHandler(server, device).handle, True), methods=["POST"]),
        Route(
            "/device_authorization",
            guarded(DeviceAuthorizationHandler(device).handle, True),
            methods=["POST"],
        ),
        Route(
            "/device",
            guarded(DevicePageHandler(device, authorize).handle, False),
            methods=["GET", "POST"],
        ),
        Route("/revoke", guarded(RevocationHandler(server).handle, True), methods=["POST"]),
    ]


def _resource_metadata(server: OAuthServer, base_url: str, path: str) -> Endpoint:
    """RFC 9728 metadata of the resource at ``path``: each transport names its own URL (a
    client checks that the metadata it finds names the URL it was given)."""
    url = server.resource_named(f"{base_url}{path}")
    if url is None:
        raise ValueError(f"{base_url}{path} is not one of the OAuth server's resources")
    return ProtectedResourceMetadataHandler(url, base_url).handle

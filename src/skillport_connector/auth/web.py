"""The authorization server's routes: metadata, registration, the sign-in and consent
pages, token and revocation, and the device authorization grant (RFC 8628). Each endpoint
is a handler in :mod:`.handlers`; this module only assembles them."""

from __future__ import annotations

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
    addresses = client_address or ClientAddress()

    def guarded(handle: Endpoint, json_errors: bool) -> Endpoint:
        return Guarded(handle, json_errors, limiter, ip_limit, addresses).handle

    resource = ProtectedResourceMetadataHandler(server.resource, base_url).handle
    per_path = [(p, _resource_metadata(server, base_url, p)) for p in resource_paths]
    register = RegistrationHandler(server, limiter, register_limit).handle
    authorize = sign_in_starter(server, base_url, upstream, dev_sign_in)
    device = DeviceFlow(server, base_url)
    routes = [
        Route(
            "/.well-known/oauth-authorization-server",
            AuthorizationServerMetadataHandler(base_url).handle,
            methods=["GET"],
        ),
        Route(PROTECTED_RESOURCE, resource, methods=["GET"]),
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
    routes += [Route(PROTECTED_RESOURCE + p, handle, methods=["GET"]) for p, handle in per_path]
    return routes


def _resource_metadata(server: OAuthServer, base_url: str, path: str) -> Endpoint:
    """RFC 9728 metadata of the resource at ``path``: each transport names its own URL (a
    client checks that the metadata it finds names the URL it was given)."""
    url = server.resource_named(f"{base_url}{path}")
    if url is None:
        raise ValueError(f"{base_url}{path} is not one of the OAuth server's resources")
    return ProtectedResourceMetadataHandler(url, base_url).handle

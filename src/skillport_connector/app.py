"""Composition root: settings in, one ASGI application out.

Three applications share one process and one store: the REST API with the OAuth server
(Starlette), the MCP Streamable HTTP endpoint and the legacy SSE endpoint (fastmcp).
A small dispatcher sends each request to the one that owns its path; the REST app's
Starlette ``lifespan`` starts and stops the MCP apps and the source's poller together.

Around them, outermost first: metrics by route template, the Host check (DNS rebinding),
CORS for browser clients of the MCP and OAuth endpoints only. In front of it all, the
plain ``GET /api/skills`` is answered in one pass (:mod:`.api.listing`).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator
from typing import Any

from fastmcp.server.http import create_sse_app
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from . import __version__, heap
from .api.errors import EXCEPTION_HANDLERS
from .api.listing import ListingLane
from .api.openapi import ApiRouter
from .api.operations import metrics, readyz
from .api.routes import build_api
from .auth import Identity
from .auth.handlers.guard import Endpoint, Guarded
from .auth.oauth import OAuthServer
from .auth.upstream import Upstream
from .auth.web import oauth_routes, sign_in_starter
from .clock import Clock, system_clock
from .hostguard import BrowserCORS, HostGuard, allowed_hosts
from .marketplace.routes import GIT_ROUTES
from .marketplace.service import ClaudeCodeMarketplace
from .mcp.methods import MethodGuard
from .mcp.server import build_mcp
from .metrics import MetricsMiddleware
from .redaction import install_log_redaction
from .services import Services, build_services
from .settings import ConfigError, Settings
from .sources.base import Announcing
from .sources.factory import open_source
from .store import Store, open_store
from .web import build_web

DESCRIPTION = (
    "Serves an organisation's Claude Skills marketplace. Authenticate with "
    "`Authorization: Bearer sk_api_…` (or an OAuth access token); every error is "
    "`{error, message}`."
)
MCP_PATH = "/mcp"
SSE_PATH = "/sse"
SSE_MESSAGE_PATH = "/sse/message"
#: What the transports accept: stateless Streamable HTTP has no GET stream; the SSE stream
#: is GET, its message endpoint (a mount) POST.
MCP_METHODS = {MCP_PATH: ("POST", "DELETE")}
SSE_METHODS = {SSE_PATH: ("GET", "HEAD"), SSE_MESSAGE_PATH + "/": ("POST",)}


class Dispatcher:
    """Route by path prefix to the application that owns it; everything else is REST."""

    def __init__(self, rest: ASGIApp, prefixes: list[tuple[str, ASGIApp]]) -> None:
        self.rest = rest
        self.prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            path = scope.get("path", "")
            for prefix, app in self.prefixes:
                if path == prefix or path.startswith(prefix + "/"):
                    await app(scope, receive, send)
                    return
        await self.rest(scope, receive, send)


class ConnectorApp:
    """The ASGI application, with the REST app's ``state`` (``state.services``) and the
    documented REST ``routes`` (OAuth and MCP endpoints have their own standards)."""

    def __init__(self, app: ASGIApp, rest: Starlette, routes: list[Route]) -> None:
        self.app = app
        self.state = rest.state
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    mcp_auth: bool = True,
    clock: Clock = system_clock,
) -> ConnectorApp:
    """The whole connector. ``mcp_auth=False`` (``serve --no-auth``) serves MCP without
    sign-in, as the dev user: for local MCP clients and the conformance suite, refused
    unless the server and its public URL are loopback. ``clock`` is what every expiry and
    rate-limit window reads (tests pass a :class:`~.clock.FakeClock`)."""
    _refuse_unsafe_no_auth(settings, mcp_auth)
    install_log_redaction()
    store = store or open_store(settings, clock=clock)
    base = settings.base_url
    oauth = OAuthServer(
        store,
        resource=f"{base}{MCP_PATH}",
        issuer=base,
        clock=clock,
        also_resources=(f"{base}{SSE_PATH}",),
    )
    services = build_services(settings, open_source(settings, clock), store, oauth, clock=clock)
    hosts = allowed_hosts(base, settings.host, settings.port) + list(settings.allowed_hosts)
    mcp_apps = _mcp_apps(services, settings, mcp_auth, hosts)
    api = build_api()
    rest = Starlette(
        routes=_rest_routes(api, services, oauth),
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=_lifespan(services, mcp_apps),
    )
    rest.state.services = services
    rest.state.claude_code = ClaudeCodeMarketplace(services)
    rest.state.store = store
    dispatcher = Dispatcher(
        rest,
        [
            (MCP_PATH, MethodGuard(mcp_apps[0], MCP_METHODS)),
            (SSE_PATH, MethodGuard(mcp_apps[1], SSE_METHODS)),
        ],
    )
    guarded = HostGuard(BrowserCORS(dispatcher), hosts)
    measured = MetricsMiddleware(guarded, services.metrics, list(rest.routes), [MCP_PATH, SSE_PATH])
    # The plain listing, the request clients repeat most, in one pass: the same Host check
    # and metrics as the layers above, then the same checks as its handler.
    lane = ListingLane(measured, services, guarded.allows, services.metrics.requests)
    return ConnectorApp(lane, rest, api.routes)


def _refuse_unsafe_no_auth(settings: Settings, mcp_auth: bool) -> None:
    if not mcp_auth and not settings.local_only:
        raise ConfigError(
            f"--no-auth (MCP without sign-in) is refused: {settings.base_url} is not a loopback "
            "address. Without sign-in, anyone who reaches the server acts as "
            f"{settings.dev_user}; it is for local MCP clients on 127.0.0.1 only."
        )


def _mcp_apps(
    services: Services, settings: Settings, mcp_auth: bool, hosts: list[str]
) -> tuple[Any, Any]:
    """The Streamable HTTP (``/mcp``) and legacy SSE (``/sse``) applications of one server."""
    mcp = build_mcp(
        services,
        classic_tools=settings.mcp_classic_tools,
        anonymous=None if mcp_auth else Identity.local(settings.dev_user),
    )
    origins = [settings.base_url, *settings.allowed_origins]
    mcp_http = mcp.http_app(
        path=MCP_PATH,
        stateless_http=True,
        host_origin_protection=True,
        allowed_hosts=hosts,
        allowed_origins=origins,
    )
    mcp_sse = create_sse_app(
        server=mcp,
        message_path=SSE_MESSAGE_PATH,
        sse_path=SSE_PATH,
        auth=mcp.auth,
        host_origin_protection=True,
        allowed_hosts=hosts,
        allowed_origins=origins,
    )
    return mcp_http, mcp_sse


def _lifespan(services: Services, mcp_apps: tuple[Any, Any]) -> Any:
    """Starlette's lifespan: the MCP apps' own, the poller and the freshness channel."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            for sub in mcp_apps:
                await stack.enter_async_context(sub.router.lifespan_context(sub))
            services.source.start()  # the poller; a folder source has none
            services.freshness.start()  # hear and announce new snapshots (Redis only)
            if isinstance(services.source, Announcing):
                services.source.add_listener(heap.settle)
            heap.started()
            try:
                yield
            finally:
                services.freshness.stop()
                services.source.stop()

    return lifespan


def _rest_routes(api: ApiRouter, services: Services, oauth: OAuthServer) -> list[BaseRoute]:
    """REST, operations, git, OAuth and the pages: everything but MCP."""
    settings = services.settings
    base = settings.base_url

    @functools.cache
    def spec() -> dict[str, Any]:  # built on first request, not before listening
        return api.openapi(
            title="Skillport Connector", version=__version__, description=DESCRIPTION
        )

    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(spec())

    config = settings.upstream()
    upstream = Upstream(config, f"{base}/callback") if config else None

    def guard(endpoint: Endpoint) -> Endpoint:
        return Guarded(
            endpoint, False, services.limiter, settings.rate_limit_ip, settings.client_address()
        ).handle

    return [
        *api.routes,
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        *GIT_ROUTES,
        *oauth_routes(
            oauth,
            base_url=base,
            resource_paths=[MCP_PATH, SSE_PATH],
            upstream=upstream,
            dev_sign_in=settings.dev_sign_in,
            limiter=services.limiter,
            ip_limit=settings.rate_limit_ip,
            register_limit=settings.rate_limit_register,
            client_address=settings.client_address(),
        ),
        *build_web(services, sign_in_starter(oauth, base, upstream, settings.dev_sign_in), guard),
    ]


def services_of(app: ConnectorApp) -> Services:
    services = app.state.services
    assert isinstance(services, Services)
    return services


def app_from_env() -> Any:
    """Factory for ``serve --workers N``: every worker reads the same SKILLPORT_* settings."""
    return create_app(Settings.from_env())

"""Composition root: settings in, one ASGI application out.

Three applications share one process and one store: the REST API with the OAuth server
(Starlette), the MCP Streamable HTTP endpoint and the legacy SSE endpoint (fastmcp).
A small dispatcher sends each request to the one that owns its path, and one lifespan
starts and stops them together.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from fastmcp.server.http import create_sse_app
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from . import __version__
from .api import EXCEPTION_HANDLERS, Services, build_api
from .audit import AuditLog
from .auth import Identity, TokenService
from .auth.oauth import OAuthServer
from .auth.ratelimit import RateLimiter
from .auth.upstream import Upstream
from .auth.web import oauth_routes
from .mcp.server import allowed_hosts, build_mcp
from .metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from .metrics import Metrics, MetricsMiddleware
from .settings import ConfigError, Settings
from .sources.factory import open_source
from .store import Store, StoreUnavailable, open_store

DESCRIPTION = (
    "Serves an organisation's Claude Skills marketplace. Authenticate with "
    "`Authorization: Bearer sk_api_…` (or an OAuth access token); every error is "
    "`{error, message}`."
)
MCP_PATH = "/mcp"
SSE_PATH = "/sse"
SSE_MESSAGE_PATH = "/sse/message"


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


def create_app(settings: Settings, *, store: Store | None = None, mcp_auth: bool = True) -> Any:
    """The whole connector. ``mcp_auth=False`` (``serve --no-auth``) serves MCP without
    sign-in, as the dev user: for local MCP clients and the conformance suite, refused
    unless the server and its public URL are loopback."""
    if not mcp_auth and not settings.local_only:
        raise ConfigError(
            f"--no-auth (MCP without sign-in) is refused: {settings.base_url} is not a loopback "
            "address. Without sign-in, anyone who reaches the server acts as "
            f"{settings.dev_user}; it is for local MCP clients on 127.0.0.1 only."
        )
    store = store or open_store(settings)
    services = Services(
        settings=settings,
        source=open_source(settings),
        tokens=TokenService(store),
        audit=AuditLog(settings.audit_log),
    )
    base = settings.base_url
    upstream = settings.upstream()
    oauth = OAuthServer(
        store, resource=f"{base}{MCP_PATH}", issuer=base, also_resources=(f"{base}{SSE_PATH}",)
    )
    services.oauth = oauth
    services.limiter = RateLimiter(store)
    api = build_api(services)
    spec = api.openapi(title="Skillport Connector", version=__version__, description=DESCRIPTION)

    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(spec)

    metrics = Metrics(services)

    async def metrics_endpoint(request: Request) -> Response:
        return Response(metrics.render(), media_type=METRICS_CONTENT_TYPE)

    async def readyz(request: Request) -> JSONResponse:
        """Ready when a snapshot is loaded and the state store answers."""
        problems = []
        try:
            store.get("readyz:probe")
        except StoreUnavailable as exc:
            problems.append(str(exc))
        upstream = services.source.health()
        age = round(time.time() - services.source.loaded_at, 3)
        body = {
            "ready": not problems,
            "snapshot_age_seconds": age,
            "upstream": upstream,
            "problems": problems,
        }
        return JSONResponse(body, status_code=200 if not problems else 503)

    rest = Starlette(
        routes=[
            *api.routes,
            Route("/openapi.json", openapi, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            *oauth_routes(
                oauth,
                base_url=base,
                resource_paths=[MCP_PATH, SSE_PATH],
                upstream=Upstream(upstream, f"{base}/callback") if upstream else None,
                dev_sign_in=settings.dev_sign_in,
                limiter=services.limiter,
                ip_limit=settings.rate_limit_ip,
                register_limit=settings.rate_limit_register,
                client_address=settings.client_address(),
            ),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
    )
    mcp = build_mcp(
        services,
        oauth,
        classic_tools=settings.mcp_classic_tools,
        anonymous=None if mcp_auth else Identity.local(settings.dev_user),
    )
    hosts = allowed_hosts(base, settings.host, settings.port) + list(settings.allowed_hosts)
    origins = [base, *settings.allowed_origins]
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
    dispatcher = Dispatcher(rest, [(MCP_PATH, mcp_http), (SSE_PATH, mcp_sse)])
    measured = MetricsMiddleware(dispatcher, metrics, list(rest.routes), [MCP_PATH, SSE_PATH])
    app = CORSMiddleware(
        measured,
        allow_origins=["*"],
        allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "Mcp-Session-Id", "Mcp-Protocol-Version"],
        expose_headers=["WWW-Authenticate", "Mcp-Session-Id"],
    )
    return _Composed(app, services, store, [mcp_http, mcp_sse], rest, api.routes)


class _Composed:
    """The ASGI app: CORS around the dispatcher, plus one lifespan for every part."""

    def __init__(
        self,
        app: ASGIApp,
        services: Services,
        store: Store,
        mcp_apps: list[Any],
        rest: Starlette,
        api_routes: list[Route],
    ) -> None:
        self.app = app
        self.state = rest.state
        self.state.services = services
        self.state.store = store
        #: The documented REST routes (OAuth and MCP endpoints have their own standards).
        self.routes = api_routes
        self.mcp_apps = mcp_apps

    @contextlib.asynccontextmanager
    async def lifespan(self) -> AsyncIterator[None]:
        services: Services = self.state.services
        async with contextlib.AsyncExitStack() as stack:
            for sub in self.mcp_apps:
                await stack.enter_async_context(sub.router.lifespan_context(sub))
            services.source.start()  # the poller; a folder source has none
            try:
                yield
            finally:
                services.source.stop()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        await self.app(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        message = await receive()
        assert message["type"] == "lifespan.startup"
        try:
            async with self.lifespan():
                await send({"type": "lifespan.startup.complete"})
                message = await receive()
                assert message["type"] == "lifespan.shutdown"
        except Exception as exc:  # pragma: no cover - reported to the server
            await send({"type": "lifespan.startup.failed", "message": str(exc)})
            raise
        await send({"type": "lifespan.shutdown.complete"})


def app_from_env() -> Any:
    """Factory for ``serve --workers N``: every worker reads the same SKILLPORT_* settings."""
    return create_app(Settings.from_env())

"""Composition root: settings in, ASGI application out."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from . import __version__
from .api import EXCEPTION_HANDLERS, Services, build_api
from .audit import AuditLog
from .auth import TokenService
from .settings import Settings
from .sources.factory import open_source
from .store import SQLiteStore, Store

DESCRIPTION = (
    "Serves an organisation's Claude Skills marketplace. Authenticate with "
    "`Authorization: Bearer sk_api_…`; every error is `{error, message}`."
)


def create_app(settings: Settings, *, store: Store | None = None) -> Starlette:
    store = store or SQLiteStore(settings.store_path)
    services = Services(
        settings=settings,
        source=open_source(settings),
        tokens=TokenService(store),
        audit=AuditLog(settings.audit_log),
    )
    api = build_api(services)
    spec = api.openapi(title="Skillport Connector", version=__version__, description=DESCRIPTION)

    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(spec)

    app = Starlette(
        routes=[*api.routes, Route("/openapi.json", openapi, methods=["GET"])],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=_lifespan(services),
    )
    app.state.services = services
    app.state.store = store
    return app


def _lifespan(services: Services) -> Any:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        services.source.start()  # the poller; a folder source has none
        try:
            yield
        finally:
            services.source.stop()

    return lifespan

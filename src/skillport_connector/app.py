"""Composition root: settings in, ASGI application out."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from . import __version__
from .access import AccessPolicy
from .api import EXCEPTION_HANDLERS, Services, build_api
from .auth import TokenService
from .settings import Settings
from .sources.local import LocalSource
from .store import SQLiteStore, Store

DESCRIPTION = (
    "Serves an organisation's Claude Skills marketplace. Authenticate with "
    "`Authorization: Bearer sk_api_…`; every error is `{error, message}`."
)


def create_app(settings: Settings, *, store: Store | None = None) -> Starlette:
    store = store or SQLiteStore(settings.store_path)
    services = Services(
        settings=settings,
        source=LocalSource(
            settings.marketplace,
            settings.limits,
            min_refresh_interval=settings.min_refresh_interval,
        ),
        tokens=TokenService(store),
        policy=AccessPolicy(),
    )
    api = build_api(services)
    spec = api.openapi(title="Skillport Connector", version=__version__, description=DESCRIPTION)

    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(spec)

    app = Starlette(
        routes=[*api.routes, Route("/openapi.json", openapi, methods=["GET"])],
        exception_handlers=EXCEPTION_HANDLERS,
    )
    app.state.services = services
    app.state.store = store
    return app

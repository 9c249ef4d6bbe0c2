"""Composition root: settings in, ASGI application out."""

from __future__ import annotations

from fastapi import FastAPI

from . import __version__
from .access import AccessPolicy
from .api import Services, build_router, install_error_handlers
from .auth import TokenService
from .settings import Settings
from .sources.local import LocalSource
from .store import SQLiteStore, Store


def create_app(settings: Settings, *, store: Store | None = None) -> FastAPI:
    store = store or SQLiteStore(settings.store_path)
    services = Services(
        settings=settings,
        source=LocalSource(settings.marketplace, settings.limits),
        tokens=TokenService(store),
        policy=AccessPolicy(),
    )
    app = FastAPI(
        title="Skillport Connector",
        version=__version__,
        description=(
            "Serves an organisation's Claude Skills marketplace. Authenticate with "
            "`Authorization: Bearer sk_api_…`; errors are `{error, message}`."
        ),
        docs_url="/docs",
        redoc_url=None,
    )
    install_error_handlers(app)
    app.include_router(build_router(services))
    app.state.services = services
    return app

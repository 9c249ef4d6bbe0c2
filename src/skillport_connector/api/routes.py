"""The REST API, wire-compatible with the original connector (see the contract): the
routers of each resource module, assembled in one table that also writes /openapi.json."""

from __future__ import annotations

from ..marketplace import routes as claude_code
from . import editing, install, operations, packages, skills, webhooks
from .openapi import ApiRouter


def build_api() -> ApiRouter:
    """Every documented REST route. Handlers find the services on the application state."""
    return ApiRouter().include(
        skills.router,
        install.router,
        packages.router,
        editing.router,
        webhooks.router,
        operations.router,
        claude_code.router,
    )

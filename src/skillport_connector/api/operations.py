"""REST: operations (liveness with details for signed-in callers, readiness, metrics)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from ..services import health
from . import schemas
from .common import authenticate, bearer_token, json_response, services_of
from .openapi import ApiRouter

router = ApiRouter()


@router.get(
    "/healthz",
    tags=["operations"],
    summary="Liveness; with a bearer token also the state of the loaded marketplace",
    ok=schemas.Health,
    errors=(401,),
    secured=False,
)
async def healthz(request: Request) -> Response:
    if bearer_token(request) is None:
        return json_response(health.liveness())
    authenticate(request)
    services = services_of(request)
    catalog = services.source.catalog
    return json_response(health.details(services.source, services.snapshots.policy(catalog)))


async def readyz(request: Request) -> Response:
    """Ready when a snapshot is loaded and the state store answers (load balancers)."""
    services = services_of(request)
    body = health.readiness(services.source, services.store)
    return JSONResponse(body, status_code=200 if body["ready"] else 503)


async def metrics(request: Request) -> Response:
    return Response(services_of(request).metrics.render(), media_type=METRICS_CONTENT_TYPE)

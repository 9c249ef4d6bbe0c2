"""Every error leaves the server as ``{"error": "<kind>", "message": "<what to do>"}``."""

from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match

from ..auth.ratelimit import RateLimited
from ..store import StoreUnavailable

log = logging.getLogger("skillport_connector.api")

_KINDS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        kind: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind or _KINDS.get(status, "error")
        self.message = message
        self.headers = headers


def error_response(
    status: int, kind: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": kind, "message": message}, status_code=status, headers=headers)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.kind, exc.message, exc.headers)


_METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route accepts on this path (Starlette's own 405 names only the
    first route's, though several routes may share a path)."""
    router = request.scope.get("router")
    methods: set[str] = set()
    for route in getattr(router, "routes", ()):
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods.update(getattr(route, "methods", None) or ())
    order = {m: i for i, m in enumerate(_METHOD_ORDER)}
    return sorted(methods, key=lambda m: (order.get(m, len(order)), m))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    headers = dict(exc.headers or {})
    if status == 404:
        message = f"There is no {request.url.path}. GET /openapi.json lists every route."
    elif status == 405:
        allowed = allowed_methods(request) or [
            h.strip() for h in headers.get("Allow", "").split(",")
        ]
        headers["Allow"] = ", ".join(allowed)
        message = (
            f"{request.method} is not allowed on {request.url.path}; "
            f"it accepts {', '.join(allowed)}."
        )
    else:
        message = str(exc.detail)
    return error_response(status, _KINDS.get(status, "error"), message, headers or None)


async def _store_down(request: Request, exc: Exception) -> Response:
    return error_response(
        503,
        "unavailable",
        "The connector's state store is unreachable; nothing was changed. Try again shortly.",
        {"Retry-After": "5"},
    )


async def _rate_limited(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RateLimited)
    return error_response(429, "rate_limited", str(exc), {"Retry-After": str(exc.retry_after)})


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(
        500, "internal_error", "The server hit an unexpected error; it has been logged."
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ApiError: _api_error,
    StoreUnavailable: _store_down,
    RateLimited: _rate_limited,
    HTTPException: _http_error,
    Exception: _unexpected,
}

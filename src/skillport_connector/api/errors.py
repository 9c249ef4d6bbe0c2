"""The one place domain errors become HTTP: ``{"error": <code>, "message": <what to do>}``.

A :class:`~skillport_connector.errors.SkillportError` carries a *kind*; this module maps
it to a status (:data:`HTTP_STATUS`) and to the wire code the original connector used
(``bad_request``, ``unauthorized``, …) unless the error names a more specific ``code``.
Unexpected errors are logged with the request path redacted: install and edit tokens
travel in paths, and a token never reaches a log.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match

from ..errors import Ambiguous, Kind, SkillportError
from ..redaction import redact_path
from ..store import StoreUnavailable

log = logging.getLogger("skillport_connector.api")

HTTP_STATUS: dict[Kind, int] = {
    "invalid": 400,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "ambiguous": 409,
    "conflict": 409,
    "gone": 410,
    "too_large": 413,
    "rate_limited": 429,
    "unavailable": 503,
}

#: Wire codes by status, as the original connector sends them.
WIRE_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "too_large",
    415: "unsupported_media_type",
    421: "misdirected_request",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}
_AMBIGUOUS_CODE = "ambiguous"
BEARER_CHALLENGE = 'Bearer realm="skillport"'


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


def domain_error_response(exc: SkillportError) -> JSONResponse:
    status = HTTP_STATUS[exc.kind]
    code = exc.code or (_AMBIGUOUS_CODE if exc.kind == "ambiguous" else WIRE_CODES[status])
    headers: dict[str, str] = {}
    if exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    from ..services import InvalidToken, MissingToken  # the services import this module

    if isinstance(exc, MissingToken):
        headers["WWW-Authenticate"] = BEARER_CHALLENGE
    elif isinstance(exc, InvalidToken):
        headers["WWW-Authenticate"] = BEARER_CHALLENGE + ', error="invalid_token"'
    if isinstance(exc, Ambiguous):
        body = {"error": code, "message": exc.message, "candidates": list(exc.candidates)}
        return JSONResponse(body, status_code=status, headers=headers or None)
    return error_response(status, code, exc.message, headers or None)


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SkillportError)
    return domain_error_response(exc)


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
    path = redact_path(request.url.path)[:200]
    headers = dict(exc.headers or {})
    if status == 404:
        message = f"There is no {path}. GET /openapi.json lists every route."
    elif status == 405:
        allowed = allowed_methods(request) or [
            h.strip() for h in headers.get("Allow", "").split(",")
        ]
        headers["Allow"] = ", ".join(allowed)
        message = f"{request.method} is not allowed on {path}; it accepts {', '.join(allowed)}."
    else:
        message = str(exc.detail)
    return error_response(status, WIRE_CODES.get(status, "error"), message, headers or None)


async def _store_down(request: Request, exc: Exception) -> Response:
    return error_response(
        503,
        "unavailable",
        "The connector's state store is unreachable; nothing was changed. Try again shortly.",
        {"Retry-After": "5"},
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, redact_path(request.url.path))
    return error_response(
        500, "internal_error", "The server hit an unexpected error; it has been logged."
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    SkillportError: _domain_error,
    StoreUnavailable: _store_down,
    HTTPException: _http_error,
    Exception: _unexpected,
}

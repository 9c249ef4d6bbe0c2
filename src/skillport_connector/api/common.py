"""What every REST handler shares: the services, the caller, JSON in and out."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from ..auth import Identity
from ..errors import InvalidRequest, TooLarge
from ..services import MissingToken, Services, View

MAX_JSON_BODY = 1024 * 1024
M = TypeVar("M", bound=BaseModel)
_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def services_of(request: Request) -> Services:
    services = request.app.state.services
    assert isinstance(services, Services)
    return services


def dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def json_response(data: Any, status: int = 200) -> Response:
    return Response(dumps(data), status_code=status, media_type="application/json")


def bearer_token(request: Request) -> str | None:
    return bearer_credentials(request.headers.get("authorization", ""))


def bearer_credentials(header: str) -> str | None:
    """The credentials of an ``Authorization: Bearer …`` value, None for anything else."""
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


def authenticate(request: Request) -> Identity:
    """The caller's identity from ``Authorization: Bearer …``; Unauthenticated otherwise."""
    return identify_bearer(services_of(request), bearer_token(request))


def identify_bearer(services: Services, token: str | None) -> Identity:
    """The identity behind a bearer token; MissingToken when none was sent."""
    if token is None:
        raise MissingToken(
            "Send 'Authorization: Bearer <token>'. Get a token from the skillport_auth tool "
            "or `skillport-connector token --user EMAIL`."
        )
    return services.identify(token)


def caller_view(request: Request) -> View:
    """The authenticated caller's view of the snapshot served now."""
    return services_of(request).view(authenticate(request))


def query_flag(request: Request, name: str, default: bool = False) -> bool:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    value = _BOOLEANS.get(raw.lower())
    if value is None:
        raise InvalidRequest(f"{name} must be true or false.")
    return value


async def read_body(request: Request, limit: int, what: str = "request body") -> bytes:
    """The whole body, refused with TooLarge past ``limit`` bytes (declared or streamed)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"The {what} is over {limit} bytes.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"The {what} is over {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, model: type[M], limit: int = MAX_JSON_BODY) -> M:
    """Parse a JSON body into ``model``; TooLarge when too large, InvalidRequest with the
    reasons when invalid."""
    raw = await read_body(request, limit)
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        parts = []
        for err in exc.errors()[:5]:
            where = ".".join(str(p) for p in err.get("loc", ()))
            parts.append(f"{where or 'body'}: {err.get('msg', 'invalid')}")
        raise InvalidRequest("Invalid request body: " + "; ".join(parts)) from None

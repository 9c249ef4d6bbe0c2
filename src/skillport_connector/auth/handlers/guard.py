"""Around every sign-in endpoint: a per-address rate limit, and a clear 503 (not a 500)
when the state store is down. Errors are JSON on the API endpoints, a page on the others."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ...clientip import ClientAddress
from ...store import StoreUnavailable
from ..ratelimit import RateLimited, RateLimiter
from .common import error_page

Endpoint = Callable[[Request], Awaitable[Response]]
UNAVAILABLE = "The sign-in service is temporarily unavailable; try again in a moment."


def client_address_of(request: Request) -> str:
    """The caller's address as :class:`Guarded` resolved it (trusted proxies applied)."""
    address = getattr(request.state, "client_address", None)
    if isinstance(address, str):
        return address
    return request.client.host if request.client else "unknown"


@dataclass(frozen=True)
class Guarded:
    endpoint: Endpoint
    json_errors: bool
    limiter: RateLimiter | None = None
    #: Requests per client address per minute (0: unlimited).
    limit: int = 0
    addresses: ClientAddress = field(default_factory=ClientAddress)

    async def handle(self, request: Request) -> Response:
        address = self.addresses.resolve(
            request.client.host if request.client else None,
            request.headers.getlist("x-forwarded-for"),
        )
        request.state.client_address = address
        try:
            if self.limiter is not None:
                self.limiter.hit("oauth", address, self.limit, "sign-in requests")
            return await self.endpoint(request)
        except RateLimited as exc:
            return self._error(429, "rate_limited", exc.message, exc.retry_after)
        except StoreUnavailable:
            return self._error(503, "temporarily_unavailable", UNAVAILABLE, None)

    def _error(self, status: int, code: str, message: str, retry_after: int | None) -> Response:
        response: Response
        if self.json_errors:
            body = {"error": code, "error_description": message, "message": message}
            response = JSONResponse(body, status_code=status)
        else:
            response = error_page(message, status)
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

"""``POST /register``: dynamic client registration (RFC 7591), bounded and rate-limited."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from .. import registration
from ..errors import OAuthError
from ..oauth import OAuthServer
from ..ratelimit import RateLimiter
from .common import oauth_error, oauth_json, read_body
from .guard import client_address_of


@dataclass(frozen=True)
class RegistrationHandler:
    server: OAuthServer
    limiter: RateLimiter | None = None
    #: Registrations per client address per minute (0: unlimited).
    limit: int = 0

    async def handle(self, request: Request) -> Response:
        try:
            if self.limiter is not None:
                self.limiter.hit(
                    "register", client_address_of(request), self.limit, "client registrations"
                )
            raw = await read_body(
                request, registration.MAX_REGISTRATION_BYTES, "invalid_client_metadata"
            )
            metadata = registration.parse_body(raw)
            return oauth_json(self.server.register(metadata).as_dict(), 201)
        except OAuthError as exc:
            return oauth_error(exc)

"""``POST /revoke``: token revocation (RFC 7009); unknown tokens are fine (200)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from ..errors import OAuthError
from ..oauth import OAuthServer
from .common import NO_STORE, client_credentials, oauth_error, read_form


@dataclass(frozen=True)
class RevocationHandler:
    server: OAuthServer

    async def handle(self, request: Request) -> Response:
        try:
            form = await read_form(request)
            client = self.server.authenticate_client(*client_credentials(request, form))
            self.server.revoke(client, form.get("token", ""))
            return Response(status_code=200, headers=NO_STORE)
        except OAuthError as exc:
            return oauth_error(exc)

"""``POST /token``: authorization code (with PKCE), refresh-token (RFC 6749 §4.1.3, §6) and
device-code (RFC 8628 §3.4) grants; errors in the RFC's JSON shape."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from ..device import DeviceFlow
from ..errors import OAuthError
from ..oauth import OAuthServer
from ..records import DEVICE_CODE_GRANT
from .common import client_credentials, oauth_error, oauth_json, read_form


@dataclass(frozen=True)
class TokenHandler:
    server: OAuthServer
    device: DeviceFlow | None = None

    async def handle(self, request: Request) -> Response:
        try:
            form = await read_form(request)
            client = self.server.authenticate_client(*client_credentials(request, form))
            grant = form.get("grant_type")
            if grant == "authorization_code":
                code, verifier = form.get("code", ""), form.get("code_verifier")
                issued = self.server.exchange_code(client, code, form.get("redirect_uri"), verifier)
            elif grant == "refresh_token":
                issued = self.server.refresh(client, form.get("refresh_token", ""))
            elif grant == DEVICE_CODE_GRANT and self.device is not None:
                issued = self.device.poll(client, form.get("device_code", ""))
            else:
                raise OAuthError(
                    "unsupported_grant_type",
                    f"grant_type must be authorization_code, refresh_token or {DEVICE_CODE_GRANT}",
                )
            return oauth_json(issued.as_dict())
        except OAuthError as exc:
            return oauth_error(exc)

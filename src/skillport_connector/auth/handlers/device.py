"""The device authorization grant's endpoints (RFC 8628): ``POST /device_authorization`` for
the device, and the ``/device`` page where the person types the user code, then signs in and
consents through the usual pages."""

from __future__ import annotations

import html
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from ..device import DeviceFlow
from ..errors import OAuthError
from .authorize import AuthorizationHandler
from .common import client_credentials, oauth_error, oauth_json, page, read_form

CODE_FORM = """<p>Type the code your terminal shows.</p>{problem}
<form method="post" action="/device">
<label for="user_code">Code</label>
<input id="user_code" name="user_code" value="{code}" autocomplete="off" autocapitalize="characters"
 required autofocus>
<button type="submit">Continue</button></form>"""
UNKNOWN = '<p class="note">That code is unknown or has expired; check it, or start again.</p>'
DONE = {
    "allowed": ("Device connected", "You can close this page and go back to your terminal."),
    "denied": ("Access denied", "The device was not given access. You can close this page."),
}


@dataclass(frozen=True)
class DeviceAuthorizationHandler:
    """``POST /device_authorization`` (RFC 8628 §3.1): a device code and a user code."""

    flow: DeviceFlow

    async def handle(self, request: Request) -> Response:
        try:
            form = await read_form(request)
            client = self.flow.server.authenticate_client(*client_credentials(request, form))
            answer = self.flow.request(client, form.get("scope"), form.get("resource"))
            return oauth_json(answer.as_dict())
        except OAuthError as exc:
            return oauth_error(exc)


@dataclass(frozen=True)
class DevicePageHandler:
    """``GET/POST /device``: the person enters the user code, then signs in as usual."""

    flow: DeviceFlow
    authorize: AuthorizationHandler

    async def handle(self, request: Request) -> Response:
        if request.method == "GET":
            done = DONE.get(request.query_params.get("done", ""))
            if done is not None:
                return page(done[0], f"<p>{html.escape(done[1])}</p>")
            return self._form(request.query_params.get("user_code", "")[:40], "")
        form = await read_form(request)
        typed = form.get("user_code", "")[:40]
        pending_id = self.flow.start_sign_in(typed)
        if pending_id is None:
            return self._form(typed, UNKNOWN, 400)
        return await self.authorize.send_to_sign_in(pending_id)

    def _form(self, code: str, problem: str, status: int = 200) -> Response:
        body = CODE_FORM.format(code=html.escape(code), problem=problem)
        return page("Connect a device", body, status)

"""``GET/POST /consent``: the signed-in person allows or denies the client."""

from __future__ import annotations

import html
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..device import DeviceFlow
from ..errors import OAuthError
from ..oauth import WEB_CLIENT_ID, OAuthServer
from ..records import PendingAuthorization
from ..redirects import shown_target
from .common import COOKIE, EXPIRED, error_page, page, pending_id_of, same_browser

CONSENT_FORM = """<p><strong>{client}</strong> wants to use Skillport as
<strong>{email}</strong>: list, search and install the skills you may use,
and change the ones you may edit.</p>
<p class="muted">{after}</p>
<form method="post" action="/consent">
<input type="hidden" name="pending" value="{pending}">
<button name="decision" value="allow" type="submit">Allow</button>
<button name="decision" value="deny" type="submit">Deny</button></form>"""
REDIRECT_TARGET = "<strong>{host}</strong> ({uri})"
REDIRECT_AFTER = "You will be sent back to {target}"
DEVICE_AFTER = (
    "Check that your device or terminal shows the code <strong>{code}</strong>. "
    "Then return to it: it finishes signing in on its own."
)


@dataclass(frozen=True)
class ConsentHandler:
    server: OAuthServer
    device: DeviceFlow | None = None

    async def handle(self, request: Request) -> Response:
        pending_id, form = await pending_id_of(request)
        pending = self.server.pending(pending_id)
        if pending is None or pending.user is None or not same_browser(request, pending):
            return error_page(EXPIRED)
        if pending.client_id == WEB_CLIENT_ID:  # a web-page sign-in grants no OAuth code
            return error_page(EXPIRED)
        if request.method == "GET":
            return self._ask(pending_id, pending)
        allow = form.get("decision") == "allow"
        try:
            if pending.device is not None and self.device is not None:
                self.device.settle(pending_id, allow)
                location = f"/device?done={'allowed' if allow else 'denied'}"
            else:
                location = (
                    self.server.approve(pending_id) if allow else self.server.deny(pending_id)
                )
        except OAuthError as exc:
            return error_page(exc.description)
        response = RedirectResponse(location, status_code=303)
        response.delete_cookie(COOKIE)
        return response

    def _ask(self, pending_id: str, pending: PendingAuthorization) -> Response:
        client = self.server.client(pending.client_id)
        assert pending.user is not None
        body = CONSENT_FORM.format(
            client=html.escape(client.client_name if client else "an application"),
            email=html.escape(pending.user.email),
            after=(
                DEVICE_AFTER.format(code=html.escape(pending.device))
                if pending.device
                else REDIRECT_AFTER.format(target=redirect_target(pending.redirect_uri))
            ),
            pending=html.escape(pending_id),
        )
        return page("Allow access?", body)


def redirect_target(redirect_uri: str) -> str:
    """The host the browser will really go to (as parsed, never percent-decoded), then the
    registered URI without its query; HTML-escaped."""
    host = urlsplit(redirect_uri).hostname or ""
    return REDIRECT_TARGET.format(
        host=html.escape(host), uri=html.escape(shown_target(redirect_uri))
    )

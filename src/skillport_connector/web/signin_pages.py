"""Signing in and out of the web pages, through the OAuth server's own sign-in.

``/signin`` starts a sign-in exactly as ``/authorize`` does (same handler: the identity
provider, or the development form on loopback, bound to this browser by a cookie); once
signed in, the browser lands on ``/session``, which opens a browser session (a fresh cookie;
the previous session is revoked) and goes back to the page first asked for. ``/signout``
revokes the session server-side.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..auth.handlers.common import COOKIE as SIGN_IN_COOKIE
from ..auth.handlers.common import EXPIRED, read_form, same_browser
from ..auth.oauth import WEB_CLIENT_ID
from ..errors import InvalidRequest
from .security import check_csrf, check_origin, secure
from .sessions import COOKIE
from .site import Visitor, Web, local_path


@dataclass(frozen=True)
class SignInPages:
    web: Web

    async def start(self, request: Request) -> Response:
        """``GET /signin?next=/path``."""
        next_path = local_path(request.query_params.get("next"))
        pending_id = self.web.services.oauth.start_web(next_path)
        return secure(await self.web.starter.send_to_sign_in(pending_id))

    async def finish(self, request: Request) -> Response:
        """``GET /session?pending=…``: the sign-in is done; open the browser session."""
        oauth = self.web.services.oauth
        pending_id = request.query_params.get("pending", "")
        pending = oauth.pending(pending_id)
        if (
            pending is None
            or pending.client_id != WEB_CLIENT_ID
            or not same_browser(request, pending)
        ):
            return self._problem(request, EXPIRED)
        done = oauth.finish_web(pending_id)
        if done is None or done.user is None:
            return self._problem(request, EXPIRED)
        token, _ = self.web.sessions.open(done.user, previous=request.cookies.get(COOKIE))
        self.web.services.audit.record(done.user, "web-sign-in", result="ok")
        response = RedirectResponse(local_path(done.redirect_uri), status_code=303)
        response.set_cookie(
            COOKIE, token, max_age=self.web.sessions.ttl, path="/", httponly=True,
            samesite="lax", secure=self.web.secure_cookies,
        )  # fmt: skip
        response.delete_cookie(SIGN_IN_COOKIE)
        return secure(response)

    async def sign_out(self, request: Request, visitor: Visitor) -> Response:
        """``POST /signout``: revoke this session everywhere, forget the cookie."""
        check_origin(request, self.web.services.settings.base_url)
        form = await read_form(request)
        check_csrf(visitor.session.csrf, form.get("csrf"))
        self.web.sessions.close(visitor.token)
        self.web.services.audit.record(visitor.view.who, "web-sign-out", result="ok")
        response = self.web.html(request, "signed_out.html", None)
        response.delete_cookie(COOKIE, path="/", secure=self.web.secure_cookies, httponly=True)
        return response

    def _problem(self, request: Request, message: str) -> Response:
        response = self.web.error(request, None, InvalidRequest(message))
        return secure(response)

"""``GET /authorize``: check the client's request, then send the browser to sign in, at
the organisation's identity provider or (loopback only) the development form."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..errors import OAuthError, RedirectError
from ..oauth import PENDING_TTL, OAuthServer
from ..upstream import SignInError, Upstream
from .common import COOKIE, error_page


@dataclass(frozen=True)
class AuthorizationHandler:
    server: OAuthServer
    upstream: Upstream | None
    dev_sign_in: bool
    #: Mark the browser cookie Secure (the public URL is https).
    secure: bool

    async def handle(self, request: Request) -> Response:
        try:
            _, pending_id = self.server.start(dict(request.query_params))
        except RedirectError as exc:
            return RedirectResponse(exc.location, status_code=302)
        except OAuthError as exc:
            return error_page(f"{exc.description}. Go back to the application and try again.")
        return await self.send_to_sign_in(pending_id)

    async def send_to_sign_in(self, pending_id: str) -> Response:
        """Send the browser of a pending sign-in to the identity provider (or the loopback
        form), bound to this browser by a cookie. The web pages start theirs here too."""
        pending = self.server.pending(pending_id)
        if pending is None:  # expired in between: the store is that slow, or was flushed
            return error_page("This sign-in has expired; start again.")
        response: Response
        if self.upstream is not None:
            try:
                url, sign_in = await run_in_threadpool(self.upstream.begin, pending_id)
            except SignInError as exc:
                return error_page(str(exc), exc.status)
            self.server.remember_upstream(sign_in)
            response = RedirectResponse(url, status_code=302)
        elif self.dev_sign_in:
            response = RedirectResponse(f"/login?pending={pending_id}", status_code=302)
        else:
            return error_page(
                "No identity provider is configured for this connector; ask its administrator.", 503
            )
        response.set_cookie(
            COOKIE,
            pending.browser,
            max_age=PENDING_TTL,
            httponly=True,
            samesite="lax",
            secure=self.secure,
        )
        return response

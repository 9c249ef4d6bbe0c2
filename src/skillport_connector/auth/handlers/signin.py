"""Signing in: ``GET /callback`` (back from the identity provider) and ``/login`` (the
development form, which exists only when the public URL is loopback)."""

from __future__ import annotations

import html
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..identity import Identity
from ..oauth import OAuthServer
from ..upstream import SignInError, Upstream
from .common import EXPIRED, after_sign_in, error_page, page, pending_id_of, same_browser


@dataclass(frozen=True)
class UpstreamCallbackHandler:
    """Where the identity provider sends the browser back (``<public URL>/callback``)."""

    server: OAuthServer
    upstream: Upstream | None

    async def handle(self, request: Request) -> Response:
        if self.upstream is None:
            return error_page("No identity provider is configured.", 404)
        params = request.query_params
        sign_in = self.server.resume_upstream(params.get("state"))
        if sign_in is None:
            return error_page("This sign-in has expired or was already used; start again.")
        pending = self.server.pending(sign_in.pending_id)
        if pending is None or not same_browser(request, pending):
            return error_page(EXPIRED)
        if "error" in params:
            location = self.server.deny(sign_in.pending_id)
            return RedirectResponse(location, status_code=303)
        try:
            identity = await run_in_threadpool(
                self.upstream.finish, params.get("code", ""), sign_in
            )
        except SignInError as exc:
            return error_page(str(exc), exc.status)
        self.server.signed_in(sign_in.pending_id, identity)
        return RedirectResponse(after_sign_in(sign_in.pending_id, pending), status_code=303)


DEV_FORM = """<p class="note"><strong>Development sign-in.</strong> No identity provider is
configured, so any e-mail address is accepted. This form exists only on a loopback address.</p>
<form method="post" action="/login">
<input type="hidden" name="pending" value="{pending}">
<label for="email">E-mail</label><input id="email" name="email" type="email" required autofocus>
<label for="name">Name (optional)</label><input id="name" name="name">
<button type="submit">Sign in</button></form>"""


@dataclass(frozen=True)
class DevSignInHandler:
    """``GET/POST /login``: any e-mail address, for the operator on a loopback public URL."""

    server: OAuthServer
    enabled: bool

    async def handle(self, request: Request) -> Response:
        if not self.enabled:
            return error_page("The development sign-in is off.", 404)
        pending_id, form = await pending_id_of(request)
        pending = self.server.pending(pending_id)
        if pending is None or not same_browser(request, pending):
            return error_page(EXPIRED)
        if request.method == "GET":
            return page("Sign in to Skillport", DEV_FORM.format(pending=html.escape(pending_id)))
        try:
            identity = Identity.local(form.get("email", ""), name=form.get("name") or None)
        except ValueError as exc:
            return error_page(str(exc))
        self.server.signed_in(pending_id, identity)
        return RedirectResponse(after_sign_in(pending_id, pending), status_code=303)

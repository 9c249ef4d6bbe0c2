"""HTTP side of the OAuth server: metadata, registration, the sign-in and consent pages,
token and revocation endpoints."""

from __future__ import annotations

import base64
import html
import json
import secrets
from typing import Any
from urllib.parse import unquote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..store import StoreUnavailable
from .identity import Identity
from .oauth import SCOPES, OAuthError, OAuthServer, RedirectError
from .ratelimit import RateLimited, RateLimiter
from .upstream import SignInError, Upstream

COOKIE = "sp_signin"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Skillport</title>
<style>
 body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 30rem; margin: 4rem auto;
        padding: 0 1rem; color: #1f2328; }}
 h1 {{ font-size: 1.4rem; }}
 .note {{ background: #fff8c5; padding: .6rem .8rem; border-radius: 6px; }}
 label {{ display: block; margin: .8rem 0 .2rem; }}
 input {{ width: 100%; padding: .5rem; font: inherit; }}
 button {{ margin: 1rem .5rem 0 0; padding: .5rem 1.2rem; font: inherit; cursor: pointer; }}
 .muted {{ color: #59636e; font-size: .9rem; }}
</style></head><body>
<h1>{title}</h1>
{body}
</body></html>"""


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        PAGE.format(title=html.escape(title), body=body),
        status_code=status,
        headers={
            **_NO_STORE,
            "X-Frame-Options": "DENY",
            "Content-Security-Policy": _CSP,
        },
    )


def error_page(message: str, status: int = 400) -> HTMLResponse:
    return page("Sign-in problem", f"<p>{html.escape(message)}</p>", status)


def oauth_json(body: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=_NO_STORE)


def oauth_error(exc: OAuthError) -> JSONResponse:
    headers = dict(_NO_STORE)
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="skillport"'
    return JSONResponse(exc.body(), status_code=exc.status, headers=headers)


async def _form(request: Request, limit: int = 64 * 1024) -> dict[str, str]:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise OAuthError("invalid_request", "request body too large", 413)
    from urllib.parse import parse_qsl

    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        raise OAuthError("invalid_request", "the form must be UTF-8") from None


def oauth_routes(
    server: OAuthServer,
    *,
    base_url: str,
    resource_paths: list[str],
    upstream: Upstream | None,
    dev_sign_in: bool,
    limiter: RateLimiter | None = None,
    ip_limit: int = 0,
) -> list[Route]:
    """Routes of the authorization server. ``upstream`` is the organisation's identity
    provider; without one, ``dev_sign_in`` (loopback only) offers a plain login form."""
    secure = base_url.startswith("https://")

    async def as_metadata(request: Request) -> Response:
        return oauth_json(
            {
                "issuer": base_url,
                "authorization_endpoint": f"{base_url}/authorize",
                "token_endpoint": f"{base_url}/token",
                "registration_endpoint": f"{base_url}/register",
                "revocation_endpoint": f"{base_url}/revoke",
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code", "refresh_token"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": [
                    "none",
                    "client_secret_post",
                    "client_secret_basic",
                ],
                "revocation_endpoint_auth_methods_supported": [
                    "none",
                    "client_secret_post",
                    "client_secret_basic",
                ],
                "scopes_supported": list(SCOPES),
            }
        )

    async def pr_metadata(request: Request) -> Response:
        return oauth_json(
            {
                "resource": server.resource,
                "authorization_servers": [base_url],
                "scopes_supported": list(SCOPES),
                "bearer_methods_supported": ["header"],
                "resource_name": "Skillport",
            }
        )

    async def register(request: Request) -> Response:
        try:
            raw = b""
            async for chunk in request.stream():
                raw += chunk
                if len(raw) > 64 * 1024:
                    raise OAuthError("invalid_client_metadata", "registration request too large")
            try:
                metadata = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                raise OAuthError("invalid_client_metadata", "the body must be JSON") from None
            if not isinstance(metadata, dict):
                raise OAuthError("invalid_client_metadata", "the body must be a JSON object")
            return oauth_json(server.register(metadata), 201)
        except OAuthError as exc:
            return oauth_error(exc)

    async def authorize(request: Request) -> Response:
        params = dict(request.query_params)
        try:
            _, pending_id = server.start(params)
        except RedirectError as exc:
            return RedirectResponse(exc.location, status_code=302)
        except OAuthError as exc:
            return error_page(f"{exc.description}. Go back to the application and try again.")
        pending = server.pending(pending_id)
        assert pending is not None
        if upstream is not None:
            try:
                url, remembered = await run_in_threadpool(upstream.begin)
            except SignInError as exc:
                return error_page(str(exc), exc.status)
            server.store.put(
                f"oauth:upstream:{remembered['state']}",
                {**remembered, "pending": pending_id},
                ttl=600,
            )
            response = RedirectResponse(url, status_code=302)
        elif dev_sign_in:
            response = RedirectResponse(f"/login?pending={pending_id}", status_code=302)
        else:
            return error_page(
                "No identity provider is configured for this connector; ask its administrator.", 503
            )
        response.set_cookie(
            COOKIE, pending["browser"], max_age=600, httponly=True, samesite="lax", secure=secure
        )
        return response

    async def callback(request: Request) -> Response:
        """Where the identity provider sends the browser back (``<public URL>/callback``)."""
        if upstream is None:
            return error_page("No identity provider is configured.", 404)
        params = request.query_params
        remembered, first = server.store.claim(f"oauth:upstream:{params.get('state', '')[:100]}")
        if remembered is None or not first:
            return error_page("This sign-in has expired or was already used; start again.")
        pending = server.pending(remembered["pending"])
        if pending is None or not check_browser(request, pending):
            return error_page(
                "This sign-in has expired or was started in another browser; start again."
            )
        if "error" in params:
            location = server.deny(remembered["pending"])
            return RedirectResponse(location, status_code=303)
        try:
            identity = await run_in_threadpool(upstream.finish, params.get("code", ""), remembered)
        except SignInError as exc:
            return error_page(str(exc), exc.status)
        server.signed_in(remembered["pending"], identity)
        return RedirectResponse(f"/consent?pending={remembered['pending']}", status_code=303)

    def check_browser(request: Request, pending: dict[str, Any]) -> bool:
        return secrets.compare_digest(request.cookies.get(COOKIE, ""), pending.get("browser", "-"))

    async def login(request: Request) -> Response:
        if not dev_sign_in:
            return error_page("The development sign-in is off.", 404)
        form = await _form(request) if request.method == "POST" else {}
        pending_id = form.get("pending") or request.query_params.get("pending", "")
        pending = server.pending(pending_id)
        if pending is None or not check_browser(request, pending):
            return error_page(
                "This sign-in has expired or was started in another browser; start again."
            )
        if request.method == "GET":
            body = f"""<p class="note"><strong>Development sign-in.</strong> No identity provider is
configured, so any e-mail address is accepted. This form exists only on a loopback address.</p>
<form method="post" action="/login">
<input type="hidden" name="pending" value="{html.escape(pending_id)}">
<label for="email">E-mail</label><input id="email" name="email" type="email" required autofocus>
<label for="name">Name (optional)</label><input id="name" name="name">
<button type="submit">Sign in</button></form>"""
            return page("Sign in to Skillport", body)
        try:
            identity = Identity.local(form.get("email", ""), name=form.get("name") or None)
        except ValueError as exc:
            return error_page(str(exc))
        server.signed_in(pending_id, identity)
        return RedirectResponse(f"/consent?pending={pending_id}", status_code=303)

    async def consent(request: Request) -> Response:
        form = await _form(request) if request.method == "POST" else {}
        pending_id = form.get("pending") or request.query_params.get("pending", "")
        pending = server.pending(pending_id)
        if pending is None or "user" not in pending or not check_browser(request, pending):
            return error_page(
                "This sign-in has expired or was started in another browser; start again."
            )
        client = server.client(pending["client_id"]) or {}
        name = html.escape(client.get("client_name", "an application"))
        target = html.escape(unquote(pending["redirect_uri"].split("?")[0]))
        if request.method == "GET":
            user = pending["user"]
            body = f"""<p><strong>{name}</strong> wants to use Skillport as
<strong>{html.escape(user["email"])}</strong>: list, search and install the skills you may use,
and change the ones you may edit.</p>
<p class="muted">You will be sent back to {target}</p>
<form method="post" action="/consent">
<input type="hidden" name="pending" value="{html.escape(pending_id)}">
<button name="decision" value="allow" type="submit">Allow</button>
<button name="decision" value="deny" type="submit">Deny</button></form>"""
            return page("Allow access?", body)
        try:
            location = (
                server.approve(pending_id)
                if form.get("decision") == "allow"
                else server.deny(pending_id)
            )
        except OAuthError as exc:
            return error_page(exc.description)
        response = RedirectResponse(location, status_code=303)
        response.delete_cookie(COOKIE)
        return response

    def client_credentials(request: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            try:
                cid, _, secret = base64.b64decode(header[6:]).decode().partition(":")
                return unquote(cid), unquote(secret)
            except ValueError:
                raise OAuthError("invalid_client", "malformed Basic credentials", 401) from None
        return form.get("client_id"), form.get("client_secret") or None

    async def token(request: Request) -> Response:
        try:
            form = await _form(request)
            client = server.authenticate_client(*client_credentials(request, form))
            grant = form.get("grant_type")
            if grant == "authorization_code":
                issued = server.exchange_code(
                    client,
                    form.get("code", ""),
                    form.get("redirect_uri"),
                    form.get("code_verifier"),
                )
            elif grant == "refresh_token":
                issued = server.refresh(client, form.get("refresh_token", ""))
            else:
                raise OAuthError(
                    "unsupported_grant_type",
                    "grant_type must be authorization_code or refresh_token",
                )
            return oauth_json(issued)
        except OAuthError as exc:
            return oauth_error(exc)

    async def revoke(request: Request) -> Response:
        try:
            form = await _form(request)
            client = server.authenticate_client(*client_credentials(request, form))
            server.revoke(client, form.get("token", ""))
            return Response(status_code=200, headers=_NO_STORE)
        except OAuthError as exc:
            return oauth_error(exc)

    def guarded(endpoint: Any, json_errors: bool) -> Any:
        """Per-address rate limit, and a clear 503 when the state store is down."""

        async def wrapper(request: Request) -> Response:
            try:
                if limiter is not None:
                    host = request.client.host if request.client else "unknown"
                    limiter.hit("oauth", host, ip_limit, "sign-in requests")
                return await endpoint(request)
            except RateLimited as exc:
                if json_errors:
                    body = {
                        "error": "rate_limited",
                        "error_description": str(exc),
                        "message": str(exc),
                    }
                    return JSONResponse(
                        body, status_code=429, headers={"Retry-After": str(exc.retry_after)}
                    )
                response = error_page(str(exc), 429)
                response.headers["Retry-After"] = str(exc.retry_after)
                return response
            except StoreUnavailable:
                message = "The sign-in service is temporarily unavailable; try again in a moment."
                if json_errors:
                    return JSONResponse(
                        {
                            "error": "temporarily_unavailable",
                            "error_description": message,
                            "message": message,
                        },
                        status_code=503,
                    )
                return error_page(message, 503)

        return wrapper

    register = guarded(register, True)
    token = guarded(token, True)
    revoke = guarded(revoke, True)
    authorize = guarded(authorize, False)
    login = guarded(login, False)
    consent = guarded(consent, False)
    callback = guarded(callback, False)

    routes = [
        Route("/.well-known/oauth-authorization-server", as_metadata, methods=["GET"]),
        Route("/.well-known/oauth-protected-resource", pr_metadata, methods=["GET"]),
        Route("/register", register, methods=["POST"]),
        Route("/authorize", authorize, methods=["GET"]),
        Route("/callback", callback, methods=["GET"]),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/consent", consent, methods=["GET", "POST"]),
        Route("/token", token, methods=["POST"]),
        Route("/revoke", revoke, methods=["POST"]),
    ]
    for path in resource_paths:
        routes.append(
            Route(f"/.well-known/oauth-protected-resource{path}", pr_metadata, methods=["GET"])
        )
    return routes

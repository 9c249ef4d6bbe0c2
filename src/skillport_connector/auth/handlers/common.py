"""What every OAuth handler shares: bounded request bodies, client credentials, the
browser-binding cookie, and the response shapes (RFC 6749 JSON, small HTML pages)."""

from __future__ import annotations

import base64
import html
import secrets
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse

from ..errors import InvalidClient, OAuthError, RequestTooLarge
from ..oauth import WEB_CLIENT_ID
from ..records import PendingAuthorization

#: Cookie binding a sign-in to the browser that started it.
COOKIE = "sp_signin"
MAX_FORM_BYTES = 64 * 1024
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"
EXPIRED = "This sign-in has expired or was started in another browser; start again."

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
    """A sign-in page; ``body`` is HTML the caller has escaped."""
    return HTMLResponse(
        PAGE.format(title=html.escape(title), body=body),
        status_code=status,
        headers={**NO_STORE, "X-Frame-Options": "DENY", "Content-Security-Policy": _CSP},
    )


def error_page(message: str, status: int = 400) -> HTMLResponse:
    return page("Sign-in problem", f"<p>{html.escape(message)}</p>", status)


def oauth_json(body: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=NO_STORE)


def oauth_error(exc: OAuthError) -> JSONResponse:
    """RFC 6749 §5.2: ``{"error", "error_description"}``; 401 names the Basic scheme."""
    headers = dict(NO_STORE)
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="skillport"'
    return JSONResponse(exc.body(), status_code=exc.status, headers=headers)


async def read_body(request: Request, limit: int, error: str = "invalid_request") -> bytes:
    """The request body, refused (413) past ``limit`` bytes without reading further."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise RequestTooLarge(f"request body larger than {limit} bytes", error)
    return body


async def read_form(request: Request, limit: int = MAX_FORM_BYTES) -> dict[str, str]:
    body = await read_body(request, limit)
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        raise OAuthError("invalid_request", "the form must be UTF-8") from None


def client_credentials(request: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
    """``client_secret_basic`` (Authorization header) or ``client_secret_post``/public."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            cid, _, secret = base64.b64decode(header[6:], validate=True).decode().partition(":")
            return unquote(cid), unquote(secret)
        except ValueError:
            raise InvalidClient("malformed Basic credentials") from None
    return form.get("client_id"), form.get("client_secret") or None


def after_sign_in(pending_id: str, pending: PendingAuthorization) -> str:
    """Where a browser goes once signed in: the consent page of an OAuth client, or, for a
    sign-in of the connector's own web pages, the page that opens the browser session."""
    step = "/session" if pending.client_id == WEB_CLIENT_ID else "/consent"
    return f"{step}?pending={pending_id}"


def same_browser(request: Request, pending: PendingAuthorization) -> bool:
    """Whether this request comes from the browser that started the authorization. The
    cookie is whatever the browser sent: compared as bytes, so non-ASCII text is no match."""
    given = request.cookies.get(COOKIE, "")
    return given.isascii() and secrets.compare_digest(given.encode(), pending.browser.encode())


async def pending_id_of(request: Request) -> tuple[str, dict[str, str]]:
    """The ``pending`` id of a sign-in page request (form on POST, query on GET), and the form."""
    form = await read_form(request) if request.method == "POST" else {}
    return form.get("pending") or request.query_params.get("pending", ""), form

"""The browser-facing rules of every page: security headers, CSRF and same-origin checks.

No inline script or style anywhere (the CSP says so), no framing, and every state-changing
form carries the session's CSRF token and must come from this origin.
"""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import Response

from ..errors import Forbidden

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "private, no-cache",
    "Vary": "Cookie, Accept-Encoding",
}


def secure(response: Response) -> Response:
    """``response`` with the page headers (those it already set win)."""
    for name, value in PAGE_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def check_origin(request: Request, base_url: str) -> None:
    """A form must be posted from this origin (``Origin``, else ``Referer``, when sent)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin is None:
        return  # old browsers and non-browsers: the CSRF token still applies
    if origin.rstrip("/") != base_url.rstrip("/") and not origin.startswith(base_url + "/"):
        raise Forbidden("This form was sent from another site; reload the page and try again.")


def check_csrf(expected: str, given: str | None) -> None:
    if not given or not secrets.compare_digest(expected.encode(), given.encode()):
        raise Forbidden("This form has expired; reload the page and try again.")

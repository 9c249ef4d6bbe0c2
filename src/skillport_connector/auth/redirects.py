"""Redirect URIs of OAuth clients: which may be registered, which match, and how an answer
is added to one. Loopback is decided by :mod:`skillport_connector.loopback` alone."""

from __future__ import annotations

import re
from urllib.parse import urlencode, urlsplit

from ..loopback import is_loopback_url

MAX_REDIRECT_URI_LENGTH = 1024
#: ``host[:port]``: a DNS name or IPv4 literal, or an IPv6 literal in brackets; no user-info,
#: no percent-encoding (``claude.ai%2F@evil.example`` is evil.example to a browser).
_AUTHORITY = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?"
)


def check_redirect_uri(uri: object) -> str | None:
    """Why ``uri`` cannot be registered, or None when it can: https, or http on a loopback
    IP literal or ``localhost`` (RFC 8252); printable ASCII, bounded, no fragment."""
    if not isinstance(uri, str) or not 0 < len(uri) <= MAX_REDIRECT_URI_LENGTH:
        return f"redirect URI must be a string of at most {MAX_REDIRECT_URI_LENGTH} characters"
    if any(not 0x21 <= ord(c) <= 0x7E for c in uri):
        return "redirect URI must be printable ASCII without spaces (percent-encode the rest)"
    if "\\" in uri:
        return f"redirect URI {uri!r} must not contain a backslash"
    try:
        parts = urlsplit(uri)
        host = parts.hostname
    except ValueError:
        return f"redirect URI {uri!r} is not a URL"
    if parts.fragment:
        return f"redirect URI {uri!r} must not have a fragment"
    if not _AUTHORITY.fullmatch(parts.netloc):
        return f"redirect URI {uri!r} must name a plain host (no user-info, no percent-encoding)"
    if parts.scheme == "https" and host:
        return None
    if parts.scheme == "http" and is_loopback_url(uri):
        return None
    return f"redirect URI {uri!r} must use https (http is allowed only on loopback)"


def shown_target(uri: str) -> str:
    """What a person is told a redirect URI is: its scheme, real host and port as parsed,
    and its path as registered (never percent-decoded), without the query."""
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def redirect_matches(registered: str, given: str) -> bool:
    """Exact match, except that a loopback redirect may use any port (RFC 8252 §7.3)."""
    if registered == given:
        return True
    try:
        a, b = urlsplit(registered), urlsplit(given)
        a_host, b_host = a.hostname, b.hostname
        b.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    return (
        a.scheme == b.scheme == "http"
        and is_loopback_url(registered)
        and is_loopback_url(given)
        and a_host == b_host
        and a.path == b.path
        and a.query == b.query
    )


def with_query(uri: str, **params: str | None) -> str:
    """``uri`` with ``params`` (those not None) added to its query."""
    extra = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{uri}{'&' if '?' in uri else '?'}{extra}"

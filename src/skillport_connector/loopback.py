"""What counts as loopback, in one place: an IP literal in 127.0.0.0/8 or ::1, or the
name ``localhost`` itself. ``127.evil.com`` and ``127.0.0.1.nip.io`` are not loopback."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback_host(host: str | None) -> bool:
    """True for ``localhost``, ``127.x.y.z``, ``::1`` and ``[::1]`` (no port)."""
    if not host:
        return False
    host = host.strip().lower()
    if host == "localhost":
        return True
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_loopback_url(url: str | None) -> bool:
    """True when ``url`` is an http(s) URL whose host is loopback.

    The authority is read strictly: no user-info, an optional numeric port, and an IPv6
    literal only as the whole host (``urlsplit`` alone reads ``[::1].evil.com`` as ``::1``).
    """
    if not url:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or "@" in parts.netloc:
        return False
    return is_loopback_host(_authority_host(parts.netloc))


def _authority_host(netloc: str) -> str | None:
    """The host of ``host[:port]`` or ``[v6][:port]``, or None when the form is off."""
    if netloc.startswith("["):
        end = netloc.find("]")
        if end < 0:
            return None
        host, rest = netloc[: end + 1], netloc[end + 1 :]
    else:
        host, _, port = netloc.partition(":")
        rest = f":{port}" if port or netloc.endswith(":") else ""
    if rest and not (rest.startswith(":") and rest[1:].isdigit()):
        return None
    return host

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
    """True when ``url`` is an http(s) URL whose host is loopback."""
    if not url:
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and is_loopback_host(host)

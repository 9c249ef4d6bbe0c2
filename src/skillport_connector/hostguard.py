"""DNS-rebinding protection for every route, and CORS only where a browser client needs it.

A page on another origin whose name was re-pointed at this server sends its own name as
``Host``: every request whose ``Host`` is not one of this server's names is refused with
421 before any handler runs (the MCP endpoints check ``Origin`` too, in fastmcp). Probe
endpoints (``/healthz``, ``/readyz``, ``/metrics``) are exempt: orchestrators call them by
address, and anonymously they tell nothing but liveness and counters.

CORS headers are sent only for browser-based MCP clients: the MCP endpoints and the OAuth
metadata, registration, token and revocation endpoints. The REST API sends none, so no
page on another origin can read its answers.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from .api.errors import error_response
from .loopback import is_loopback_host

PROBE_PATHS = ("/healthz", "/readyz", "/metrics")
#: Paths a browser client (an MCP client in a web page) calls across origins.
CORS_PREFIXES = (
    "/mcp",
    "/sse",
    "/.well-known/oauth-authorization-server",
    "/.well-known/oauth-protected-resource",
    "/register",
    "/token",
    "/revoke",
)


def allowed_hosts(base_url: str, host: str, port: int) -> list[str]:
    """Host headers this server answers to: the public URL's, and the listening address's
    (every loopback name when it listens on loopback or on all addresses)."""
    public = urlsplit(base_url)
    hosts = {public.netloc, public.hostname or ""}
    if is_loopback_host(host) or host in ("0.0.0.0", "::"):
        hosts |= {f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"}
    else:
        hosts |= {host, f"{host}:{port}"}
    return sorted(h for h in hosts if h)


class PathPrefixes:
    """Paths equal to one of ``prefixes`` or under one (``/mcp`` and ``/mcp/…``, not
    ``/mcpx``), tested with one set lookup and one ``startswith`` on every request."""

    def __init__(self, prefixes: tuple[str, ...]) -> None:
        self.exact = frozenset(prefixes)
        self.under = tuple(p + "/" for p in prefixes)

    def __contains__(self, path: str) -> bool:
        return path in self.exact or path.startswith(self.under)


_PROBES = PathPrefixes(PROBE_PATHS)
_CORS = PathPrefixes(CORS_PREFIXES)


class HostGuard:
    """Refuses requests whose ``Host`` header is not one of ``hosts`` (421)."""

    def __init__(self, app: ASGIApp, hosts: list[str]) -> None:
        self.app = app
        self.hosts = {h.lower() for h in hosts}

    def allows(self, scope: Scope) -> bool:
        if scope.get("path", "") in _PROBES:
            return True
        for name, value in scope.get("headers", []):
            if name == b"host":
                return value.decode("latin-1").lower() in self.hosts
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and not self.allows(scope):
            response = error_response(
                421,
                "misdirected_request",
                "This server does not answer to that Host name; use its public address "
                "(or add the name to SKILLPORT_ALLOWED_HOSTS).",
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class BrowserCORS:
    """CORS (any origin, no cookies) on :data:`CORS_PREFIXES` only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=["*"],
            allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
            allow_headers=[
                "Authorization", "Content-Type", "Mcp-Session-Id", "Mcp-Protocol-Version",
            ],
            expose_headers=["WWW-Authenticate", "Mcp-Session-Id"],
        )  # fmt: skip

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path", "") in _CORS:
            await self.cors(scope, receive, send)
            return
        await self.app(scope, receive, send)

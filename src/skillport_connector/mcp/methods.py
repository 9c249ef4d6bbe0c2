"""The methods each MCP endpoint accepts; anything else is a JSON 405 with a true ``Allow``.

fastmcp and the MCP SDK answer a wrong method with a plain-text (or empty) 405, and the
SSE message endpoint only after authentication; this guard answers first, in our
``{"error", "message"}`` shape, from one table per transport (built in ``app.py``, next to
the transports' configuration).
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.types import ASGIApp, Receive, Scope, Send

from ..api.errors import error_response
from ..redaction import redact_path


class MethodGuard:
    """``allowed`` maps a path to its methods; a key ending in ``/`` also covers every
    path under it (the SSE message endpoint is a mount)."""

    def __init__(self, app: ASGIApp, allowed: Mapping[str, tuple[str, ...]]) -> None:
        self.app = app
        self.allowed = allowed

    def methods_for(self, path: str) -> tuple[str, ...] | None:
        for key, methods in self.allowed.items():
            base = key.rstrip("/")
            if path in (base, base + "/") or (key.endswith("/") and path.startswith(key)):
                return methods
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope.get("path", "")
            methods = self.methods_for(path)
            if methods is not None and scope["method"] not in methods:
                allow = ", ".join(methods)
                message = (
                    f"{scope['method']} is not allowed on {redact_path(path)[:200]}; "
                    f"it accepts {allow}."
                )
                response = error_response(405, "method_not_allowed", message, {"Allow": allow})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

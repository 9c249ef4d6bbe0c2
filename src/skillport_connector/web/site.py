"""What every page shares: the signed-in visitor, templates, errors and responses.

:meth:`Web.page` wraps a page handler: it finds the visitor's session (or sends the browser
to sign in), builds the visitor's :class:`~skillport_connector.services.View` (the same one
REST and MCP use), turns domain errors into an error page with the right status, and adds
the security headers and compression to whatever the handler answered.
"""

from __future__ import annotations

import functools
import gzip
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..api.errors import HTTP_STATUS
from ..auth.handlers.authorize import AuthorizationHandler
from ..catalog import Catalog
from ..errors import SkillportError
from ..services import Services, View
from .assets import Assets
from .history import last_changed
from .security import secure
from .sessions import COOKIE, Sessions, WebSession

if TYPE_CHECKING:
    from jinja2 import Environment, Template

#: Responses smaller than this are sent uncompressed.
COMPRESS_FROM = 1024
ERROR_TITLES = {403: "Not allowed", 404: "Not found", 429: "Slow down"}


@dataclass(frozen=True, slots=True)
class Visitor:
    """The signed-in person of one request, with their view of the served snapshot."""

    token: str
    session: WebSession
    view: View

    @property
    def is_editor(self) -> bool:
        return self.view.policy.is_editor(self.view.who)


Handler = Callable[[Request, Visitor], Awaitable[Response]]


class Templates:
    """The pages' Jinja2 templates, loaded with the first page: a server used only over
    MCP or REST never imports Jinja2."""

    @functools.cached_property
    def env(self) -> Environment:
        from jinja2 import Environment, PackageLoader, select_autoescape

        return Environment(
            loader=PackageLoader(__package__, "templates"),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def get_template(self, name: str) -> Template:
        return self.env.get_template(name)


def templates() -> Templates:
    return Templates()


def compress(request: Request, response: Response) -> Response:
    """gzip a buffered response when the browser accepts it and it is worth it."""
    body = getattr(response, "body", b"")
    if len(body) < COMPRESS_FROM or "gzip" not in request.headers.get("accept-encoding", ""):
        return response
    packed = gzip.compress(body, compresslevel=6)
    response.body = packed
    response.headers["Content-Encoding"] = "gzip"
    response.headers["Content-Length"] = str(len(packed))
    return response


def local_path(value: str | None) -> str:
    """``value`` when it is a path on this site (not ``//host`` or ``/\\host``), else ``/``."""
    if not value or len(value) > 1000 or not value.startswith("/"):
        return "/"
    if value.startswith(("//", "/\\")) or any(c in value for c in "\r\n\t"):
        return "/"
    return value


@dataclass(frozen=True)
class Web:
    services: Services
    sessions: Sessions
    assets: Assets
    env: Templates
    starter: AuthorizationHandler
    #: Mark the session cookie Secure (the public URL is not loopback).
    secure_cookies: bool

    def visitor(self, request: Request) -> Visitor | None:
        token = request.cookies.get(COOKIE, "")
        session = self.sessions.get(token)
        if session is None:
            return None
        return Visitor(token, session, self.services.view(session.who))

    def dates(self, catalog: Catalog) -> dict[str, str]:
        """Each skill's last change, once per snapshot (blocking the first time)."""
        return self.services.snapshots.memo(
            catalog, ("web", "dates"), lambda: last_changed(catalog)
        )

    def html(
        self, request: Request, template: str, visitor: Visitor | None, status: int = 200,
        **context: Any,
    ) -> Response:  # fmt: skip
        body = self.env.get_template(template).render(
            asset=self.assets.url, visitor=visitor, request_path=request.url.path, **context
        )
        return HTMLResponse(body, status_code=status)

    def error(self, request: Request, visitor: Visitor | None, exc: SkillportError) -> Response:
        status = HTTP_STATUS[exc.kind]
        title = ERROR_TITLES.get(status, "Something went wrong")
        response = self.html(
            request, "error.html", visitor, status, title=title, message=exc.message
        )
        retry = getattr(exc, "retry_after", None)
        if retry:
            response.headers["Retry-After"] = str(retry)
        return response

    def page(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """``handler`` for signed-in visitors only; the others are sent to sign in."""

        async def endpoint(request: Request) -> Response:
            visitor = self.visitor(request)
            if visitor is None:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                location = "/signin?next=" + quote(local_path(target), safe="")
                return secure(RedirectResponse(location, status_code=303))
            try:
                response = await handler(request, visitor)
            except SkillportError as exc:
                response = self.error(request, visitor, exc)
            return compress(request, secure(response))

        return endpoint

"""``/skills/{name}``: one skill, its files, its history and how to install it.

Everything goes through the service layer (``get_skill``: readable or 404, exactly as REST
and MCP), so a hidden skill is "not found" here too. The install panel offers, per surface:
a one-time Claude Code command (minted on request through the same ticket service as
``/api/skills/{name}/install``), the ``.skill`` package for Claude.ai and Desktop, and what
to ask Claude once the connector is added.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from .. import install as packaging
from ..api.install import package_response
from ..auth.handlers.common import read_form
from ..catalog import SURFACES, Catalog
from ..catalog.frontmatter import parse_skill_md
from ..errors import NotFound, Unavailable
from ..services.records import IssuedTicket, SkillDetail
from ..services.skills import get_skill
from .history import skill_history
from .markdown import render_markdown
from .security import check_csrf, check_origin
from .site import Visitor, Web
from .text import rows

#: Larger files are not shown in the viewer (the package still has them).
MAX_VIEW_BYTES = 256 * 1024


def front_matter_rows(data: dict[str, Any]) -> list[tuple[str, str]]:
    return rows(list(data.items()))


def text_of(catalog: Catalog, path: str, size: int) -> str | None:
    """A file's text for the viewer; None when it is binary or too large. Blocking."""
    if size > MAX_VIEW_BYTES:
        return None
    try:
        data = catalog.tree.read_bytes(path)
    except OSError:
        raise Unavailable("The file changed while being read; retry.", retry_after=1) from None
    return None if packaging.is_binary(data) else data.decode("utf-8")


@dataclass(frozen=True)
class SkillPage:
    web: Web

    def rendered(
        self, visitor: Visitor, detail: SkillDetail
    ) -> tuple[Markup, list[tuple[str, str]]]:
        """SKILL.md's body as safe HTML and its front matter, once per snapshot."""

        def build() -> tuple[Markup, list[tuple[str, str]]]:
            doc = parse_skill_md(detail.skill_md.encode("utf-8"))
            return render_markdown(doc.body), front_matter_rows(doc.data)

        key = ("web", "skill-md", detail.summary.name)
        return self.web.services.snapshots.memo(visitor.view.catalog, key, build)

    async def show(
        self, request: Request, visitor: Visitor, ticket: IssuedTicket | None = None
    ) -> Response:
        view = visitor.view
        name = request.path_params["name"]
        detail = await run_in_threadpool(get_skill, view, name)
        skill = view.readable(name)
        body, front = await run_in_threadpool(self.rendered, visitor, detail)
        key = ("web", "history", skill.name)
        history = await run_in_threadpool(
            self.web.services.snapshots.memo, view.catalog, key,
            lambda: skill_history(view.catalog, skill),
        )  # fmt: skip
        base = self.web.services.settings.base_url
        return self.web.html(
            request, "skill.html", visitor, skill=detail.summary, files=skill.files, body=body,
            front=front, history=history, surfaces=SURFACES,
            on={s: skill.available_on(s) for s in ("CC", "CD", "CAI")},
            command=packaging.install_command(base, ticket.token, "skill") if ticket else None,
            expires=ticket.expires_in // 60 if ticket else None, csrf=visitor.session.csrf,
        )  # fmt: skip

    async def handle(self, request: Request, visitor: Visitor) -> Response:
        return await self.show(request, visitor)

    async def install_command(self, request: Request, visitor: Visitor) -> Response:
        """``POST``: a one-time Claude Code install command, shown on the skill page."""
        check_origin(request, self.web.services.settings.base_url)
        form = await read_form(request)
        check_csrf(visitor.session.csrf, form.get("csrf"))
        ticket = self.web.services.tickets.mint(
            visitor.view, request.path_params["name"], "install"
        )
        return await self.show(request, visitor, ticket)

    async def download(self, request: Request, visitor: Visitor) -> Response:
        """The ``.skill`` package (a zip), for Claude.ai and Claude Desktop."""
        services = self.web.services
        view = visitor.view
        skill = view.readable(request.path_params["name"])
        files = await run_in_threadpool(services.tickets.packed_files, view.catalog, skill)
        services.audit.record(
            view.who, "download", skill=skill.name, group=skill.plugin, result="ok"
        )
        return await run_in_threadpool(package_response, skill, files)

    async def file(self, request: Request, visitor: Visitor) -> Response:
        """One of the skill's files, shown as text (binary and huge files are not)."""
        view = visitor.view
        skill = view.readable(request.path_params["name"])
        path = request.path_params["path"]
        entry = next((f for f in skill.files if f.path == path), None)
        if entry is None:
            raise NotFound(f"{skill.name} has no file {path[:200]!r}.")
        text = await run_in_threadpool(text_of, view.catalog, skill.file_path(path), entry.size)
        return self.web.html(
            request, "file.html", visitor, skill=view.summary(skill), path=path, text=text,
            size=entry.size, limit=MAX_VIEW_BYTES,
        )  # fmt: skip

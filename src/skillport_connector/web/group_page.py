"""``/groups/{name}``: one group (a plugin) with the skills the visitor may read.

A group is known to a visitor exactly when the service layer's plugin report lists it (one
of its skills is readable, or it is a published group without skills): otherwise 404, as
for a group that does not exist. Unpublished groups, which only their editors can read,
are marked as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..catalog import SURFACES
from ..errors import NotFound
from .listing import groups
from .site import Visitor, Web
from .text import MAX_ROWS, rows

#: Manifest fields shown, in this order (others follow).
FIELDS = ("description", "version", "author", "category", "homepage", "repository", "license")


def manifest_rows(entry: Any, manifest: Any) -> list[tuple[str, str]]:
    """The group's fields (the marketplace entry wins over plugin.json, as for loading)."""
    merged: dict[str, Any] = {}
    for source in (manifest, entry):
        if hasattr(source, "items"):
            merged.update({str(k): v for k, v in list(source.items())[:MAX_ROWS]})
    for key in ("name", "source", "description", "version"):  # shown elsewhere on the page
        merged.pop(key, None)
    keys = [k for k in FIELDS if k in merged] + sorted(k for k in merged if k not in FIELDS)
    return rows([(k, merged[k]) for k in keys])


@dataclass(frozen=True)
class GroupPage:
    web: Web

    async def handle(self, request: Request, visitor: Visitor) -> Response:
        view = visitor.view
        name = request.path_params["name"]
        report = next((g for g in groups(view) if g.name == name), None)
        plugin = view.catalog.plugin(name)
        if report is None or plugin is None:
            raise NotFound(f"No group named {name[:100]!r}.")
        skills = [view.summary(view.catalog.skills[s]) for s in report.skills]
        dates = await run_in_threadpool(self.web.dates, view.catalog)
        return self.web.html(
            request, "group.html", visitor, group=report, description=plugin.description,
            fields=manifest_rows(plugin.entry, plugin.manifest), skills=skills, dates=dates,
            surfaces=SURFACES,
        )  # fmt: skip

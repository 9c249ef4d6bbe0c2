"""``/groups/{name}``: one group (a plugin) with the skills the visitor may read.

A group is known to a visitor exactly when the service layer's plugin report lists it (one
of its skills is readable, or it is a published group without skills): otherwise 404, as
for a group that does not exist. Unpublished groups, which only their editors can read,
are marked as such.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..catalog import SURFACES
from ..errors import NotFound
from .listing import groups
from .site import Visitor, Web

#: Manifest fields shown, in this order (others follow).
FIELDS = ("description", "version", "author", "category", "homepage", "repository", "license")


def manifest_rows(entry: Any, manifest: Any) -> list[tuple[str, str]]:
    merged: dict[str, Any] = {}
    for source in (manifest, entry):  # the marketplace entry wins, as for loading
        if hasattr(source, "items"):
            merged.update({str(k): v for k, v in list(source.items())[:50]})
    merged.pop("name", None)
    merged.pop("source", None)
    keys = [k for k in FIELDS if k in merged] + sorted(k for k in merged if k not in FIELDS)
    rows = []
    for key in keys[:50]:
        value = merged[key]
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        rows.append((key[:100], text[:1000]))
    return rows


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

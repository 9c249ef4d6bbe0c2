"""``/admin``, for editors: the health of the library at a glance.

The snapshot (commit, age), the upstream state, the findings of the served snapshot (what
``validate`` reports, as the editor may see them), the state of ``.skillport/access.json``
and this process's most recent audit events.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from ..errors import Forbidden
from ..services.skills import debug_plugins
from .site import Visitor, Web

AUDIT_SHOWN = 50


def age_text(seconds: float) -> str:
    seconds = max(0, int(seconds))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


@dataclass(frozen=True)
class AdminPage:
    web: Web

    async def handle(self, request: Request, visitor: Visitor) -> Response:
        if not visitor.is_editor:
            raise Forbidden("The admin page is for the editors named in .skillport/access.json.")
        services = self.web.services
        view = visitor.view
        source = services.source
        health = source.health()
        report = debug_plugins(view)
        policy = view.policy
        return self.web.html(
            request, "admin.html", visitor,
            commit=health.get("commit"), age=age_text(source.snapshot_age()),
            source=source.describe(), health=sorted(health.items()), findings=report.findings,
            groups=report.plugins, skills=len(view.catalog.skills),
            access={"present": policy.present, "error": policy.error,
                    "editors": len(policy.editors)},
            audit=services.audit.recent(AUDIT_SHOWN),
        )  # fmt: skip

"""REST: reading skills (list and search, one skill, update check, who am I, debug)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..catalog import FILTER_SURFACES
from ..catalog.search import Hit
from ..errors import InvalidRequest
from ..services import parse_surface, skills
from . import schemas
from .common import (
    authenticate,
    caller_view,
    json_response,
    query_flag,
    read_json,
    services_of,
)
from .conditional import etag_for, not_modified, validated, validators
from .listing import listing_body
from .openapi import ApiRouter, query
from .paging import MAX_LIMIT, page_of, paged

router = ApiRouter()


@router.get(
    "/api/skills",
    tags=["skills"],
    summary="List or search the skills you can use",
    ok=schemas.SkillList,
    errors=(400,),
    conditional=True,
    params=[
        query(
            "surface",
            "CC (Claude Code), CD (Claude Desktop), CAI (Claude.ai), CDAI (Desktop and "
            "Claude.ai) or CALL (every surface)",
            {"type": "string", "enum": list(FILTER_SURFACES)},
        ),
        query("q", "Full-text search, best match first", {"type": "string", "maxLength": 500}),
        query("refresh", "Reload the marketplace first", {"type": "boolean", "default": False}),
        query(
            "limit",
            "Page size (adds next_cursor); without it, the whole list, or pages of "
            f"{MAX_LIMIT} when there are more",
            {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
        ),
        query("cursor", "next_cursor of the previous page", {"type": "string", "maxLength": 40}),
    ],
)
async def list_skills(request: Request) -> Response:
    services = services_of(request)
    who = authenticate(request)
    surface = parse_surface(request.query_params.get("surface"))
    q = request.query_params.get("q")
    if q is not None and len(q) > skills.MAX_QUERY:
        raise InvalidRequest(f"q is longer than {skills.MAX_QUERY} characters.")
    page = page_of(request)
    if query_flag(request, "refresh"):
        await run_in_threadpool(services.source.refresh)
    view = services.view(who)
    etag = etag_for(services, view, request)
    if (unchanged := not_modified(request, etag)) is not None:
        return unchanged
    if q is not None and q.strip():

        def search() -> Sequence[Hit]:
            readable = services.readable_mask(view, surface)
            return skills.search_hits(view, q, surface, readable)

        hits = await run_in_threadpool(search)
        answer: dict[str, object] = {"count": len(hits), "surface_filter": surface, "query": q}
        found = paged(answer, hits, page, lambda h: view.summary(h.skill, h.score).rest())
        return validated(json_response(found), etag)
    if page is not None:
        visible = services.visible(view, surface)
        answer = {"count": len(visible), "surface_filter": surface}
        listed = paged(answer, visible, page, lambda s: view.summary(s).rest())
        return validated(json_response(listed), etag)

    body = listing_body(services, view, surface)
    return Response(body, media_type="application/json", headers=validators(etag))


@router.get(
    "/api/skills/{name}",
    tags=["skills"],
    summary="One skill: metadata, SKILL.md and its file list",
    ok=schemas.SkillDetail,
    errors=(400, 404, 409),
    conditional=True,
)
async def get_skill(request: Request) -> Response:
    view = caller_view(request)
    etag = etag_for(services_of(request), view, request)
    if (unchanged := not_modified(request, etag)) is not None:
        view.readable(request.path_params["name"])  # still 404 when it is not readable
        return unchanged
    # Reading SKILL.md is file or git I/O: off the event loop.
    detail = await run_in_threadpool(skills.get_skill, view, request.path_params["name"])
    return validated(
        json_response(
            {
                "skill": detail.summary.rest(),
                "skill_md": detail.skill_md,
                "files": list(detail.files),
                "editable": detail.summary.editable,
            }
        ),
        etag,
    )


@router.post(
    "/api/check-updates",
    tags=["skills"],
    summary="Compare installed versions with the marketplace",
    ok=schemas.CheckUpdatesResponse,
    errors=(400, 409, 413),
    body=schemas.CheckUpdatesRequest,
    conditional=True,
)
async def check_updates(request: Request) -> Response:
    view = caller_view(request)
    body = await read_json(request, schemas.CheckUpdatesRequest)
    etag = etag_for(services_of(request), view, request, body.model_dump_json())
    if (unchanged := not_modified(request, etag)) is not None:
        return unchanged
    updates = skills.check_updates(view, ((i.name, i.version) for i in body.installed))
    return validated(
        json_response(
            {
                "hasUpdates": bool(updates),
                "updates": [
                    {
                        "name": u.name,
                        "installedVersion": u.installed_version,
                        "availableVersion": u.available_version,
                    }
                    for u in updates
                ],
            }
        ),
        etag,
    )


@router.get("/api/whoami", tags=["account"], summary="The signed-in user", ok=schemas.WhoAmI)
async def whoami(request: Request) -> Response:
    return json_response(authenticate(request).whoami())


@router.get(
    "/api/debug/plugins",
    tags=["debug"],
    summary="The plugins you may know of, with the problems the connector found",
    ok=schemas.DebugPlugins,
)
async def debug_plugins(request: Request) -> Response:
    report = skills.debug_plugins(caller_view(request))
    # The original connector's fields: its listing of the plugins folder.
    directories = [
        {"name": p.path.rpartition("/")[2], "path": p.path, "type": "dir"}
        for p in report.plugins
        if p.path
    ]
    return json_response(
        {
            "repo": report.marketplace,
            "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
            "directories": directories,
            "count": len(directories),
            "names": [d["name"] for d in directories],
            "marketplace": report.marketplace,
            "plugin_root": report.plugin_root,
            "plugins": [
                {
                    "name": p.name,
                    "path": p.path,
                    "source": p.source,
                    "remote": p.remote,
                    "published": p.published,
                    "loadable": p.loadable,
                    "version": p.version,
                    "skills": list(p.skills),
                }
                for p in report.plugins
            ],
            "findings": list(report.findings),
        }
    )

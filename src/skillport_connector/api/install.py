"""REST: installing (a one-time install token, its redemption, the package, install.sh)."""

from __future__ import annotations

import tempfile

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from .. import install as packaging
from ..catalog import Skill
from ..errors import InvalidRequest, TooLarge, Unavailable
from ..services import View
from ..services.records import Redeemed
from . import schemas
from .common import caller_view, dumps, json_response, services_of
from .openapi import ApiRouter, query

router = ApiRouter()
#: A package is spooled in memory up to this size, then on disk.
SPOOL_IN_MEMORY = 4 * 1024 * 1024


def package_response(skill: Skill, files: list[packaging.PackedFile]) -> StreamingResponse:
    """The ``.skill`` zip, streamed (blocking while it is written: call off the loop)."""
    # Closed by iter_chunks once the last chunk is sent.
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
    packaging.write_package(skill, files, spool)
    size = spool.tell()
    return StreamingResponse(
        packaging.iter_chunks(spool),
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{skill.name}.skill"',
            "Content-Length": str(size),
            "X-Skill-Version": skill.version,
        },
    )


def package_link(request: Request, view: View, name: str) -> dict[str, str]:
    """A signed, cacheable link to the package (none when it cannot be built now: the
    install token still works and redemption reports the reason)."""
    services = services_of(request)
    skill = view.readable(name)
    try:
        link = services.packages.link(skill, services.tickets.packed_files(view.catalog, skill))
    except (TooLarge, Unavailable):
        return {}
    return {"package_url": services.settings.base_url + link.path(), "package_sha256": link.digest}


@router.get(
    "/api/skills/{name}/install",
    tags=["install"],
    summary="A one-time install token and the commands that use it",
    ok=schemas.InstallTicket,
    errors=(400, 404, 409, 429),
)
async def install_ticket(request: Request) -> Response:
    services = services_of(request)
    view = caller_view(request)
    ticket = services.tickets.mint(view, request.path_params["name"], "install")
    base = services.settings.base_url
    extra = await run_in_threadpool(package_link, request, view, request.path_params["name"])
    return json_response(
        {
            "install_token": ticket.token,
            "skill": ticket.skill,
            "version": ticket.version,
            "expires_in": ticket.expires_in,
            "command": packaging.install_command(base, ticket.token, "package"),
            "claude_code_command": packaging.install_command(base, ticket.token, "skill"),
            **extra,
        }
    )


@router.get(
    "/api/skills/{name}/package",
    tags=["install"],
    summary="The .skill package (a zip with one root folder) of a skill, streamed",
    ok="application/zip",
    errors=(400, 404, 409, 413),
)
async def package(request: Request) -> Response:
    services = services_of(request)
    view = caller_view(request)
    skill = view.readable(request.path_params["name"])
    files = await run_in_threadpool(services.tickets.packed_files, view.catalog, skill)
    return await run_in_threadpool(package_response, skill, files)


@router.get(
    "/install.sh",
    tags=["install"],
    summary="The installer script, with this connector's address baked in",
    ok="text/x-shellscript",
    secured=False,
)
async def install_sh(request: Request) -> Response:
    script = packaging.install_script(services_of(request).settings.base_url)
    return Response(script, media_type="text/x-shellscript; charset=utf-8")


@router.get(
    "/api/install/{token}",
    tags=["install"],
    summary="Redeem a one-time install token (404 unknown or expired, 410 already used)",
    ok=schemas.InstallPayload,
    errors=(400, 404, 410, 413),
    secured=False,
    params=[
        query(
            "format",
            "json (default): files inline; skill: the .skill zip",
            {"type": "string", "enum": ["json", "skill"], "default": "json"},
        )
    ],
)
async def redeem(request: Request) -> Response:
    services = services_of(request)
    fmt = request.query_params.get("format", "json")
    if fmt not in ("json", "skill"):
        raise InvalidRequest(f"Unknown format {fmt[:20]!r}; use json or skill.")

    def render(redeemed: Redeemed) -> bytes | None:
        if fmt != "json":
            return None
        return dumps(packaging.install_payload(redeemed.skill, redeemed.files))

    redeemed, body = await run_in_threadpool(
        services.tickets.redeem, "install", request.path_params["token"], render
    )
    if body is not None:
        return Response(body, media_type="application/json")
    return await run_in_threadpool(package_response, redeemed.skill, redeemed.files)

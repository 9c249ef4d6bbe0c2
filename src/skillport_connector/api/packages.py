"""REST: packages behind signed, expiring, content-addressed links (CDN-cacheable)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..conditional import matches
from ..names import MAX_REF_LENGTH, split_ref
from .common import services_of
from .openapi import ApiRouter, query

router = ApiRouter()


@router.get(
    "/packages/{file}",
    tags=["install"],
    summary="A .skill package by its SHA-256, through a signed link from the install token",
    ok="application/zip",
    errors=(403, 404, 410),
    secured=False,
    params=[
        query(
            "skill",
            "The skill the package holds (a name or plugin:skill)",
            {"type": "string", "maxLength": MAX_REF_LENGTH},
        ),
        query("exp", "Until when the link works (Unix seconds)", {"type": "string"}),
        query("sig", "HMAC-SHA256 of the link", {"type": "string", "maxLength": 64}),
    ],
)
async def package_by_digest(request: Request) -> Response:
    services = services_of(request)
    params = request.query_params
    link = services.packages.verify(
        request.path_params["file"], params.get("skill", ""), params.get("exp", ""),
        params.get("sig", ""),
    )  # fmt: skip
    etag = f'"{link.digest}"'
    headers = {
        "ETag": etag,
        # The bytes behind a digest never change; the link itself lives until exp.
        "Cache-Control": f"public, max-age={services.packages.seconds_left(link)}, immutable",
    }
    if matches(request, etag):
        return Response(status_code=304, headers=headers)
    data = await run_in_threadpool(
        services.packages.read, link, services.source.catalog, services.tickets.packed_files
    )
    # The file is named for the skill alone: a qualified id's ':' is not a file-name character
    # everywhere (Windows), and the package's own folder inside is the bare name too.
    headers["Content-Disposition"] = f'attachment; filename="{split_ref(link.skill)[1]}.skill"'
    return Response(data, media_type="application/zip", headers=headers)

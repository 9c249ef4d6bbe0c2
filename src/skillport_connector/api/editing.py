"""REST: editing (save, delete, publish, bump: one commit each; edit tokens, edit.sh)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from .. import install as packaging
from ..editing.operations import (
    Action,
    BumpRequest,
    PublishRequest,
    SaveRequest,
    plan_bump,
    plan_delete,
    plan_publish,
    plan_save,
)
from ..errors import InvalidRequest
from ..services import editing
from ..services.editing import Planner
from ..services.records import Redeemed
from . import schemas
from .common import authenticate, caller_view, dumps, json_response, read_json, services_of
from .openapi import ApiRouter, query

router = ApiRouter()
#: A save carries file contents (base64 for binaries), so it may be larger.
MAX_SAVE_BODY = 32 * 1024 * 1024
EDIT_ERRORS = (400, 403, 404, 409, 503)


async def run_edit(request: Request, action: Action, planner: Planner) -> Response:
    """Plan and commit off the event loop (plans walk the tree); answer the contract shape."""
    services = services_of(request)
    who = authenticate(request)
    name = request.path_params["name"]
    outcome = await run_in_threadpool(
        editing.edit,
        services.source, services.snapshots.policy, services.audit, who, name, action, planner,
    )  # fmt: skip
    return json_response(
        {
            "success": True,
            "action": outcome.action,
            "skill": outcome.skill,
            "plugin": outcome.plugin,
            "commit": outcome.commit,
            "message": outcome.message,
            "reapplied": outcome.reapplied,
            "files": list(outcome.files),
            **outcome.extra,
        }
    )


def ready_to_edit(request: Request) -> str:
    """Authenticate and refuse a read-only marketplace before reading any body; the name."""
    authenticate(request)
    editing.editable(services_of(request).source)
    name: str = request.path_params["name"]
    return name


@router.post(
    "/api/skills/{name}",
    tags=["editing"],
    summary="Save files of a skill (creates it if new): one commit",
    ok=schemas.EditResult,
    errors=(*EDIT_ERRORS, 413),
    body=SaveRequest,
)
async def save_skill(request: Request) -> Response:
    name = ready_to_edit(request)
    body = await read_json(request, SaveRequest, limit=MAX_SAVE_BODY)
    return await run_edit(request, "save", lambda c, p, w: plan_save(c, p, w, name, body))


@router.route(
    "DELETE",
    "/api/skills/{name}",
    tags=["editing"],
    summary="Delete a skill (and its group when it was the last one): one commit",
    ok=schemas.EditResult,
    errors=EDIT_ERRORS,
    params=[query("confirm", "Must be true", {"type": "boolean"})],
)
async def delete_skill(request: Request) -> Response:
    name = ready_to_edit(request)
    if request.query_params.get("confirm", "").lower() != "true":
        raise InvalidRequest("Deleting is permanent: repeat the request with ?confirm=true")
    return await run_edit(request, "delete", lambda c, p, w: plan_delete(c, p, w, name))


@router.post(
    "/api/skills/{name}/publish",
    tags=["editing"],
    summary="List the skill's group in marketplace.json (editors): one commit",
    ok=schemas.EditResult,
    errors=EDIT_ERRORS,
    body=PublishRequest,
)
async def publish_skill(request: Request) -> Response:
    name = ready_to_edit(request)
    body = await read_json(request, PublishRequest)
    return await run_edit(request, "publish", lambda c, p, w: plan_publish(c, p, w, name, body))


@router.post(
    "/api/skills/{name}/bump",
    tags=["editing"],
    summary="Raise the group's version in plugin.json and marketplace.json: one commit",
    ok=schemas.EditResult,
    errors=EDIT_ERRORS,
    body=BumpRequest,
)
async def bump_skill(request: Request) -> Response:
    name = ready_to_edit(request)
    body = await read_json(request, BumpRequest)
    return await run_edit(request, "bump", lambda c, p, w: plan_bump(c, p, w, name, body))


@router.get(
    "/api/skills/{name}/edit",
    tags=["editing"],
    summary="A one-time edit token and the edit.sh command that uses it",
    ok=schemas.EditTicket,
    errors=(400, 403, 404, 409, 429),
)
async def edit_ticket(request: Request) -> Response:
    services = services_of(request)
    ticket = services.tickets.mint(caller_view(request), request.path_params["name"], "edit")
    return json_response(
        {
            "edit_token": ticket.token,
            "skill": ticket.skill,
            "plugin": ticket.plugin,
            "version": ticket.version,
            "expires_in": ticket.expires_in,
            "command": packaging.install_command(services.settings.base_url, ticket.token, "edit"),
        }
    )


@router.get(
    "/edit.sh",
    tags=["editing"],
    summary="The edit script: fetches a skill's files into a private folder to edit",
    ok="text/x-shellscript",
    secured=False,
)
async def edit_sh(request: Request) -> Response:
    script = packaging.install_script(services_of(request).settings.base_url, mode="edit")
    return Response(script, media_type="text/x-shellscript; charset=utf-8")


@router.get(
    "/api/edit/{token}",
    tags=["editing"],
    summary="Redeem a one-time edit token (404 unknown or expired, 410 already used)",
    ok=schemas.InstallPayload,
    errors=(403, 404, 410, 413),
    secured=False,
)
async def redeem_edit(request: Request) -> Response:
    def render(redeemed: Redeemed) -> bytes:
        return dumps(packaging.edit_payload(redeemed.skill, redeemed.files))

    _, body = await run_in_threadpool(
        services_of(request).tickets.redeem, "edit", request.path_params["token"], render
    )
    return Response(body, media_type="application/json")

"""HTTP: the person's ``marketplace.json``, their credentials, and the read-only git route.

GET    /api/claude-code/marketplace.json[?unpublished=true]   Bearer or Basic credential
POST   /api/claude-code/credentials        {"label"?, "unpublished"?}  API/OAuth token
GET    /api/claude-code/credentials                                    API/OAuth token
DELETE /api/claude-code/credentials/{credential_id}                    API/OAuth token
GET    /git/{published|all}.git/info/refs?service=git-upload-pack  ┐ Basic credential
POST   /git/{published|all}.git/git-upload-pack                    ┘ (read-only)
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..api.common import authenticate, dumps, json_response, query_flag, read_json, services_of
from ..api.conditional import etag_for
from ..api.errors import domain_error_response, error_response
from ..api.openapi import ApiRouter, query
from ..auth import Identity
from ..catalog import Catalog
from ..conditional import Validators, not_modified
from ..errors import NotFound, SkillportError, Unauthenticated
from ..services import MissingToken
from . import githttp, schemas
from .selection import VIEWS, ViewName
from .service import ClaudeCodeMarketplace, git_path, presented_token, with_userinfo

router = ApiRouter()
BASIC_CHALLENGE = 'Basic realm="Skillport Claude Code marketplace", charset="UTF-8"'


def marketplace_of(request: Request) -> ClaudeCodeMarketplace:
    """The app's one :class:`ClaudeCodeMarketplace` (``create_app`` makes it)."""
    state = request.app.state
    found = getattr(state, "claude_code", None)
    if not isinstance(found, ClaudeCodeMarketplace):
        found = ClaudeCodeMarketplace(services_of(request))
        state.claude_code = found
    return found


def view_of(request: Request) -> ViewName:
    return "all" if query_flag(request, "unpublished") else "published"


def caller_token(request: Request) -> str:
    token = presented_token(request.headers.get("authorization", ""))
    if token is None:
        raise MissingToken(
            "Send your Claude Code credential as 'Authorization: Bearer sk_cc_…' (or as the "
            "password of HTTP Basic). POST /api/claude-code/credentials makes one."
        )
    return token


class CredentialRequest(BaseModel):
    label: str | None = Field(None, description="Which device, e.g. 'work laptop'")
    unpublished: bool = Field(False, description="Also list unpublished groups you can change")


@router.get(
    "/api/claude-code/marketplace.json",
    tags=["claude-code"],
    summary="Your Claude Code marketplace: the groups you can read, as git-subdir plugins",
    ok=schemas.Marketplace,
    errors=(400,),
    params=[query("unpublished", "Also unpublished groups you can change", {"type": "boolean"})],
)
async def marketplace_json(request: Request) -> Response:
    market = marketplace_of(request)
    token = caller_token(request)
    view = view_of(request)
    who = market.identify(token)
    catalog = market.services.source.catalog
    validators = document_validators(request, market, who, catalog, token)
    if (unchanged := not_modified(request, validators)) is not None:
        return unchanged

    def render() -> bytes:
        return dumps(market.document(market.person_view(who, view, catalog), view, token))

    body = await run_in_threadpool(render)
    return Response(body, media_type="application/json", headers=validators.headers())


def document_validators(
    request: Request, market: ClaudeCodeMarketplace, who: Identity, catalog: Catalog, token: str
) -> Validators:
    """The ETag of the person's ``marketplace.json``, known before it is built: the snapshot,
    their view, the request, and what else the document holds (the credential, which is in
    its git URL, and the public URL). Because of that credential no cache may store it
    (``no-store``); Claude Code keeps its own copy and may revalidate it."""
    settings = market.services.settings
    etag = etag_for(
        market.services,
        market.services.view(who, catalog),
        request,
        token,
        settings.base_url,
        str(settings.max_package_bytes),
    )
    return Validators(etag, "no-store", "Authorization")


@router.post(
    "/api/claude-code/credentials",
    tags=["claude-code"],
    summary="Make a Claude Code credential for this device, with its settings snippet",
    ok=schemas.NewCredential,
    errors=(400, 409),
    body=CredentialRequest,
)
async def create_credential(request: Request) -> Response:
    who = authenticate(request)
    empty = request.headers.get("content-length") in (None, "0") and (
        "transfer-encoding" not in request.headers
    )
    body = CredentialRequest() if empty else await read_json(request, CredentialRequest)
    market = marketplace_of(request)
    secret, info = await run_in_threadpool(market.credentials.mint, who, body.label)
    services_of(request).audit.record(who, "claude-code-credential", result="created", id=info.id)
    view: ViewName = "all" if body.unpublished else "published"
    url = market.marketplace_url(view)
    headers = {"Authorization": f"Bearer {secret}"}
    name = market.name()
    source = {"source": "url", "url": url, "headers": headers}
    return json_response(
        {
            "credential_id": info.id,
            "credential": secret,
            "label": info.label,
            "created": info.created,
            "marketplace_name": name,
            "marketplace_url": url,
            "headers": headers,
            "settings": {"extraKnownMarketplaces": {name: {"source": source}}},
            "add_url": with_userinfo(url, secret),
            "git": {
                "url": market.base_url + git_path(view),
                "username": "skillport",
                "password": secret,
            },
        }
    )


@router.get(
    "/api/claude-code/credentials",
    tags=["claude-code"],
    summary="Your Claude Code credentials (never their secrets)",
    ok=schemas.CredentialList,
)
async def list_credentials(request: Request) -> Response:
    who = authenticate(request)
    found = await run_in_threadpool(marketplace_of(request).credentials.list, who)
    return json_response({"credentials": [c.as_dict() for c in found]})


@router.route(
    "DELETE",
    "/api/claude-code/credentials/{credential_id}",
    tags=["claude-code"],
    summary="Revoke one of your Claude Code credentials: it stops working at once",
    ok=schemas.Revoked,
    errors=(404,),
)
async def revoke_credential(request: Request) -> Response:
    who = authenticate(request)
    credential_id = request.path_params["credential_id"]
    info = await run_in_threadpool(marketplace_of(request).credentials.revoke, who, credential_id)
    services_of(request).audit.record(who, "claude-code-credential", result="revoked", id=info.id)
    return json_response({"revoked": info.id, "label": info.label})


async def git_fetch(request: Request) -> Response:
    """The person's filtered repository over smart HTTP (see :mod:`.githttp`)."""
    repo: str = request.path_params["repo"]
    view = repo.removesuffix(".git")
    try:
        if not repo.endswith(".git") or view not in VIEWS:
            raise NotFound("There is no such repository; /git/published.git is yours.")
        githttp.check_request(
            request.method, request.path_params["tail"], request.query_params.get("service")
        )
        market = marketplace_of(request)
        try:
            who = market.identify(caller_token(request))
        except Unauthenticated as exc:
            return error_response(
                401, "unauthorized", exc.message, {"WWW-Authenticate": BASIC_CHALLENGE}
            )
        person = market.person_view(who, view)  # type: ignore[arg-type]
        built = await run_in_threadpool(market.built, person)
        return await githttp.serve(
            request, Path(market.repos.root), built.repo, request.path_params["tail"], who.id
        )
    except githttp.WrongMethod as exc:
        return error_response(405, "method_not_allowed", str(exc), {"Allow": exc.allow})
    except SkillportError as exc:
        return domain_error_response(exc)


#: Every method reaches :func:`git_fetch`: :func:`.githttp.check_request` knows what each
#: path accepts (a 405 names it), what is a push (403) and what is not served (404).
_ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
GIT_ROUTES = [Route("/git/{repo}/{tail:path}", git_fetch, methods=_ANY_METHOD)]

"""The REST API, wire-compatible with the original connector (see the contract)."""

import json
import tempfile
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from .. import __version__
from .. import install as packaging
from ..access import AccessPolicy
from ..auth import INSTALL_TOKEN_TTL, Identity, TokenService
from ..catalog import FILTER_SURFACES, SURFACES, Catalog, Skill
from ..catalog.loader import DEFAULT_PLUGIN_ROOT
from ..catalog.semver import is_newer
from ..settings import Settings
from . import schemas
from .errors import ApiError


@dataclass
class Services:
    """Everything a request handler needs; built once by ``app.create_app``."""

    settings: Settings
    source: Any  # LocalSource today; a git source later. Needs .catalog, .refresh(), .loaded_at
    tokens: TokenService
    policy: AccessPolicy


def _dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def _json(data: Any, status: int = 200) -> Response:
    return Response(_dumps(data), status_code=status, media_type="application/json")


_ERRORS = {s: {"model": schemas.ErrorBody} for s in (400, 401, 403, 404, 410, 413, 500)}


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {s: _ERRORS[s] for s in statuses}


def build_router(services: Services) -> APIRouter:
    router = APIRouter()
    bearer = HTTPBearer(auto_error=False, description="An sk_api_ token (15 minutes)")
    listing_cache: OrderedDict[tuple[int, Any, str | None], bytes] = OrderedDict()

    async def current_user(
        creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Identity:
        challenge = {"WWW-Authenticate": 'Bearer realm="skillport"'}
        if creds is None:
            raise ApiError(
                401,
                "Send 'Authorization: Bearer <token>'. Get a token from the skillport_auth tool "
                "or `skillport-connector token --user EMAIL`.",
                headers=challenge,
            )
        who = services.tokens.identity_for(creds.credentials)
        if who is None:
            raise ApiError(
                401,
                "The token is unknown or has expired (API tokens last 15 minutes); get a new one.",
                headers={"WWW-Authenticate": 'Bearer realm="skillport", error="invalid_token"'},
            )
        return who

    User = Annotated[Identity, Depends(current_user)]

    def summary(skill: Skill, who: Identity) -> dict[str, Any]:
        return {
            "name": skill.name,
            "plugin": skill.plugin,
            "description": skill.description,
            "version": skill.version,
            "author": skill.author,
            "category": skill.category,
            "tags": list(skill.tags),
            "keywords": list(skill.keywords),
            "surface_tags": list(skill.surface_tags),
            "published": skill.published,
            "editable": services.policy.can_write(who, skill),
        }

    def readable_skill(catalog: Catalog, name: str, who: Identity) -> Skill:
        skill = catalog.skill(name)
        if skill is None or not services.policy.can_read(who, skill):
            # Same answer for "absent" and "not yours to see": names are not leaked.
            raise ApiError(
                404, f"No skill named {name!r}. GET /api/skills lists the skills you can use."
            )
        return skill

    def parse_surface(surface: str | None) -> str | None:
        if surface is None or surface == "":
            return None
        value = surface.strip().upper()
        if value not in FILTER_SURFACES:
            options = ", ".join(f"{s} ({SURFACES[s]})" for s in FILTER_SURFACES)
            raise ApiError(400, f"Unknown surface {surface!r}; use one of {options}.")
        return value

    def packed_files(catalog: Catalog, skill: Skill) -> list[packaging.PackedFile]:
        try:
            return packaging.skill_files(catalog, skill, limit=services.settings.max_package_bytes)
        except packaging.PackageTooLarge as exc:
            raise ApiError(413, f"{skill.name} cannot be packaged: {exc}.") from None
        except (FileNotFoundError, OSError):
            raise ApiError(
                503,
                f"{skill.name} changed on disk while being read; retry in a moment.",
                kind="unavailable",
            ) from None

    @router.get(
        "/api/skills",
        tags=["skills"],
        summary="List or search the skills you can use",
        responses={200: {"model": schemas.SkillList}, **_errors(400, 401)},
    )
    async def list_skills(
        who: User,
        surface: Annotated[
            str | None,
            Query(
                description="CC (Claude Code), CD (Claude Desktop) or CAI (Claude.ai)",
                max_length=16,
            ),
        ] = None,
        refresh: Annotated[bool, Query(description="Reload the marketplace first")] = False,
        q: Annotated[
            str | None, Query(description="Full-text search, best match first", max_length=500)
        ] = None,
    ) -> Response:
        surface_filter = parse_surface(surface)
        catalog = (
            await run_in_threadpool(services.source.refresh) if refresh else services.source.catalog
        )
        if q is not None and q.strip():
            hits = []
            for hit in catalog.search(q):
                if services.policy.can_read(who, hit.skill) and (
                    surface_filter is None or hit.skill.available_on(surface_filter)
                ):
                    hits.append({**summary(hit.skill, who), "score": hit.score})
            return _json(
                {"count": len(hits), "surface_filter": surface_filter, "query": q, "skills": hits}
            )
        key = (id(catalog), services.policy.view_key(who), surface_filter)
        body = listing_cache.get(key)
        if body is None:
            skills = [
                summary(s, who)
                for s in catalog.skills.values()
                if services.policy.can_read(who, s)
                and (surface_filter is None or s.available_on(surface_filter))
            ]
            body = _dumps(
                {"count": len(skills), "surface_filter": surface_filter, "skills": skills}
            )
            listing_cache[key] = body
            while len(listing_cache) > 256:
                listing_cache.popitem(last=False)
        return Response(body, media_type="application/json")

    @router.get(
        "/api/skills/{name}",
        tags=["skills"],
        summary="One skill: metadata, SKILL.md and its file list",
        responses={200: {"model": schemas.SkillDetail}, **_errors(401, 404)},
    )
    async def get_skill(name: str, who: User) -> Response:
        catalog = services.source.catalog
        skill = readable_skill(catalog, name, who)
        raw = catalog.tree.read_bytes(skill.file_path("SKILL.md"))
        return _json(
            {
                "skill": summary(skill, who),
                "skill_md": raw.decode("utf-8", errors="replace").lstrip("\ufeff"),
                "files": [f.path for f in skill.files],
                "editable": services.policy.can_write(who, skill),
            }
        )

    @router.get(
        "/api/skills/{name}/install",
        tags=["install"],
        summary="A one-time install token and the command that uses it",
        responses={200: {"model": schemas.InstallTicket}, **_errors(401, 404)},
    )
    async def install_ticket(name: str, who: User) -> Response:
        skill = readable_skill(services.source.catalog, name, who)
        token = services.tokens.mint_install_token(who, skill.name, skill.version)
        base = services.settings.base_url
        return _json(
            {
                "install_token": token,
                "skill": skill.name,
                "version": skill.version,
                "expires_in": INSTALL_TOKEN_TTL,
                "command": packaging.install_command(base, token, "package"),
                "claude_code_command": packaging.install_command(base, token, "skill"),
            }
        )

    def package_response(skill: Skill, files: list[packaging.PackedFile]) -> StreamingResponse:
        # Closed by iter_chunks once the last chunk is sent.
        spool = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)  # noqa: SIM115
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

    @router.get(
        "/api/skills/{name}/package",
        tags=["install"],
        summary="The .skill package (zip) of a skill, streamed",
        responses={200: {"content": {"application/zip": {}}}, **_errors(401, 404, 413)},
        response_class=StreamingResponse,
    )
    def package(name: str, who: User) -> StreamingResponse:
        catalog = services.source.catalog
        skill = readable_skill(catalog, name, who)
        return package_response(skill, packed_files(catalog, skill))

    @router.get(
        "/install.sh",
        tags=["install"],
        summary="The installer script, with this connector's address baked in",
        response_class=PlainTextResponse,
        responses={200: {"content": {"text/x-shellscript": {}}}},
    )
    async def install_sh() -> Response:
        script = packaging.install_script(services.settings.base_url)
        return Response(script, media_type="text/x-shellscript; charset=utf-8")

    @router.get(
        "/api/install/{token}",
        tags=["install"],
        summary="Redeem a one-time install token (404 unknown or expired, 410 already used)",
        responses={
            200: {"model": schemas.InstallPayload, "content": {"application/zip": {}}},
            **_errors(400, 404, 410, 413),
        },
    )
    def redeem(
        token: str,
        format: Annotated[
            str, Query(description="json (default) or skill (the zip)", max_length=8)
        ] = "json",
    ) -> Response:
        if format not in ("json", "skill"):
            raise ApiError(400, f"Unknown format {format!r}; use json or skill.")
        unknown = (
            "This install token is unknown or has expired (tokens last 15 minutes); "
            "ask for a new one."
        )
        record = services.tokens.peek_install_token(token)
        if record is None:
            raise ApiError(404, unknown)
        catalog = services.source.catalog
        who = Identity.from_dict(record["user"])
        skill = catalog.skill(record["skill"])
        if skill is None or not services.policy.can_read(who, skill):
            raise ApiError(404, f"The skill {record['skill']!r} is no longer available.")
        # Build first, then spend the token: a failure here leaves it usable for a retry.
        files = packed_files(catalog, skill)
        body = packaging.install_payload(skill, files) if format == "json" else None
        outcome = services.tokens.redeem_install_token(token)
        if outcome.status == "unknown":
            raise ApiError(404, unknown)
        if outcome.status == "used":
            raise ApiError(
                410, "This install token was already used (each works once); ask for a new one."
            )
        if body is not None:
            return _json(body)
        return package_response(skill, files)

    @router.post(
        "/api/check-updates",
        tags=["skills"],
        summary="Compare installed versions with the marketplace",
        responses={200: {"model": schemas.CheckUpdatesResponse}, **_errors(400, 401)},
    )
    async def check_updates(body: schemas.CheckUpdatesRequest, who: User) -> Response:
        catalog = services.source.catalog
        updates = []
        for item in body.installed:
            skill = catalog.skill(item.name)
            if skill is None or not services.policy.can_read(who, skill):
                continue
            if is_newer(skill.version, item.version):
                updates.append(
                    {
                        "name": skill.name,
                        "installedVersion": item.version,
                        "availableVersion": skill.version,
                    }
                )
        return _json({"hasUpdates": bool(updates), "updates": updates})

    @router.get(
        "/api/whoami",
        tags=["account"],
        summary="The signed-in user",
        responses={200: {"model": schemas.WhoAmI}, **_errors(401)},
    )
    async def whoami(who: User) -> Response:
        return _json(who.as_dict())

    @router.get(
        "/api/debug/plugins",
        tags=["debug"],
        summary="Every plugin the connector found, with the problems it found",
        responses={200: {"model": schemas.DebugPlugins}, **_errors(401)},
    )
    async def debug_plugins(who: User) -> Response:
        catalog = services.source.catalog
        visible = []
        hidden_paths: list[str] = []
        for plugin in catalog.plugins:
            skills = [catalog.skills[s] for s in plugin.skills]
            if not plugin.published and not any(services.policy.can_write(who, s) for s in skills):
                if plugin.path:
                    hidden_paths.append(plugin.path + "/")
                continue
            visible.append(
                {
                    "name": plugin.name,
                    "path": plugin.path,
                    "source": plugin.source,
                    "remote": plugin.remote,
                    "published": plugin.published,
                    "loadable": plugin.loadable,
                    "version": plugin.version,
                    "skills": list(plugin.skills),
                }
            )
        findings = [
            f.as_dict()
            for f in catalog.findings
            if not any(f.file.startswith(p) for p in hidden_paths)
        ]
        metadata = catalog.marketplace.get("metadata")
        root = metadata.get("pluginRoot") if isinstance(metadata, dict) else None
        return _json(
            {
                "marketplace": catalog.name,
                "plugin_root": root if isinstance(root, str) else DEFAULT_PLUGIN_ROOT,
                "plugins": visible,
                "findings": findings,
            }
        )

    @router.get(
        "/healthz",
        tags=["operations"],
        summary="Liveness and the state of the loaded marketplace",
        responses={200: {"model": schemas.Health}},
    )
    async def healthz() -> Response:
        catalog = services.source.catalog
        return _json(
            {
                "status": "ok",
                "version": __version__,
                "marketplace": catalog.name,
                "source": services.source.describe(),
                "plugins": len(catalog.plugins),
                "skills": len(catalog.skills),
                "errors": len(catalog.errors),
                "warnings": len(catalog.warnings),
                "loaded_at": services.source.loaded_at,
                "snapshot_age_seconds": round(time.time() - services.source.loaded_at, 3),
            }
        )

    return router

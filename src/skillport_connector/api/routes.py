"""The REST API, wire-compatible with the original connector (see the contract)."""

from __future__ import annotations

import hashlib
import hmac
import json
import tempfile
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from .. import __version__
from .. import install as packaging
from ..access import AccessPolicy
from ..audit import AuditLog
from ..auth import INSTALL_TOKEN_TTL, Identity, TokenService
from ..catalog import FILTER_SURFACES, SURFACES, Catalog, Skill
from ..catalog.loader import DEFAULT_PLUGIN_ROOT
from ..catalog.semver import is_newer
from ..editing.operations import (
    BumpRequest,
    EditError,
    Plan,
    PublishRequest,
    SaveRequest,
    plan_bump,
    plan_delete,
    plan_publish,
    plan_save,
)
from ..settings import Settings
from ..sources.git import Conflict, Invalid
from ..sources.gitrepo import GitError
from . import schemas
from .errors import ApiError
from .openapi import ApiRouter, query

MAX_JSON_BODY = 1024 * 1024
#: A save carries file contents (base64 for binaries), so it may be larger.
MAX_SAVE_BODY = 32 * 1024 * 1024
_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


@dataclass
class Services:
    """Everything a request handler needs; built once by ``app.create_app``."""

    settings: Settings
    source: Any  # LocalSource or GitSource: .catalog, .refresh(), .loaded_at, .health()
    tokens: TokenService
    audit: AuditLog
    #: The OAuth server, whose access tokens the REST API accepts too (set by create_app).
    oauth: Any = None
    limiter: Any = None

    def limit_minting(self, who: Identity) -> None:
        if self.limiter is not None:
            self.limiter.hit("mint", who.id, self.settings.rate_limit_user, "tokens requested")

    _policies: weakref.WeakKeyDictionary[Catalog, AccessPolicy] = field(
        default_factory=weakref.WeakKeyDictionary
    )

    def identify(self, token: str) -> Identity | None:
        """The identity behind an ``sk_api_`` token or an OAuth access token."""
        if token.startswith("spat_") and self.oauth is not None:
            grant = self.oauth.validate(token, resource=self.oauth.resource)
            return grant.identity if grant else None
        return self.tokens.identity_for(token)

    def policy_for(self, catalog: Catalog) -> AccessPolicy:
        """The access policy of one snapshot (its own ``.skillport/access.json``)."""
        policy = self._policies.get(catalog)
        if policy is None:
            policy = AccessPolicy.for_catalog(catalog)
            self._policies[catalog] = policy
        return policy


def _dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def _json(data: Any, status: int = 200) -> Response:
    return Response(_dumps(data), status_code=status, media_type="application/json")


async def read_json(
    request: Request, model: type[schemas.BaseModel], limit: int = MAX_JSON_BODY
) -> Any:
    """Parse a JSON body into ``model``; 413 when too large, 400 with the reason when invalid."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"The request body is over {limit} bytes.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"The request body is over {limit} bytes.")
        chunks.append(chunk)
    try:
        return model.model_validate_json(b"".join(chunks))
    except ValidationError as exc:
        parts = []
        for err in exc.errors()[:5]:
            where = ".".join(str(p) for p in err.get("loc", ()))
            parts.append(f"{where or 'body'}: {err.get('msg', 'invalid')}")
        raise ApiError(400, "Invalid request body: " + "; ".join(parts)) from None


def build_api(services: Services) -> ApiRouter:
    api = ApiRouter()
    listing_cache: OrderedDict[tuple[Any, str | None], tuple[Catalog, bytes]] = OrderedDict()

    def authenticate(request: Request) -> Identity:
        """The caller's identity from ``Authorization: Bearer …``, or a 401."""
        header = request.headers.get("authorization", "")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise ApiError(
                401,
                "Send 'Authorization: Bearer <token>'. Get a token from the skillport_auth tool "
                "or `skillport-connector token --user EMAIL`.",
                headers={"WWW-Authenticate": 'Bearer realm="skillport"'},
            )
        who = services.identify(credentials.strip())
        if who is None:
            raise ApiError(
                401,
                "The token is unknown or has expired (API tokens last 15 minutes); get a new one.",
                headers={"WWW-Authenticate": 'Bearer realm="skillport", error="invalid_token"'},
            )
        return who

    def summary(skill: Skill, who: Identity, policy: AccessPolicy) -> dict[str, Any]:
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
            "editable": policy.can_write(who, skill),
        }

    def readable_skill(catalog: Catalog, name: str, who: Identity) -> Skill:
        skill = catalog.skill(name)
        if skill is None or not services.policy_for(catalog).can_read(who, skill):
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
            raise ApiError(400, f"Unknown surface {surface[:20]!r}; use one of {options}.")
        return value

    def packed_files(catalog: Catalog, skill: Skill) -> list[packaging.PackedFile]:
        try:
            return packaging.skill_files(catalog, skill, limit=services.settings.max_package_bytes)
        except packaging.PackageTooLarge as exc:
            raise ApiError(413, f"{skill.name} cannot be packaged: {exc}.") from None
        except OSError:
            raise ApiError(
                503, f"{skill.name} changed on disk while being read; retry in a moment."
            ) from None

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

    async def spend_ticket(
        kind: str, token: str, render: Any
    ) -> tuple[Identity, Skill, list[packaging.PackedFile], bytes | None]:
        """Redeem a single-use install/edit token: 404 unknown or expired, 410 used.

        The payload is built before the token is spent, so a failure while building leaves
        the token usable for the installer's retry; access is re-checked for the token's user.
        """
        unknown = (
            f"This {kind} token is unknown or has expired (tokens last 15 minutes); "
            "ask for a new one."
        )
        record = services.tokens.peek_ticket(kind, token)
        if record is None:
            raise ApiError(404, unknown)
        catalog = services.source.catalog
        policy = services.policy_for(catalog)
        who = Identity.from_dict(record["user"])
        skill = catalog.skill(record["skill"])
        if skill is None or not policy.can_read(who, skill):
            raise ApiError(404, f"The skill {record['skill']!r} is no longer available.")
        if kind == "edit" and not policy.can_write(who, skill):
            raise ApiError(403, f"{who.email} may no longer change {skill.name!r}.")
        files = await run_in_threadpool(packed_files, catalog, skill)
        body = render(skill, files)
        outcome = services.tokens.redeem_ticket(kind, token)
        if outcome.status == "unknown":
            raise ApiError(404, unknown)
        if outcome.status == "used":
            raise ApiError(
                410, f"This {kind} token was already used (each works once); ask for a new one."
            )
        return who, skill, files, body

    @api.get(
        "/api/skills",
        tags=["skills"],
        summary="List or search the skills you can use",
        ok=schemas.SkillList,
        errors=(400,),
        params=[
            query(
                "surface",
                "CC (Claude Code), CD (Claude Desktop) or CAI (Claude.ai)",
                {"type": "string", "enum": list(FILTER_SURFACES)},
            ),
            query("q", "Full-text search, best match first", {"type": "string", "maxLength": 500}),
            query("refresh", "Reload the marketplace first", {"type": "boolean", "default": False}),
        ],
    )
    async def list_skills(request: Request) -> Response:
        who = authenticate(request)
        params = request.query_params
        surface_filter = parse_surface(params.get("surface"))
        q = params.get("q")
        if q is not None and len(q) > 500:
            raise ApiError(400, "q is longer than 500 characters.")
        refresh = _BOOLEANS.get(params.get("refresh", "false").lower())
        if refresh is None:
            raise ApiError(400, "refresh must be true or false.")
        catalog = (
            await run_in_threadpool(services.source.refresh) if refresh else services.source.catalog
        )
        policy = services.policy_for(catalog)
        if q is not None and q.strip():
            hits = [
                {**summary(hit.skill, who, policy), "score": hit.score}
                for hit in catalog.search(q)
                if policy.can_read(who, hit.skill)
                and (surface_filter is None or hit.skill.available_on(surface_filter))
            ]
            return _json(
                {"count": len(hits), "surface_filter": surface_filter, "query": q, "skills": hits}
            )
        # The listing only depends on the snapshot, who is asking (as far as the policy
        # tells them apart) and the surface: serve it from pre-serialised bytes.
        # The cached entry keeps its catalog, compared by identity: an id() could be reused
        # by the next snapshot once the old one is freed.
        key = (policy.view_key(who), surface_filter)
        cached = listing_cache.get(key)
        body = cached[1] if cached is not None and cached[0] is catalog else None
        if body is None:
            skills = [
                summary(s, who, policy)
                for s in catalog.skills.values()
                if policy.can_read(who, s)
                and (surface_filter is None or s.available_on(surface_filter))
            ]
            body = _dumps(
                {"count": len(skills), "surface_filter": surface_filter, "skills": skills}
            )
            listing_cache[key] = (catalog, body)
            while len(listing_cache) > 256:
                listing_cache.popitem(last=False)
        return Response(body, media_type="application/json")

    @api.get(
        "/api/skills/{name}",
        tags=["skills"],
        summary="One skill: metadata, SKILL.md and its file list",
        ok=schemas.SkillDetail,
        errors=(404,),
    )
    async def get_skill(request: Request) -> Response:
        who = authenticate(request)
        catalog = services.source.catalog
        skill = readable_skill(catalog, request.path_params["name"], who)
        try:
            raw = catalog.tree.read_bytes(skill.file_path("SKILL.md"))
        except OSError:
            raise ApiError(503, "The skill changed on disk while being read; retry.") from None
        policy = services.policy_for(catalog)
        return _json(
            {
                "skill": summary(skill, who, policy),
                "skill_md": raw.decode("utf-8", errors="replace").lstrip("\ufeff"),
                "files": [f.path for f in skill.files],
                "editable": policy.can_write(who, skill),
            }
        )

    @api.get(
        "/api/skills/{name}/install",
        tags=["install"],
        summary="A one-time install token and the commands that use it",
        ok=schemas.InstallTicket,
        errors=(404,),
    )
    async def install_ticket(request: Request) -> Response:
        who = authenticate(request)
        skill = readable_skill(services.source.catalog, request.path_params["name"], who)
        services.limit_minting(who)
        token = services.tokens.mint_install_token(who, skill.name, skill.version)
        services.audit.record(
            who, "install-token", skill=skill.name, group=skill.plugin, result="ok"
        )
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

    @api.get(
        "/api/skills/{name}/package",
        tags=["install"],
        summary="The .skill package (a zip with one root folder) of a skill, streamed",
        ok="application/zip",
        errors=(404, 413),
    )
    async def package(request: Request) -> Response:
        who = authenticate(request)
        catalog = services.source.catalog
        skill = readable_skill(catalog, request.path_params["name"], who)
        files = await run_in_threadpool(packed_files, catalog, skill)
        return await run_in_threadpool(package_response, skill, files)

    @api.get(
        "/install.sh",
        tags=["install"],
        summary="The installer script, with this connector's address baked in",
        ok="text/x-shellscript",
        secured=False,
    )
    async def install_sh(request: Request) -> Response:
        script = packaging.install_script(services.settings.base_url)
        return Response(script, media_type="text/x-shellscript; charset=utf-8")

    @api.get(
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
        token = request.path_params["token"]
        fmt = request.query_params.get("format", "json")
        if fmt not in ("json", "skill"):
            raise ApiError(400, f"Unknown format {fmt[:20]!r}; use json or skill.")
        who, skill, files, body = await spend_ticket(
            "install",
            token,
            lambda skill, files: (
                _dumps(packaging.install_payload(skill, files)) if fmt == "json" else None
            ),
        )
        services.audit.record(who, "install", skill=skill.name, group=skill.plugin, result="ok")
        if body is not None:
            return Response(body, media_type="application/json")
        return await run_in_threadpool(package_response, skill, files)

    @api.post(
        "/api/check-updates",
        tags=["skills"],
        summary="Compare installed versions with the marketplace",
        ok=schemas.CheckUpdatesResponse,
        errors=(400, 413),
        body=schemas.CheckUpdatesRequest,
    )
    async def check_updates(request: Request) -> Response:
        who = authenticate(request)
        body = await read_json(request, schemas.CheckUpdatesRequest)
        catalog = services.source.catalog
        updates = []
        for item in body.installed:
            skill = catalog.skill(item.name)
            if skill is None or not services.policy_for(catalog).can_read(who, skill):
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

    @api.get("/api/whoami", tags=["account"], summary="The signed-in user", ok=schemas.WhoAmI)
    async def whoami(request: Request) -> Response:
        return _json(authenticate(request).whoami())

    @api.get(
        "/api/debug/plugins",
        tags=["debug"],
        summary="Every plugin the connector found, with the problems it found",
        ok=schemas.DebugPlugins,
    )
    async def debug_plugins(request: Request) -> Response:
        who = authenticate(request)
        catalog = services.source.catalog
        policy = services.policy_for(catalog)
        visible = []
        hidden_paths: list[str] = []
        for plugin in catalog.plugins:
            skills = [catalog.skills[s] for s in plugin.skills]
            if not plugin.published and not any(policy.can_write(who, s) for s in skills):
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
            for f in [*policy.findings(), *catalog.findings]
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

    @api.get(
        "/healthz",
        tags=["operations"],
        summary="Liveness and the state of the loaded marketplace",
        ok=schemas.Health,
        secured=False,
    )
    async def healthz(request: Request) -> Response:
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
                "upstream": services.source.health(),
                "access": {
                    "ok": services.policy_for(catalog).error is None,
                    "error": services.policy_for(catalog).error,
                },
            }
        )

    # -- editing ------------------------------------------------------------------------------

    def editable_source() -> Any:
        source = services.source
        if not getattr(source, "editable", False):
            raise ApiError(
                503,
                "This marketplace is a plain folder, so it is read-only: serve a git repository "
                "(SKILLPORT_MARKETPLACE=<path or URL of a git repository>) to edit skills.",
            )
        return source

    async def run_edit(request: Request, action: str, plan_fn: Any) -> Response:
        who = authenticate(request)
        source = editable_source()
        catalog = source.catalog
        policy = services.policy_for(catalog)
        name = request.path_params["name"]
        try:
            plan = await plan_fn(catalog, policy, who)
        except EditError as exc:
            services.audit.record(who, action, skill=name, result=f"refused:{exc.status}")
            raise ApiError(exc.status, exc.message, kind=exc.kind) from None

        def validate(before: Catalog, after: Catalog) -> list[str]:
            known = {(f.file, f.message) for f in before.errors}
            return [str(f) for f in after.errors if (f.file, f.message) not in known]

        try:
            result = await run_in_threadpool(
                source.write,
                catalog,
                plan.changes,
                plan.touched,
                plan.message(who),
                (who.name, who.email),
                validate,
            )
        except Conflict as exc:
            services.audit.record(who, action, skill=name, group=plan.group, result="conflict")
            raise ApiError(409, str(exc)) from None
        except Invalid as exc:
            services.audit.record(who, action, skill=name, group=plan.group, result="invalid")
            raise ApiError(
                400, "The change would break the marketplace, so nothing was written: " + str(exc)
            ) from None
        except GitError as exc:
            services.audit.record(who, action, skill=name, group=plan.group, result="unavailable")
            raise ApiError(
                503,
                f"The marketplace repository cannot be written right now ({exc}); "
                "nothing was changed, try again later.",
            ) from None
        services.audit.record(
            who, action, skill=name, group=plan.group, result="ok", commit=result.commit
        )
        return _json(
            {
                "success": True,
                "action": action,
                "skill": name,
                "plugin": plan.group,
                "commit": result.commit,
                "message": plan.subject,
                "reapplied": result.reapplied,
                "files": sorted(plan.changes),
                **plan.extra,
            }
        )

    @api.post(
        "/api/skills/{name}",
        tags=["editing"],
        summary="Save files of a skill (creates it if new): one commit",
        ok=schemas.EditResult,
        errors=(400, 403, 404, 409, 413, 503),
        body=SaveRequest,
    )
    async def save_skill(request: Request) -> Response:
        async def plan(catalog: Catalog, policy: AccessPolicy, who: Identity) -> Plan:
            body = await read_json(request, SaveRequest, limit=MAX_SAVE_BODY)
            return plan_save(catalog, policy, who, request.path_params["name"], body)

        return await run_edit(request, "save", plan)

    @api.route(
        "DELETE",
        "/api/skills/{name}",
        tags=["editing"],
        summary="Delete a skill (and its group when it was the last one): one commit",
        ok=schemas.EditResult,
        errors=(400, 403, 404, 409, 503),
        params=[query("confirm", "Must be true", {"type": "boolean"})],
    )
    async def delete_skill(request: Request) -> Response:
        async def plan(catalog: Catalog, policy: AccessPolicy, who: Identity) -> Plan:
            if request.query_params.get("confirm", "").lower() != "true":
                raise EditError(400, "Deleting is permanent: repeat the request with ?confirm=true")
            return plan_delete(catalog, policy, who, request.path_params["name"])

        return await run_edit(request, "delete", plan)

    @api.post(
        "/api/skills/{name}/publish",
        tags=["editing"],
        summary="List the skill's group in marketplace.json (editors): one commit",
        ok=schemas.EditResult,
        errors=(400, 403, 404, 409, 503),
        body=PublishRequest,
    )
    async def publish_skill(request: Request) -> Response:
        async def plan(catalog: Catalog, policy: AccessPolicy, who: Identity) -> Plan:
            body = await read_json(request, PublishRequest)
            return plan_publish(catalog, policy, who, request.path_params["name"], body)

        return await run_edit(request, "publish", plan)

    @api.post(
        "/api/skills/{name}/bump",
        tags=["editing"],
        summary="Raise the group's version in plugin.json and marketplace.json: one commit",
        ok=schemas.EditResult,
        errors=(400, 403, 404, 409, 503),
        body=BumpRequest,
    )
    async def bump_skill(request: Request) -> Response:
        async def plan(catalog: Catalog, policy: AccessPolicy, who: Identity) -> Plan:
            body = await read_json(request, BumpRequest)
            return plan_bump(catalog, policy, who, request.path_params["name"], body)

        return await run_edit(request, "bump", plan)

    @api.get(
        "/api/skills/{name}/edit",
        tags=["editing"],
        summary="A one-time edit token and the edit.sh command that uses it",
        ok=schemas.EditTicket,
        errors=(403, 404),
    )
    async def edit_ticket(request: Request) -> Response:
        who = authenticate(request)
        catalog = services.source.catalog
        skill = readable_skill(catalog, request.path_params["name"], who)
        if not services.policy_for(catalog).can_write(who, skill):
            raise ApiError(403, f"You can read {skill.name!r} but not change it.")
        services.limit_minting(who)
        token = services.tokens.mint_ticket("edit", who, skill.name, skill.version)
        services.audit.record(who, "edit-token", skill=skill.name, group=skill.plugin, result="ok")
        return _json(
            {
                "edit_token": token,
                "skill": skill.name,
                "plugin": skill.plugin,
                "version": skill.version,
                "expires_in": INSTALL_TOKEN_TTL,
                "command": packaging.install_command(services.settings.base_url, token, "edit"),
            }
        )

    @api.get(
        "/edit.sh",
        tags=["editing"],
        summary="The edit script: fetches a skill's files into /tmp/skillport-edit/<name>/",
        ok="text/x-shellscript",
        secured=False,
    )
    async def edit_sh(request: Request) -> Response:
        script = packaging.install_script(services.settings.base_url, mode="edit")
        return Response(script, media_type="text/x-shellscript; charset=utf-8")

    @api.get(
        "/api/edit/{token}",
        tags=["editing"],
        summary="Redeem a one-time edit token (404 unknown or expired, 410 already used)",
        ok=schemas.InstallPayload,
        errors=(403, 404, 410, 413),
        secured=False,
    )
    async def redeem_edit(request: Request) -> Response:
        token = request.path_params["token"]
        who, skill, _, body = await spend_ticket(
            "edit", token, lambda skill, files: _dumps(packaging.edit_payload(skill, files))
        )
        services.audit.record(who, "edit", skill=skill.name, group=skill.plugin, result="ok")
        return Response(body, media_type="application/json")

    # -- webhooks -------------------------------------------------------------------------

    async def webhook_body(request: Request) -> bytes:
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > 4 * MAX_JSON_BODY:
                raise ApiError(413, "The webhook body is too large.")
            chunks.append(chunk)
        return b"".join(chunks)

    async def refreshed(provider: str) -> Response:
        changed = await run_in_threadpool(services.source.check)
        health = services.source.health()
        services.audit.record(
            None, f"webhook:{provider}", result="refreshed" if changed else "unchanged",
            commit=health.get("commit"),
        )  # fmt: skip
        return _json({"refreshed": changed, "commit": health.get("commit")})

    @api.post(
        "/webhooks/github",
        tags=["webhooks"],
        summary="GitHub push webhook (X-Hub-Signature-256, SKILLPORT_GITHUB_WEBHOOK_SECRET)",
        ok=schemas.WebhookResult,
        errors=(401, 404, 413),
        secured=False,
    )
    async def github_webhook(request: Request) -> Response:
        secret = services.settings.github_webhook_secret
        if not secret:
            raise ApiError(404, "The GitHub webhook is off: set SKILLPORT_GITHUB_WEBHOOK_SECRET.")
        body = await webhook_body(request)
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        given = request.headers.get("x-hub-signature-256", "")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise ApiError(401, "Bad or missing X-Hub-Signature-256.")
        if request.headers.get("x-github-event") == "ping":
            return _json({"refreshed": False, "commit": services.source.health().get("commit")})
        return await refreshed("github")

    @api.post(
        "/webhooks/gitlab",
        tags=["webhooks"],
        summary="GitLab push webhook (X-Gitlab-Token, SKILLPORT_GITLAB_WEBHOOK_TOKEN)",
        ok=schemas.WebhookResult,
        errors=(401, 404, 413),
        secured=False,
    )
    async def gitlab_webhook(request: Request) -> Response:
        secret = services.settings.gitlab_webhook_token
        if not secret:
            raise ApiError(404, "The GitLab webhook is off: set SKILLPORT_GITLAB_WEBHOOK_TOKEN.")
        await webhook_body(request)
        given = request.headers.get("x-gitlab-token", "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            raise ApiError(401, "Bad or missing X-Gitlab-Token.")
        return await refreshed("gitlab")

    return api

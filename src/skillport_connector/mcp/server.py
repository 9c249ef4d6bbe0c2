"""The Claude connector: MCP over Streamable HTTP (``/mcp``) and legacy SSE (``/sse``).

Built on fastmcp (pinned). Every call is authenticated by an access token from our own
OAuth server (:mod:`skillport_connector.auth.oauth`), verified against the shared store
on each request, so a revoked token stops working at once on every instance. Everything a
client sees is filtered by the same access policy as the REST API.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastmcp import Context, FastMCP
from fastmcp.server.auth import AccessToken, RemoteAuthProvider, TokenVerifier
from fastmcp.server.auth.auth import TokenVerificationError
from fastmcp.server.dependencies import get_access_token
from pydantic import Field

from .. import __version__
from .. import install as packaging
from ..auth import API_TOKEN_TTL, INSTALL_TOKEN_TTL, Identity
from ..auth.oauth import SCOPES, OAuthServer
from ..auth.ratelimit import RateLimited
from ..catalog import FILTER_SURFACES
from ..catalog.semver import is_newer
from ..store import StoreUnavailable
from .skills import SkillsExtension, SkillsProvider

INSTRUCTIONS = """Skillport serves this organisation's Claude Skills.
Call the skillport_auth tool first (operation "auth"): it returns a short-lived token and
the base URL of the Skillport REST API. Then follow the `skillport` skill, which explains
how to browse, search, install and update skills with that token. If the `skillport` skill
is not installed yet, call skillport_auth with operation "bootstrap" and run the command it
returns to install it."""


class StoreTokenVerifier(TokenVerifier):
    """Checks bearer tokens against the shared store, uncached: revocation is immediate."""

    def __init__(self, oauth: OAuthServer, base_url: str) -> None:
        super().__init__(base_url=base_url, required_scopes=list(SCOPES))
        self.oauth = oauth

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            grant = self.oauth.validate(token, resource=self.oauth.resource)
        except StoreUnavailable as exc:
            raise TokenVerificationError(str(exc)) from None
        if grant is None:
            return None
        return AccessToken(
            token=token,
            client_id=grant.client_id,
            scopes=grant.scope.split(),
            resource=grant.resource,
            subject=grant.identity.id,
            claims={"sub": grant.identity.id, "user": grant.identity.as_dict()},
        )


def current_identity() -> Identity:
    token = get_access_token()
    if token is None or not token.claims or "user" not in token.claims:
        raise PermissionError("not signed in")
    return Identity.from_dict(token.claims["user"])


def _client_info(ctx: Context | None) -> dict[str, str] | None:
    try:
        params = ctx.session.client_params if ctx is not None else None  # type: ignore[union-attr]
        info = getattr(params, "clientInfo", None) or getattr(params, "client_info", None)
        if info is not None:
            return {"name": str(info.name), "version": str(info.version)}
    except Exception:  # stateless requests may carry no session
        pass
    return None


def build_mcp(
    services: Any, oauth: OAuthServer, *, classic_tools: bool, anonymous: Identity | None = None
) -> FastMCP:
    """The MCP server. ``anonymous`` switches authentication off and acts as that user: only
    for the conformance suite on loopback (its runner cannot sign in)."""
    base_url = services.settings.base_url
    auth = None
    if anonymous is None:
        auth = RemoteAuthProvider(
            token_verifier=StoreTokenVerifier(oauth, base_url),
            authorization_servers=[base_url],  # type: ignore[list-item]
            base_url=base_url,
            resource_name="Skillport",
        )
    mcp = FastMCP(name="Skillport", instructions=INSTRUCTIONS, version=__version__, auth=auth)

    def view() -> tuple[Identity, Any, Any]:
        who = anonymous or current_identity()
        catalog = services.source.catalog
        return who, catalog, services.policy_for(catalog)

    @mcp.tool(
        name="skillport_auth",
        description=(
            "Get a short-lived token for the Skillport REST API (operation 'auth', the default), "
            "or the command that installs the `skillport` skill (operation 'bootstrap')."
        ),
    )
    def skillport_auth(
        operation: Annotated[
            Literal["auth", "bootstrap"], Field(description="auth or bootstrap")
        ] = "auth",
        ctx: Context | None = None,
    ) -> str:
        who, catalog, policy = view()
        try:
            services.limit_minting(who)
        except RateLimited as exc:
            return json.dumps({"error": "rate_limited", "message": str(exc)})
        if operation == "bootstrap":
            skill = catalog.skill("skillport")
            if skill is None or not policy.can_read(who, skill):
                return json.dumps(
                    {
                        "error": "not_found",
                        "message": "This marketplace has no `skillport` skill you can use. Ask an "
                        "editor to add it; meanwhile use the token from operation 'auth' with the "
                        "REST API directly.",
                    }
                )
            token = services.tokens.mint_install_token(who, skill.name, skill.version)
            services.audit.record(
                who, "install-token", skill=skill.name, group=skill.plugin, result="ok"
            )
            return json.dumps(
                {
                    "message": "Install the skillport skill to browse and install skills.",
                    "steps": [
                        "Run the command below in your code environment.",
                        "It prints SKILL_FILE=<path> last: present that file to the user so they "
                        "can click 'Copy to your skills' (Claude.ai / Claude Desktop).",
                        "In Claude Code, run it with --skill instead of --package.",
                    ],
                    "command": packaging.install_command(base_url, token, "package"),
                    "version": skill.version,
                }
            )
        token = services.tokens.mint_api_token(who)
        return json.dumps(
            {
                "token": token,
                "base_url": base_url,
                "expires_in": API_TOKEN_TTL,
                "client_info": _client_info(ctx),
                "instructions": (
                    "Send 'Authorization: Bearer <token>' to the Skillport REST API at base_url; "
                    "follow the skillport skill. Call skillport_auth again when you get a 401."
                ),
            }
        )

    mcp.add_provider(SkillsProvider(view))
    mcp.add_extension(SkillsExtension(view))
    if classic_tools:
        _classic_tools(mcp, services, view)
    return mcp


def _summary(skill: Any) -> dict[str, Any]:
    return {
        "name": skill.name,
        "plugin": skill.plugin,
        "description": skill.description,
        "version": skill.version,
        "surface_tags": list(skill.surface_tags),
    }


def _classic_tools(mcp: FastMCP, services: Any, view: Any) -> None:
    """Tools for clients that cannot run code: everything through MCP, same access rules."""
    base_url = services.settings.base_url

    def surface_ok(skill: Any, surface: str | None) -> bool:
        return surface is None or skill.available_on(surface.upper())

    @mcp.tool(description="List the skills you can use, optionally for one surface (CC, CD, CAI).")
    def list_skills(surface: Literal["CC", "CD", "CAI"] | None = None) -> dict[str, Any]:
        who, catalog, policy = view()
        skills = [
            _summary(s)
            for s in catalog.skills.values()
            if policy.can_read(who, s) and surface_ok(s, surface)
        ]
        return {"count": len(skills), "skills": skills}

    @mcp.tool(
        description="Search skills by words in their name, description, tags and instructions."
    )
    def search_skills(query: Annotated[str, Field(max_length=500)]) -> dict[str, Any]:
        who, catalog, policy = view()
        hits = [
            {**_summary(h.skill), "score": h.score}
            for h in catalog.search(query)
            if policy.can_read(who, h.skill)
        ]
        return {"count": len(hits), "skills": hits[:50]}

    @mcp.tool(description="One skill: its SKILL.md and the list of its files.")
    def get_skill(name: str) -> dict[str, Any]:
        who, catalog, policy = view()
        skill = catalog.skill(name)
        if skill is None or not policy.can_read(who, skill):
            raise ValueError(f"No skill named {name!r}; list_skills shows what you can use.")
        raw = catalog.tree.read_bytes(skill.file_path("SKILL.md")).decode("utf-8", "replace")
        return {"skill": _summary(skill), "skill_md": raw, "files": [f.path for f in skill.files]}

    @mcp.tool(description="A one-time command that installs a skill (15 minutes).")
    def install_skill(name: str, surface: Literal["CC", "CD", "CAI"] = "CAI") -> dict[str, Any]:
        who, catalog, policy = view()
        skill = catalog.skill(name)
        if skill is None or not policy.can_read(who, skill):
            raise ValueError(f"No skill named {name!r}; list_skills shows what you can use.")
        token = services.tokens.mint_install_token(who, skill.name, skill.version)
        services.audit.record(
            who, "install-token", skill=skill.name, group=skill.plugin, result="ok"
        )
        mode = "skill" if surface == "CC" else "package"
        return {
            "skill": skill.name,
            "version": skill.version,
            "expires_in": INSTALL_TOKEN_TTL,
            "command": packaging.install_command(base_url, token, mode),
        }

    @mcp.tool(description="Which of your installed skills have newer versions.")
    def check_updates(installed: list[dict[str, str]]) -> dict[str, Any]:
        who, catalog, policy = view()
        updates = []
        for item in installed[:2000]:
            skill = catalog.skill(str(item.get("name", "")))
            if (
                skill
                and policy.can_read(who, skill)
                and is_newer(skill.version, str(item.get("version", "")))
            ):
                updates.append(
                    {
                        "name": skill.name,
                        "installedVersion": item.get("version"),
                        "availableVersion": skill.version,
                    }
                )
        return {"hasUpdates": bool(updates), "updates": updates}

    @mcp.tool(description="Who you are signed in as.")
    def whoami() -> dict[str, Any]:
        who, _, _ = view()
        return who.whoami()


def allowed_hosts(base_url: str, host: str, port: int) -> list[str]:
    """Host headers the MCP endpoints accept (DNS-rebinding protection)."""
    public = urlsplit(base_url)
    hosts = {public.netloc, public.hostname or ""}
    if host in ("127.0.0.1", "localhost", "::1", "0.0.0.0"):
        hosts |= {f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"}
    else:
        hosts |= {host, f"{host}:{port}"}
    return sorted(h for h in hosts if h)


__all__ = ["FILTER_SURFACES", "INSTRUCTIONS", "allowed_hosts", "build_mcp"]

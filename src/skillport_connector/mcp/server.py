"""The Claude connector: MCP over Streamable HTTP (``/mcp``) and legacy SSE (``/sse``).

Built on fastmcp (pinned). Every call is authenticated by an access token from our own
OAuth server (:mod:`skillport_connector.auth.oauth`), verified against the shared store
on each request, so a revoked token stops working at once on every instance. Everything
goes through the same services as the REST API (:mod:`skillport_connector.services`):
the same access rules, the same summaries, the same minting path and rate limit.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastmcp import Context, FastMCP
from fastmcp.server.auth import AccessToken, RemoteAuthProvider, TokenVerifier
from fastmcp.server.auth.auth import TokenVerificationError
from fastmcp.server.dependencies import get_access_token
from pydantic import Field

from .. import __version__
from .. import install as packaging
from ..auth import API_TOKEN_TTL, Identity
from ..auth.oauth import SCOPES, OAuthServer
from ..errors import NotFound, SkillportError, Unauthenticated
from ..hostguard import allowed_hosts
from ..services import Services, View
from .answers import AnswerCache
from .errors import json_error
from .skills import SkillsExtension, SkillsProvider
from .state import LightFastMCP
from .tools import add_classic_tools

INSTRUCTIONS = """Skillport serves this organisation's Claude Skills.
Call the skillport_auth tool first (operation "auth"): it returns a short-lived token and
the base URL of the Skillport REST API. Then follow the `skillport` skill, which explains
how to browse, search, install and update skills with that token. If the `skillport` skill
is not installed yet, call skillport_auth with operation "bootstrap" and run the command it
returns to install it."""
BOOTSTRAP_SKILL = "skillport"


class StoreTokenVerifier(TokenVerifier):
    """Checks bearer tokens against the shared store, uncached: revocation is immediate."""

    def __init__(self, oauth: OAuthServer, base_url: str) -> None:
        super().__init__(base_url=base_url, required_scopes=list(SCOPES))
        self.oauth = oauth

    async def verify_token(self, token: str) -> AccessToken | None:
        from ..store import StoreUnavailable

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
        raise Unauthenticated("not signed in")
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


def _bootstrap(services: Services, view: View) -> dict[str, Any]:
    try:
        ticket = services.tickets.mint(view, BOOTSTRAP_SKILL, "install")
    except NotFound:
        raise NotFound(
            "This marketplace has no `skillport` skill you can use. Ask an editor to add it; "
            "meanwhile use the token from operation 'auth' with the REST API directly."
        ) from None
    return {
        "message": "Install the skillport skill to browse and install skills.",
        "steps": [
            "Run the command below in your code environment.",
            "It prints SKILL_FILE=<path> last: present that file to the user so they "
            "can click 'Copy to your skills' (Claude.ai / Claude Desktop).",
            "In Claude Code, run it with --skill instead of --package.",
        ],
        "command": packaging.install_command(services.settings.base_url, ticket.token, "package"),
        "version": ticket.version,
    }


def build_mcp(
    services: Services, *, classic_tools: bool, anonymous: Identity | None = None
) -> FastMCP:
    """The MCP server. ``anonymous`` switches authentication off and acts as that user: only
    for the conformance suite on loopback (its runner cannot sign in)."""
    base_url = services.settings.base_url
    auth = None
    if anonymous is None:
        auth = RemoteAuthProvider(
            token_verifier=StoreTokenVerifier(services.oauth, base_url),
            authorization_servers=[base_url],  # type: ignore[list-item]
            base_url=base_url,
            resource_name="Skillport",
        )
    mcp = LightFastMCP(name="Skillport", instructions=INSTRUCTIONS, version=__version__, auth=auth)

    def view() -> View:
        return services.view(anonymous or current_identity())

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
        current = view()
        try:
            if operation == "bootstrap":
                return json.dumps(_bootstrap(services, current))
            token = services.tickets.mint_api_token(current.who)
        except SkillportError as exc:
            return json_error(exc)
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
        add_classic_tools(mcp, services, view)
    _serve_cached_answers(mcp, AnswerCache(view))
    return mcp


def _serve_cached_answers(mcp: FastMCP, cache: AnswerCache) -> None:
    """Put ``cache`` in the SDK's middleware, right inside fastmcp's root middleware (which
    binds the request context that :func:`current_identity` reads)."""
    chain = mcp._mcp_server.middleware
    root = next(i for i, m in enumerate(chain) if type(m).__name__ == "FastMCPServerMiddleware")
    chain.insert(root + 1, cache)  # type: ignore[arg-type]


__all__ = ["INSTRUCTIONS", "allowed_hosts", "build_mcp"]

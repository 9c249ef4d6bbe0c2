"""Classic MCP tools, for clients that cannot run code: everything through MCP, with the
same services (and so the same access rules and minting path) as the REST API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastmcp import FastMCP
from pydantic import Field

from .. import install as packaging
from ..services import Services, View, skills
from .errors import as_tool_errors

Surface = Literal["CC", "CD", "CAI", "CDAI", "CALL"]
#: Search hits one call returns.
MAX_HITS = 50
#: Skills one list_skills call returns (the rest in further pages).
MAX_LISTED = 1000


def add_classic_tools(mcp: FastMCP, services: Services, view: Callable[[], View]) -> None:
    base_url = services.settings.base_url

    @mcp.tool(
        description="List the skills you can use, optionally for one surface "
        f"(CC, CD, CAI, CDAI or CALL); more than {MAX_LISTED} come in pages (pass "
        "next_cursor back as cursor)."
    )
    def list_skills(surface: Surface | None = None, cursor: str | None = None) -> dict[str, Any]:
        reader = view()
        visible = services.visible(reader, surface)
        start = int(cursor) if cursor and cursor.isdigit() and len(cursor) < 10 else 0
        shown = [reader.summary(s).mcp() for s in visible[start : start + MAX_LISTED]]
        answer: dict[str, Any] = {"count": len(visible), "skills": shown}
        if len(visible) > MAX_LISTED:
            end = start + MAX_LISTED
            answer["next_cursor"] = str(end) if end < len(visible) else None
        return answer

    @mcp.tool(
        description="Search skills by words in their name, description, tags and instructions."
    )
    def search_skills(query: Annotated[str, Field(max_length=500)]) -> dict[str, Any]:
        reader = view()
        hits = skills.search_hits(reader, query, readable=services.readable_mask(reader))
        shown = [reader.summary(hit.skill, hit.score).mcp() for hit in hits[:MAX_HITS]]
        return {"count": len(hits), "skills": shown}

    @mcp.tool(description="One skill: its SKILL.md and the list of its files.")
    def get_skill(name: str) -> dict[str, Any]:
        with as_tool_errors():
            detail = skills.get_skill(view(), name)
        return {
            "skill": detail.summary.mcp(),
            "skill_md": detail.skill_md,
            "files": list(detail.files),
        }

    @mcp.tool(description="A one-time command that installs a skill (15 minutes).")
    def install_skill(name: str, surface: Surface = "CAI") -> dict[str, Any]:
        with as_tool_errors():
            ticket = services.tickets.mint(view(), name, "install")
        mode = "skill" if surface == "CC" else "package"
        return {
            "skill": ticket.skill,
            "version": ticket.version,
            "expires_in": ticket.expires_in,
            "command": packaging.install_command(base_url, ticket.token, mode),
        }

    @mcp.tool(description="Which of your installed skills have newer versions.")
    def check_updates(installed: list[dict[str, str]]) -> dict[str, Any]:
        pairs = ((str(i.get("name", "")), str(i.get("version", ""))) for i in installed)
        with as_tool_errors():
            updates = skills.check_updates(view(), pairs)
        return {
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

    @mcp.tool(description="Who you are signed in as.")
    def whoami() -> dict[str, Any]:
        return view().who.whoami()

"""What the services return: typed, immutable records. REST and MCP turn them into their
own wire shapes (the original connector's), each from the same record."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..auth import Identity
from ..auth.tokens import TicketKind
from ..catalog import Skill
from ..install import PackedFile


@dataclass(frozen=True, slots=True)
class SkillSummary:
    """One skill as a reader sees it: the one summary both REST and MCP show."""

    name: str
    plugin: str
    description: str
    version: str
    author: Any
    category: str | None
    tags: tuple[str, ...]
    keywords: tuple[str, ...]
    surface_tags: tuple[str, ...]
    published: bool
    editable: bool
    score: float | None = None
    #: ``plugin:skill``, only when several plugins have a skill of this name.
    id: str | None = None

    def rest(self) -> dict[str, Any]:
        """The REST shape (``SkillSummary`` in /openapi.json); ``score`` only when searching."""
        out = {
            "name": self.name,
            "plugin": self.plugin,
            "description": self.description,
            "version": self.version,
            "author": self.author,
            "category": self.category,
            "tags": list(self.tags),
            "keywords": list(self.keywords),
            "surface_tags": list(self.surface_tags),
            "published": self.published,
            "editable": self.editable,
        }
        if self.id is not None:
            out["id"] = self.id
        if self.score is not None:
            out["score"] = self.score
        return out

    def mcp(self) -> dict[str, Any]:
        """The shorter shape of the MCP tools; ``score`` only when searching."""
        out: dict[str, Any] = {
            "name": self.name,
            "plugin": self.plugin,
            "description": self.description,
            "version": self.version,
            "surface_tags": list(self.surface_tags),
        }
        if self.id is not None:
            out["id"] = self.id
        if self.score is not None:
            out["score"] = self.score
        return out


@dataclass(frozen=True, slots=True)
class SkillDetail:
    summary: SkillSummary
    skill_md: str
    files: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UpdateNotice:
    name: str
    installed_version: str
    available_version: str


@dataclass(frozen=True, slots=True)
class IssuedTicket:
    """A freshly minted single-use install or edit token (shown once, never logged)."""

    kind: TicketKind
    token: str
    skill: str
    plugin: str
    version: str
    expires_in: int


@dataclass(frozen=True, slots=True)
class Redeemed:
    """A spent ticket and what it gave: the skill's files, read from one snapshot."""

    who: Identity
    skill: Skill
    files: list[PackedFile]


@dataclass(frozen=True, slots=True)
class PluginReport:
    name: str
    path: str | None
    source: Any
    remote: bool
    published: bool
    loadable: bool
    version: str | None
    skills: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DebugReport:
    marketplace: str | None
    plugin_root: str
    plugins: tuple[PluginReport, ...]
    findings: tuple[dict[str, Any], ...]


@dataclass(frozen=True, slots=True)
class EditOutcome:
    action: str
    skill: str
    plugin: str
    commit: str
    message: str
    reapplied: bool
    files: tuple[str, ...]
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WebhookOutcome:
    refreshed: bool
    commit: str | None
    duplicate: bool = False

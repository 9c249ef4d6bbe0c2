"""The catalog's value types: immutable, so a snapshot can be shared by every request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

#: How bad a finding is: an error means something is not served as written.
Level = Literal["error", "warning"]

SURFACES: Mapping[str, str] = MappingProxyType(
    {
        "CC": "Claude Code",
        "CD": "Claude Desktop",
        "CAI": "Claude.ai",
        "CDAI": "Claude Desktop and Claude.ai",
        "CALL": "every Claude surface",
    }
)
#: Values accepted by ``?surface=``, as the original connector's: every surface tag. The
#: rule of :func:`matches_surface` applies as written (CDAI: untagged, CALL and CDAI skills).
FILTER_SURFACES = ("CC", "CD", "CAI", "CDAI", "CALL")


@dataclass(frozen=True, slots=True)
class Finding:
    level: Level
    file: str  # relative to the marketplace root; "" for the marketplace as a whole
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file or "."
        if self.line:
            where = f"{where}:{self.line}"
        return f"{where}: {self.level}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"level": self.level, "file": self.file, "line": self.line, "message": self.message}


@dataclass(frozen=True, slots=True)
class SkillFile:
    path: str  # relative to the skill folder, POSIX
    size: int
    #: Installed with mode 0755 (git mode 100755): scripts stay runnable.
    executable: bool = False


@dataclass(frozen=True, slots=True)
class Skill:
    """One skill as listed and served. What SKILL.md says beyond the name and description
    (its front matter, its body) is not held: :meth:`~.catalog.Catalog.document` reads it
    through the snapshot's tree when asked (:mod:`.bodies`)."""

    name: str
    plugin: str
    path: str  # skill folder, relative to the marketplace root ("" for the root itself)
    description: str
    version: str
    published: bool
    files: tuple[SkillFile, ...]
    author: Any = None
    category: str | None = None
    tags: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()

    @property
    def surface_tags(self) -> tuple[str, ...]:
        return surface_tags(self.tags)

    @property
    def id(self) -> str:
        """The canonical id, ``plugin:skill`` (Claude Code's namespacing)."""
        return f"{self.plugin}:{self.name}"

    def file_path(self, rel: str) -> str:
        """Marketplace-relative path of one of this skill's files."""
        return f"{self.path}/{rel}" if self.path else rel

    def available_on(self, surface: str) -> bool:
        return matches_surface(self.tags, surface)


@dataclass(frozen=True, slots=True)
class Plugin:
    """One group of skills: a marketplace entry (published) or a folder under the plugin root."""

    name: str
    source: Any  # as written in marketplace.json; the folder path for unpublished groups
    path: str | None  # resolved local folder, None for remote plugins
    remote: bool
    published: bool
    loadable: bool
    version: str | None
    entry: Mapping[str, Any] = field(default_factory=dict)
    manifest: Mapping[str, Any] = field(default_factory=dict)
    skills: tuple[str, ...] = ()

    @property
    def description(self) -> str | None:
        value = self.entry.get("description", self.manifest.get("description"))
        return value if isinstance(value, str) else None


def surface_tags(tags: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(t.split(":", 1)[1] for t in tags if t.startswith("surface:"))


def matches_surface(tags: tuple[str, ...], surface: str) -> bool:
    """The seed connector's rule: untagged skills are everywhere; CDAI covers CD and CAI."""
    found = surface_tags(tags)
    if not found or "CALL" in found or surface in found:
        return True
    return "CDAI" in found and surface in ("CD", "CAI")

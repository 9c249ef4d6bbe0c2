"""One reader's view of one snapshot: who, which catalog, under which policy.

Every rule about what a reader may see lives here once: "readable or NotFound" (absent
and hidden answer the same, so names never leak), "writable or Forbidden", the surface
filter and the skill summary.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..access import AccessPolicy
from ..auth import Identity
from ..catalog import FILTER_SURFACES, SURFACES, Catalog, Skill
from ..errors import Ambiguous, Forbidden, InvalidRequest, NotFound
from ..names import ref_problem
from .records import SkillSummary


def parse_surface(surface: str | None) -> str | None:
    """``CC``/``CD``/``CAI``/``CDAI``/``CALL`` (any case) or None for every surface;
    InvalidRequest otherwise."""
    if surface is None or surface == "":
        return None
    value = surface.strip().upper()
    if value not in FILTER_SURFACES:
        options = ", ".join(f"{s} ({SURFACES[s]})" for s in FILTER_SURFACES)
        raise InvalidRequest(f"Unknown surface {surface[:20]!r}; use one of {options}.")
    return value


def ambiguous(name: str, found: list[Skill]) -> Ambiguous:
    """The error for a bare ``name`` that several plugins' readable skills share."""
    ids = tuple(s.id for s in found)
    return Ambiguous(
        f"{len(ids)} plugins have a skill named {name!r}: {', '.join(ids)}. "
        "Name one as plugin:skill.",
        ids,
    )


@dataclass(frozen=True, slots=True)
class View:
    who: Identity
    catalog: Catalog
    policy: AccessPolicy

    def can_read(self, skill: Skill) -> bool:
        return self.policy.can_read(self.who, skill)

    def can_write(self, skill: Skill) -> bool:
        return self.policy.can_write(self.who, skill)

    def readable(self, name: str) -> Skill:
        """The skill ``name`` names (a bare name or a qualified ``plugin:skill`` id) if this
        reader may see it: InvalidRequest for a malformed name, NotFound when absent or
        hidden, Ambiguous when several plugins the reader sees have a skill of that name."""
        problem = ref_problem(name)
        if problem is not None:
            raise InvalidRequest(f"Invalid skill name {name[:100]!r}: {problem}.")
        found = [s for s in self.catalog.candidates(name) if self.can_read(s)]
        if not found:
            raise NotFound(
                f"No skill named {name[:100]!r}. GET /api/skills (or the list_skills tool) "
                "lists the skills you can use."
            )
        if len(found) > 1:
            raise ambiguous(name, found)
        return found[0]

    def writable(self, name: str) -> Skill:
        """The skill called ``name`` if this reader may change it; NotFound or Forbidden."""
        skill = self.readable(name)
        if not self.can_write(skill):
            raise Forbidden(f"You can read {skill.name!r} but not change it.")
        return skill

    def skills(self, surface: str | None = None) -> list[Skill]:
        """Every skill this reader may see, on ``surface`` (None: every surface)."""
        return [
            s
            for s in self.catalog.skills.values()
            if self.can_read(s) and (surface is None or s.available_on(surface))
        ]

    def summary(self, skill: Skill, score: float | None = None) -> SkillSummary:
        return SkillSummary(
            name=skill.name,
            plugin=skill.plugin,
            description=skill.description,
            version=skill.version,
            author=skill.author,
            category=skill.category,
            tags=tuple(skill.tags),
            keywords=tuple(skill.keywords),
            surface_tags=tuple(skill.surface_tags),
            published=skill.published,
            editable=self.can_write(skill),
            score=score,
            id=skill.id if self.catalog.ref(skill) != skill.name else None,
        )

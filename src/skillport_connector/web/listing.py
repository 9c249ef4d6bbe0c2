"""The catalog page's question, as pure functions of a reader's view: which skills match
the search box and the filters, and which filter values this reader can choose from.

The search is the service layer's ranked search (the same as ``?q=`` on REST and the MCP
``search_skills`` tool); the filters only narrow what the reader may already see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..services import View, parse_surface
from ..services.records import PluginReport, SkillSummary
from ..services.skills import MAX_QUERY, debug_plugins, list_skills, search_skills

PAGE_SIZE = 48
MAX_FILTER = 200


@dataclass(frozen=True, slots=True)
class Filters:
    q: str = ""
    surface: str | None = None
    group: str = ""
    category: str = ""
    tag: str = ""
    page: int = 1

    @classmethod
    def parse(cls, params: Any) -> Filters:
        """From the query string; an unknown surface is an InvalidRequest."""

        def text(key: str, limit: int = MAX_FILTER) -> str:
            value = params.get(key) or ""
            return value.strip()[:limit] if isinstance(value, str) else ""

        page = text("page", 6)
        return cls(
            q=text("q", MAX_QUERY),
            surface=parse_surface(text("surface", 10) or None),
            group=text("group"),
            category=text("category"),
            tag=text("tag"),
            page=max(1, int(page)) if page.isdigit() else 1,
        )

    @property
    def active(self) -> bool:
        return bool(self.q or self.surface or self.group or self.category or self.tag)

    def key(self) -> tuple[str, str, str, str, str]:
        """What the matching skills depend on (not the page)."""
        return (self.q, self.surface or "", self.group, self.category, self.tag)


@dataclass(frozen=True, slots=True)
class Facets:
    groups: tuple[PluginReport, ...]
    categories: tuple[str, ...]
    tags: tuple[str, ...]


def plain_tags(tags: tuple[str, ...]) -> tuple[str, ...]:
    """Tags without the ``surface:`` ones (surfaces have their own filter)."""
    return tuple(t for t in tags if not t.startswith("surface:"))


def matching(view: View, filters: Filters) -> list[SkillSummary]:
    """The skills the reader may see that match, best first when searching."""
    found = (
        search_skills(view, filters.q, filters.surface)
        if filters.q
        else list_skills(view, filters.surface)
    )
    return [
        s
        for s in found
        if (not filters.group or s.plugin == filters.group)
        and (not filters.category or s.category == filters.category)
        and (not filters.tag or filters.tag in s.tags)
    ]


def groups(view: View) -> tuple[PluginReport, ...]:
    """The groups the reader may know of (with only the skills they may read)."""
    return debug_plugins(view).plugins


def facets(view: View) -> Facets:
    summaries = list_skills(view)
    categories = sorted({s.category for s in summaries if s.category})
    tags = sorted({t for s in summaries for t in plain_tags(s.tags)})
    return Facets(groups(view), tuple(categories), tuple(tags))

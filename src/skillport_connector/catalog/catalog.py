"""The immutable, indexed catalog of one marketplace snapshot."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from functools import cached_property
from types import MappingProxyType
from typing import Any

from ..names import split_ref
from .bodies import read_bodies, read_document
from .files import belongs_to
from .frontmatter import SkillDocument
from .layout import PluginRoot, plugin_root
from .model import Finding, Plugin, Skill
from .search import Hits, SearchIndex
from .tree import Tree, UnsafePathError, clean_path


class Catalog:
    """What a marketplace contains, as loaded from one tree.

    Built once per snapshot and never mutated, so readers need no locks; a refresh
    builds a new catalog and swaps the reference.
    """

    def __init__(
        self,
        *,
        tree: Tree,
        marketplace: Mapping[str, Any],
        plugins: tuple[Plugin, ...],
        skills: Mapping[str, Skill],
        findings: tuple[Finding, ...],
        boundaries: Collection[str] = frozenset(),
    ) -> None:
        self.tree = tree
        self.marketplace = MappingProxyType(dict(marketplace))
        self.plugins = plugins
        # Each name's skill, and for the few names several plugins share, all of them (a
        # list per name took ~6 MB at 50,000 skills).
        self._by_name: dict[str, Skill] = {}
        self._shared: dict[str, list[Skill]] = {}
        for s in skills.values():
            first = self._by_name.setdefault(s.name, s)
            if first is not s:
                self._shared.setdefault(s.name, [first]).append(s)
        #: Every skill, keyed by its reference: the bare name when no other plugin has
        #: that name (a marketplace without duplicates keys by name, as always), the
        #: qualified ``plugin:skill`` id otherwise.
        self.skills: Mapping[str, Skill] = MappingProxyType(
            {self.ref(s): s for s in skills.values()}
        )
        self.findings = findings
        #: The folders of every skill and plugin, and the plugin root: a skill's files
        #: stop at each of them (see :func:`~.files.belongs_to`).
        self.boundaries = frozenset(boundaries)
        self._plugins_by_name = {p.name: p for p in plugins}

    def __repr__(self) -> str:
        return f"<Catalog {self.name!r}: {len(self.plugins)} plugins, {len(self.skills)} skills>"

    @property
    def name(self) -> str | None:
        value = self.marketplace.get("name")
        return value if isinstance(value, str) else None

    @cached_property
    def plugin_root(self) -> PluginRoot:
        """``metadata.pluginRoot``, read by the one rule in :mod:`.layout`."""
        return plugin_root(self.marketplace)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level == "warning")

    def ref(self, skill: Skill) -> str:
        """How the skill is named on the wire: its bare name when unique, else its id."""
        unique = skill.name in self._by_name and skill.name not in self._shared
        return skill.name if unique else skill.id

    def candidates(self, ref: str) -> list[Skill]:
        """Every skill ``ref`` may mean: a qualified ``plugin:skill`` names at most one,
        a bare name every plugin's skill of that name."""
        plugin, name = split_ref(ref)
        shared = self._shared.get(name)
        if shared is not None:
            found = shared
        else:
            one = self._by_name.get(name)
            found = [] if one is None else [one]
        return found if plugin is None else [s for s in found if s.plugin == plugin]

    def skill(self, ref: str) -> Skill | None:
        """The one skill ``ref`` names (a unique bare name or a qualified id), else None."""
        found = self.candidates(ref)
        return found[0] if len(found) == 1 else None

    def skills_of(self, plugin: Plugin) -> list[Skill]:
        return [s for name in plugin.skills if (s := self.skill(f"{plugin.name}:{name}"))]

    def plugin(self, name: str) -> Plugin | None:
        return self._plugins_by_name.get(name)

    def skill_owns(self, skill: Skill, path: str) -> bool:
        """May the repository ``path`` (relative to the marketplace root) be a file of
        ``skill``: inside its own folder, not another skill's or plugin's folder, not
        ``.git*``, ``.claude-plugin`` or ``.skillport``? The one rule for listing, serving
        and saving a skill's files. Never raises."""
        try:
            clean = clean_path(path)
        except UnsafePathError:
            return False
        return belongs_to(skill.path, clean, self.boundaries)

    @cached_property
    def _index(self) -> SearchIndex:
        skills = list(self.skills.values())
        return SearchIndex(skills, read_bodies(self.tree, skills))

    @property
    def indexed(self) -> bool:
        """Whether the search index is built (by the first :meth:`search`)."""
        return "_index" in self.__dict__

    def search(self, query: str) -> Hits:
        """Skills matching ``query``, best first. The first search builds the index
        (seconds at 50,000 skills): call it off the event loop."""
        return self._index.search(query)

    def document(self, skill: Skill) -> SkillDocument:
        """``skill``'s SKILL.md as this snapshot has it, parsed: front matter and body are
        not held in memory but read through the snapshot's tree (OSError when it cannot
        be read)."""
        return read_document(self.tree, skill)

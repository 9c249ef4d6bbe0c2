"""Build a :class:`~skillport_connector.catalog.Catalog` from a marketplace tree.

The rules follow what Claude Code itself does with a plugin marketplace, so that every
surface sees the same library:

* ``.claude-plugin/marketplace.json`` lists the *published* plugins ("groups"); folders
  under the plugin root (``metadata.pluginRoot``, default ``plugins/``) that no entry
  points at are *unpublished* groups.
* A plugin's skills are found as :mod:`.skills` says; a skill's files are its own folder
  only (:mod:`.files`).
* A plugin Claude Code would refuse (bad manifest, conflicting manifests under
  ``strict: false``, missing folder, ``..`` in the source) serves no skills.

Loading runs in two phases: first every plugin and skill folder is found, then each
skill is read, so a skill's files can stop at every other skill's and plugin's folder
(which matters for a skill at the marketplace root). Nothing here raises on bad input:
every problem becomes a :class:`Finding`, and every read is bounded (:mod:`.limits`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..names import name_problem
from .catalog import Catalog
from .files import SkillFiles
from .layout import (
    DEFAULT_PLUGIN_ROOT,
    MARKETPLACE_FILE,
    PLUGIN_MANIFEST,
    SKILL_FILE,
    plugin_root,
)
from .limits import Limits
from .manifests import (
    check_manifest,
    manifest_problems,
    resolve_source,
    str_or_none,
    str_tuple,
)
from .model import Plugin, Skill
from .plugin_sources import remote_source_problem
from .plugins import Group, PluginReader
from .tree import READ_AHEAD_RUN, EntryKind, Listed, Tree, UnsafePathError, join

__all__ = [
    "DEFAULT_PLUGIN_ROOT",
    "MARKETPLACE_FILE",
    "PLUGIN_MANIFEST",
    "SKILL_FILE",
    "Limits",
    "load_catalog",
    "manifest_problems",
    "resolve_source",
]


class _Loader(PluginReader):
    def __init__(self, tree: Tree, limits: Limits) -> None:
        super().__init__(tree, limits)
        self.skills: dict[str, Skill] = {}

    # -- marketplace ----------------------------------------------------------------------
    def load(self) -> Catalog:
        if isinstance(self.tree, Listed):  # what is listed loads as usual
            if self.tree.truncated:
                self.too_many_entries("")
            if self.tree.problem is not None:
                self.error(".", f"{self.tree.problem}; what came before is loaded")
        marketplace = self.read_marketplace()
        self.check_marketplace(marketplace)
        root = plugin_root(marketplace)
        if root.problem is not None:
            self.error(MARKETPLACE_FILE, root.problem, self.key_line("pluginRoot"))
        seen_names: set[str] = set()
        groups, not_loaded = self.load_entries(
            marketplace.get("plugins", []), root.declared, seen_names
        )
        # Unpublished groups live under pluginRoot; a root-level pluginRoot has none.
        if root.unpublished:
            claimed = {g.plugin.path for g in groups if g.plugin.path is not None}
            claimed.update(not_loaded)  # published, even if not loaded
            budget = self.limits.max_plugins - len(groups)
            groups.extend(self.load_unpublished(root.unpublished, claimed, seen_names, budget))
        boundaries = frozenset(
            {root.unpublished}
            | {g.plugin.path for g in groups if g.plugin.path is not None}
            | {folder for g in groups for folder, _ in g.skill_dirs}
        ) - {""}
        walker = SkillFiles(self.list_dir, self.limits, boundaries, self.report)
        plugins: list[Plugin] = []
        for chunk in _chunks(groups, READ_AHEAD_RUN):
            self.read_ahead(
                (join(folder, SKILL_FILE) for g in chunk for folder, _ in g.skill_dirs),
                self.limits.max_skill_md_bytes,
            )
            plugins.extend(self.load_skills(group, walker) for group in chunk)
        self.read_ahead(())  # what no skill read (a skipped one) is not kept with the tree
        return Catalog(
            tree=self.tree,
            marketplace=marketplace,
            plugins=tuple(plugins),
            skills=self.skills,
            findings=tuple(self.findings),
            boundaries=boundaries,
        )

    def read_marketplace(self) -> dict[str, Any]:
        if self.kind(MARKETPLACE_FILE) is None:
            self.warn(
                MARKETPLACE_FILE,
                "not found: every group under plugins/ is treated as unpublished",
            )
            return {}
        parsed = self.read_json(MARKETPLACE_FILE, self.limits.max_marketplace_bytes)
        if parsed is None:
            return {}
        data, self.marketplace_text = parsed
        if not isinstance(data, dict):
            self.error(MARKETPLACE_FILE, "must be a JSON object", 1)
            return {}
        return data

    def check_marketplace(self, marketplace: dict[str, Any]) -> None:
        if not marketplace:
            return
        name = marketplace.get("name")
        if not isinstance(name, str) or not name:
            self.error(MARKETPLACE_FILE, "has no 'name'", 1)
        elif name_problem(name) is not None:
            self.warn(
                MARKETPLACE_FILE,
                f"name {name!r:.80} should be kebab-case (lowercase letters, digits, hyphens)",
                self.key_line("name"),
            )
        owner = marketplace.get("owner")
        if owner is None:
            self.error(MARKETPLACE_FILE, "has no 'owner' ({\"name\": …})", 1)
        elif not isinstance(owner, dict) or not isinstance(owner.get("name"), str):
            self.error(
                MARKETPLACE_FILE,
                "'owner' must be an object with a 'name'",
                self.key_line("owner"),
            )
        metadata = marketplace.get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            self.error(MARKETPLACE_FILE, "'metadata' must be an object", self.key_line("metadata"))

    def load_entries(
        self, entries: object, base: str | None, seen_names: set[str]
    ) -> tuple[list[Group], list[str]]:
        """The groups of the first ``max_plugins`` marketplace entries, and the folders of
        the entries past them (not loaded, but not unpublished groups either)."""
        if not isinstance(entries, list):
            self.error(MARKETPLACE_FILE, "'plugins' must be a list", self.key_line("plugins"))
            return [], []
        limit = self.limits.max_plugins
        if len(entries) > limit:
            self.error(
                MARKETPLACE_FILE,
                f"lists {len(entries)} plugins; the first {limit} are loaded",
                self.key_line("plugins"),
            )
        groups: list[Group] = []
        folders = _source_folders(entries[:limit], base)
        manifests = (join(folder, PLUGIN_MANIFEST) for folder in folders)
        self.read_ahead(manifests, self.limits.max_manifest_bytes)
        for index, entry in enumerate(entries[:limit]):
            group = self.load_entry(index, entry, base, seen_names)
            if group is not None:
                groups.append(group)
        return groups, _source_folders(entries[limit:], base)

    def load_entry(
        self, index: int, entry: object, base: str | None, seen_names: set[str]
    ) -> Group | None:
        if not isinstance(entry, dict):
            self.error(MARKETPLACE_FILE, f"plugins[{index}] must be an object")
            return None
        named = self.entry_name(index, entry, seen_names)
        if named is None:
            return None
        name, line = named

        def at(message: str) -> int | None:  # the field's own line, else the entry's
            return self.field_line(index, message) or line

        def broken(*messages: str, remote: bool = False, path: str | None = None) -> Group:
            for message in messages:
                self.error(MARKETPLACE_FILE, f"plugin {name!r}: {message}", at(message))
            version = str_or_none(entry.get("version"))
            plugin = Plugin(name, entry.get("source"), path, remote, True, False, version, entry)
            return Group(plugin)

        verdict = check_manifest(entry, is_entry=True)
        problems = verdict.errors
        for warning in verdict.warnings:
            self.warn(MARKETPLACE_FILE, f"plugin {name!r}: {warning}", at(warning))
        source = entry.get("source")
        if source is None:
            return broken("has no 'source'")
        if isinstance(source, dict):
            problem = remote_source_problem(source)
            if problem is not None:
                return broken(problem, remote=True)
            if problems:
                return broken(*problems, remote=True)
            version = str_or_none(entry.get("version"))
            return Group(Plugin(name, source, None, True, True, True, version, entry))
        if not isinstance(source, str):
            return broken("'source' must be a './relative/path' or a source object")
        try:
            path = resolve_source(source, base)
        except UnsafePathError as exc:
            return broken(f"source {source!r}: {exc}")
        except ValueError as exc:
            return broken(str(exc))
        if self.kind(path) is not EntryKind.DIR:
            return broken(f"source folder {source!r} does not exist", path=path)
        if problems:
            return broken(*problems, path=path)
        return self.load_plugin(name, path, entry, published=True, source=source, line=line)

    def entry_name(
        self, index: int, entry: dict[str, Any], seen_names: set[str]
    ) -> tuple[str, int | None] | None:
        """The entry's name (claimed in ``seen_names``) and line; None, with an error, when
        it has none or repeats an earlier one."""
        name = entry.get("name")
        line = self.entry_line(name)
        if not isinstance(name, str) or not name:
            self.error(MARKETPLACE_FILE, f"plugins[{index}] has no 'name'", line)
            return None
        if name in seen_names:
            self.error(
                MARKETPLACE_FILE, f"duplicate plugin name {name!r}; the first one is kept", line
            )
            return None
        seen_names.add(name)
        if name_problem(name) is not None:
            self.warn(MARKETPLACE_FILE, f"plugin name {name!r:.80} should be kebab-case", line)
        return name, line

    def load_skills(self, group: Group, walker: SkillFiles) -> Plugin:
        """Phase two: read the skills of one group, once every group's folder is known."""
        plugin = group.plugin
        if plugin.remote or not plugin.loadable:
            return plugin
        drafts = [
            draft
            for folder, direct in group.skill_dirs
            if (draft := self.load_skill(folder, direct, plugin.name, walker)) is not None
        ]
        version = plugin.version if plugin.version is not None else self.content_version(drafts)
        entry, manifest = plugin.entry, plugin.manifest
        # The same for every skill of the plugin: worked out, and held in memory, once.
        author = entry.get("author", manifest.get("author"))
        category = str_or_none(entry.get("category"))
        tags = str_tuple(entry.get("tags"))
        keywords = str_tuple(entry.get("keywords", manifest.get("keywords")))
        found: list[str] = []
        for draft in drafts:
            skill = Skill(
                name=draft["name"],
                plugin=plugin.name,
                path=draft["path"],
                description=draft["description"],
                version=version,
                published=plugin.published,
                files=draft["files"],
                author=author,
                category=category,
                tags=tags,
                keywords=keywords,
            )
            # Several plugins may provide one name (Claude Code namespaces them as
            # plugin:skill); within one plugin, the first folder wins.
            first = self.skills.get(skill.id)
            if first is not None:
                self.warn(
                    join(skill.path, SKILL_FILE),
                    f"duplicate skill name {skill.name!r} in plugin {plugin.name!r}: already "
                    f"provided by {join(first.path, SKILL_FILE)}, which wins",
                )
                continue
            self.skills[skill.id] = skill
            found.append(skill.name)
        return Plugin(
            plugin.name,
            plugin.source,
            plugin.path,
            False,
            plugin.published,
            True,
            version,
            entry,
            manifest,
            tuple(found),
        )


def _chunks(groups: list[Group], skills: int) -> Iterator[list[Group]]:
    """The groups in runs of about ``skills`` skill folders (a big group is a run alone)."""
    run: list[Group] = []
    count = 0
    for group in groups:
        run.append(group)
        count += len(group.skill_dirs)
        if count >= skills:
            yield run
            run, count = [], 0
    if run:
        yield run


def _source_folders(entries: list[Any], base: str | None) -> list[str]:
    """The folder of each marketplace entry with a usable local source."""
    folders = []
    for entry in entries:
        source = entry.get("source") if isinstance(entry, dict) else None
        if isinstance(source, str):
            try:
                folders.append(resolve_source(source, base))
            except ValueError:
                continue
    return folders


def load_catalog(tree: Tree, limits: Limits | None = None) -> Catalog:
    """Load a marketplace tree into an immutable catalog. Never raises on bad content.

    The garbage collector is left alone here (pure code); the sources pause it around a
    load (:func:`skillport_connector.heap.loading`), which saves 10-15 % at 50,000 skills.
    """
    return _Loader(tree, limits or Limits()).load()

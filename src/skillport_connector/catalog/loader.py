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

from dataclasses import dataclass, field
from typing import Any

from ..names import name_problem
from . import semver
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
    COMPONENT_KEYS,
    check_manifest,
    manifest_problems,
    resolve_source,
    str_or_none,
    str_tuple,
)
from .model import SURFACES, Plugin, Skill
from .plugin_sources import remote_source_problem
from .skills import SkillReader
from .tree import EntryKind, Tree, UnsafePathError, join, name_is_servable

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


@dataclass(slots=True)
class _Group:
    """A plugin found in phase one: where it is and where its skills are, not yet read."""

    plugin: Plugin
    skill_dirs: list[tuple[str, bool]] = field(default_factory=list)


class _Loader(SkillReader):
    def __init__(self, tree: Tree, limits: Limits) -> None:
        super().__init__(tree, limits)
        self.skills: dict[str, Skill] = {}

    # -- marketplace ----------------------------------------------------------------------
    def load(self) -> Catalog:
        marketplace = self.read_marketplace()
        self.check_marketplace(marketplace)
        root = plugin_root(marketplace)
        if root.problem is not None:
            self.error(MARKETPLACE_FILE, root.problem, self.key_line("pluginRoot"))
        groups: list[_Group] = []
        entries = marketplace.get("plugins", [])
        if not isinstance(entries, list):
            self.error(MARKETPLACE_FILE, "'plugins' must be a list", self.key_line("plugins"))
            entries = []
        seen_names: set[str] = set()
        for index, entry in enumerate(entries):
            group = self.load_entry(index, entry, root.declared, seen_names)
            if group is not None:
                groups.append(group)
        # Unpublished groups live under pluginRoot; a root-level pluginRoot has none.
        if root.unpublished:
            claimed = {g.plugin.path for g in groups if g.plugin.path is not None}
            groups.extend(self.load_unpublished(root.unpublished, claimed, seen_names))
        boundaries = frozenset(
            {root.unpublished}
            | {g.plugin.path for g in groups if g.plugin.path is not None}
            | {folder for g in groups for folder, _ in g.skill_dirs}
        ) - {""}
        walker = SkillFiles(self.list_dir, self.limits, boundaries, self.report)
        plugins = tuple(self.load_skills(group, walker) for group in groups)
        return Catalog(
            tree=self.tree,
            marketplace=marketplace,
            plugins=plugins,
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
        parsed = self.read_json(MARKETPLACE_FILE)
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

    def load_entry(
        self, index: int, entry: object, base: str | None, seen_names: set[str]
    ) -> _Group | None:
        if not isinstance(entry, dict):
            self.error(MARKETPLACE_FILE, f"plugins[{index}] must be an object")
            return None
        named = self.entry_name(index, entry, seen_names)
        if named is None:
            return None
        name, line = named

        def at(message: str) -> int | None:  # the field's own line, else the entry's
            return self.field_line(index, message) or line

        def broken(*messages: str, remote: bool = False, path: str | None = None) -> _Group:
            for message in messages:
                self.error(MARKETPLACE_FILE, f"plugin {name!r}: {message}", at(message))
            version = str_or_none(entry.get("version"))
            plugin = Plugin(name, entry.get("source"), path, remote, True, False, version, entry)
            return _Group(plugin)

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
            return _Group(Plugin(name, source, None, True, True, True, version, entry))
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

    def load_unpublished(
        self, folder: str, claimed: set[str], seen_names: set[str]
    ) -> list[_Group]:
        if self.kind(folder) is not EntryKind.DIR:
            return []
        found: list[_Group] = []
        for item in self.list_dir(folder):
            if item.kind is not EntryKind.DIR or item.name.startswith("."):
                continue
            path = join(folder, item.name) if name_is_servable(item.name) else ""
            if not path:
                self.warn(f"{folder}/{item.name}", "has a name that cannot be served; ignored")
                continue
            if path in claimed:
                continue
            name = item.name
            if name in seen_names:
                self.warn(
                    path,
                    f"unpublished group {name!r} has the name of a published plugin; it is ignored",
                )
                continue
            seen_names.add(name)
            found.append(
                self.load_plugin(name, path, {}, published=False, source=f"./{path}", line=None)
            )
        return found

    # -- one plugin -----------------------------------------------------------------------

    def read_manifest(
        self, name: str, path: str, *, published: bool
    ) -> tuple[dict[str, Any], bool]:
        """A plugin's plugin.json (``{}`` when absent or unreadable), and whether it fails."""
        manifest_path = join(path, PLUGIN_MANIFEST)
        if self.kind(manifest_path) is None:
            return {}, False
        parsed = self.read_json(manifest_path)
        if parsed is None:
            return {}, True
        if not isinstance(parsed[0], dict):
            self.error(manifest_path, "must be a JSON object", 1)
            return {}, True
        manifest: dict[str, Any] = parsed[0]
        verdict = check_manifest(manifest, is_entry=False)
        for problem in verdict.errors:
            self.error(manifest_path, problem)
        for warning in verdict.warnings:
            self.warn(manifest_path, warning)
        if verdict.errors:
            return manifest, True
        if manifest.get("name") not in (None, name) and published:
            self.warn(
                manifest_path,
                f"plugin.json names the plugin {manifest.get('name')!r:.80} "
                f"but marketplace.json calls it {name!r}; {name!r} is used",
            )
        return manifest, False

    def load_plugin(
        self,
        name: str,
        path: str,
        entry: dict[str, Any],
        *,
        published: bool,
        source: Any,
        line: int | None,
    ) -> _Group:
        manifest, failed = self.read_manifest(name, path, published=published)
        strict = entry.get("strict", True)
        if not isinstance(strict, bool):
            self.error(MARKETPLACE_FILE, f"plugin {name!r}: 'strict' must be true or false", line)
            failed = True
        elif not strict and manifest:
            declared = [k for k in COMPONENT_KEYS if k in manifest]
            if declared:
                self.error(
                    MARKETPLACE_FILE,
                    f"plugin {name!r} has strict: false but its plugin.json also declares "
                    f"{', '.join(declared)}; Claude Code refuses conflicting manifests — "
                    "declare components in one place only",
                    line,
                )
                failed = True
        version = str_or_none(manifest.get("version")) or str_or_none(entry.get("version"))
        plugin = Plugin(name, source, path, False, published, not failed, version, entry, manifest)
        if failed:
            return _Group(plugin)
        if version is not None and not semver.is_valid(version):
            version_file = (
                join(path, PLUGIN_MANIFEST) if manifest.get("version") else MARKETPLACE_FILE
            )
            self.warn(
                version_file,
                f"version {version!r:.80} of {name!r} is not semver (MAJOR.MINOR.PATCH)",
            )
        for tag in str_tuple(entry.get("tags")):
            if tag.startswith("surface:") and tag.split(":", 1)[1] not in SURFACES:
                self.warn(
                    MARKETPLACE_FILE,
                    f"plugin {name!r}: unknown surface tag {tag!r:.80}; use one of "
                    + ", ".join(f"surface:{s}" for s in SURFACES),
                    line,
                )
        return _Group(plugin, self.skill_dirs(path, entry, manifest if strict else {}))

    def load_skills(self, group: _Group, walker: SkillFiles) -> Plugin:
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
        found: list[str] = []
        for draft in drafts:
            skill = Skill(
                name=draft["name"],
                plugin=plugin.name,
                path=draft["path"],
                description=draft["description"],
                version=version,
                published=plugin.published,
                front_matter=draft["front_matter"],
                body=draft["body"],
                files=draft["files"],
                author=entry.get("author", manifest.get("author")),
                category=str_or_none(entry.get("category")),
                tags=str_tuple(entry.get("tags")),
                keywords=str_tuple(entry.get("keywords", manifest.get("keywords"))),
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


def load_catalog(tree: Tree, limits: Limits | None = None) -> Catalog:
    """Load a marketplace tree into an immutable catalog. Never raises on bad content.

    The garbage collector is left alone: pausing it is a process-wide switch that other
    threads (and concurrent loads) would feel, for a saving measured at a few percent.
    """
    return _Loader(tree, limits or Limits()).load()

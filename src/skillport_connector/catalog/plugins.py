"""The plugin stage of the loader: a plugin's manifest, its checks and where its skills
are; and the unpublished groups (folders under the plugin root no entry points at)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import semver
from .layout import MARKETPLACE_FILE, PLUGIN_MANIFEST
from .manifests import COMPONENT_KEYS, check_manifest, str_or_none, str_tuple
from .model import SURFACES, Plugin
from .skills import SkillReader
from .tree import EntryKind, join, name_is_servable


@dataclass(slots=True)
class Group:
    """A plugin found in phase one: where it is and where its skills are, not yet read."""

    plugin: Plugin
    skill_dirs: list[tuple[str, bool]] = field(default_factory=list)


class PluginReader(SkillReader):
    """Reads plugins for the loader; skills are read later, once every folder is known."""

    def load_unpublished(
        self, folder: str, claimed: set[str], seen_names: set[str], budget: int
    ) -> list[Group]:
        """The groups in ``folder`` no entry points at, at most ``budget`` of them."""
        if self.kind(folder) is not EntryKind.DIR:
            return []
        candidates: list[tuple[str, str]] = []
        for item in self.list_dir(folder):
            if item.kind is not EntryKind.DIR or item.name.startswith("."):
                continue
            if not name_is_servable(item.name):
                self.warn(f"{folder}/{item.name}", "has a name that cannot be served; ignored")
                continue
            path = join(folder, item.name)
            if path in claimed:
                continue
            if item.name in seen_names:
                self.warn(
                    path,
                    f"unpublished group {item.name!r} has the name of a published plugin; "
                    "it is ignored",
                )
                continue
            seen_names.add(item.name)
            candidates.append((item.name, path))
        if len(candidates) > budget:
            self.error(
                folder,
                f"holds {len(candidates)} unpublished groups; only {budget} are loaded "
                f"(at most {self.limits.max_plugins} plugins in all)",
            )
            candidates = candidates[:budget]
        manifests = (join(path, PLUGIN_MANIFEST) for _, path in candidates)
        self.read_ahead(manifests, self.limits.max_manifest_bytes)
        return [
            self.load_plugin(name, path, {}, published=False, source=f"./{path}", line=None)
            for name, path in candidates
        ]

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
    ) -> Group:
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
            return Group(plugin)
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
        return Group(plugin, self.skill_dirs(path, entry, manifest if strict else {}))

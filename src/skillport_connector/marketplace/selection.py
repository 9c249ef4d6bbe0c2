"""What one person's Claude Code marketplace holds, and where each file goes (pure logic).

A *selection* is the groups (plugins) with at least one skill the person may read on
Claude Code, each with exactly those skills. Its filtered repository lays every group out
as a Claude Code plugin: ``plugins/<group>/.claude-plugin/plugin.json`` (the metadata the
installed copies carry, see :func:`~skillport_connector.install.plugin_manifest`) and
``plugins/<group>/skills/<skill>/…``. Unpublished groups join only on request, and then
only the skills the person may change (the access policy's own rule).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from ..catalog import Catalog, Skill
from ..install import PLUGIN_JSON_PATH, plugin_manifest
from ..names import is_skill_name

#: The two views a person can ask for: published groups, or those plus unpublished ones.
ViewName = Literal["published", "all"]
VIEWS: tuple[ViewName, ...] = ("published", "all")
PLUGINS_DIR = "plugins"
DEFAULT_NAME = "skillport"
#: What one filtered repository may hold at most (it is built in memory).
MAX_TOTAL_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    skills: tuple[Skill, ...]

    @property
    def path(self) -> str:
        return f"{PLUGINS_DIR}/{self.name}"


@dataclass(frozen=True, slots=True)
class Selection:
    groups: tuple[Group, ...]

    @property
    def key(self) -> str:
        """Names the filtered repository: people with the same selection share it."""
        text = "\n".join(f"{g.name}/{s.name}" for g in self.groups for s in g.skills)
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def select(
    skills: Iterable[Skill],
    *,
    unpublished: bool,
    max_skill_bytes: int,
    max_total_bytes: int = MAX_TOTAL_BYTES,
) -> Selection:
    """Group the readable ``skills`` (already filtered by the access policy and surface).
    A skill over ``max_skill_bytes`` is left out, and so is every skill, in name order,
    once the whole repository would pass ``max_total_bytes``."""
    by_group: dict[str, list[Skill]] = {}
    total = 0
    for skill in sorted(skills, key=lambda s: (s.plugin, s.name)):
        if not skill.published and not unpublished:
            continue
        if not is_skill_name(skill.plugin) or not is_skill_name(skill.name):
            continue
        size = sum(f.size for f in skill.files)
        if size > max_skill_bytes or total + size > max_total_bytes:
            continue
        total += size
        by_group.setdefault(skill.plugin, []).append(skill)
    return Selection(
        tuple(
            Group(name, tuple(sorted(found, key=lambda s: s.name)))
            for name, found in sorted(by_group.items())
        )
    )


def group_version(group: Group, content_digest: str) -> str:
    """The version Claude Code compares: the group's own, plus (as semver build metadata)
    a digest of what this person gets, so a change of content or of access is an update."""
    base = max((s.version for s in group.skills), key=_version_key)
    return f"{base.split('+', 1)[0]}+sp.{content_digest[:10]}"


def _version_key(version: str) -> tuple[int, ...]:
    parts = version.split("+", 1)[0].split("-", 1)[0].split(".")
    return tuple(int(p) if p.isdigit() else 0 for p in parts)


def group_manifest(catalog: Catalog, group: Group, version: str) -> bytes:
    manifest: dict[str, Any] = plugin_manifest(catalog, group.skills[0])
    plugin = catalog.plugin(group.name)
    if plugin is not None and plugin.description:
        manifest["description"] = plugin.description
    manifest["name"] = group.name
    manifest["version"] = version
    return (json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()


def skill_paths(group: Group, skill: Skill) -> list[tuple[str, str]]:
    """``(repository path, catalog path)`` of each file of ``skill`` in the filtered tree."""
    base = f"{group.path}/skills/{skill.name}"
    return [(f"{base}/{f.path}", skill.file_path(f.path)) for f in skill.files]


def manifest_path(group: Group) -> str:
    return f"{group.path}/{PLUGIN_JSON_PATH}"


def marketplace_name(catalog: Catalog) -> str:
    name = catalog.name
    return name if is_skill_name(name) and name is not None else DEFAULT_NAME


def marketplace_document(
    catalog: Catalog,
    groups: Iterable[tuple[Group, str]],
    git_url: str,
) -> dict[str, Any]:
    """``marketplace.json`` for Claude Code: one ``git-subdir`` plugin per group, each
    ``(group, version)``, fetched from ``git_url`` (the person's filtered repository)."""
    owner = catalog.marketplace.get("owner")
    owner_name = owner.get("name") if isinstance(owner, dict) else None
    plugins = []
    for group, version in groups:
        plugin = catalog.plugin(group.name)
        entry: dict[str, Any] = {
            "name": group.name,
            "version": version,
            "source": {"source": "git-subdir", "url": git_url, "path": group.path},
        }
        description = (plugin.description if plugin else None) or group.skills[0].description
        if description:
            entry["description"] = description
        category = group.skills[0].category
        if isinstance(category, str) and category:
            entry["category"] = category
        plugins.append(entry)
    return {
        "name": marketplace_name(catalog),
        "owner": {"name": owner_name if isinstance(owner_name, str) else "Skillport"},
        "metadata": {"description": "Skills you can use, served by the Skillport connector"},
        "plugins": plugins,
    }

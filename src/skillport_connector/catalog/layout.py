"""Where things live in a marketplace repository: manifest paths, the plugin root, and the
names that are repository machinery rather than anyone's skill. Defined once, imported by
the loader, the access policy, the editing plans and the API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .tree import UnsafePathError, clean_path

MARKETPLACE_FILE = ".claude-plugin/marketplace.json"
PLUGIN_MANIFEST = ".claude-plugin/plugin.json"
ACCESS_FILE = ".skillport/access.json"
SKILL_FILE = "SKILL.md"
DEFAULT_PLUGIN_ROOT = "plugins"
#: Folders that configure the marketplace, a plugin or the connector: never part of a skill.
CONFIG_FOLDERS = frozenset({".claude-plugin", ".skillport"})


def is_machinery(name: str) -> bool:
    """Whether a file or folder name is repository or marketplace machinery (``.git*``,
    ``.claude-plugin``, ``.skillport``), which no skill contains, at any depth."""
    return name.startswith(".git") or name in CONFIG_FOLDERS


@dataclass(frozen=True, slots=True)
class PluginRoot:
    """``metadata.pluginRoot`` of a marketplace, read once.

    ``declared`` is the cleaned value (``""`` for the marketplace root), or ``None`` when
    the marketplace sets none or sets something unusable (then ``problem`` says why).
    """

    declared: str | None = None
    problem: str | None = None

    @property
    def base(self) -> str:
        """What a bare source name (``"x"`` rather than ``"./x"``) is relative to."""
        return self.declared or ""

    @property
    def unpublished(self) -> str:
        """The folder whose unlisted sub-folders are unpublished groups (``""``: none)."""
        return DEFAULT_PLUGIN_ROOT if self.declared is None else self.declared

    @property
    def folder(self) -> str:
        """Where groups live and new ones are created."""
        return self.declared or DEFAULT_PLUGIN_ROOT


def plugin_root(marketplace: Mapping[str, Any]) -> PluginRoot:
    """Read ``metadata.pluginRoot`` from a parsed marketplace.json. Never raises."""
    metadata = marketplace.get("metadata")
    raw = metadata.get("pluginRoot") if isinstance(metadata, Mapping) else None
    if raw is None:
        return PluginRoot()
    if not isinstance(raw, str):
        return PluginRoot(problem="metadata.pluginRoot must be a string")
    try:
        return PluginRoot(clean_path(raw))
    except UnsafePathError as exc:
        return PluginRoot(problem=f"metadata.pluginRoot: {exc}")

"""Catalog engine: marketplace tree in, immutable index of plugins and skills out. No I/O
beyond the :class:`~skillport_connector.catalog.tree.Tree` it is given, and no import of
the sources that implement it.

Where each rule lives: :mod:`.tree` (the Tree protocol and path rules), :mod:`.layout`
(manifest paths, the plugin root), :mod:`.limits` (every bound), :mod:`.data` (bounded
JSON and YAML), :mod:`.manifests` (Claude Code's manifest schema), :mod:`.files` (the files
of a skill, and whether a path may be one), :mod:`.frontmatter` (SKILL.md), :mod:`.semver`
(versions), and the loader's stages: :mod:`.reading` (bounded reads, findings),
:mod:`.skills` (a plugin's skills), :mod:`.loader` (marketplace and plugins, two phases).
The skill-name rule itself is :mod:`skillport_connector.names`.
"""

from .catalog import Catalog
from .files import TooManyEntries, belongs_to, entries_under
from .layout import (
    ACCESS_FILE,
    DEFAULT_PLUGIN_ROOT,
    MARKETPLACE_FILE,
    PLUGIN_MANIFEST,
    SKILL_FILE,
    PluginRoot,
    plugin_root,
)
from .limits import Limits
from .loader import load_catalog
from .model import FILTER_SURFACES, SURFACES, Finding, Plugin, Skill, SkillFile, matches_surface

__all__ = [
    "ACCESS_FILE",
    "DEFAULT_PLUGIN_ROOT",
    "FILTER_SURFACES",
    "MARKETPLACE_FILE",
    "PLUGIN_MANIFEST",
    "SKILL_FILE",
    "SURFACES",
    "Catalog",
    "Finding",
    "Limits",
    "Plugin",
    "PluginRoot",
    "Skill",
    "SkillFile",
    "TooManyEntries",
    "belongs_to",
    "entries_under",
    "load_catalog",
    "matches_surface",
    "plugin_root",
]

"""Every bound on what a repository may make the server do, in one place.

Counts and sizes only, never wall-clock time: the same tree gives the same catalog and the
same findings on a fast machine and a slow one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds that keep a hostile or accidental tree from exhausting the server."""

    max_file_bytes: int = 10 * 1024 * 1024
    #: plugin.json and .skillport/access.json.
    max_manifest_bytes: int = 1024 * 1024
    #: marketplace.json: ~215 bytes per plugin entry, so 100,000 entries fit.
    max_marketplace_bytes: int = 32 * 1024 * 1024
    #: Plugin entries in marketplace.json that are loaded (the rest is a finding).
    max_plugins: int = 100_000
    max_skill_md_bytes: int = 1024 * 1024
    max_files_per_skill: int = 2000
    #: Folder levels inside one skill.
    max_depth: int = 16
    #: Directory entries the loader looks at in the whole tree.
    max_entries: int = 1_000_000
    #: Nesting of JSON arrays/objects and of YAML lists/maps.
    max_nesting: int = 64
    #: Digits of one integer in JSON, YAML or a version (Python refuses > 4,300 anyway).
    max_int_digits: int = 64
    #: Values (scalars, lists, maps) in one SKILL.md front matter.
    max_yaml_nodes: int = 10_000
    #: Characters of a version string (longer text is not taken for a version).
    max_version_chars: int = 256
    #: Bytes of files read ahead together while loading (a git snapshot reads many files
    #: in one pass; past this, the rest is read one by one).
    read_ahead_bytes: int = 32 * 1024 * 1024


DEFAULT_LIMITS = Limits()

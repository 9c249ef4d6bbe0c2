"""The files of a skill: its own folder, and nothing else.

One rule, used to list a skill's files (so REST, MCP, the package and install serve the
same) and to decide whether a repository path may belong to a skill (so a save can write
only there): a path belongs to a skill when it lies inside the skill's folder, no
component of it is repository machinery (``.git*``, ``.claude-plugin``, ``.skillport``)
or a name that cannot be served, and it is not inside the folder of another skill, of a
plugin, or the plugin root (which matters for a skill at the marketplace root, whose
folder is ``""``). A symlink belongs to a skill only when it is a file link whose target
belongs to the same skill; folder links are never followed, so a walk costs one step per
real entry, whatever links a tree holds.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from .layout import is_machinery
from .limits import Limits
from .model import Level, SkillFile
from .tree import Entry, EntryKind, Tree, is_within, name_is_servable, shown

#: (level, file, message) of a finding.
Report = Callable[[Level, str, str], None]


def belongs_to(skill_folder: str, path: str, boundaries: Collection[str]) -> bool:
    """May the clean repository ``path`` be a file of the skill whose folder is
    ``skill_folder``? ``boundaries`` are the folders of every skill and plugin and the
    plugin root (``Catalog.boundaries``). Pure: the path need not exist."""
    if path == skill_folder or not is_within(path, skill_folder):
        return False
    rel = path[len(skill_folder) + 1 :] if skill_folder else path
    current = skill_folder
    for part in rel.split("/"):
        if not part or is_machinery(part) or not name_is_servable(part):
            return False
        current = f"{current}/{part}" if current else part
        if current in boundaries:
            return False
    return True


class SkillFiles:
    """Lists the files of one skill folder within the loader's limits."""

    def __init__(
        self,
        list_dir: Callable[[str], list[Entry]],
        limits: Limits,
        boundaries: Collection[str],
        report: Report,
    ) -> None:
        self.list_dir = list_dir
        self.limits = limits
        self.boundaries = boundaries
        self.report = report
        # Paths inside a skill repeat from skill to skill ("SKILL.md", "references/…"):
        # each is kept once (50,000 skills: ~14 MB of copies).
        self._paths: dict[str, str] = {}

    def files(self, folder: str) -> tuple[SkillFile, ...]:
        found: list[SkillFile] = []
        stack: list[tuple[str, int]] = [(folder, 0)]
        while stack:
            here, depth = stack.pop()
            for item in self.list_dir(here):
                full = f"{here}/{item.name}" if here else item.name
                if not self.belongs(folder, full, item):
                    continue
                if item.kind is EntryKind.DIR:
                    if depth + 1 >= self.limits.max_depth:
                        self.warn(full, f"is nested deeper than {self.limits.max_depth} levels")
                    else:
                        stack.append((full, depth + 1))
                elif item.kind is EntryKind.FILE:
                    if item.size > self.limits.max_file_bytes:
                        self.warn(
                            full,
                            f"is {item.size} bytes, over the {self.limits.max_file_bytes}-byte "
                            "file limit",
                        )
                    elif len(found) >= self.limits.max_files_per_skill:
                        limit = self.limits.max_files_per_skill
                        self.report(
                            "warning",
                            folder,
                            f"has more than {limit} files; the rest are not served",
                        )
                        return _sorted(found)
                    else:
                        rel = full[len(folder) + 1 :] if folder else full
                        rel = self._paths.setdefault(rel, rel)  # one "SKILL.md" for all
                        found.append(SkillFile(rel, item.size, item.executable))
                elif item.kind is EntryKind.ESCAPE:
                    self.warn(full, "is a symlink pointing outside the marketplace (or nowhere)")
                else:
                    self.warn(full, "is not a regular file")
        return _sorted(found)

    def belongs(self, folder: str, full: str, item: Entry) -> bool:
        """Whether one listed entry is part of the skill; reports why not when it matters."""
        if not name_is_servable(item.name):
            self.warn(full, "has a name that is not valid UTF-8 or holds control characters")
            return False
        if is_machinery(item.name) or full in self.boundaries:
            return False  # repository machinery, or another skill's or plugin's folder
        if item.target is None:
            return True
        if item.kind is EntryKind.DIR:
            self.warn(full, "is a symlink to a folder; only real folders are part of a skill")
            return False
        if not belongs_to(folder, item.target, self.boundaries):
            self.warn(full, f"is a symlink to {shown(item.target)}, outside the skill's folder")
            return False
        return True

    def warn(self, path: str, message: str) -> None:
        self.report("warning", path, f"{message}; not served")


class TooManyEntries(Exception):
    """A folder holds more entries than a walk may visit."""


def entries_under(tree: Tree, folder: str, max_entries: int) -> list[str]:
    """Every entry under ``folder`` that is not a real folder (files, symlinks of any
    kind, names that cannot be served, anything else), as tree paths, sorted: what
    deleting the folder must remove. Symlinked folders are entries, never descended into,
    so the walk is linear in the real entries; past ``max_entries`` it raises
    :class:`TooManyEntries`. Blocking I/O: call it off the event loop."""
    found: list[str] = []
    seen = 0
    stack = [folder]
    while stack:
        here = stack.pop()
        try:
            listing = tree.list_dir(here)
        except OSError:
            continue
        seen += len(listing)
        if seen > max_entries:
            raise TooManyEntries(f"{shown(folder) or '.'} holds more than {max_entries} entries")
        for item in listing:
            path = f"{here}/{item.name}" if here else item.name
            if item.kind is EntryKind.DIR and item.target is None:
                stack.append(path)
            else:
                found.append(path)
    return sorted(found)


def _sorted(files: list[SkillFile]) -> tuple[SkillFile, ...]:
    return tuple(sorted(files, key=lambda f: f.path))

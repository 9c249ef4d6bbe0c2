"""Finding a plugin's skills and reading one skill, the way Claude Code does.

A plugin's skills are ``skills/<dir>/SKILL.md`` one level deep; a ``SKILL.md`` directly in
``skills/`` makes that folder one skill; paths named by ``skills`` in the entry or in
``plugin.json`` add to the default (an entry whose source is the marketplace root and that
names ``skills`` loads only those); a plugin with a root ``SKILL.md`` and no ``skills/``
is a single skill. A folder reached through a symlink holds no skill, and a skill whose
name breaks the skill-name rule is not served: both are findings.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..names import name_problem
from .files import SkillFiles
from .frontmatter import parse_skill_md
from .layout import MARKETPLACE_FILE, SKILL_FILE
from .manifests import path_list
from .model import SkillFile
from .reading import RepoReader
from .tree import EntryKind, UnsafePathError, join, name_is_servable


class SkillReader(RepoReader):
    """The skill stage of the loader."""

    def skill_dirs(
        self, plugin: str, entry: dict[str, Any], manifest: dict[str, Any]
    ) -> list[tuple[str, bool]]:
        """Folders holding a SKILL.md, each with whether it was named directly."""
        extra = [*path_list(entry.get("skills")), *path_list(manifest.get("skills"))]
        roots: list[str] = []
        default = join(plugin, "skills")
        only_listed = plugin == "" and bool(path_list(entry.get("skills")))
        if not only_listed and self.kind(default) is EntryKind.DIR:
            roots.append(default)
        for rel in extra:
            try:
                folder = join(plugin, rel)
            except UnsafePathError as exc:
                self.error(MARKETPLACE_FILE, f"skills path {rel!r}: {exc}")
                continue
            if self.kind(folder) is not EntryKind.DIR:
                self.warn(folder or ".", f"skills path {rel!r} of {plugin or '.'} is not a folder")
                continue
            roots.append(folder)
        result: dict[str, bool] = {}
        for folder in roots:
            if not self.real(folder):
                continue
            if self.kind(join(folder, SKILL_FILE)) is EntryKind.FILE:
                result.setdefault(folder, True)
                continue
            for item in self.list_dir(folder):
                child = f"{folder}/{item.name}"
                if item.kind is EntryKind.DIR and item.target is not None:
                    self.real_folder_error(child, item.target)
                elif item.kind is EntryKind.DIR and name_is_servable(item.name):
                    listing = self.list_dir(child)
                    if any(e.name == SKILL_FILE and e.kind is EntryKind.FILE for e in listing):
                        self._listings[child] = listing  # reused by the files walk
                        result.setdefault(child, False)
                elif item.kind is EntryKind.ESCAPE:
                    self.warn(child, "is a symlink pointing outside the marketplace; ignored")
                elif item.kind is EntryKind.DIR:
                    self.warn(child, "has a name that cannot be served; ignored")
        if (
            not roots
            and self.kind(join(plugin, SKILL_FILE)) is EntryKind.FILE
            and self.real(plugin)
        ):
            result.setdefault(plugin, True)
        return list(result.items())

    def real(self, folder: str) -> bool:
        """Whether a folder that may hold skills is a real folder, not reached through a
        symlink (a linked folder would serve another skill's files under this name)."""
        try:
            real = self.tree.resolve(folder)
        except (OSError, UnsafePathError):
            real = None
        if real == folder:
            return True
        self.real_folder_error(folder, real)
        return False

    def real_folder_error(self, folder: str, target: str | None) -> None:
        self.error(
            folder or ".",
            f"is a symlink (to {target or 'nowhere'}); only a real folder can hold a skill: "
            "its skills are not served",
        )

    def load_skill(
        self, folder: str, direct: bool, plugin: str, walker: SkillFiles
    ) -> dict[str, Any] | None:
        md_path = join(folder, SKILL_FILE)
        files = walker.files(folder)
        md = next((f for f in files if f.path == SKILL_FILE), None)
        if md is None:
            self.error(md_path, "is not a file of this skill (see above); not served")
            return None
        if md.size > self.limits.max_skill_md_bytes:
            self.error(
                md_path, f"is {md.size} bytes; the limit is {self.limits.max_skill_md_bytes}"
            )
            return None
        try:
            raw = self.tree.read_bytes(md_path)
        except OSError:
            self.error(md_path, "cannot be read; not served")
            return None
        doc = parse_skill_md(raw[: self.limits.max_skill_md_bytes], self.limits)
        folder_name = folder.rsplit("/", 1)[-1] if folder else plugin
        name = doc.name if direct and doc.name else folder_name
        why = name_problem(name)
        # An unusable front-matter name is already a finding of the front matter's own.
        named_in_front_matter = (
            why is not None and name == doc.name and any(p.key == "name" for p in doc.problems)
        )
        for problem in doc.problems:
            message = problem.message
            if named_in_front_matter and problem.key == "name":
                message += "; the skill is not usable: not served"
            self.report(problem.level, md_path, message, problem.line)
        if why is not None:
            if not named_in_front_matter:
                self.error(md_path, f"skill name {name!r:.80} is not usable: {why}; not served")
            return None
        if doc.name and doc.name != folder_name:
            self.warn(
                md_path,
                f"front matter name {doc.name!r:.80} differs from the folder name "
                f"{folder_name!r}; the skill is served as {name!r:.80}",
                _first_line(doc, "name"),
            )
        return {
            "name": name,
            "path": folder,
            "description": doc.description,
            "files": files,
        }

    def content_version(self, drafts: list[dict[str, Any]]) -> str:
        """A stable version for a plugin that declares none: a hash of its skills' content."""
        digest = hashlib.sha256()
        for draft in sorted(drafts, key=lambda d: d["path"]):
            f: SkillFile
            for f in draft["files"]:
                digest.update(f"{draft['name']}/{f.path}\0{f.size}\0".encode())
                try:
                    digest.update(self.tree.read_bytes(join(draft["path"], f.path)))
                except OSError:
                    digest.update(b"\0unreadable")
        return f"0.0.0+{digest.hexdigest()[:12]}"


def _first_line(doc: Any, key: str) -> int | None:
    return 2 if key in doc.data else None

"""The save plan: write files of one skill, creating it (and its group) when new.

Every written path lies inside the skill's own folder (never another skill's or group's
folder nested in it, never ``.git*``, ``.skillport/`` or ``.claude-plugin/``), except the
``plugin.json`` of a group the save creates. A root skill (its folder is the whole
marketplace) cannot be saved, as it cannot be deleted: change it in git.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from typing import Any

from ..access import AccessPolicy
from ..auth import Identity
from ..catalog import Catalog
from ..catalog.frontmatter import SkillDocument, parse_skill_md
from ..catalog.loader import PLUGIN_MANIFEST
from ..errors import Conflict, Forbidden, InvalidRequest, SkillportError, TooLarge
from ..names import split_ref
from ..sources.tree import EntryKind, Tree, UnsafePathError, clean_path, join
from .plan import (
    MAX_FILE_BYTES,
    MAX_SAVE_BYTES,
    RESERVED_PARTS,
    Plan,
    check_name,
    decode,
    json_bytes,
    plugin_root,
    skill_for_write,
)
from .requests import FileIn, PluginMetadata, SaveRequest


@dataclass
class _SaveTarget:
    folder: str
    group: str
    exists: bool
    new_group: bool = False
    changes: dict[str, bytes | None] = field(default_factory=dict)


def _existing_target(
    catalog: Catalog, policy: AccessPolicy, who: Identity, name: str, req: SaveRequest
) -> _SaveTarget:
    skill = skill_for_write(catalog, policy, who, name)
    if req.skill_group and req.skill_group != skill.plugin:
        raise InvalidRequest(
            f"{name!r} belongs to {skill.plugin!r}; moving skills is not supported (to add a "
            f"skill of this name to {req.skill_group!r}, save it as "
            f"{req.skill_group}:{skill.name})"
        )
    if skill.path == "":
        # Its folder is the whole marketplace: a save could write anything (access.json).
        raise InvalidRequest("This skill is the marketplace root itself; change it in git.")
    return _SaveTarget(skill.path, skill.plugin, exists=True)


def _new_group_manifest(group: str, meta: PluginMetadata, who: Identity) -> bytes:
    """A new group's plugin.json; author (the editor) and license (MIT) default as the
    original connector's did."""
    author: Any = {"name": who.name, "email": who.email}
    if meta.author is not None:
        author = {"name": meta.author} if isinstance(meta.author, str) else meta.author
    manifest: dict[str, Any] = {
        "name": group,
        "version": "1.0.0",
        "description": meta.description,
        "author": author,
        "license": meta.license or "MIT",
        "keywords": meta.keywords or [],
    }
    return json_bytes(manifest)


def _new_target(
    catalog: Catalog, policy: AccessPolicy, who: Identity, name: str, req: SaveRequest
) -> _SaveTarget:
    # A non-editor gets the same answer whether or not a hidden skill has this name.
    if not policy.is_editor(who):
        raise Forbidden("Only editors can create skills; ask one to add you to access.json.")
    group = req.skill_group or name
    check_name(group, "group")
    if catalog.skill(f"{group}:{name}") is not None:
        raise Conflict(f"The name {name!r} is taken in {group!r}; choose another.")
    plugin = catalog.plugin(group)
    if plugin is not None:
        if plugin.remote or plugin.path is None or not plugin.loadable:
            raise InvalidRequest(f"Group {group!r} is not a loadable local plugin; choose another.")
        if not policy.can_write_names(who, name, group):
            raise Forbidden(f"You cannot add skills to {group!r}.")
        target = _SaveTarget(join(plugin.path, "skills", name), group, exists=False)
    else:
        if req.plugin_metadata is None:
            raise InvalidRequest(
                f"Group {group!r} is new: send plugin_metadata with a description."
            )
        base = join(plugin_root(catalog), group)
        if catalog.tree.kind(base) is not None:
            raise Conflict(f"{base} already exists but is not a loadable group.")
        target = _SaveTarget(join(base, "skills", name), group, exists=False, new_group=True)
        # The one file outside the skill folder a save may write: its new group's manifest.
        target.changes[join(base, PLUGIN_MANIFEST)] = _new_group_manifest(
            group, req.plugin_metadata, who
        )
    if catalog.tree.kind(target.folder) is not None:
        raise Conflict(f"{target.folder} already exists; choose another name.")
    return target


#: Characters HFS+ ignores in names, so ``.g\u200cit`` is ``.git`` to git (protectHFS).
_HFS_IGNORED = re.compile("[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]")
#: ``.git`` as NTFS also knows it: its 8.3 short name ``git~1`` (protectNTFS).
_NTFS_SHORT_GIT = re.compile(r"git~\d+")


def _is_reserved_part(part: str) -> bool:
    # What git's verify_path compares: case-folded, HFS-ignored characters dropped, NTFS
    # trailing dots and spaces and alternate data streams (``.git::$INDEX_ALLOCATION``) cut.
    name = _HFS_IGNORED.sub("", part).casefold().split(":", 1)[0].rstrip(" .")
    return (
        name.startswith(".git")
        or _NTFS_SHORT_GIT.fullmatch(name) is not None
        or name in RESERVED_PARTS
    )


def is_reserved(rel: str) -> bool:
    """True for paths a save may never write: ``.git*`` (in any case, and under every name
    git itself refuses), ``.skillport/``, ``.claude-plugin/``."""
    return any(_is_reserved_part(p) for p in rel.split("/"))


def _foreign_folders(catalog: Catalog, folder: str, name: str) -> list[str]:
    """Folders of other skills and groups nested inside ``folder``: not the skill's to write."""
    inside = folder + "/"
    paths = [s.path for s in catalog.skills.values() if s.path != folder]
    paths += [p.path for p in catalog.plugins if p.path is not None]
    return [p for p in paths if p.startswith(inside)]


def _file_path(f: FileIn, folder: str, foreign: list[str], tree: Tree) -> tuple[str, str]:
    """The file's path in the skill and in the marketplace, or InvalidRequest."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in f.path):
        raise InvalidRequest(f"file path {f.path[:120]!r} contains a control character")
    try:
        rel = clean_path(f.path)
    except UnsafePathError as exc:
        raise InvalidRequest(f"file path {f.path[:120]!r}: {exc}") from None
    if not rel or is_reserved(rel):
        raise InvalidRequest(f"file path {f.path[:120]!r} is reserved or empty")
    path = join(folder, rel)
    if not path.startswith(folder + "/") or any(path.startswith(p + "/") for p in foreign):
        raise InvalidRequest(f"file path {f.path[:120]!r} belongs to another skill or group")
    _check_parents(tree, folder, rel, f.path)
    return rel, path


def _check_parents(tree: Tree, folder: str, rel: str, shown: str) -> None:
    """Every existing parent of the file is a real folder, and the file is not one: git
    would silently replace a file or symlink by a folder (or a folder by a file)."""
    parts = rel.split("/")
    for depth in range(1, len(parts) + 1):
        here = join(folder, "/".join(parts[:depth]))
        kind = tree.kind(here)
        if kind is None:
            return  # nothing there, nor below
        last = depth == len(parts)
        if last and kind is EntryKind.DIR and tree.resolve(here) == here:
            raise InvalidRequest(f"file path {shown[:120]!r} is a folder; write files inside it")
        if not last and (kind is not EntryKind.DIR or tree.resolve(here) != here):
            raise InvalidRequest(
                f"file path {shown[:120]!r} goes through {'/'.join(parts[:depth])!r}, "
                "which is a file or a link, not a folder"
            )


#: What edit.sh writes beside the skill's files; a save sent from that folder leaves it out.
EDIT_INFO = ".edit_info"


def _add_files(catalog: Catalog, target: _SaveTarget, name: str, files: list[FileIn]) -> list[str]:
    """Add the files' changes to ``target``; the paths left out (edit.sh's .edit_info)."""
    foreign = _foreign_folders(catalog, target.folder, name)
    total = 0
    ignored: list[str] = []
    for f in files:
        rel, path = _file_path(f, target.folder, foreign, catalog.tree)
        if rel == EDIT_INFO:
            ignored.append(rel)
            continue
        data = decode(f)
        total += len(data)
        if len(data) > MAX_FILE_BYTES:
            raise TooLarge(f"{rel} is {len(data)} bytes; the limit is {MAX_FILE_BYTES}")
        if total > MAX_SAVE_BYTES:
            raise TooLarge(f"the files add up to more than {MAX_SAVE_BYTES} bytes")
        if path in target.changes:
            raise InvalidRequest(f"{rel} is listed twice")
        if data:
            target.changes[path] = data
            continue
        if rel == "SKILL.md":
            raise InvalidRequest(
                "SKILL.md cannot be deleted by saving it empty; delete the skill instead"
            )
        if not target.exists or catalog.tree.kind(path) is None:
            raise InvalidRequest(f"{rel} does not exist, so it cannot be deleted")
        target.changes[path] = None
    return ignored


def _outcome(catalog: Catalog, target: _SaveTarget, ignored: list[str]) -> dict[str, Any]:
    """The original connector's save answer: each file created, updated or deleted."""
    files: list[dict[str, Any]] = []
    for path, data in sorted(target.changes.items()):
        if data is None:
            files.append({"path": path, "deleted": True})
        else:
            files.append({"path": path, "created": catalog.tree.kind(path) is None})
    counts = [
        (sum(1 for f in files if f.get("created") is True), "created"),
        (sum(1 for f in files if f.get("created") is False), "updated"),
        (sum(1 for f in files if f.get("deleted")), "deleted"),
    ]
    summary = ", ".join(f"{n} file(s) {what}" for n, what in counts if n) or "No changes"
    extra: dict[str, Any] = {
        "skill_group": target.group,
        "isNewSkill": not target.exists,
        "isNewGroup": target.new_group,
        "files": files,
        "summary": summary,
    }
    if ignored:
        extra["ignored"] = ignored
    return extra


def _parse(data: bytes) -> SkillDocument:
    try:
        return parse_skill_md(data)
    except SkillportError:
        raise
    except (ValueError, TypeError, RecursionError, OverflowError) as exc:
        # An invalid date, a 5,000-digit number, 5,000-deep nesting: the content is refused.
        raise InvalidRequest(f"SKILL.md front matter cannot be read: {str(exc)[:200]}") from None


def _check_skill_md(data: bytes, name: str, previous: bytes | None) -> None:
    """The saved SKILL.md names the skill, describes it, and brings no new problem (a bad
    date, a huge number, deep nesting…): those it already had are the repository's."""
    doc = _parse(data)
    if doc.name != name or not doc.description:
        raise InvalidRequest(
            f"SKILL.md front matter needs name: {name} and a description "
            f"(found name {str(doc.name)[:80]!r})"
        )
    known: set[str] = set()
    if previous is not None:
        with contextlib.suppress(InvalidRequest):
            known = {p.message for p in _parse(previous).problems}
    new = [p for p in doc.problems if p.message not in known]
    if new:
        shown = "; ".join(f"line {p.line}: {p.message}" if p.line else p.message for p in new[:5])
        raise InvalidRequest(f"SKILL.md front matter: {shown[:600]}")


def _current(catalog: Catalog, path: str) -> bytes | None:
    try:
        return catalog.tree.read_bytes(path)
    except OSError:
        return None


def plan_save(
    catalog: Catalog, policy: AccessPolicy, who: Identity, ref: str, req: SaveRequest
) -> Plan:
    """Write files of one skill (``ref``: its name, or ``plugin:skill``), creating it (and
    its group) when new. Every written path lies inside the skill's own folder, except a
    new group's ``plugin.json``."""
    group_hint, name = split_ref(ref)
    check_name(name)
    if any(policy.can_read(who, s) for s in catalog.candidates(ref)):
        target = _existing_target(catalog, policy, who, ref, req)
    else:
        if group_hint is not None:
            if req.skill_group and req.skill_group != group_hint:
                raise InvalidRequest(f"{ref!r} names group {group_hint!r}, not {req.skill_group!r}")
            req = req.model_copy(update={"skill_group": group_hint})
        target = _new_target(catalog, policy, who, name, req)
    ignored = _add_files(catalog, target, name, req.files)
    if not target.changes:
        raise InvalidRequest("Nothing to save: the request lists no file of the skill.")
    skill_md = target.changes.get(join(target.folder, "SKILL.md"))
    if not target.exists and not skill_md:
        raise InvalidRequest("A new skill needs a SKILL.md with 'name' and 'description'")
    if skill_md:
        previous = _current(catalog, join(target.folder, "SKILL.md")) if target.exists else None
        _check_skill_md(skill_md, name, previous)
    verb = "Update" if target.exists else "Create"
    subject = f"{verb} skill {name}" + (f" in new group {target.group}" if target.new_group else "")
    return Plan(
        action="save",
        skill=name,
        group=target.group,
        changes=target.changes,
        touched=tuple(sorted(target.changes)),
        subject=subject,
        body=(req.commitMessage or "").strip(),
        extra=_outcome(catalog, target, ignored),
    )

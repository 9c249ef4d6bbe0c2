"""Editor operations as pure plans: (snapshot, request) in, file changes out.

Nothing here touches git. A :class:`Plan` says which files to write or delete, which
paths it depends on (for the conflict check when the branch moved), and the commit
message. :mod:`skillport_connector.sources.git` turns a plan into exactly one commit.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from ..access import AccessPolicy
from ..auth import Identity
from ..catalog import SURFACES, Catalog, Skill
from ..catalog.frontmatter import parse_skill_md
from ..catalog.loader import DEFAULT_PLUGIN_ROOT, MARKETPLACE_FILE, PLUGIN_MANIFEST
from ..catalog.semver import InvalidVersion, Version
from ..errors import Conflict, Forbidden, InvalidRequest, NotFound, SkillportError, TooLarge
from ..names import name_problem
from ..sources.tree import EntryKind, Tree, UnsafePathError, clean_path, join
from .requests import (
    BumpRequest,
    FileIn,
    PluginMetadata,
    PublishRequest,
    SaveRequest,
)

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_SAVE_BYTES = 20 * 1024 * 1024
#: Bounds of the walk that lists a folder to delete (a link loop must not run forever).
MAX_DELETE_ENTRIES = 20_000
MAX_DELETE_DEPTH = 32
#: Path components a save may never write: repository and marketplace configuration.
RESERVED_PARTS = (".skillport", ".claude-plugin")

Action = Literal["save", "delete", "publish", "bump"]


@dataclass(frozen=True)
class Plan:
    action: Action
    skill: str
    group: str
    changes: dict[str, bytes | None]
    touched: tuple[str, ...]
    subject: str
    body: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def message(self, who: Identity) -> str:
        text = self.subject
        if self.body:
            text += "\n\n" + self.body
        return f"{text}\n\nRequested-by: {who.name} <{who.email}> ({who.id})\n"


# -- helpers ----------------------------------------------------------------------------------


def check_name(name: str, what: str = "skill") -> None:
    problem = name_problem(name)
    if problem is not None:
        raise InvalidRequest(f"{what} name {name[:80]!r} is not valid: {problem}")


def _skill_for_write(catalog: Catalog, policy: AccessPolicy, who: Identity, name: str) -> Skill:
    skill = catalog.skill(name)
    if skill is None or not policy.can_read(who, skill):
        raise NotFound(f"No skill named {name!r}.")
    if not policy.can_write(who, skill):
        raise Forbidden(f"You can read {name!r} but not change it; ask an editor.")
    return skill


def _all_files(tree: Tree, folder: str) -> list[str]:
    """Every entry under ``folder`` (files, links, anything but directories), bounded.

    A directory link inside the folder (``self -> .``) would make the walk endless: it
    stops at :data:`MAX_DELETE_DEPTH` levels or :data:`MAX_DELETE_ENTRIES` entries and the
    deletion is refused. Callers run this off the event loop.
    """
    out: list[str] = []
    stack = [(folder, 0)]
    seen = 0
    while stack:
        here, depth = stack.pop()
        for entry in tree.list_dir(here):
            seen += 1
            if seen > MAX_DELETE_ENTRIES or depth >= MAX_DELETE_DEPTH:
                raise InvalidRequest(
                    f"{folder} has more than {MAX_DELETE_ENTRIES} entries or folders nested "
                    f"deeper than {MAX_DELETE_DEPTH} (a symlink loop?); delete it with git."
                )
            path = join(here, entry.name)
            if entry.kind is EntryKind.DIR:
                stack.append((path, depth + 1))
            else:
                out.append(path)
    return sorted(out)


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()


def _read_json(tree: Tree, path: str) -> Any:
    try:
        return json.loads(tree.read_bytes(path).decode("utf-8-sig"))
    except FileNotFoundError:
        return None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Conflict(
            f"{path} is not valid JSON ({exc}); fix it in the repository first"
        ) from None
    except (ValueError, RecursionError):
        # A 5,000-digit number or 5,000-deep nesting: valid JSON that Python refuses.
        raise Conflict(
            f"{path} has a number too long or nesting too deep to read; fix it in the "
            "repository first"
        ) from None


def _marketplace(tree: Tree, who: Identity) -> dict[str, Any]:
    data = _read_json(tree, MARKETPLACE_FILE)
    if data is None:
        return {"name": "skills", "owner": {"name": who.name, "email": who.email}, "plugins": []}
    if not isinstance(data, dict) or not isinstance(data.get("plugins", []), list):
        raise Conflict(f"{MARKETPLACE_FILE} has no 'plugins' list; fix it first")
    data.setdefault("plugins", [])
    return data


def _plugin_root(catalog: Catalog) -> str:
    metadata = catalog.marketplace.get("metadata")
    raw = metadata.get("pluginRoot") if isinstance(metadata, dict) else None
    if isinstance(raw, str):
        try:
            return clean_path(raw) or DEFAULT_PLUGIN_ROOT
        except UnsafePathError:
            pass
    return DEFAULT_PLUGIN_ROOT


def _decode(f: FileIn) -> bytes:
    if f.encoding in (None, "", "utf-8"):
        return f.content.encode("utf-8")
    if f.encoding == "base64":
        try:
            return base64.b64decode(f.content, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidRequest(f"{f.path}: content is not valid base64") from None
    raise InvalidRequest(f"{f.path}: unknown encoding {f.encoding!r}; use base64 or leave it out")


# -- operations -------------------------------------------------------------------------------


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
    skill = _skill_for_write(catalog, policy, who, name)
    if req.skill_group and req.skill_group != skill.plugin:
        raise InvalidRequest(
            f"{name!r} belongs to {skill.plugin!r}; moving skills is not supported"
        )
    if skill.path == "":
        # Its folder is the whole marketplace: a save could write anything (access.json).
        raise InvalidRequest("This skill is the marketplace root itself; change it in git.")
    return _SaveTarget(skill.path, skill.plugin, exists=True)


def _new_group_manifest(group: str, meta: PluginMetadata) -> bytes:
    manifest: dict[str, Any] = {"name": group, "version": "1.0.0", "description": meta.description}
    if meta.author is not None:
        manifest["author"] = {"name": meta.author} if isinstance(meta.author, str) else meta.author
    if meta.license:
        manifest["license"] = meta.license
    if meta.keywords:
        manifest["keywords"] = meta.keywords
    return _json_bytes(manifest)


def _new_target(
    catalog: Catalog, policy: AccessPolicy, who: Identity, name: str, req: SaveRequest
) -> _SaveTarget:
    # A non-editor gets the same answer whether or not a hidden skill has this name.
    if not policy.is_editor(who):
        raise Forbidden("Only editors can create skills; ask one to add you to access.json.")
    if catalog.skill(name) is not None:
        raise Conflict(f"The name {name!r} is taken; choose another.")
    group = req.skill_group or name
    check_name(group, "group")
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
        base = join(_plugin_root(catalog), group)
        if catalog.tree.kind(base) is not None:
            raise Conflict(f"{base} already exists but is not a loadable group.")
        target = _SaveTarget(join(base, "skills", name), group, exists=False, new_group=True)
        # The one file outside the skill folder a save may write: its new group's manifest.
        target.changes[join(base, PLUGIN_MANIFEST)] = _new_group_manifest(
            group, req.plugin_metadata
        )
    if catalog.tree.kind(target.folder) is not None:
        raise Conflict(f"{target.folder} already exists; choose another name.")
    return target


def is_reserved(rel: str) -> bool:
    """True for paths a save may never write: ``.git*``, ``.skillport/``, ``.claude-plugin/``."""
    return any(p.startswith(".git") or p in RESERVED_PARTS for p in rel.split("/"))


def _foreign_folders(catalog: Catalog, folder: str, name: str) -> list[str]:
    """Folders of other skills and groups nested inside ``folder``: not the skill's to write."""
    inside = folder + "/"
    paths = [s.path for s in catalog.skills.values() if s.name != name]
    paths += [p.path for p in catalog.plugins if p.path is not None]
    return [p for p in paths if p.startswith(inside)]


def _file_path(f: FileIn, folder: str, foreign: list[str]) -> tuple[str, str]:
    """The file's path in the skill and in the marketplace, or InvalidRequest."""
    try:
        rel = clean_path(f.path)
    except UnsafePathError as exc:
        raise InvalidRequest(f"file path {f.path[:120]!r}: {exc}") from None
    if not rel or is_reserved(rel):
        raise InvalidRequest(f"file path {f.path[:120]!r} is reserved or empty")
    path = join(folder, rel)
    if not path.startswith(folder + "/") or any(path.startswith(p + "/") for p in foreign):
        raise InvalidRequest(f"file path {f.path[:120]!r} belongs to another skill or group")
    return rel, path


def _add_files(catalog: Catalog, target: _SaveTarget, name: str, files: list[FileIn]) -> None:
    foreign = _foreign_folders(catalog, target.folder, name)
    total = 0
    for f in files:
        rel, path = _file_path(f, target.folder, foreign)
        data = _decode(f)
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


def _check_skill_md(data: bytes, name: str) -> None:
    try:
        doc = parse_skill_md(data)
    except SkillportError:
        raise
    except (ValueError, TypeError, RecursionError, OverflowError) as exc:
        # An invalid date, a 5,000-digit number, 5,000-deep nesting: the content is refused.
        raise InvalidRequest(f"SKILL.md front matter cannot be read: {str(exc)[:200]}") from None
    if doc.name != name or not doc.description:
        raise InvalidRequest(
            f"SKILL.md front matter needs name: {name} and a description "
            f"(found name {str(doc.name)[:80]!r})"
        )


def plan_save(
    catalog: Catalog, policy: AccessPolicy, who: Identity, name: str, req: SaveRequest
) -> Plan:
    """Write files of one skill, creating it (and its group) when new. Every written path
    lies inside the skill's own folder, except a new group's ``plugin.json``."""
    check_name(name)
    existing = catalog.skill(name)
    if existing is not None and policy.can_read(who, existing):
        target = _existing_target(catalog, policy, who, name, req)
    else:
        target = _new_target(catalog, policy, who, name, req)
    _add_files(catalog, target, name, req.files)
    skill_md = target.changes.get(join(target.folder, "SKILL.md"))
    if not target.exists and not skill_md:
        raise InvalidRequest("A new skill needs a SKILL.md with 'name' and 'description'")
    if skill_md:
        _check_skill_md(skill_md, name)
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
    )


def plan_delete(catalog: Catalog, policy: AccessPolicy, who: Identity, name: str) -> Plan:
    skill = _skill_for_write(catalog, policy, who, name)
    plugin = catalog.plugin(skill.plugin)
    assert plugin is not None
    tree = catalog.tree
    whole_group = plugin.skills == (name,) and bool(plugin.path) and skill.path != ""
    if whole_group:
        assert plugin.path is not None
        folder = plugin.path
    else:
        if skill.path == "":
            raise InvalidRequest("This skill is the marketplace root itself; remove it in git.")
        folder = skill.path
    changes: dict[str, bytes | None] = dict.fromkeys(_all_files(tree, folder))
    touched = [folder]
    subject = f"Delete skill {name}"
    if whole_group:
        subject += f" and its group {plugin.name}"
        if plugin.published:
            data = _marketplace(tree, who)
            data["plugins"] = [
                p
                for p in data["plugins"]
                if not (isinstance(p, dict) and p.get("name") == plugin.name)
            ]
            changes[MARKETPLACE_FILE] = _json_bytes(data)
            touched.append(MARKETPLACE_FILE)
    return Plan("delete", name, skill.plugin, changes, tuple(touched), subject)


def plan_publish(
    catalog: Catalog, policy: AccessPolicy, who: Identity, name: str, req: PublishRequest
) -> Plan:
    skill = catalog.skill(name)
    if skill is None or not policy.can_read(who, skill):
        raise NotFound(f"No skill named {name!r}.")
    if not policy.is_editor(who):
        raise Forbidden("Only editors can publish; ask one to add you to access.json.")
    surfaces = [t for t in req.tags if t.startswith("surface:")]
    if not surfaces:
        raise InvalidRequest(
            "tags need at least one surface: " + ", ".join(f"surface:{s}" for s in SURFACES)
        )
    unknown = [t for t in surfaces if t.split(":", 1)[1] not in SURFACES]
    if unknown:
        raise InvalidRequest(
            f"unknown surface tag(s) {unknown}; use " + ", ".join(f"surface:{s}" for s in SURFACES),
        )
    plugin = catalog.plugin(skill.plugin)
    assert plugin is not None
    if plugin.path is None:
        raise InvalidRequest(f"Group {plugin.name!r} is remote and cannot be published from here.")
    data = _marketplace(catalog.tree, who)
    entry = next(
        (p for p in data["plugins"] if isinstance(p, dict) and p.get("name") == plugin.name), None
    )
    if entry is None:
        entry = {"name": plugin.name, "source": f"./{plugin.path}" if plugin.path else "./"}
        data["plugins"].append(entry)
    entry["description"] = req.description
    if plugin.manifest.get("version"):
        entry["version"] = plugin.manifest["version"]
    if req.category is not None:
        entry["category"] = req.category
    entry["tags"] = req.tags
    if req.keywords is not None:
        entry["keywords"] = req.keywords
    verb = "Update listing of" if plugin.published else "Publish"
    return Plan(
        "publish", name, plugin.name, {MARKETPLACE_FILE: _json_bytes(data)}, (MARKETPLACE_FILE,),
        f"{verb} {plugin.name} ({', '.join(surfaces)})",
    )  # fmt: skip


def plan_bump(
    catalog: Catalog, policy: AccessPolicy, who: Identity, name: str, req: BumpRequest
) -> Plan:
    if req.type not in ("major", "minor", "patch"):
        raise InvalidRequest(f"type must be major, minor or patch, not {req.type[:20]!r}")
    skill = _skill_for_write(catalog, policy, who, name)
    plugin = catalog.plugin(skill.plugin)
    assert plugin is not None and plugin.path is not None
    manifest_path = join(plugin.path, PLUGIN_MANIFEST)
    manifest = _read_json(catalog.tree, manifest_path)
    if manifest is None:
        manifest = {"name": plugin.name}
    if not isinstance(manifest, dict):
        raise Conflict(f"{manifest_path} is not a JSON object; fix it first")
    current_text = manifest.get("version") or plugin.entry.get("version") or "0.0.0"
    try:
        current = Version.parse(str(current_text))
    except InvalidVersion:
        raise Conflict(f"version {current_text!r} is not semver; fix it by hand first") from None
    new = str(current.bump(req.type))
    manifest["version"] = new
    changes: dict[str, bytes | None] = {manifest_path: _json_bytes(manifest)}
    touched = [manifest_path]
    if plugin.published:
        data = _marketplace(catalog.tree, who)
        for entry in data["plugins"]:
            if isinstance(entry, dict) and entry.get("name") == plugin.name:
                entry["version"] = new
        changes[MARKETPLACE_FILE] = _json_bytes(data)
        touched.append(MARKETPLACE_FILE)
    return Plan(
        "bump",
        name,
        plugin.name,
        changes,
        tuple(touched),
        f"Bump {plugin.name} to {new} ({req.type})",
        extra={"version": new, "previous": str(current)},
    )

"""Editor operations as pure plans: (snapshot, request) in, file changes out.

Nothing here touches git. A :class:`Plan` says which files to write or delete, which
paths it depends on (for the conflict check when the branch moved), and the commit
message. :mod:`skillport_connector.sources.git` turns a plan into exactly one commit.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from ..access import AccessPolicy
from ..auth import Identity
from ..catalog import SURFACES, Catalog, Skill
from ..catalog.frontmatter import parse_skill_md
from ..catalog.loader import DEFAULT_PLUGIN_ROOT, MARKETPLACE_FILE, PLUGIN_MANIFEST
from ..catalog.semver import InvalidVersion, Version
from ..sources.tree import EntryKind, Tree, UnsafePathError, clean_path, join

NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_FILES_PER_SAVE = 200
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_SAVE_BYTES = 20 * 1024 * 1024


class EditError(Exception):
    """A refused edit; ``status`` and ``kind`` map straight onto the HTTP error shape."""

    def __init__(self, status: int, message: str, kind: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind


@dataclass(frozen=True)
class Plan:
    action: str
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


# -- request bodies ---------------------------------------------------------------------------


class FileIn(BaseModel):
    path: str = Field(max_length=255)
    content: str
    encoding: str | None = Field(None, description="'base64' for binary content")


class PluginMetadata(BaseModel):
    description: str = Field(min_length=1, max_length=1024)
    keywords: list[str] | None = None
    author: dict[str, str] | str | None = None
    license: str | None = None


class SaveRequest(BaseModel):
    skill_group: str | None = Field(None, max_length=64)
    files: list[FileIn] = Field(min_length=1, max_length=MAX_FILES_PER_SAVE)
    commitMessage: str | None = Field(None, max_length=2000)
    plugin_metadata: PluginMetadata | None = None


class PublishRequest(BaseModel):
    description: str = Field(min_length=1, max_length=1024)
    category: str | None = Field(None, max_length=100)
    tags: list[str] = Field(max_length=50)
    keywords: list[str] | None = Field(None, max_length=50)


class BumpRequest(BaseModel):
    type: str = Field(description="major, minor or patch")


# -- helpers ----------------------------------------------------------------------------------


def check_name(name: str, what: str = "skill") -> None:
    if not NAME.match(name) or len(name) > 64:
        raise EditError(
            400,
            f"{what} name {name[:80]!r} must be 1-64 lowercase letters, digits and single hyphens",
        )


def _skill_for_write(catalog: Catalog, policy: AccessPolicy, who: Identity, name: str) -> Skill:
    skill = catalog.skill(name)
    if skill is None or not policy.can_read(who, skill):
        raise EditError(404, f"No skill named {name!r}.")
    if not policy.can_write(who, skill):
        raise EditError(403, f"You can read {name!r} but not change it; ask an editor.")
    return skill


def _all_files(tree: Tree, folder: str) -> list[str]:
    """Every entry under ``folder`` (files, links, anything but directories)."""
    out: list[str] = []
    stack = [folder]
    while stack:
        here = stack.pop()
        for entry in tree.list_dir(here):
            path = join(here, entry.name)
            if entry.kind is EntryKind.DIR:
                stack.append(path)
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
        raise EditError(
            409, f"{path} is not valid JSON ({exc}); fix it in the repository first"
        ) from None


def _marketplace(tree: Tree, who: Identity) -> dict[str, Any]:
    data = _read_json(tree, MARKETPLACE_FILE)
    if data is None:
        return {"name": "skills", "owner": {"name": who.name, "email": who.email}, "plugins": []}
    if not isinstance(data, dict) or not isinstance(data.get("plugins", []), list):
        raise EditError(409, f"{MARKETPLACE_FILE} has no 'plugins' list; fix it first")
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
            raise EditError(400, f"{f.path}: content is not valid base64") from None
    raise EditError(400, f"{f.path}: unknown encoding {f.encoding!r}; use base64 or leave it out")


# -- operations -------------------------------------------------------------------------------


def plan_save(
    catalog: Catalog, policy: AccessPolicy, who: Identity, name: str, req: SaveRequest
) -> Plan:
    check_name(name)
    tree = catalog.tree
    existing = catalog.skill(name)
    changes: dict[str, bytes | None] = {}
    new_group = False
    if existing is not None and policy.can_read(who, existing):
        skill = _skill_for_write(catalog, policy, who, name)
        if req.skill_group and req.skill_group != skill.plugin:
            raise EditError(
                400, f"{name!r} belongs to {skill.plugin!r}; moving skills is not supported"
            )
        folder, group = skill.path, skill.plugin
    else:
        # A non-editor gets the same answer whether or not a hidden skill has this name.
        if not policy.is_editor(who):
            raise EditError(
                403, "Only editors can create skills; ask one to add you to access.json."
            )
        if existing is not None:
            raise EditError(409, f"The name {name!r} is taken; choose another.")
        group = req.skill_group or name
        check_name(group, "group")
        plugin = catalog.plugin(group)
        if plugin is not None:
            if plugin.remote or plugin.path is None or not plugin.loadable:
                raise EditError(
                    400, f"Group {group!r} is not a loadable local plugin; choose another."
                )
            if not policy.can_write_names(who, name, group):
                raise EditError(403, f"You cannot add skills to {group!r}.")
            folder = join(plugin.path, "skills", name)
        else:
            if req.plugin_metadata is None:
                raise EditError(
                    400, f"Group {group!r} is new: send plugin_metadata with a description."
                )
            base = join(_plugin_root(catalog), group)
            if tree.kind(base) is not None:
                raise EditError(409, f"{base} already exists but is not a loadable group.")
            folder = join(base, "skills", name)
            manifest: dict[str, Any] = {"name": group, "version": "1.0.0"}
            meta = req.plugin_metadata
            manifest["description"] = meta.description
            if meta.author is not None:
                manifest["author"] = (
                    {"name": meta.author} if isinstance(meta.author, str) else meta.author
                )
            if meta.license:
                manifest["license"] = meta.license
            if meta.keywords:
                manifest["keywords"] = meta.keywords
            changes[join(base, PLUGIN_MANIFEST)] = _json_bytes(manifest)
            new_group = True
        if tree.kind(folder) is not None:
            raise EditError(409, f"{folder} already exists; choose another name.")

    total = 0
    for f in req.files:
        try:
            rel = clean_path(f.path)
        except UnsafePathError as exc:
            raise EditError(400, f"file path {f.path[:120]!r}: {exc}") from None
        parts = rel.split("/")
        if not rel or any(p in (".git", ".claude-plugin") for p in parts):
            raise EditError(400, f"file path {f.path[:120]!r} is reserved or empty")
        data = _decode(f)
        total += len(data)
        if len(data) > MAX_FILE_BYTES:
            raise EditError(413, f"{rel} is {len(data)} bytes; the limit is {MAX_FILE_BYTES}")
        if total > MAX_SAVE_BYTES:
            raise EditError(413, f"the files add up to more than {MAX_SAVE_BYTES} bytes")
        path = join(folder, rel)
        if rel in changes or path in changes:
            raise EditError(400, f"{rel} is listed twice")
        if not data:
            if rel == "SKILL.md":
                raise EditError(
                    400, "SKILL.md cannot be deleted by saving it empty; delete the skill instead"
                )
            if existing is None or tree.kind(path) is None:
                raise EditError(400, f"{rel} does not exist, so it cannot be deleted")
            changes[path] = None
        else:
            changes[path] = data

    skill_md = changes.get(join(folder, "SKILL.md"))
    if existing is None and not skill_md:
        raise EditError(400, "A new skill needs a SKILL.md with 'name' and 'description'")
    if skill_md:
        doc = parse_skill_md(skill_md)
        if doc.name != name or not doc.description:
            raise EditError(
                400,
                f"SKILL.md front matter needs name: {name} and a description "
                f"(found name {doc.name!r})",
            )
    verb = "Create" if existing is None else "Update"
    subject = f"{verb} skill {name}" + (f" in new group {group}" if new_group else "")
    return Plan(
        action="save",
        skill=name,
        group=group,
        changes=changes,
        touched=tuple(sorted(changes)),
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
            raise EditError(400, "This skill is the marketplace root itself; remove it in git.")
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
        raise EditError(404, f"No skill named {name!r}.")
    if not policy.is_editor(who):
        raise EditError(403, "Only editors can publish; ask one to add you to access.json.")
    surfaces = [t for t in req.tags if t.startswith("surface:")]
    if not surfaces:
        raise EditError(
            400, "tags need at least one surface: " + ", ".join(f"surface:{s}" for s in SURFACES)
        )
    unknown = [t for t in surfaces if t.split(":", 1)[1] not in SURFACES]
    if unknown:
        raise EditError(
            400,
            f"unknown surface tag(s) {unknown}; use " + ", ".join(f"surface:{s}" for s in SURFACES),
        )
    plugin = catalog.plugin(skill.plugin)
    assert plugin is not None
    if plugin.path is None:
        raise EditError(400, f"Group {plugin.name!r} is remote and cannot be published from here.")
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
        raise EditError(400, f"type must be major, minor or patch, not {req.type[:20]!r}")
    skill = _skill_for_write(catalog, policy, who, name)
    plugin = catalog.plugin(skill.plugin)
    assert plugin is not None and plugin.path is not None
    manifest_path = join(plugin.path, PLUGIN_MANIFEST)
    manifest = _read_json(catalog.tree, manifest_path)
    if manifest is None:
        manifest = {"name": plugin.name}
    if not isinstance(manifest, dict):
        raise EditError(409, f"{manifest_path} is not a JSON object; fix it first")
    current_text = manifest.get("version") or plugin.entry.get("version") or "0.0.0"
    try:
        current = Version.parse(str(current_text))
    except InvalidVersion:
        raise EditError(
            409, f"version {current_text!r} is not semver; fix it by hand first"
        ) from None
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

"""Editor operations as pure plans: (snapshot, request) in, file changes out.

Nothing here touches git. A :class:`~.plan.Plan` says which files to write or delete,
which paths it depends on (for the conflict check when the branch moved), and the commit
message. :mod:`skillport_connector.sources.git` turns a plan into exactly one commit.
Saving is in :mod:`.save`; deleting, publishing and bumping are here.
"""

from __future__ import annotations

from typing import Any

from ..access import AccessPolicy
from ..auth import Identity
from ..catalog import SURFACES, Catalog
from ..catalog.loader import MARKETPLACE_FILE, PLUGIN_MANIFEST
from ..catalog.semver import InvalidVersion, Version
from ..errors import Conflict, Forbidden, InvalidRequest
from ..services.view import View
from ..sources.tree import join
from .jsontext import rewrite
from .plan import Action, Plan, all_files, json_bytes, marketplace, read_json, skill_for_write
from .requests import BumpRequest, FileIn, PluginMetadata, PublishRequest, SaveRequest
from .save import plan_save

__all__ = [
    "Action",
    "BumpRequest",
    "FileIn",
    "Plan",
    "PluginMetadata",
    "PublishRequest",
    "SaveRequest",
    "plan_bump",
    "plan_delete",
    "plan_publish",
    "plan_save",
]


def plan_delete(catalog: Catalog, policy: AccessPolicy, who: Identity, name: str) -> Plan:
    skill = skill_for_write(catalog, policy, who, name)
    plugin = catalog.plugin(skill.plugin)
    assert plugin is not None
    tree = catalog.tree
    whole_group = plugin.skills == (skill.name,) and bool(plugin.path) and skill.path != ""
    own = {skill.path}
    if whole_group:
        assert plugin.path is not None
        folder = plugin.path
        own.add(plugin.path)
    else:
        if skill.path == "":
            raise InvalidRequest("This skill is the marketplace root itself; remove it in git.")
        folder = skill.path
    changes: dict[str, bytes | None] = dict.fromkeys(all_files(catalog, folder, own))
    touched = [folder]
    subject = f"Delete skill {name}"
    if whole_group:
        subject += f" and its group {plugin.name}"
        if plugin.published:
            data = marketplace(tree, who)
            data["plugins"] = [
                p
                for p in data["plugins"]
                if not (isinstance(p, dict) and p.get("name") == plugin.name)
            ]
            changes[MARKETPLACE_FILE] = _rewritten(catalog, MARKETPLACE_FILE, data)
            touched.append(MARKETPLACE_FILE)
    prefix = folder + "/"
    deleted = [p[len(prefix) :] for p in changes if p.startswith(prefix)]
    extra = {"pluginDeleted": whole_group, "deletedFiles": sorted(deleted)}
    return Plan("delete", name, skill.plugin, changes, tuple(touched), subject, extra=extra)


def plan_publish(
    catalog: Catalog, policy: AccessPolicy, who: Identity, name: str, req: PublishRequest
) -> Plan:
    skill = View(who, catalog, policy).readable(name)
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
    data = marketplace(catalog.tree, who)
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
    # The original connector's answer: the listing was created or updated.
    extra = {"action": "updated" if plugin.published else "created", "skill_group": plugin.name}
    changes: dict[str, bytes | None] = {
        MARKETPLACE_FILE: _rewritten(catalog, MARKETPLACE_FILE, data)
    }
    return Plan(
        "publish", name, plugin.name, changes, (MARKETPLACE_FILE,),
        f"{verb} {plugin.name} ({', '.join(surfaces)})", extra=extra,
    )  # fmt: skip


def _rewritten(catalog: Catalog, file: str, data: Any) -> bytes:
    """``file`` edited into ``data`` with minimal text changes (a one-line diff for a
    version, the entry's lines for a publish or a delete) when its text allows, else
    ``data`` written anew."""
    try:
        raw = catalog.tree.read_bytes(file)
    except OSError:
        return json_bytes(data)
    return rewrite(raw, data) or json_bytes(data)


def plan_bump(
    catalog: Catalog, policy: AccessPolicy, who: Identity, name: str, req: BumpRequest
) -> Plan:
    if req.type not in ("major", "minor", "patch"):
        raise InvalidRequest(f"type must be major, minor or patch, not {req.type[:20]!r}")
    skill = skill_for_write(catalog, policy, who, name)
    plugin = catalog.plugin(skill.plugin)
    assert plugin is not None and plugin.path is not None
    manifest_path = join(plugin.path, PLUGIN_MANIFEST)
    manifest = read_json(catalog.tree, manifest_path)
    if manifest is None:
        # A first plugin.json: with the entry's description and author, which Claude
        # Code's validator asks for, and which the group was shown with until now.
        manifest = {"name": plugin.name}
        manifest.update(
            {k: plugin.entry[k] for k in ("description", "author") if k in plugin.entry}
        )
    if not isinstance(manifest, dict):
        raise Conflict(f"{manifest_path} is not a JSON object; fix it first")
    current_text = manifest.get("version") or plugin.entry.get("version") or "0.0.0"
    try:
        current = Version.parse(str(current_text))
    except InvalidVersion:
        raise Conflict(f"version {current_text!r} is not semver; fix it by hand first") from None
    new = str(current.bump(req.type))
    manifest["version"] = new
    # Only the version value changes in each file: a one-line diff, the rest as written.
    changes: dict[str, bytes | None] = {manifest_path: _rewritten(catalog, manifest_path, manifest)}
    touched = [manifest_path]
    if plugin.published:
        data = marketplace(catalog.tree, who)
        for entry in data["plugins"]:
            if isinstance(entry, dict) and entry.get("name") == plugin.name:
                entry["version"] = new
        changes[MARKETPLACE_FILE] = _rewritten(catalog, MARKETPLACE_FILE, data)
        touched.append(MARKETPLACE_FILE)
    return Plan(
        "bump",
        name,
        plugin.name,
        changes,
        tuple(touched),
        f"Bump {plugin.name} to {new} ({req.type})",
        extra={
            "version": new,
            "previous": str(current),
            "skill_group": plugin.name,
            "oldVersion": str(current),
            "newVersion": new,
        },
    )

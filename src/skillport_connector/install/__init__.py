"""Turning a catalog skill into what a Claude surface installs.

* the JSON *install payload* redeemed by ``install.sh`` (text inline, binary as base64),
* the ``.skill`` package: a zip whose single root folder is the skill's name,
* the ``install.sh`` script itself, with the connector's address baked in.

Everything is built from the files the catalog lists for the skill, read through the
same :class:`~skillport_connector.sources.tree.Tree`, so a symlink out of the tree or an
oversized file can never end up in a package.
"""

from __future__ import annotations

import base64
import json
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import IO, Any

from ..catalog import Catalog, Skill
from ..errors import TooLarge

DEFAULT_MAX_PACKAGE_BYTES = 30 * 1024 * 1024
PLUGIN_JSON_PATH = ".claude-plugin/plugin.json"
_SNIFF = 8192
#: What an installed copy keeps of its group's plugin.json: the metadata, not the component
#: paths (commands, hooks, skills, …), which name files the skill folder does not have.
MANIFEST_METADATA = (
    "name", "version", "description", "author", "homepage", "repository", "license", "keywords",
)  # fmt: skip


class PackageTooLarge(TooLarge):
    """The skill's files add up to more than the package limit."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"the skill's files add up to {size} bytes; the package limit is {limit}")
        self.size = size
        self.limit = limit


def is_binary(data: bytes) -> bool:
    """Binary by content, not by extension: a NUL byte or invalid UTF-8 in the first 8 KiB."""
    head = data[:_SNIFF]
    if b"\x00" in head:
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the sniff boundary is still text.
        return not (len(data) > _SNIFF and exc.start >= len(head) - 3)
    if len(data) > _SNIFF:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return True
    return False


@dataclass(frozen=True, slots=True)
class PackedFile:
    #: Inside the skill folder, POSIX.
    path: str
    data: bytes
    #: Installed with mode 0755 (git mode 100755); 0644 otherwise.
    executable: bool = False

    @property
    def mode(self) -> int:
        return 0o755 if self.executable else 0o644


def plugin_manifest(catalog: Catalog, skill: Skill) -> dict[str, Any]:
    """The ``plugin.json`` an installed copy carries: its group's own manifest's metadata
    (author, license, keywords… kept, as the original connector did) at the version served; for a
    group without a plugin.json, its description and author. Its ``name`` is the skill's:
    Claude Code loads each folder of ``~/.claude/skills`` that has a plugin.json as a plugin
    named by it, and of two named alike (two skills of one group) loads only one."""
    plugin = catalog.plugin(skill.plugin)
    if plugin is not None and plugin.manifest:
        kept = {k: v for k, v in plugin.manifest.items() if k in MANIFEST_METADATA}
        return {**kept, "name": skill.name, "version": skill.version}
    description = plugin.description if plugin is not None else None
    manifest: dict[str, Any] = {
        "name": skill.name,
        "version": skill.version,
        "description": description or skill.description,
    }
    if skill.author is not None:
        manifest["author"] = skill.author
    return manifest


def skill_files(
    catalog: Catalog, skill: Skill, *, limit: int = DEFAULT_MAX_PACKAGE_BYTES
) -> list[PackedFile]:
    """The skill's files as the catalog lists them, plus the generated plugin.json."""
    total = sum(f.size for f in skill.files)
    if total > limit:
        raise PackageTooLarge(total, limit)
    files = [
        PackedFile(f.path, catalog.tree.read_bytes(skill.file_path(f.path)), f.executable)
        for f in skill.files
    ]
    manifest = json.dumps(plugin_manifest(catalog, skill), indent=2, ensure_ascii=False) + "\n"
    files.append(PackedFile(PLUGIN_JSON_PATH, manifest.encode()))
    return files


def install_payload(skill: Skill, files: list[PackedFile]) -> dict[str, Any]:
    """The contract's install payload: ``{skill{name, version, plugin}, files[]}``."""
    out: list[dict[str, Any]] = []
    for f in files:
        entry: dict[str, Any]
        if is_binary(f.data):
            entry = {"path": f.path, "content": base64.b64encode(f.data).decode()}
            entry["encoding"] = "base64"
        else:
            entry = {"path": f.path, "content": f.data.decode("utf-8")}
        if f.executable:
            entry["executable"] = True
        out.append(entry)
    return {
        # The original connector's top-level copies, which its install.sh reads.
        "skill_name": skill.name,
        "skill_version": skill.version,
        "skill": {"name": skill.name, "version": skill.version, "plugin": skill.plugin},
        "files": out,
    }


def write_package(skill: Skill, files: list[PackedFile], fileobj: IO[bytes]) -> None:
    """Write the ``.skill`` zip: one root folder named after the skill, SKILL.md inside it."""
    with zipfile.ZipFile(fileobj, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(files, key=lambda f: f.path):
            info = zipfile.ZipInfo(f"{skill.name}/{f.path}", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | f.mode) << 16
            zf.writestr(info, f.data)


def iter_chunks(fileobj: IO[bytes], size: int = 64 * 1024) -> Iterator[bytes]:
    fileobj.seek(0)
    try:
        while chunk := fileobj.read(size):
            yield chunk
    finally:
        fileobj.close()


def install_script(base_url: str, mode: str = "skill") -> str:
    """install.sh (without a flag it installs into ~/.claude/skills, as the original
    connector's did) or, with ``mode="edit"``, edit.sh."""
    template = resources.files(__package__).joinpath("install.sh").read_text(encoding="utf-8")
    return template.replace("__SKILLPORT_BASE_URL__", base_url.rstrip("/")).replace(
        "__SKILLPORT_MODE__", mode
    )


def edit_payload(skill: Skill, files: list[PackedFile]) -> dict[str, Any]:
    """Like the install payload, without the generated plugin.json: what the editor edits."""
    payload = install_payload(skill, [f for f in files if f.path != PLUGIN_JSON_PATH])
    payload["skill_plugin"] = skill.plugin
    return payload


def install_command(base_url: str, token: str, mode: str = "package") -> str:
    if mode == "edit":
        return f"curl -sf {base_url.rstrip('/')}/edit.sh | bash -s -- {token}"
    return f"curl -sf {base_url.rstrip('/')}/install.sh | bash -s -- {token} --{mode}"

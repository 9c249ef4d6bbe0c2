"""Build a :class:`~skillport_connector.catalog.Catalog` from a marketplace tree.

The rules follow what Claude Code itself does with a plugin marketplace, so that every
surface sees the same library:

* ``.claude-plugin/marketplace.json`` lists the *published* plugins ("groups"); folders
  under the plugin root (``metadata.pluginRoot``, default ``plugins/``) that no entry
  points at are *unpublished* groups.
* A plugin's skills are ``skills/<dir>/SKILL.md`` one level deep; a ``SKILL.md`` directly
  in ``skills/`` makes that folder one skill; paths named by ``skills`` in the entry or in
  ``plugin.json`` add to the default (an entry whose source is the marketplace root and
  that names ``skills`` loads only those); a plugin with a root ``SKILL.md`` and no
  ``skills/`` is a single skill.
* A plugin Claude Code would refuse (bad manifest, conflicting manifests under
  ``strict: false``, missing folder, ``..`` in the source) serves no skills.

Nothing here raises on bad input: every problem becomes a :class:`Finding`.
"""

from __future__ import annotations

import gc
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from ..sources.tree import Entry, EntryKind, Tree, UnsafePathError, clean_path, join
from . import semver
from .catalog import Catalog
from .frontmatter import check_name, parse_skill_md
from .model import SURFACES, Finding, Plugin, Skill, SkillFile

MARKETPLACE_FILE = ".claude-plugin/marketplace.json"
PLUGIN_MANIFEST = ".claude-plugin/plugin.json"
DEFAULT_PLUGIN_ROOT = "plugins"
SKILL_FILE = "SKILL.md"
COMPONENT_KEYS = (
    "commands",
    "agents",
    "skills",
    "hooks",
    "mcpServers",
    "outputStyles",
    "lspServers",
)
#: Components that may be given inline as an object instead of a path.
INLINE_COMPONENTS = ("hooks", "mcpServers", "lspServers")
REMOTE_SOURCES: dict[str, tuple[str, ...]] = {
    "github": ("repo",),
    "url": ("url",),
    "git-subdir": ("url", "path"),
    "npm": ("package",),
    "pip": ("package",),
    "archive": ("url",),
}
_NAME_KEY = re.compile(r'"name"\s*:\s*("(?:[^"\\]|\\.)*")')
_KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds that keep a hostile or accidental tree from exhausting the server."""

    max_file_bytes: int = 10 * 1024 * 1024
    max_manifest_bytes: int = 1024 * 1024
    max_skill_md_bytes: int = 1024 * 1024
    max_files_per_skill: int = 2000
    max_depth: int = 16


class _Loader:
    def __init__(self, tree: Tree, limits: Limits) -> None:
        self.tree = tree
        self.limits = limits
        self.findings: list[Finding] = []
        self.skills: dict[str, Skill] = {}
        self.plugins: list[Plugin] = []
        self.marketplace_text = ""
        self._entry_lines: dict[str, int] | None = None
        self._listings: dict[str, list[Entry]] = {}

    # -- findings -------------------------------------------------------------------------

    def error(self, file: str, message: str, line: int | None = None) -> None:
        self.findings.append(Finding("error", file, line, message))

    def warn(self, file: str, message: str, line: int | None = None) -> None:
        self.findings.append(Finding("warning", file, line, message))

    def entry_line(self, name: object) -> int | None:
        """Line of a plugin entry in marketplace.json, found by its name."""
        if not isinstance(name, str):
            return None
        if self._entry_lines is None:
            # One pass over the file: a search per entry would be quadratic.
            self._entry_lines = {}
            text = self.marketplace_text
            line, pos = 1, 0
            for m in _NAME_KEY.finditer(text):
                line += text.count("\n", pos, m.start())
                pos = m.start()
                try:
                    value = json.loads(m.group(1))
                except ValueError:
                    continue
                self._entry_lines.setdefault(value, line)
        return self._entry_lines.get(name)

    # -- reading --------------------------------------------------------------------------

    def read_json(self, path: str) -> tuple[Any, str] | None:
        """Parse a JSON file; a finding and ``None`` when it cannot be read."""
        try:
            size = self.tree.size(path)
        except FileNotFoundError:
            self.error(path, "cannot be read (it is not a regular file inside the marketplace)")
            return None
        if size > self.limits.max_manifest_bytes:
            self.error(path, f"is {size} bytes; the limit is {self.limits.max_manifest_bytes}")
            return None
        raw = self.tree.read_bytes(path)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            self.error(path, "is not valid UTF-8")
            return None
        try:
            return json.loads(text), text
        except json.JSONDecodeError as exc:
            self.error(path, f"is not valid JSON: {exc.msg} (column {exc.colno})", exc.lineno)
            return None

    # -- marketplace ----------------------------------------------------------------------

    def load(self) -> Catalog:
        marketplace: dict[str, Any] = {}
        kind = self.tree.kind(MARKETPLACE_FILE)
        if kind is None:
            self.warn(
                MARKETPLACE_FILE,
                "not found: every group under plugins/ is treated as unpublished",
            )
        else:
            parsed = self.read_json(MARKETPLACE_FILE)
            if parsed is not None:
                data, self.marketplace_text = parsed
                if isinstance(data, dict):
                    marketplace = data
                else:
                    self.error(MARKETPLACE_FILE, "must be a JSON object", 1)
        self.check_marketplace(marketplace)
        plugin_root = self.plugin_root(marketplace)
        claimed: set[str] = set()
        entries = marketplace.get("plugins", [])
        if not isinstance(entries, list):
            self.error(MARKETPLACE_FILE, "'plugins' must be a list", self.key_line("plugins"))
            entries = []
        seen_names: set[str] = set()
        for index, entry in enumerate(entries):
            plugin = self.load_entry(index, entry, plugin_root, seen_names)
            if plugin is not None:
                self.plugins.append(plugin)
                if plugin.path is not None:
                    claimed.add(plugin.path)
        # Unpublished groups live under pluginRoot; a root-level pluginRoot has none.
        unpublished_root = DEFAULT_PLUGIN_ROOT if plugin_root is None else plugin_root
        if unpublished_root:
            self.load_unpublished(unpublished_root, claimed, seen_names)
        return Catalog(
            tree=self.tree,
            marketplace=marketplace,
            plugins=tuple(self.plugins),
            skills=self.skills,
            findings=tuple(self.findings),
        )

    def key_line(self, key: str) -> int | None:
        m = re.search(r'"' + re.escape(key) + r'"\s*:', self.marketplace_text)
        return self.marketplace_text.count("\n", 0, m.start()) + 1 if m else None

    def check_marketplace(self, marketplace: dict[str, Any]) -> None:
        if not marketplace:
            return
        name = marketplace.get("name")
        if not isinstance(name, str) or not name:
            self.error(MARKETPLACE_FILE, "has no 'name'", 1)
        elif not _KEBAB.match(name):
            self.warn(
                MARKETPLACE_FILE,
                f"name {name!r} should be kebab-case (lowercase letters, digits, hyphens)",
                self.key_line("name"),
            )
        owner = marketplace.get("owner")
        if owner is None:
            self.error(MARKETPLACE_FILE, "has no 'owner' ({\"name\": …})", 1)
        elif not isinstance(owner, dict) or not isinstance(owner.get("name"), str):
            self.error(
                MARKETPLACE_FILE,
                "'owner' must be an object with a 'name'",
                self.key_line("owner"),
            )
        metadata = marketplace.get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            self.error(MARKETPLACE_FILE, "'metadata' must be an object", self.key_line("metadata"))

    def plugin_root(self, marketplace: dict[str, Any]) -> str | None:
        """``metadata.pluginRoot``, cleaned; ``None`` when the marketplace sets none."""
        metadata = marketplace.get("metadata")
        raw = metadata.get("pluginRoot") if isinstance(metadata, dict) else None
        if raw is None:
            return None
        if not isinstance(raw, str):
            self.error(
                MARKETPLACE_FILE,
                "metadata.pluginRoot must be a string",
                self.key_line("pluginRoot"),
            )
            return None
        try:
            return clean_path(raw)
        except UnsafePathError as exc:
            self.error(MARKETPLACE_FILE, f"metadata.pluginRoot: {exc}", self.key_line("pluginRoot"))
            return None

    def load_entry(
        self, index: int, entry: object, plugin_root: str | None, seen_names: set[str]
    ) -> Plugin | None:
        where = f"plugins[{index}]"
        if not isinstance(entry, dict):
            self.error(MARKETPLACE_FILE, f"{where} must be an object")
            return None
        name = entry.get("name")
        line = self.entry_line(name)
        if not isinstance(name, str) or not name:
            self.error(MARKETPLACE_FILE, f"{where} has no 'name'", line)
            return None
        if name in seen_names:
            self.error(
                MARKETPLACE_FILE, f"duplicate plugin name {name!r}; the first one is kept", line
            )
            return None
        seen_names.add(name)
        if not _KEBAB.match(name):
            self.warn(MARKETPLACE_FILE, f"plugin name {name!r} should be kebab-case", line)

        def broken(message: str, remote: bool = False, path: str | None = None) -> Plugin:
            self.error(MARKETPLACE_FILE, f"plugin {name!r}: {message}", line)
            return Plugin(
                name=name,
                source=entry.get("source"),
                path=path,
                remote=remote,
                published=True,
                loadable=False,
                version=_str_or_none(entry.get("version")),
                entry=entry,
            )

        problems = manifest_problems(entry, is_entry=True)
        source = entry.get("source")
        if source is None:
            return broken("has no 'source'")
        if isinstance(source, dict):
            kind = source.get("source")
            if kind not in REMOTE_SOURCES:
                return broken(
                    f"unknown source type {kind!r}; use a './path' or one of "
                    + ", ".join(sorted(REMOTE_SOURCES)),
                    remote=True,
                )
            missing = [k for k in REMOTE_SOURCES[kind] if not isinstance(source.get(k), str)]
            if missing:
                return broken(
                    f"{kind} source needs " + " and ".join(repr(m) for m in missing), remote=True
                )
            if problems:
                return broken("; ".join(problems), remote=True)
            return Plugin(
                name=name,
                source=source,
                path=None,
                remote=True,
                published=True,
                loadable=True,
                version=_str_or_none(entry.get("version")),
                entry=entry,
            )
        if not isinstance(source, str):
            return broken("'source' must be a './relative/path' or a source object")
        try:
            path = resolve_source(source, plugin_root)
        except UnsafePathError as exc:
            return broken(f"source {source!r}: {exc}")
        except ValueError as exc:
            return broken(str(exc))
        if self.tree.kind(path) is not EntryKind.DIR:
            return broken(f"source folder {source!r} does not exist", path=path)
        if problems:
            return broken("; ".join(problems), path=path)
        return self.load_plugin(name, path, entry, published=True, source=source, line=line)

    def load_unpublished(self, plugin_root: str, claimed: set[str], seen_names: set[str]) -> None:
        if self.tree.kind(plugin_root) is not EntryKind.DIR:
            return
        for item in self.tree.list_dir(plugin_root):
            if item.kind is not EntryKind.DIR or item.name.startswith("."):
                continue
            path = join(plugin_root, item.name)
            if path in claimed:
                continue
            name = item.name
            if name in seen_names:
                self.warn(
                    path,
                    f"unpublished group {name!r} has the name of a published plugin; it is ignored",
                )
                continue
            seen_names.add(name)
            self.plugins.append(
                self.load_plugin(name, path, {}, published=False, source=f"./{path}", line=None)
            )

    # -- one plugin -----------------------------------------------------------------------

    def load_plugin(
        self,
        name: str,
        path: str,
        entry: dict[str, Any],
        *,
        published: bool,
        source: Any,
        line: int | None,
    ) -> Plugin:
        manifest_path = join(path, PLUGIN_MANIFEST)
        manifest: dict[str, Any] = {}
        failed = False
        if self.tree.kind(manifest_path) is not None:
            parsed = self.read_json(manifest_path)
            if parsed is None:
                failed = True
            elif not isinstance(parsed[0], dict):
                self.error(manifest_path, "must be a JSON object", 1)
                failed = True
            else:
                manifest = parsed[0]
                for problem in manifest_problems(manifest, is_entry=False):
                    self.error(manifest_path, problem)
                    failed = True
                if not failed and manifest.get("name") not in (None, name) and published:
                    self.warn(
                        manifest_path,
                        f"plugin.json names the plugin {manifest.get('name')!r} "
                        f"but marketplace.json calls it {name!r}; {name!r} is used",
                    )
        strict = entry.get("strict", True)
        if not isinstance(strict, bool):
            self.error(MARKETPLACE_FILE, f"plugin {name!r}: 'strict' must be true or false", line)
            failed = True
        elif not strict and manifest:
            declared = [k for k in COMPONENT_KEYS if k in manifest]
            if declared:
                self.error(
                    MARKETPLACE_FILE,
                    f"plugin {name!r} has strict: false but its plugin.json also declares "
                    f"{', '.join(declared)}; Claude Code refuses conflicting manifests — "
                    "declare components in one place only",
                    line,
                )
                failed = True
        version = _str_or_none(manifest.get("version")) or _str_or_none(entry.get("version"))
        if failed:
            return Plugin(name, source, path, False, published, False, version, entry, manifest)

        skill_dirs = self.skill_dirs(path, entry, manifest if strict else {})
        found: list[Skill] = []
        version_file = manifest_path if manifest.get("version") else MARKETPLACE_FILE
        if version is not None and not semver.is_valid(version):
            self.warn(
                version_file, f"version {version!r} of {name!r} is not semver (MAJOR.MINOR.PATCH)"
            )
        tags = _str_tuple(entry.get("tags"))
        for tag in tags:
            if tag.startswith("surface:") and tag.split(":", 1)[1] not in SURFACES:
                self.warn(
                    MARKETPLACE_FILE,
                    f"plugin {name!r}: unknown surface tag {tag!r}; use one of "
                    + ", ".join(f"surface:{s}" for s in SURFACES),
                    line,
                )
        drafts = [d for d in (self.load_skill(d, direct, name) for d, direct in skill_dirs) if d]
        if version is None:
            version = self.content_version(drafts)
        for draft in drafts:
            skill = Skill(
                name=draft["name"],
                plugin=name,
                path=draft["path"],
                description=draft["description"],
                version=version,
                published=published,
                front_matter=draft["front_matter"],
                body=draft["body"],
                files=draft["files"],
                author=entry.get("author", manifest.get("author")),
                category=_str_or_none(entry.get("category")),
                tags=tags,
                keywords=_str_tuple(entry.get("keywords", manifest.get("keywords"))),
            )
            first = self.skills.get(skill.name)
            if first is not None:
                self.warn(
                    join(skill.path, SKILL_FILE),
                    f"duplicate skill name {skill.name!r}: already provided by "
                    f"{join(first.path, SKILL_FILE)} (plugin {first.plugin!r}), which wins",
                )
                continue
            self.skills[skill.name] = skill
            found.append(skill)
        return Plugin(
            name,
            source,
            path,
            False,
            published,
            True,
            version,
            entry,
            manifest,
            tuple(s.name for s in found),
        )

    def skill_dirs(
        self, plugin: str, entry: dict[str, Any], manifest: dict[str, Any]
    ) -> list[tuple[str, bool]]:
        """Folders holding a SKILL.md, each with whether it was named directly."""
        extra = [*_paths(entry.get("skills")), *_paths(manifest.get("skills"))]
        roots: list[tuple[str, bool]] = []  # (folder, listed explicitly)
        default = join(plugin, "skills")
        only_listed = plugin == "" and bool(_paths(entry.get("skills")))
        if not only_listed and self.tree.kind(default) is EntryKind.DIR:
            roots.append((default, False))
        for rel in extra:
            try:
                folder = join(plugin, rel)
            except UnsafePathError as exc:
                self.error(MARKETPLACE_FILE, f"skills path {rel!r}: {exc}")
                continue
            if self.tree.kind(folder) is not EntryKind.DIR:
                self.warn(folder or ".", f"skills path {rel!r} of {plugin or '.'} is not a folder")
                continue
            roots.append((folder, True))
        result: list[tuple[str, bool]] = []
        seen: set[str] = set()

        def add(folder: str, direct: bool) -> None:
            if folder not in seen:
                seen.add(folder)
                result.append((folder, direct))

        for folder, _explicit in roots:
            if self.tree.kind(join(folder, SKILL_FILE)) is EntryKind.FILE:
                add(folder, True)
                continue
            for item in self.tree.list_dir(folder):
                if item.kind is EntryKind.DIR:
                    child = join(folder, item.name)
                    listing = self.tree.list_dir(child)
                    if any(e.name == SKILL_FILE and e.kind is EntryKind.FILE for e in listing):
                        self._listings[child] = listing  # reused by skill_files
                        add(child, False)
                elif item.kind is EntryKind.ESCAPE:
                    self.warn(
                        join(folder, item.name),
                        "is a symlink pointing outside the marketplace; ignored",
                    )
        if not roots and self.tree.kind(join(plugin, SKILL_FILE)) is EntryKind.FILE:
            add(plugin, True)
        return result

    def load_skill(self, folder: str, direct: bool, plugin: str) -> dict[str, Any] | None:
        md_path = join(folder, SKILL_FILE)
        files = self.skill_files(folder)
        size = next((f.size for f in files if f.path == SKILL_FILE), None)
        if size is None:
            size = self.tree.size(md_path)  # over the file limit, so not listed
        if size > self.limits.max_skill_md_bytes:
            self.error(md_path, f"is {size} bytes; the limit is {self.limits.max_skill_md_bytes}")
            return None
        doc = parse_skill_md(self.tree.read_bytes(md_path))
        for problem in doc.problems:
            self.findings.append(Finding(problem.level, md_path, problem.line, problem.message))
        folder_name = folder.rsplit("/", 1)[-1] if folder else plugin
        name = doc.name if direct and doc.name else folder_name
        if doc.name and doc.name != folder_name:
            self.warn(
                md_path,
                f"front matter name {doc.name!r} differs from the folder name "
                f"{folder_name!r}; the skill is served as {name!r}",
                _first_line(doc, "name"),
            )
        if check_name(name) is not None and not (doc.name is None and direct):
            self.error(md_path, f"skill name {name!r} is not usable: {check_name(name)}")
        return {
            "name": name,
            "path": folder,
            "description": doc.description,
            "front_matter": doc.data,
            "body": doc.body,
            "files": files,
        }

    def skill_files(self, folder: str) -> tuple[SkillFile, ...]:
        files: list[SkillFile] = []
        limit = self.limits.max_files_per_skill
        stack: list[tuple[str, int]] = [("", 0)]
        while stack:
            rel, depth = stack.pop()
            here = join(folder, rel)
            listing = self._listings.pop(here, None)
            for item in listing if listing is not None else self.tree.list_dir(here):
                child = f"{rel}/{item.name}" if rel else item.name
                full = join(folder, child)
                if item.kind is EntryKind.DIR:
                    if item.name == ".git" or (child == ".claude-plugin"):
                        continue
                    if depth + 1 >= self.limits.max_depth:
                        self.warn(
                            full,
                            f"is nested deeper than {self.limits.max_depth} levels; not served",
                        )
                        continue
                    stack.append((child, depth + 1))
                elif item.kind is EntryKind.FILE:
                    if item.size > self.limits.max_file_bytes:
                        self.warn(
                            full,
                            f"is {item.size} bytes, over the {self.limits.max_file_bytes}-byte "
                            "file limit; it is not served",
                        )
                        continue
                    if len(files) >= limit:
                        self.warn(folder, f"has more than {limit} files; the rest are not served")
                        stack.clear()
                        break
                    files.append(SkillFile(child, item.size))
                elif item.kind is EntryKind.ESCAPE:
                    self.warn(
                        full,
                        "is a symlink pointing outside the marketplace (or nowhere); not served",
                    )
                else:
                    self.warn(full, "is not a regular file; not served")
        files.sort(key=lambda f: f.path)
        return tuple(files)

    def content_version(self, drafts: list[dict[str, Any]]) -> str:
        """A stable version for a plugin that declares none: a hash of its skills' content."""
        digest = hashlib.sha256()
        for draft in sorted(drafts, key=lambda d: d["path"]):
            for f in draft["files"]:
                digest.update(f"{draft['name']}/{f.path}\0{f.size}\0".encode())
                digest.update(self.tree.read_bytes(join(draft["path"], f.path)))
        return f"0.0.0+{digest.hexdigest()[:12]}"


def resolve_source(source: str, plugin_root: str | None) -> str:
    """Marketplace-relative folder of a local plugin source.

    ``./x`` is relative to the marketplace root; a bare ``x`` is relative to
    ``metadata.pluginRoot`` when the marketplace sets one, else to the root.
    """
    if source in (".", "./") or source.startswith("./"):
        return clean_path(source)
    if "/" not in source and ":" not in source and "\\" not in source and source not in ("", ".."):
        return join(plugin_root or "", source)
    if source.startswith("/"):
        raise UnsafePathError("must be relative to the marketplace, not absolute")
    if ".." in source.split("/"):
        raise UnsafePathError("must not contain '..'")
    raise ValueError(
        f"source {source!r} must start with './' (or be a bare folder name under pluginRoot)"
    )


def manifest_problems(data: dict[str, Any], *, is_entry: bool) -> list[str]:
    """Where a plugin.json (or a marketplace entry) breaks Claude Code's manifest schema."""
    problems: list[str] = []
    if not is_entry and not isinstance(data.get("name"), str):
        problems.append("'name' is required and must be a string")
    for key in ("version", "description", "homepage", "repository", "license", "category"):
        if key in data and not isinstance(data[key], str):
            problems.append(f"'{key}' must be a string")
    author = data.get("author")
    if "author" in data and not (isinstance(author, dict) and isinstance(author.get("name"), str)):
        problems.append("'author' must be an object with a 'name' (e.g. {\"name\": \"Ada\"})")
    for key in ("keywords", "tags"):
        if key in data and not (
            isinstance(data[key], list) and all(isinstance(v, str) for v in data[key])
        ):
            problems.append(f"'{key}' must be a list of strings")
    for key in COMPONENT_KEYS:
        if key not in data:
            continue
        value = data[key]
        if key in INLINE_COMPONENTS and isinstance(value, dict):
            continue
        paths = [value] if isinstance(value, str) else value
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            problems.append(f"'{key}' must be a path or a list of paths")
            continue
        for p in paths:
            if not p.startswith("./"):
                problems.append(f"'{key}' path {p!r} must start with './'")
            elif ".." in p.split("/"):
                problems.append(f"'{key}' path {p!r} must not contain '..'")
    return problems


def _paths(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _str_tuple(value: object) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def _first_line(doc: Any, key: str) -> int | None:
    return 2 if key in doc.data else None


def load_catalog(tree: Tree, limits: Limits | None = None) -> Catalog:
    """Load a marketplace tree into an immutable catalog. Never raises on bad content."""
    # Loading allocates hundreds of thousands of objects that all survive: the cyclic
    # collector would only re-scan them again and again (about 15% of a 10,000-skill load).
    paused = gc.isenabled()
    gc.disable()
    try:
        return _Loader(tree, limits or Limits()).load()
    finally:
        if paused:
            gc.enable()

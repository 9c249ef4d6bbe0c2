"""Plugin manifests and marketplace entries: Claude Code's schema and source rules, as
pure functions over parsed JSON."""

from __future__ import annotations

import re
from typing import Any

from .components import inline_problems
from .tree import UnsafePathError, clean_path, join

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
    name = data.get("name")
    if isinstance(name, str) and " " in name:
        problems.append("'name' cannot contain spaces; use kebab-case (e.g. 'my-plugin')")
    homepage = data.get("homepage")
    if isinstance(homepage, str) and not re.match(r"https?://[^\s/]+", homepage):
        problems.append("'homepage' must be a URL (https://…)")
    for key in COMPONENT_KEYS:
        if key in data:
            problems += component_problems(key, data[key])
    return problems


def component_problems(key: str, value: Any) -> list[str]:
    """A component field: paths starting with ``./``, or (hooks, mcpServers, lspServers)
    inline objects checked by :mod:`.components`; a list may mix both (not for hooks)."""
    inline = inline_problems(key, value) if key in INLINE_COMPONENTS else None
    if inline is not None:
        return inline
    problems: list[str] = []
    paths = [value] if isinstance(value, str) else value
    if isinstance(paths, list) and key in ("mcpServers", "lspServers"):
        for item in [v for v in paths if isinstance(v, dict)]:
            problems += inline_problems(key, item) or []
        paths = [v for v in paths if not isinstance(v, dict)]
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        return [f"'{key}' must be a path or a list of paths"]
    for p in paths:
        if not p.startswith("./"):
            problems.append(f"'{key}' path {p!r} must start with './'")
        elif ".." in p.split("/"):
            problems.append(f"'{key}' path {p!r} must not contain '..'")
    return problems


def path_list(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def str_tuple(value: object) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()

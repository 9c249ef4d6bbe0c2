"""Plugin manifests and marketplace entries: Claude Code's schema and source rules, as
pure functions over parsed JSON."""

from __future__ import annotations

from typing import Any

from . import manifest_fields as fields
from .checks import Verdict
from .components import component
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
#: Every component field of a plugin.json (COMPONENT_KEYS conflict with ``strict: false``).
COMPONENT_FIELDS = (
    *COMPONENT_KEYS,
    *("themes", "workflows", "monitors", "channels", "userConfig", "settings", "types"),
)
BASE_FIELDS = fields.BASE_FIELDS


def resolve_source(source: str, plugin_root: str | None) -> str:
    """Marketplace-relative folder of a local plugin source.

    ``./x`` is relative to the marketplace root; a bare ``x`` is relative to
    ``metadata.pluginRoot``, and Claude Code refuses one when the marketplace sets no
    usable pluginRoot (``plugin_root`` None).
    """
    if source in (".", "./") or source.startswith("./"):
        return clean_path(source)
    if "/" not in source and ":" not in source and "\\" not in source and source not in ("", ".."):
        if plugin_root is None:
            raise ValueError(
                f"bare source name {source!r:.80} needs metadata.pluginRoot (e.g. './plugins'); "
                "use './path' or set pluginRoot"
            )
        return join(plugin_root, source)
    if source.startswith("/"):
        raise UnsafePathError("must be relative to the marketplace, not absolute")
    if ".." in source.split("/"):
        raise UnsafePathError("must not contain '..'")
    raise ValueError(
        f"source {source!r} must start with './' (or be a bare folder name under pluginRoot)"
    )


def manifest_problems(data: dict[str, Any], *, is_entry: bool) -> list[str]:
    """Where a plugin.json (or a marketplace entry) breaks Claude Code's manifest schema:
    the errors for which Claude Code refuses the plugin."""
    return check_manifest(data, is_entry=is_entry).errors


def check_manifest(data: dict[str, Any], *, is_entry: bool) -> Verdict:
    """Claude Code's verdict on a plugin.json (or a marketplace entry): errors (the plugin
    is refused) and warnings (it loads, and the validator says what it ignores)."""
    verdict = Verdict()
    if not is_entry and "name" not in data:
        verdict.error("name", "is required (a string)")
    for key, value in data.items():
        if key in BASE_FIELDS:
            BASE_FIELDS[key](key, value, verdict)
        elif key in COMPONENT_FIELDS:
            component(key, value, data, verdict, extras=not is_entry)
        elif key == "experimental":
            fields.experimental(value, verdict)
    if is_entry:
        fields.entry_fields(data, verdict)
    else:
        fields.plugin_warnings(data, verdict)
    return verdict


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

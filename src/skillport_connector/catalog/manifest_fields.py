"""Claude Code's rules for a plugin manifest's descriptive fields (name, author, homepage,
dependencies, engines, …), its ``experimental`` block, and what ``claude plugin validate``
warns about without refusing the plugin (fields it ignores, missing metadata). Read from the
CLI's schema (2.1.x) and checked against the validator; pure functions over parsed JSON."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from . import lsp_rules
from .checks import CONTROL_OR_BIDI, Verdict, is_url, kind_of, string_map, strings
from .components import paths
from .network import network_warnings
from .ranges import is_range

Check = Callable[[str, Any, Verdict], None]
DEPENDENCY = re.compile(r"^[A-Za-z0-9][-A-Za-z0-9._]*(@[A-Za-z0-9][-A-Za-z0-9._]*)?(@\^[^@]*)?$")
PLUGIN_ID_PART = re.compile(r"^[A-Za-z0-9][-A-Za-z0-9._]*$")
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
BINARY_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9._-]*[a-z0-9_-])?$")
MAX_BINARIES = 16
#: Every field of a plugin.json Claude Code reads.
PLUGIN_FIELDS = frozenset(
    {
        "$schema",
        "name",
        "displayName",
        "version",
        "description",
        "author",
        "homepage",
        "repository",
        "license",
        "keywords",
        "defaultEnabled",
        "dependencies",
        "optionalDependencies",
        "metadata",
        "engines",
        "network",
        "hooks",
        "commands",
        "agents",
        "skills",
        "outputStyles",
        "themes",
        "workflows",
        "channels",
        "mcpServers",
        "lspServers",
        "monitors",
        "settings",
        "types",
        "userConfig",
        "binaries",
        "experimental",
    }
)
#: Fields that belong in the marketplace entry; in plugin.json they are ignored.
ENTRY_ONLY = frozenset(
    {
        "category",
        "source",
        "tags",
        "strict",
        "id",
        "relevance",
        "headers",
        "headersHelper",
    }
)
ENTRY_FIELDS = PLUGIN_FIELDS | {
    "source",
    "headers",
    "headersHelper",
    "category",
    "tags",
    "strict",
    "relevance",
}
#: Plugin-directory listing fields the validator checks elsewhere (not "unknown").
LISTING_FIELDS = frozenset(
    {
        "icon",
        "screenshots",
        "classification",
        "privacyPolicyUrl",
        "privacy_policy",
        "privacyPolicy",
        "supportUrl",
        "support",
        "bugs",
        "termsOfServiceUrl",
        "terms_of_service",
        "documentationUrl",
        "docs",
    }
)
EXPERIMENTAL_FIELDS = frozenset(
    {"themes", "monitors", "outputStyles", "evals", "syntaxHighlighting"}
)
#: Components still read at the top level, but meant to be declared under ``experimental``.
EXPERIMENTAL_AT_TOP = ("monitors", "themes")
HLJS_ID = re.compile(r"^[a-z][a-z0-9_-]*$")
HLJS_REMOTE = re.compile(
    r"^(npm:[@a-z0-9/._-]+(@[a-z0-9._+-]+)?|github:[\w.-]+/[\w.-]+@[\w./-]+#.+\.js)$"
)
HLJS_INTEGRITY = re.compile(r"^sha(256|384|512)-[A-Za-z0-9+/=]+$")


def _string(key: str, value: Any, verdict: Verdict) -> None:
    if not isinstance(value, str):
        verdict.error(key, f"must be a string, not {kind_of(value)}")


def _name(key: str, value: Any, verdict: Verdict) -> None:
    if not isinstance(value, str) or not value:
        verdict.error(key, "must be a non-empty string")
    elif " " in value:
        verdict.error(key, "cannot contain spaces; use kebab-case (e.g. 'my-plugin')")
    elif CONTROL_OR_BIDI.search(value):
        verdict.error(key, "cannot contain control or bidirectional-formatting characters")


def _author(key: str, value: Any, verdict: Verdict) -> None:
    if not isinstance(value, dict) or not isinstance(value.get("name"), str) or not value["name"]:
        verdict.error(key, 'must be an object with a \'name\' (e.g. {"name": "Ada"})')
        return
    for field in ("email", "url"):
        if field in value and not isinstance(value[field], str):
            verdict.error(f"{key}.{field}", "must be a string")


def _homepage(key: str, value: Any, verdict: Verdict) -> None:
    if not is_url(value):
        verdict.error(key, "must be a URL (https://…)")


def _strings(key: str, value: Any, verdict: Verdict) -> None:
    if not strings(value):
        verdict.error(key, "must be a list of strings")


def _boolean(key: str, value: Any, verdict: Verdict) -> None:
    if not isinstance(value, bool):
        verdict.error(key, "must be true or false")


def is_dependency(value: Any) -> bool:
    """``name``, ``name@marketplace`` or ``{"name": …, "marketplace": …}``."""
    if isinstance(value, str):
        return bool(DEPENDENCY.match(value))
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        return False
    marketplace = value.get("marketplace", "x")
    return bool(PLUGIN_ID_PART.match(value["name"])) and (
        isinstance(marketplace, str) and bool(PLUGIN_ID_PART.match(marketplace))
    )


def _dependencies(key: str, value: Any, verdict: Verdict) -> None:
    if not isinstance(value, list):
        verdict.error(key, "must be a list of plugin names")
        return
    for index, item in enumerate(value):
        if not is_dependency(item):
            verdict.error(f"{key}[{index}]", "must be 'name', 'name@marketplace' or {\"name\": …}")


def _engines(key: str, value: Any, verdict: Verdict) -> None:
    if not isinstance(value, dict):
        verdict.warn(
            key,
            f'must be an object such as {{"claude-code": ">=2.1.0"}}, not '
            f"{kind_of(value)}; it is ignored",
        )
    elif "claude-code" in value and not is_range(value["claude-code"]):
        verdict.error(f"{key}.claude-code", "must be a version range such as '>=2.1.0'")


def _ignored_unless_object(key: str, value: Any, verdict: Verdict) -> None:
    if not isinstance(value, dict):
        verdict.warn(key, f"must be an object, not {kind_of(value)}; it is ignored")


def _optional_dependencies(key: str, value: Any, verdict: Verdict) -> None:
    if not isinstance(value, list):
        verdict.warn(key, f"must be a list of plugin names, not {kind_of(value)}; it is ignored")
        return
    for index, item in enumerate(value):
        if not is_dependency(item):
            verdict.warn(f"{key}[{index}]", "must be a plugin name; it is ignored")


def _network(key: str, value: Any, verdict: Verdict) -> None:
    network_warnings(key, value, verdict)


def _binaries(key: str, value: Any, verdict: Verdict) -> None:
    if not isinstance(value, dict):
        verdict.warn(
            key, f'must map file names to {{"sha256": …}}, not {kind_of(value)}; it is ignored'
        )
        return
    valid = 0
    for name, spec in value.items():
        sha = spec.get("sha256") if isinstance(spec, dict) else None
        if BINARY_NAME.match(name) and isinstance(sha, str) and re.fullmatch(r"[0-9a-f]{64}", sha):
            valid += 1
        else:
            verdict.warn(
                f"{key}.{name:.64}",
                "needs a lowercase file name and a 64-character "
                "lowercase-hex 'sha256'; it is ignored",
            )
    if valid > MAX_BINARIES:
        verdict.warn(key, f"only the first {MAX_BINARIES} binaries are fetched")


BASE_FIELDS: dict[str, Check] = {
    "name": _name,
    "author": _author,
    "homepage": _homepage,
    "keywords": _strings,
    "defaultEnabled": _boolean,
    "dependencies": _dependencies,
    "optionalDependencies": _optional_dependencies,
    "engines": _engines,
    "metadata": _ignored_unless_object,
    "network": _network,
    "binaries": _binaries,
    **{
        k: _string
        for k in ("$schema", "displayName", "version", "description", "repository", "license")
    },
}


def _syntax_highlighting(where: str, value: Any, verdict: Verdict) -> None:
    languages = value.get("hljsLanguages") if isinstance(value, dict) else None
    if not isinstance(languages, list) or set(value) != {"hljsLanguages"} or len(languages) > 16:
        verdict.error(where, 'must be {"hljsLanguages": [...]} with at most 16 languages')
        return
    for index, item in enumerate(languages):
        ok = (
            isinstance(item, dict)
            and set(item) <= {"id", "remote", "integrity"}
            and isinstance(item.get("id"), str)
            and len(item["id"]) <= 64
            and bool(HLJS_ID.match(item["id"]))
            and ("remote" not in item or bool(HLJS_REMOTE.match(str(item["remote"]))))
            and ("integrity" not in item or bool(HLJS_INTEGRITY.match(str(item["integrity"]))))
        )
        if not ok:
            verdict.error(f"{where}.hljsLanguages[{index}]", "must be {id, remote?, integrity?}")


def experimental(value: Any, verdict: Verdict) -> None:
    """Components whose shape may still change: same rules under ``experimental``."""
    if not isinstance(value, dict):
        verdict.warn(
            "experimental", f"must be an object of components, not {kind_of(value)}; it is ignored"
        )
        return
    for key, item in value.items():
        where = f"experimental.{key:.64}"
        if key in ("themes", "outputStyles"):
            paths(key, item, verdict, where)
        elif key == "monitors":
            lsp_rules.monitors(where, item, verdict)
        elif key == "syntaxHighlighting":
            _syntax_highlighting(where, item, verdict)
        elif key == "evals" and not (isinstance(item, str) or strings(item)):
            verdict.error(where, "must be a folder or a list of folders")
        elif key not in EXPERIMENTAL_FIELDS:
            verdict.warn(where, "is not a field Claude Code reads; it is ignored")


def entry_fields(entry: dict[str, Any], verdict: Verdict) -> None:
    """What only a marketplace entry has (its ``source`` is checked by the loader)."""
    if "category" in entry:
        _string("category", entry["category"], verdict)
    if "tags" in entry:
        _strings("tags", entry["tags"], verdict)
    if "headers" in entry and not string_map(entry["headers"]):
        verdict.error("headers", "must be an object of strings")
    helper = entry.get("headersHelper")
    if "headersHelper" in entry and not (
        isinstance(helper, str)
        and len(helper) <= 500
        and not re.search(r"[^\x20-\x7e]| {4,}", helper)
    ):
        verdict.error("headersHelper", "must be printable ASCII of at most 500 characters")
    for key in entry:
        if key not in ENTRY_FIELDS:
            verdict.warn(key, "is not a field Claude Code reads; it is ignored")


def plugin_warnings(manifest: dict[str, Any], verdict: Verdict) -> None:
    """What the validator says about a plugin.json it accepts."""
    for key in manifest:
        if key in PLUGIN_FIELDS or key in LISTING_FIELDS:
            continue
        if key in ENTRY_ONLY:
            verdict.warn(key, "belongs in the marketplace entry, not plugin.json; it is ignored")
        else:
            verdict.warn(key, "is not a field Claude Code reads; it is ignored")
    for key in EXPERIMENTAL_AT_TOP:
        if key in manifest:
            verdict.warn(key, f"is experimental: declare it under 'experimental.{key}'")
    if verdict.errors:
        return
    name = manifest.get("name")
    if isinstance(name, str) and not KEBAB.match(name):
        verdict.warn(
            "name",
            f"{name!r:.80} is not kebab-case (lowercase letters, digits, "
            "hyphens); Claude.ai marketplace sync requires it",
        )
    for key, what in (
        ("version", "a version"),
        ("description", "a description"),
        ("author", "author information"),
    ):
        if not manifest.get(key):
            verdict.warn(key, f"is missing: Claude Code suggests {what}")

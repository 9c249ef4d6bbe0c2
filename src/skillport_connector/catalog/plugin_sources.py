"""Claude Code's rules for a marketplace entry's remote ``source`` object (``github``,
``url``, ``git-subdir``, ``npm``, ``archive``, ``command``): the connector lists such a
plugin without fetching it, and refuses the entries Claude Code refuses. Read from the
CLI's schema (2.1.x) and checked against ``claude plugin validate``; pure functions."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from .checks import is_positive_int, is_url

Rule = Callable[[Any], str | None]
SHA1 = re.compile(r"^[a-f0-9]{40}$")
SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
UNPRINTABLE = re.compile(r"[^\x20-\x7e]| {4,}")
MAX_COMMAND = 500
MAX_COMMAND_TIMEOUT = 600
NPM_REMOTE = re.compile(
    r"^(?:file|https?|git(?:\+https?|\+ssh)?|ssh|github|gitlab|bitbucket):", re.I
)
METADATA_HOSTS = frozenset({"metadata", "metadata.google.internal", "instance-data"})


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) else "must be a string"


def _non_empty(value: Any) -> str | None:
    return None if isinstance(value, str) and value else "must be a non-empty string"


def _commit(value: Any) -> str | None:
    ok = isinstance(value, str) and SHA1.match(value)
    return None if ok else "must be a full 40-character lowercase commit SHA"


def is_private_host(host: str) -> bool:
    """Loopback, link-local or a cloud metadata host: no archive is fetched from there."""
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost") or host in METADATA_HOSTS:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_link_local or address.is_unspecified


def _archive_url(value: Any) -> str | None:
    if not is_url(value):
        return "must be a URL"
    parts = urlsplit(value)
    if parts.scheme != "https" or is_private_host(parts.hostname or ""):
        return "must use https:// and not point at a loopback, link-local or metadata host"
    return None


def _npm_package(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a string"
    remote = NPM_REMOTE.match(value)
    return None if remote or ".." not in value else "must not contain '..'"


def _registry(value: Any) -> str | None:
    ok = is_url(value) and re.match(r"^https?://[^/\\]", value, re.I)
    return None if ok else "must be an http(s) URL"


def _command(value: Any) -> str | None:
    if not isinstance(value, str) or not value or len(value) > MAX_COMMAND:
        return f"must be a command of 1 to {MAX_COMMAND} characters"
    if UNPRINTABLE.search(value):
        return "must be printable ASCII without runs of 4 or more spaces"
    return None


def _timeout(value: Any) -> str | None:
    ok = is_positive_int(value) and value <= MAX_COMMAND_TIMEOUT
    return None if ok else f"must be a whole number of seconds, 1 to {MAX_COMMAND_TIMEOUT}"


def _digest(value: Any) -> str | None:
    ok = isinstance(value, str) and SHA256.match(value)
    return None if ok else "must be a 64-character hex SHA-256 digest"


def _mode(value: Any) -> str | None:
    return None if value in ("copy", "link") else "must be copy or link"


_GIT: dict[str, Rule] = {"ref": _text, "sha": _commit}
#: Per source type: its required fields, then every field's rule.
REMOTE_SOURCES: dict[str, tuple[tuple[str, ...], dict[str, Rule]]] = {
    "github": (("repo",), {"repo": _text, **_GIT}),
    "url": (("url",), {"url": _text, **_GIT}),
    "git-subdir": (("url", "path"), {"url": _text, "path": _non_empty, **_GIT}),
    "npm": (("package",), {"package": _npm_package, "version": _text, "registry": _registry}),
    "archive": (("url",), {"url": _archive_url, "sha256": _digest}),
    "command": (("command",), {"command": _command, "timeout": _timeout, "mode": _mode}),
}


def remote_source_problem(source: dict[str, Any]) -> str | None:
    """Why Claude Code refuses a remote source object, or None."""
    kind = source.get("source")
    if not isinstance(kind, str) or kind not in REMOTE_SOURCES:
        return f"unknown source type {kind!r:.60}; use a './path' or one of " + ", ".join(
            sorted(REMOTE_SOURCES)
        )
    required, rules = REMOTE_SOURCES[kind]
    missing = [k for k in required if k not in source]
    if missing:
        return f"{kind} source needs " + " and ".join(repr(m) for m in missing)
    for key, rule in rules.items():
        if key in source and (problem := rule(source[key])) is not None:
            return f"{kind} source: {key!r} {problem}"
    return None

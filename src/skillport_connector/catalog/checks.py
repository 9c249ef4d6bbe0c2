"""The building blocks of Claude Code's manifest rules: a :class:`Verdict` that collects
errors (Claude Code refuses the plugin) and warnings (it loads the plugin and says so), and
the value predicates its schema is made of. Pure functions over parsed JSON."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

#: Control and bidirectional-formatting characters Claude Code refuses in a plugin name.
CONTROL_OR_BIDI = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):(.*)$", re.DOTALL)
_SPECIAL_SCHEMES = ("http", "https", "ws", "wss", "ftp")


@dataclass(slots=True)
class Verdict:
    """What Claude Code says about one manifest: errors refuse it, warnings do not."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def error(self, where: str, message: str) -> None:
        self.errors.append(f"'{where}' {message}" if where else message)

    def warn(self, where: str, message: str) -> None:
        self.warnings.append(f"'{where}' {message}" if where else message)


_WHERE = re.compile(r"'([^'.\[]+)[^']*' ")


def field_of(message: str) -> str | None:
    """The top-level field a :class:`Verdict` message is about (``'author.name' …`` ->
    ``author``), or None when it names none."""
    m = _WHERE.match(message)
    return m.group(1) if m else None


def kind_of(value: Any) -> str:
    """A JSON value's type as a reader says it (``null``, ``array``, ``object``, …)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), "value")


def is_int(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == int(value)


def is_positive_int(value: Any) -> bool:
    return is_int(value) and value > 0


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def string_map(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


def is_url(value: Any) -> bool:
    """Whether a URL parser takes ``value`` as an absolute URL (what the schema's ``url()`` asks):
    a scheme, and a host for the schemes that need one."""
    if not isinstance(value, str):
        return False
    match = _SCHEME.match(value.strip())
    if match is None:
        return False
    scheme, rest = match[1].lower(), match[2]
    if scheme in _SPECIAL_SCHEMES:
        host = re.split(r"[/?#\\]", rest.lstrip("/\\"), maxsplit=1)[0].rsplit("@", 1)[-1]
        return bool(host.split(":")[0]) and not re.search(r"[\s<>^|%]", host)
    return True


def path_problem(value: Any, *, suffix: str = "") -> str | None:
    """Why ``value`` is not a ``./`` path (ending with ``suffix``, without ``..``), or None."""
    if not isinstance(value, str):
        return f"must be a path (a string), not {kind_of(value)}"
    if not value.startswith("./"):
        return f"path {value!r:.80} must start with './'"
    if suffix and not value.endswith(suffix):
        return f"path {value!r:.80} must end with {suffix!r}"
    if dotdot(value):
        return f"path {value!r:.80} must not contain '..'"
    return None


def dotdot(value: str) -> bool:
    """Whether a path has a ``..`` segment (Claude Code refuses those)."""
    return ".." in re.split(r"[\\/]", value)

"""SKILL.md parsing: YAML front matter with a real YAML parser, then the Agent Skills checks.

The original connector matched front matter with regular expressions and broke on quoted
values, ``|`` block scalars and CRLF files. Here the block between the ``---`` fences goes
through PyYAML's safe loader (the C one when available), so anything YAML allows works.
Problems are returned as :class:`Problem` values with a line number, never raised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

try:  # The C loader is ~10x faster; fall back to pure Python where libyaml is missing.
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[attr-defined]
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Loader = yaml.SafeLoader

NAME_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NAME_MAX = 64
DESCRIPTION_MAX = 1024
COMPATIBILITY_MAX = 500


@dataclass(frozen=True, slots=True)
class Problem:
    level: str  # "error" | "warning"
    line: int | None
    message: str


@dataclass(frozen=True, slots=True)
class SkillDocument:
    """A parsed SKILL.md: its front matter (as YAML gave it), its body, and what is wrong."""

    data: dict[str, Any]
    body: str
    problems: tuple[Problem, ...] = field(default=())

    @property
    def name(self) -> str | None:
        value = self.data.get("name")
        return value if isinstance(value, str) and value.strip() else None

    @property
    def description(self) -> str:
        value = self.data.get("description")
        if isinstance(value, str):
            return value.strip()
        if value is None or isinstance(value, dict | list):
            return ""
        return str(value)


def _decode(raw: bytes) -> tuple[str, list[Problem]]:
    problems: list[Problem] = []
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.append(Problem("error", line, "SKILL.md is not valid UTF-8"))
        text = raw.decode("utf-8", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n"), problems


def parse_skill_md(raw: bytes) -> SkillDocument:
    """Split and parse a SKILL.md. Never raises."""
    text, problems = _decode(raw)
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        problems.append(
            Problem(
                "error",
                1,
                "SKILL.md has no YAML front matter: start the file with a '---' line, "
                "then 'name:' and 'description:', then a closing '---'",
            )
        )
        return SkillDocument({}, text, tuple(problems))
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        problems.append(Problem("error", 1, "front matter is not closed: add a '---' line"))
        return SkillDocument({}, text, tuple(problems))
    yaml_text = "\n".join(lines[1:end])
    body = "\n".join(lines[end + 1 :]).lstrip("\n")
    try:
        data = yaml.load(yaml_text, Loader=_Loader) if yaml_text.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        context = getattr(exc, "context_mark", None)
        if context is not None and (mark is None or mark.line >= end - 1):
            # Found only at the end (an unclosed bracket or quote): point where it opened.
            mark = context
        # Clamp to the last line of the YAML block: never the closing fence.
        line = max(2, min(mark.line + 2, end)) if mark is not None else 2
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        problems.append(Problem("error", line, f"front matter is not valid YAML: {reason}"))
        return SkillDocument({}, body, tuple(problems))
    if not isinstance(data, dict):
        problems.append(
            Problem("error", 2, "front matter must be a YAML mapping (key: value lines)")
        )
        return SkillDocument({}, body, tuple(problems))
    data = {str(k): v for k, v in data.items()}
    key_lines = _key_lines(lines[1:end])
    problems.extend(_spec_problems(data, key_lines))
    return SkillDocument(data, body, tuple(problems))


def _key_lines(yaml_lines: list[str]) -> dict[str, int]:
    """File line of each top-level key, for findings that point at the right place."""
    found: dict[str, int] = {}
    for i, line in enumerate(yaml_lines):
        m = re.match(r"^([A-Za-z0-9_-]+)\s*:", line)
        if m:
            found.setdefault(m.group(1), i + 2)
    return found


def check_name(name: object) -> str | None:
    """Why ``name`` is not a valid Agent Skills name, or ``None`` when it is."""
    if not isinstance(name, str) or not name:
        return "name must be a non-empty string"
    if len(name) > NAME_MAX:
        return f"name is {len(name)} characters long; the limit is {NAME_MAX}"
    if not NAME_RE.match(name):
        return (
            f"name {name!r} must use only lowercase letters, digits and single hyphens, "
            "not starting or ending with a hyphen"
        )
    return None


def _spec_problems(data: dict[str, Any], key_lines: dict[str, int]) -> list[Problem]:
    problems: list[Problem] = []

    def at(key: str) -> int:
        return key_lines.get(key, 2)

    name = data.get("name")
    if "name" not in data:
        problems.append(Problem("error", 2, "front matter has no 'name'"))
    else:
        why = check_name(name)
        if why:
            problems.append(Problem("error", at("name"), why))

    desc = data.get("description")
    if "description" not in data:
        problems.append(Problem("error", 2, "front matter has no 'description'"))
    elif not isinstance(desc, str):
        problems.append(Problem("error", at("description"), "description must be a string"))
    elif not desc.strip():
        problems.append(Problem("error", at("description"), "description is empty"))
    elif len(desc) > DESCRIPTION_MAX:
        problems.append(
            Problem(
                "error",
                at("description"),
                f"description is {len(desc)} characters long; the limit is {DESCRIPTION_MAX}",
            )
        )

    if "compatibility" in data:
        comp = data["compatibility"]
        if not isinstance(comp, str):
            problems.append(Problem("error", at("compatibility"), "compatibility must be a string"))
        elif len(comp) > COMPATIBILITY_MAX:
            problems.append(
                Problem(
                    "error",
                    at("compatibility"),
                    f"compatibility is {len(comp)} characters long; "
                    f"the limit is {COMPATIBILITY_MAX}",
                )
            )

    if "metadata" in data:
        meta = data["metadata"]
        if not isinstance(meta, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in meta.items()
        ):
            problems.append(
                Problem(
                    "error",
                    at("metadata"),
                    "metadata must map strings to strings (quote numbers and booleans)",
                )
            )

    if "allowed-tools" in data:
        tools = data["allowed-tools"]
        ok = isinstance(tools, str) or (
            isinstance(tools, list) and all(isinstance(t, str) for t in tools)
        )
        if not ok:
            problems.append(
                Problem(
                    "error",
                    at("allowed-tools"),
                    "allowed-tools must be a string or a list of strings",
                )
            )

    if "license" in data and not isinstance(data["license"], str):
        problems.append(Problem("warning", at("license"), "license should be a string"))
    return problems

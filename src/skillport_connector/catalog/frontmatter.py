"""SKILL.md parsing: YAML front matter with a real YAML parser, then the Agent Skills checks.

The original connector matched front matter with regular expressions and broke on quoted
values, ``|`` block scalars and CRLF files. Here the block between the ``---`` fences goes
through PyYAML's safe loader (the C one when available), so anything YAML allows works.
Problems are returned as :class:`Problem` values with a line number, never raised.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..names import MAX_NAME_LENGTH, is_skill_name
from .data import DataError, load_yaml
from .limits import DEFAULT_LIMITS, Limits
from .model import Level

_FENCE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M)
DESCRIPTION_MAX = 1024
COMPATIBILITY_MAX = 500


@dataclass(frozen=True, slots=True)
class Problem:
    level: Level
    line: int | None
    message: str
    #: The front-matter key the problem concerns (Agent Skills checks), if any.
    key: str | None = None


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


def parse_skill_md(raw: bytes, limits: Limits = DEFAULT_LIMITS) -> SkillDocument:
    """Split and parse a SKILL.md. Never raises.

    The front matter becomes plain, bounded JSON data (:mod:`.data`): YAML aliases, odd
    tags, deep nesting and huge integers are errors; dates stay text.
    """
    text, problems = _decode(raw)
    # Split off only the front matter: bodies can be long and are kept whole.
    closing = _closing_fence(text)
    head = text[: closing.start()] if closing else text
    lines = head.split("\n")
    if not lines or lines[0].rstrip() != "---":
        problems.append(Problem("error", 1, _NO_FRONT_MATTER))
        return SkillDocument({}, text, tuple(problems))
    if closing is None:
        problems.append(Problem("error", 1, "front matter is not closed: add a '---' line"))
        return SkillDocument({}, text, tuple(problems))
    # lines = ["---", yaml lines..., ""]: the closing fence is file line len(lines).
    end = len(lines) - 1
    body = _body_after(text, closing)
    data = _front_matter(lines[1:end], end, limits, problems)
    if data is None:
        return SkillDocument({}, body, tuple(problems))
    found = _spec_problems(data)
    if found:
        # Line numbers are worked out only when there is something to point at.
        key_lines = _key_lines(lines[1:end])
        found = [
            Problem(p.level, key_lines.get(p.line, 2), p.message, p.line)
            if isinstance(p.line, str)
            else p
            for p in found
        ]
    problems.extend(found)
    return SkillDocument(data, body, tuple(problems))


def body_of(raw: bytes) -> str:
    """The body :func:`parse_skill_md` gives for ``raw``, without parsing the front
    matter (about a tenth of the time): what follows the closing fence, or the whole text
    when there is no closed front matter."""
    text, _ = _decode(raw)
    closing = _closing_fence(text)
    if closing is None or text[: closing.start()].split("\n", 1)[0].rstrip() != "---":
        return text
    return _body_after(text, closing)


def _closing_fence(text: str) -> re.Match[str] | None:
    """The line closing the front matter of a text that starts with ``---``, or None."""
    return _FENCE.search(text, 4) if text.startswith("---") else None


def _body_after(text: str, closing: re.Match[str]) -> str:
    """What follows the closing fence's line, blank lines before it dropped."""
    rest = text[closing.start() :]
    return rest.split("\n", 1)[1].lstrip("\n") if "\n" in rest else ""


_NO_FRONT_MATTER = (
    "SKILL.md has no YAML front matter: start the file with a '---' line, "
    "then 'name:' and 'description:', then a closing '---'"
)


def _front_matter(
    yaml_lines: list[str], end: int, limits: Limits, problems: list[Problem]
) -> dict[str, Any] | None:
    """The front matter as a mapping, or None with the reason added to ``problems``.
    ``end`` is the file line of the closing fence."""
    fast = simple_yaml(yaml_lines)
    yaml_text = "\n".join(yaml_lines)
    try:
        if fast is not None:
            data: Any = fast
        elif yaml_text.strip():
            data, warnings = load_yaml(yaml_text, limits)
            problems.extend(Problem("warning", line + 1, m) for line, m in warnings)
        else:
            data = {}
    except DataError as exc:
        line = max(2, min((exc.line or 1) + 1, end))
        problems.append(Problem("error", line, f"front matter {exc.message}"))
        return None
    except yaml.YAMLError as exc:
        problems.append(_yaml_problem(exc, end))
        return None
    if not isinstance(data, dict):
        problems.append(
            Problem("error", 2, "front matter must be a YAML mapping (key: value lines)")
        )
        return None
    return {str(k): v for k, v in data.items()}


def _yaml_problem(exc: yaml.YAMLError, end: int) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    context = getattr(exc, "context_mark", None)
    if context is not None and (mark is None or mark.line >= end - 1):
        # Found only at the end (an unclosed bracket or quote): point where it opened.
        mark = context
    # Clamp to the last line of the YAML block: never the closing fence.
    line = max(2, min(mark.line + 2, end)) if mark is not None else 2
    reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return Problem("error", line, f"front matter is not valid YAML: {reason}")


# -- a fast path for the front matter nearly every skill has ---------------------------------
#
# PyYAML builds its result in Python even with the C scanner: on a 10,000-skill
# marketplace that was the largest single cost of loading. Most front matter is a handful
# of ``key: plain text`` lines, sometimes a ``>``/``|`` block or a one-level ``metadata``
# map. ``simple_yaml`` parses exactly that subset and returns ``None`` for anything else,
# so PyYAML stays the authority; a property test checks both agree wherever this answers.

_KEY = re.compile(r"([A-Za-z][A-Za-z0-9_-]*):(?: (.*))?")
_CHILD = re.compile(r"( +)([A-Za-z][A-Za-z0-9_-]*):(?: (.*))?")
_BLOCK = re.compile(r"([>|])(-?)")
# YAML 1.1 words PyYAML turns into booleans or null; such values go the slow way.
_SPECIAL = {"yes", "no", "true", "false", "on", "off", "null", "~", "y", "n"}
_PLAIN_STOP = re.compile(r": |:$|\s#|\t|[\x00-\x1f\x7f-\x9f\ufeff\u2028\u2029]")
_QUOTE_BAD = re.compile(r"[\x00-\x1f\x7f-\x9f\ufeff\u2028\u2029\\]")


def _scalar(raw: str | None) -> str | None:
    """The string a simple one-line YAML value denotes, or ``None`` if it is not simple."""
    if raw is None:
        return None
    value = raw.rstrip(" ")
    if not value or value != value.lstrip(" "):
        return None
    first = value[0]
    if first in "'\"":
        if len(value) < 2 or value[-1] != first:
            return None
        inner = value[1:-1]
        if first in inner or _QUOTE_BAD.search(inner):
            return None
        return inner
    if not first.isalpha() or not first.isascii():
        return None
    if value.lower() in _SPECIAL or _PLAIN_STOP.search(value) or not value.isprintable():
        return None
    return value


def simple_yaml(lines: list[str]) -> dict[str, Any] | None:
    """Parse the simple subset of YAML front matter, or return ``None`` to defer to PyYAML."""
    data: dict[str, Any] = {}
    i, n = 0, len(lines)
    while i < n:
        m = _KEY.fullmatch(lines[i])
        if m is None:
            return None
        key, raw = m.group(1), m.group(2)
        if key in data or key.lower() in _SPECIAL:
            return None
        i += 1
        block = _BLOCK.fullmatch(raw.rstrip(" ")) if raw is not None else None
        children = []
        while i < n and lines[i].startswith(" "):
            children.append(lines[i])
            i += 1
        value: str | dict[str, str] | None
        if block is not None:
            value = _block_scalar(block, children, last=i >= n)
        elif children:
            value = _child_map(raw, children)
        else:
            value = _scalar(raw)
        if value is None:
            return None
        data[key] = value
    return data


def _block_scalar(block: re.Match[str], children: list[str], *, last: bool) -> str | None:
    """A ``>``/``|`` block's text (its indented ``children``), or ``None`` if not simple.
    ``last``: the block ends the front matter."""
    if not children:
        return None
    indent = len(children[0]) - len(children[0].lstrip(" "))
    parts = []
    for line in children:
        text = line[indent:]
        if line[:indent].strip(" ") or not text or text[0] in " \t" or text != text.rstrip():
            return None
        if not text.isprintable():
            return None
        parts.append(text)
    joined = (" " if block.group(1) == ">" else "\n").join(parts)
    # Clip chomping keeps the final line break, which the last line of the
    # front matter does not have (the text is joined without a trailing newline).
    return joined + "\n" if block.group(2) != "-" and not last else joined


def _child_map(raw: str | None, children: list[str]) -> dict[str, str] | None:
    """A one-level map of simple scalars (the indented ``children`` of a key with no
    value of its own), or ``None`` if not simple."""
    if raw is not None and raw.strip(" "):
        return None
    mapping: dict[str, str] = {}
    indent = None
    for line in children:
        cm = _CHILD.fullmatch(line)
        if cm is None:
            return None
        if indent is None:
            indent = cm.group(1)
        sub, value = cm.group(2), _scalar(cm.group(3))
        if cm.group(1) != indent or value is None or sub in mapping or sub.lower() in _SPECIAL:
            return None
        mapping[sub] = value
    return mapping


def _key_lines(yaml_lines: list[str]) -> dict[str, int]:
    """File line of each top-level key, for findings that point at the right place."""
    found: dict[str, int] = {}
    for i, line in enumerate(yaml_lines):
        m = re.match(r"^([A-Za-z0-9_-]+)\s*:", line)
        if m:
            found.setdefault(m.group(1), i + 2)
    return found


def _name_problem(name: object) -> str | None:
    """Why a front-matter name breaks the skill-name rule (:mod:`skillport_connector.names`)."""
    if is_skill_name(name):
        return None
    if not isinstance(name, str) or not name:
        return "name must be a non-empty string"
    if len(name) > MAX_NAME_LENGTH:
        return f"name is {len(name)} characters long; the limit is {MAX_NAME_LENGTH}"
    return (
        f"name {name!r:.80} must use only lowercase letters, digits and single hyphens, "
        "not starting or ending with a hyphen"
    )


def _description_problem(desc: object) -> str | None:
    if not isinstance(desc, str):
        return "description must be a string"
    if not desc.strip():
        return "description is empty"
    if len(desc) > DESCRIPTION_MAX:
        return f"description is {len(desc)} characters long; the limit is {DESCRIPTION_MAX}"
    return None


def _compatibility_problem(comp: object) -> str | None:
    if not isinstance(comp, str):
        return "compatibility must be a string"
    if len(comp) > COMPATIBILITY_MAX:
        return f"compatibility is {len(comp)} characters long; the limit is {COMPATIBILITY_MAX}"
    return None


def _metadata_problem(meta: object) -> str | None:
    if isinstance(meta, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in meta.items()
    ):
        return None
    return "metadata must map strings to strings (quote numbers and booleans)"


def _allowed_tools_problem(tools: object) -> str | None:
    if isinstance(tools, str) or (
        isinstance(tools, list) and all(isinstance(t, str) for t in tools)
    ):
        return None
    return "allowed-tools must be a string or a list of strings"


def _license_problem(value: object) -> str | None:
    return None if isinstance(value, str) else "license should be a string"


#: The Agent Skills checks, one per front-matter key: (key, required, level, check).
_KEY_CHECKS: tuple[tuple[str, bool, Level, Callable[[object], str | None]], ...] = (
    ("name", True, "error", _name_problem),
    ("description", True, "error", _description_problem),
    ("compatibility", False, "error", _compatibility_problem),
    ("metadata", False, "error", _metadata_problem),
    ("allowed-tools", False, "error", _allowed_tools_problem),
    ("license", False, "warning", _license_problem),
)


def _spec_problems(data: dict[str, Any]) -> list[Any]:
    """Agent Skills checks. A problem's ``line`` is the key it concerns, resolved later."""
    problems: list[Any] = []
    for key, required, level, check in _KEY_CHECKS:
        if key not in data:
            if required:
                problems.append(Problem("error", 2, f"front matter has no {key!r}"))
            continue
        why = check(data[key])
        if why:
            problems.append(Problem(level, key, why))
    return problems

"""The skill-name rule, in one place (Agent Skills: lowercase ASCII letters, digits and
single hyphens between them, at most 64 characters).

Used by the loader (a skill with another name is not served: it is a finding), the
editing plans, the REST path parameters, MCP and the installer's own copy in bash.
"""

from __future__ import annotations

import re

MAX_NAME_LENGTH = 64
#: ``fullmatch`` only: ``$`` in ``re.match`` would accept a trailing newline.
SKILL_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*", re.ASCII)
#: The same rule for the installer's bash ``[[ =~ ]]`` (which anchors nothing by itself).
SKILL_NAME_BASH = r"^[a-z0-9]+(-[a-z0-9]+)*$"


def is_skill_name(value: object) -> bool:
    """True when ``value`` is a valid skill (or group) name."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_NAME_LENGTH
        and SKILL_NAME.fullmatch(value) is not None
    )


def name_problem(value: object) -> str | None:
    """Why ``value`` is not a valid name, or None when it is."""
    if not isinstance(value, str) or not value:
        return "a name must be a non-empty string"
    if len(value) > MAX_NAME_LENGTH:
        return f"a name has at most {MAX_NAME_LENGTH} characters"
    if SKILL_NAME.fullmatch(value) is None:
        return (
            "a name uses only lowercase ASCII letters, digits and single hyphens "
            "between them (e.g. 'csv-profiler')"
        )
    return None


#: A plugin name in a qualified id: looser than the skill rule (real marketplaces use more).
MAX_PLUGIN_LENGTH = 128
PLUGIN_PART = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_PLUGIN_LENGTH - 1}}}", re.ASCII)
#: Separates plugin and skill in a qualified skill id (``plugin:skill``), as Claude Code does.
QUALIFIER = ":"
#: The longest reference :func:`ref_problem` accepts: a qualified ``plugin:skill`` id.
MAX_REF_LENGTH = MAX_PLUGIN_LENGTH + len(QUALIFIER) + MAX_NAME_LENGTH


def split_ref(value: str) -> tuple[str | None, str]:
    """``"plugin:skill"`` -> ``("plugin", "skill")``; a bare ``"skill"`` -> ``(None, "skill")``."""
    plugin, sep, name = value.partition(QUALIFIER)
    return (plugin, name) if sep else (None, value)


def ref_problem(value: object) -> str | None:
    """Why ``value`` is neither a skill name nor a qualified ``plugin:skill`` id, or None."""
    if not isinstance(value, str):
        return name_problem(value)
    plugin, name = split_ref(value)
    if plugin is not None and PLUGIN_PART.fullmatch(plugin) is None:
        return "the plugin part of 'plugin:skill' is a plugin name (letters, digits, . _ -)"
    return name_problem(name)

"""Semver version ranges as npm writes them (``>=2.1.0``, ``^2.1``, ``1.x || 2.x``,
``1.0.0 - 2.0.0``): whether a text is one. Claude Code reads ``engines["claude-code"]``
this way and refuses a plugin whose range it cannot read. Pure functions."""

from __future__ import annotations

import re

_PART = r"(?:0|[1-9]\d*|[xX*])"
_PRE = r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
_PARTIAL = rf"v?{_PART}(?:\.{_PART}(?:\.{_PART}{_PRE})?)?"
_COMPARATOR = re.compile(rf"^(?:<=|>=|<|>|=|~>?|\^)?\s*{_PARTIAL}$")
_HYPHEN = re.compile(rf"^{_PARTIAL}\s+-\s+{_PARTIAL}$")
MAX_RANGE = 256


def _comparator_set(text: str) -> bool:
    text = text.strip()
    if text in ("", "*", "x", "X") or _HYPHEN.match(text):
        return True
    # An operator may stand apart from its version (">= 1.2.3").
    joined = re.sub(r"(<=|>=|<|>|=|~>?|\^)\s+", r"\1", text)
    return all(_COMPARATOR.match(part) for part in joined.split())


def is_range(text: object) -> bool:
    """Whether ``text`` is a version range npm's semver can read."""
    if not isinstance(text, str) or len(text) > MAX_RANGE:
        return False
    return all(_comparator_set(part) for part in text.split("||"))

"""Semantic versions (semver.org 2.0.0), compared the way users expect updates to work.

Pre-releases sort below their release (``1.0.0-rc.1 < 1.0.0``); build metadata does not
change precedence, but a different build still counts as *different content*, which is
how content-hash versions (``0.0.0+sha.…``) signal an update.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

from .limits import DEFAULT_LIMITS

_SEMVER = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


#: Longer text is not taken for a version (and a 5,000-digit part would not fit an int).
MAX_VERSION_LENGTH = DEFAULT_LIMITS.max_version_chars


class InvalidVersion(ValueError):
    pass


def _match(text: object) -> re.Match[str] | None:
    if not isinstance(text, str) or len(text) > MAX_VERSION_LENGTH:
        return None
    return _SEMVER.match(text.strip())


@total_ordering
@dataclass(frozen=True, slots=True)
class Version:
    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()
    build: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Version:
        m = _match(text)
        if m is None:
            raise InvalidVersion(f"{text!r:.80} is not a semantic version (MAJOR.MINOR.PATCH)")
        pre = tuple(m.group(4).split(".")) if m.group(4) else ()
        build = tuple(m.group(5).split(".")) if m.group(5) else ()
        return cls(int(m.group(1)), int(m.group(2)), int(m.group(3)), pre, build)

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(self.prerelease)
        if self.build:
            text += "+" + ".".join(self.build)
        return text

    def _key(self) -> tuple[object, ...]:
        # A release (no pre-release) sorts after every pre-release of the same triple.
        pre: tuple[object, ...] = (
            (0, *(_pre_part(p) for p in self.prerelease)) if self.prerelease else (1,)
        )
        return (self.major, self.minor, self.patch, pre)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __lt__(self, other: Version) -> bool:
        return self._key() < other._key()

    def bump(self, part: str) -> Version:
        if part == "major":
            return Version(self.major + 1, 0, 0)
        if part == "minor":
            return Version(self.major, self.minor + 1, 0)
        if part == "patch":
            if self.prerelease:
                return Version(self.major, self.minor, self.patch)
            return Version(self.major, self.minor, self.patch + 1)
        raise ValueError(f"unknown bump type {part!r}: use major, minor or patch")


def _pre_part(part: str) -> tuple[int, int | str]:
    # Numeric identifiers sort before alphanumeric ones, numerically among themselves.
    return (0, int(part)) if part.isdigit() else (1, part)


def is_valid(text: object) -> bool:
    return _match(text) is not None


def is_newer(available: str, installed: str) -> bool:
    """Whether ``available`` should be offered as an update over ``installed``.

    Unparseable versions fall back to "different text means an update", so a
    marketplace with odd version strings still tells people something changed.
    """
    try:
        a, i = Version.parse(available), Version.parse(installed)
    except InvalidVersion:
        return available.strip() != installed.strip()
    if a != i:
        return a > i
    return a.build != i.build

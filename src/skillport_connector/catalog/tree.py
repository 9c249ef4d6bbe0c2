"""What the catalog reads a marketplace through: the :class:`Tree` protocol and its paths.

The catalog never touches the file system itself: it reads through a :class:`Tree`, so the
same rules apply to a local directory, a git snapshot or an in-memory fixture (the
implementations live in :mod:`skillport_connector.sources.tree` and
:mod:`skillport_connector.sources.gitrepo`). Every path crossing this boundary is a POSIX
path relative to the marketplace root, already normalised by :func:`clean_path`; a tree
never hands out anything that lies outside its root (a symlink pointing out is reported as
:attr:`EntryKind.ESCAPE`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import Enum
from typing import NamedTuple, Protocol, runtime_checkable


class UnsafePathError(ValueError):
    """A path that could reach outside the tree (``..``, absolute, NUL, backslash…)."""


class EntryKind(Enum):
    FILE = "file"
    DIR = "dir"
    #: A symlink whose target lies outside the tree, dangles, or loops: never followed.
    ESCAPE = "escape"
    #: Sockets, devices, FIFOs: never read.
    OTHER = "other"


class Entry(NamedTuple):
    """One directory entry (a tuple: tens of thousands are made while loading)."""

    name: str
    kind: EntryKind
    size: int = 0
    #: For a symlink that resolves inside the tree: the tree path it really names.
    target: str | None = None
    #: A file with an executable bit (git mode 100755, or ``x`` in a folder's file mode).
    executable: bool = False


# Already-clean paths (the common case) are recognised by one regex match.
_CLEAN = re.compile(r"(?!\.\.?(?:/|$))[^/\\\x00]+(?:/(?!\.\.?(?:/|$))[^/\\\x00]+)*")
# What a name may not contain to be served: control characters (CR/LF end up in headers),
# backslashes (a separator to Windows unzip tools) and the lone surrogates that stand for
# bytes that are not UTF-8.
_UNSERVABLE = re.compile(r"[\x00-\x1f\x7f\\\ud800-\udfff]")


def clean_path(path: str) -> str:
    """Normalise a relative POSIX path, refusing anything that could escape the root.

    ``""`` and ``"."`` mean the root itself. ``./a//b/`` becomes ``a/b``.
    """
    if _CLEAN.fullmatch(path):
        return path
    if "\x00" in path:
        raise UnsafePathError("path contains a NUL byte")
    if "\\" in path:
        raise UnsafePathError("path contains a backslash; use '/' as the separator")
    if path.startswith("/"):
        raise UnsafePathError("path must be relative, not absolute")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            raise UnsafePathError("path must not contain '..'")
        parts.append(part)
    return "/".join(parts)


def join(base: str, *more: str) -> str:
    """Join relative tree paths and normalise the result."""
    return clean_path("/".join(p for p in (base, *more) if p))


def is_within(path: str, folder: str) -> bool:
    """Whether clean ``path`` is ``folder`` itself or lies under it (``""`` is the root)."""
    return not folder or path == folder or path.startswith(folder + "/")


def name_is_servable(name: str) -> bool:
    """Whether a file or folder name can be served: valid UTF-8, no control characters,
    no backslash."""
    return _UNSERVABLE.search(name) is None


def shown(path: str) -> str:
    """A path as findings show it: bytes that are not UTF-8 become ``\\xNN`` escapes."""
    if name_is_servable(path):
        return path
    try:
        text = path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that does not stand for a byte
        text = path.encode("utf-8", "backslashreplace").decode("utf-8")
    return re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\x{ord(m.group()):02x}", text)


class Tree(Protocol):
    """What the catalog needs from a marketplace tree."""

    def kind(self, path: str) -> EntryKind | None:
        """The kind of the entry at ``path``, or ``None`` when nothing is there."""

    def list_dir(self, path: str) -> list[Entry]:
        """Entries of a directory, sorted by name. Raises ``NotADirectoryError``."""

    def size(self, path: str) -> int:
        """Size in bytes of a file."""

    def read_bytes(self, path: str) -> bytes:
        """Whole content of a file. Callers check :meth:`size` against their limits first."""

    def resolve(self, path: str) -> str | None:
        """The tree path ``path`` really names once symlinks are followed; ``None`` when it
        names nothing inside the tree."""


@runtime_checkable
class Listed(Protocol):
    """A tree listed whole up front (a git snapshot), which stops at a bound."""

    #: The tree holds more files and folders than were listed.
    truncated: bool
    #: Why the listing stopped early (git refused the rest), or None.
    problem: str | None


#: Files named to :meth:`ReadsAhead.read_ahead` at a time (runs of SKILL.md files).
READ_AHEAD_RUN = 4096


@runtime_checkable
class ReadsAhead(Protocol):
    """A tree that reads many files faster together than one by one (a git snapshot: one
    pipelined pass through ``git cat-file`` instead of a round trip a file)."""

    def read_ahead(
        self, paths: Iterable[str], max_bytes: int, max_file_bytes: int | None = None
    ) -> None:
        """A hint that ``paths`` are about to be read: fetch the files among them (at most
        ``max_bytes`` in all, none larger than ``max_file_bytes``: those are never read)
        so the next :meth:`Tree.read_bytes` of each answers from memory, once. What was
        read ahead before and not read since is dropped."""

"""Read-only views of a marketplace tree.

The catalog never touches the file system itself: it reads through a :class:`Tree`,
so the same rules apply to a local directory, a git snapshot or an in-memory fixture.
Every path crossing this boundary is a POSIX path relative to the marketplace root,
already normalised by :func:`clean_path`; a tree never hands out anything that lies
outside its root (a symlink pointing out is reported as :attr:`EntryKind.ESCAPE`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Protocol


class UnsafePathError(ValueError):
    """A path that could reach outside the tree (``..``, absolute, NUL, backslash…)."""


class EntryKind(Enum):
    FILE = "file"
    DIR = "dir"
    #: A symlink whose target lies outside the tree, dangles, or loops: never followed.
    ESCAPE = "escape"
    #: Sockets, devices, FIFOs: never read.
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    kind: EntryKind
    size: int = 0


def clean_path(path: str) -> str:
    """Normalise a relative POSIX path, refusing anything that could escape the root.

    ``""`` and ``"."`` mean the root itself. ``./a//b/`` becomes ``a/b``.
    """
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


class DirectoryTree:
    """A marketplace in a local directory.

    Symlinks are followed only while their target stays inside the root; a link out of
    the tree, a dangling link or a loop shows up as :attr:`EntryKind.ESCAPE` and is never read.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve(strict=True)
        if not self.root.is_dir():
            raise NotADirectoryError(f"{root} is not a directory")
        self._root_str = str(self.root)

    def __repr__(self) -> str:
        return f"DirectoryTree({self._root_str!r})"

    def _resolve(self, path: str) -> Path | None:
        """The real location of ``path`` if it exists inside the root, else ``None``."""
        rel = clean_path(path)
        candidate = self.root / rel if rel else self.root
        try:
            real = candidate.resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        real_str = str(real)
        if real_str != self._root_str and not real_str.startswith(self._root_str + os.sep):
            return None
        return real

    def kind(self, path: str) -> EntryKind | None:
        rel = clean_path(path)
        candidate = self.root / rel if rel else self.root
        try:
            st = candidate.lstat()
        except OSError:
            return None
        if stat.S_ISLNK(st.st_mode):
            real = self._resolve(rel)
            if real is None:
                return EntryKind.ESCAPE
            st = real.stat()
        return _kind_of(st.st_mode)

    def list_dir(self, path: str) -> list[Entry]:
        real = self._resolve(path)
        if real is None or not real.is_dir():
            raise NotADirectoryError(path or ".")
        entries: list[Entry] = []
        with os.scandir(real) as it:
            for item in it:
                try:
                    if item.is_symlink():
                        target = self._resolve(join(path, item.name))
                        if target is None:
                            entries.append(Entry(item.name, EntryKind.ESCAPE))
                            continue
                        st = target.stat()
                    else:
                        st = item.stat(follow_symlinks=False)
                except OSError:
                    entries.append(Entry(item.name, EntryKind.ESCAPE))
                    continue
                kind = _kind_of(st.st_mode)
                entries.append(Entry(item.name, kind, st.st_size if kind is EntryKind.FILE else 0))
        entries.sort(key=lambda e: e.name)
        return entries

    def size(self, path: str) -> int:
        real = self._resolve(path)
        if real is None or not real.is_file():
            raise FileNotFoundError(path)
        return real.stat().st_size

    def read_bytes(self, path: str) -> bytes:
        real = self._resolve(path)
        if real is None or not real.is_file():
            raise FileNotFoundError(path)
        return real.read_bytes()


class MemoryTree:
    """An in-memory tree, for tests and for validating a tree before it is written."""

    def __init__(self, files: dict[str, bytes | str]) -> None:
        self._files: dict[str, bytes] = {}
        self._dirs: set[str] = {""}
        for raw_path, content in files.items():
            path = clean_path(raw_path)
            self._files[path] = content.encode() if isinstance(content, str) else content
            parts = path.split("/")
            for i in range(1, len(parts)):
                self._dirs.add("/".join(parts[:i]))

    def kind(self, path: str) -> EntryKind | None:
        rel = clean_path(path)
        if rel in self._files:
            return EntryKind.FILE
        if rel in self._dirs:
            return EntryKind.DIR
        return None

    def list_dir(self, path: str) -> list[Entry]:
        rel = clean_path(path)
        if rel not in self._dirs:
            raise NotADirectoryError(path or ".")
        prefix = f"{rel}/" if rel else ""
        seen: dict[str, Entry] = {}
        for f, data in self._files.items():
            if f.startswith(prefix):
                name, _, rest = f[len(prefix) :].partition("/")
                if rest:
                    seen.setdefault(name, Entry(name, EntryKind.DIR))
                else:
                    seen[name] = Entry(name, EntryKind.FILE, len(data))
        return [seen[k] for k in sorted(seen)]

    def size(self, path: str) -> int:
        return len(self.read_bytes(path))

    def read_bytes(self, path: str) -> bytes:
        try:
            return self._files[clean_path(path)]
        except KeyError:
            raise FileNotFoundError(path) from None

    def walk_files(self) -> Iterator[str]:
        yield from sorted(self._files)


def _kind_of(mode: int) -> EntryKind:
    if stat.S_ISREG(mode):
        return EntryKind.FILE
    if stat.S_ISDIR(mode):
        return EntryKind.DIR
    return EntryKind.OTHER

"""Trees over a local directory and over memory: implementations of the catalog's
:class:`~skillport_connector.catalog.tree.Tree` protocol.

The protocol, :class:`Entry`, :class:`EntryKind` and the path rules belong to the catalog
(:mod:`skillport_connector.catalog.tree`); they are re-exported here for callers that
import them from the sources.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from ..catalog.tree import (
    Entry,
    EntryKind,
    Tree,
    UnsafePathError,
    clean_path,
    join,
)

__all__ = [
    "DirectoryTree",
    "Entry",
    "EntryKind",
    "MemoryTree",
    "Tree",
    "UnsafePathError",
    "clean_path",
    "join",
]


_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class DirectoryTree:
    """A marketplace in a local directory.

    Symlinks are followed only while their target stays inside the root; a link out of
    the tree, a dangling link or a loop shows up as :attr:`EntryKind.ESCAPE` and is never read.

    Resolving every path with ``realpath`` costs several system calls per component, which
    dominated loading a 10,000-skill tree; instead, directories already proven to lie inside
    the root are remembered, and only a path's last component is checked (one ``lstat``),
    with a full ``realpath`` only for symlinks.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve(strict=True)
        if not self.root.is_dir():
            raise NotADirectoryError(f"{root} is not a directory")
        self._root_str = str(self.root)
        self._dirs: dict[str, str] = {"": self._root_str}

    def __repr__(self) -> str:
        return f"DirectoryTree({self._root_str!r})"

    def _inside(self, real: str) -> bool:
        return real == self._root_str or real.startswith(self._root_str + os.sep)

    def _locate(self, rel: str) -> tuple[str, os.stat_result] | None:
        """Real location and stat of a clean relative path, if it exists inside the root.

        Starts from the deepest folder already located and checks one component at a
        time (no recursion, so any depth of path is fine)."""
        if rel in self._dirs:
            try:
                return self._dirs[rel], os.stat(self._dirs[rel])
            except OSError:
                return None
        parts = rel.split("/")
        known = len(parts) - 1
        while known > 0 and "/".join(parts[:known]) not in self._dirs:
            known -= 1
        base = self._dirs["/".join(parts[:known])]
        located: tuple[str, os.stat_result] | None = None
        for i in range(known, len(parts)):
            if located is not None:
                if not stat.S_ISDIR(located[1].st_mode):
                    return None
                base = located[0]
            located = self._step(base, "/".join(parts[: i + 1]), parts[i])
            if located is None:
                return None
        return located

    def _step(self, base: str, rel: str, name: str) -> tuple[str, os.stat_result] | None:
        """Locate ``name`` inside the real folder ``base``; ``rel`` is its tree path."""
        full = f"{base}/{name}"
        try:
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                full = os.path.realpath(full)
                if not self._inside(full):
                    return None
                st = os.stat(full)
        except (OSError, ValueError):
            return None
        if stat.S_ISDIR(st.st_mode):
            self._dirs[rel] = full
        return full, st

    def kind(self, path: str) -> EntryKind | None:
        rel = clean_path(path)
        located = self._locate(rel)
        if located is not None:
            return _kind_of(located[1].st_mode)
        parent, _, name = rel.rpartition("/")
        base = self._locate(parent)
        if base is not None and os.path.lexists(os.path.join(base[0], name)):
            return EntryKind.ESCAPE  # a link out of the tree, dangling, or looping
        return None

    def list_dir(self, path: str) -> list[Entry]:
        rel = clean_path(path)
        real = self._dirs.get(rel)
        if real is None:
            located = self._locate(rel)
            if located is None or not stat.S_ISDIR(located[1].st_mode):
                raise NotADirectoryError(path or ".")
            real = located[0]
        entries: list[Entry] = []
        try:
            it = os.scandir(real)
        except OSError:
            raise NotADirectoryError(path or ".") from None
        with it:
            for item in it:
                name = item.name
                try:
                    if item.is_symlink():
                        target = self._locate(f"{rel}/{name}" if rel else name)
                        if target is None:
                            entries.append(Entry(name, EntryKind.ESCAPE))
                            continue
                        kind = _kind_of(target[1].st_mode)
                        size = target[1].st_size if kind is EntryKind.FILE else 0
                        entries.append(
                            Entry(
                                name, kind, size, self._relative(target[0]),
                                _executable(target[1].st_mode),
                            )
                        )  # fmt: skip
                        continue
                    elif item.is_dir(follow_symlinks=False):
                        self._dirs[f"{rel}/{name}" if rel else name] = f"{real}/{name}"
                        entries.append(Entry(name, EntryKind.DIR))
                        continue
                    else:
                        st = item.stat(follow_symlinks=False)
                        kind = _kind_of(st.st_mode)
                        size = st.st_size
                except OSError:
                    entries.append(Entry(name, EntryKind.ESCAPE))
                    continue
                if kind is EntryKind.FILE:
                    entries.append(Entry(name, kind, size, None, _executable(st.st_mode)))
                else:
                    entries.append(Entry(name, kind))
        entries.sort()
        return entries

    def _relative(self, real: str) -> str:
        return real[len(self._root_str) + 1 :] if real != self._root_str else ""

    def resolve(self, path: str) -> str | None:
        located = self._locate(clean_path(path))
        return None if located is None else self._relative(located[0])

    def size(self, path: str) -> int:
        located = self._locate(clean_path(path))
        if located is None or not stat.S_ISREG(located[1].st_mode):
            raise FileNotFoundError(path)
        return located[1].st_size

    def read_bytes(self, path: str) -> bytes:
        located = self._locate(clean_path(path))
        if located is None or not stat.S_ISREG(located[1].st_mode):
            raise FileNotFoundError(path)
        # O_NOFOLLOW: a file swapped for a symlink after the check is refused, not followed.
        try:
            fd = os.open(located[0], os.O_RDONLY | _O_NOFOLLOW)
        except OSError:
            raise FileNotFoundError(path) from None
        try:
            chunks = []
            while chunk := os.read(fd, max(located[1].st_size + 1, 65536)):
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            os.close(fd)


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

    def resolve(self, path: str) -> str | None:
        return clean_path(path) if self.kind(path) is not None else None

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


def _executable(mode: int) -> bool:
    return stat.S_ISREG(mode) and bool(mode & 0o111)

"""Reading a marketplace tree for the loader: every read within the limits, every problem
a finding (never an exception), and a budget on the directory entries looked at."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from .checks import field_of
from .data import DataError, parse_json
from .jsonlines import entry_key_lines
from .limits import Limits
from .model import Finding, Level
from .tree import Entry, EntryKind, ReadsAhead, Tree, UnsafePathError, shown

_NAME_KEY = re.compile(r'"name"\s*:\s*("(?:[^"\\]|\\.)*")')


class RepoReader:
    """Findings and bounded reads shared by the loader's stages."""

    def __init__(self, tree: Tree, limits: Limits) -> None:
        self.tree = tree
        self.limits = limits
        self.findings: list[Finding] = []
        self.marketplace_text = ""
        self._entry_lines: dict[str, int] | None = None
        self._key_lines: dict[tuple[int, str], int] | None = None
        self._listings: dict[str, list[Entry]] = {}
        self._entries = 0

    # -- findings -------------------------------------------------------------------------

    def report(self, level: Level, file: str, message: str, line: int | None = None) -> None:
        self.findings.append(Finding(level, shown(file), line, shown(message)))

    def error(self, file: str, message: str, line: int | None = None) -> None:
        self.report("error", file, message, line)

    def warn(self, file: str, message: str, line: int | None = None) -> None:
        self.report("warning", file, message, line)

    def entry_line(self, name: object) -> int | None:
        """Line of a plugin entry in marketplace.json, found by its name."""
        if not isinstance(name, str):
            return None
        if self._entry_lines is None:
            # One pass over the file: a search per entry would be quadratic.
            self._entry_lines = {}
            text = self.marketplace_text
            line, pos = 1, 0
            for m in _NAME_KEY.finditer(text):
                line += text.count("\n", pos, m.start())
                pos = m.start()
                try:
                    value = json.loads(m.group(1))
                except ValueError:
                    continue
                self._entry_lines.setdefault(value, line)
        return self._entry_lines.get(name)

    def field_line(self, index: int, message: str) -> int | None:
        """Line of the field of ``plugins[index]`` a :class:`.checks.Verdict` message is
        about, when the scan of marketplace.json found it."""
        if self._key_lines is None:
            self._key_lines = entry_key_lines(self.marketplace_text)
        key = field_of(message)
        return self._key_lines.get((index, key)) if key is not None else None

    def key_line(self, key: str) -> int | None:
        m = re.search(r'"' + re.escape(key) + r'"\s*:', self.marketplace_text)
        return self.marketplace_text.count("\n", 0, m.start()) + 1 if m else None

    # -- reading --------------------------------------------------------------------------

    def list_dir(self, path: str) -> list[Entry]:
        """A directory's entries, counted against ``Limits.max_entries``; [] past it."""
        listing = self._listings.pop(path, None)
        if listing is not None:
            return listing
        if self._entries > self.limits.max_entries:
            return []
        try:
            listing = self.tree.list_dir(path)
        except OSError:
            return []
        self._entries += len(listing)
        if self._entries > self.limits.max_entries:
            self.too_many_entries(path)
            return []
        return listing

    def too_many_entries(self, path: str) -> None:
        self.error(
            path or ".",
            f"the marketplace has more than {self.limits.max_entries} files and folders; "
            "the rest is not loaded",
        )

    def kind(self, path: str) -> EntryKind | None:
        try:
            return self.tree.kind(path)
        except (OSError, UnsafePathError):
            return None

    def read_ahead(self, paths: Iterable[str], limit: int | None = None) -> None:
        """Tell a tree that reads many files faster together (git) which are next (files
        over ``limit`` bytes are never read: not those); no paths: drop what is left."""
        if isinstance(self.tree, ReadsAhead):
            self.tree.read_ahead(paths, self.limits.read_ahead_bytes, limit)

    def read(self, path: str, limit: int) -> bytes | None:
        """A file's bytes within ``limit``; a finding and ``None`` otherwise."""
        try:
            size = self.tree.size(path)
            if size > limit:
                self.error(path, f"is {size} bytes; the limit is {limit}")
                return None
            return self.tree.read_bytes(path)
        except OSError:
            self.error(path, "cannot be read (it is not a regular file inside the marketplace)")
            return None

    def read_json(self, path: str, max_bytes: int | None = None) -> tuple[Any, str] | None:
        """Parse a JSON file (a manifest's size limit unless told); a finding and ``None``
        when it cannot be read."""
        limit = self.limits.max_manifest_bytes if max_bytes is None else max_bytes
        raw = self.read(path, limit)
        if raw is None:
            return None
        try:
            return parse_json(raw, self.limits, limit)
        except DataError as exc:
            self.error(path, exc.message, exc.line)
            return None

"""Change a JSON document in place, keeping the rest of the text as written.

An editor's commit should be a diff a reviewer reads at a glance: a version bump is one
line, publishing a group adds its entry, deleting one removes it, never a reflow of the
whole ``marketplace.json``. :func:`rewrite` turns the old document into the new one with
the fewest text edits it can (a value replaced, a key or list item added or removed), found
by a small bounded scanner; :func:`replace_value` and :func:`patched` change one value.
Pure logic, no I/O.
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

MAX_DEPTH = 64
_WS = re.compile(r"[ \t\r\n]*")
_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"')
_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null")

Path = tuple[str | int, ...]


class NotFoundInText(ValueError):
    """The path names no value in the document (or the text is not plain JSON)."""


class Member(NamedTuple):
    """One member of an object (or item of a list): where it starts and its value's span."""

    key: str | int
    start: int  # the key's opening quote (an item's first character)
    value_start: int
    value_end: int


def replace_value(text: str, path: Path, value: Any) -> str:
    """``text`` with the value at ``path`` replaced by ``value`` (as compact JSON)."""
    start, end = _Scanner(text).find(path)
    return text[:start] + json.dumps(value, ensure_ascii=False) + text[end:]


def patched(raw: bytes, path: Path, value: Any, expected: Any) -> bytes | None:
    """``raw`` with the value at ``path`` set to ``value``, byte-order mark and formatting
    kept, when the result parses to ``expected``; None when the text cannot be patched so
    (the path is absent, a key is duplicated…): the caller then writes the data anew."""
    try:
        text, bom = _decode(raw)
        out = replace_value(text, path, value)
        if not same(json.loads(out), expected):
            return None
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return (bom + out).encode()


def rewrite(raw: bytes, new: Any) -> bytes | None:
    """``raw`` (a JSON document) edited into ``new`` with minimal text changes, its
    formatting and byte-order mark kept; None when that cannot be done safely (not plain
    JSON, duplicated keys…): the caller then writes ``new`` anew."""
    try:
        text, bom = _decode(raw)
        out = _Editor(text).apply(json.loads(text), new)
        if not same(json.loads(out), new):
            return None
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return (bom + out).encode()


def same(a: Any, b: Any) -> bool:
    """JSON equality that tells ``true`` from ``1`` and ``1.0`` from ``1``."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _decode(raw: bytes) -> tuple[str, str]:
    bom = "\ufeff" if raw.startswith(b"\xef\xbb\xbf") else ""
    return raw.decode("utf-8-sig"), bom


class _Editor:
    """Applies the difference between two documents to the text of the first, one edit at
    a time (each re-scans the text: files are small, edits few)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def apply(self, old: Any, new: Any, path: Path = ()) -> str:
        if len(path) >= MAX_DEPTH:
            raise NotFoundInText("path too deep")
        if same(old, new):
            pass
        elif isinstance(old, dict) and isinstance(new, dict) and old:
            self._objects(old, new, path)
        elif isinstance(old, list) and isinstance(new, list) and old:
            self._lists(old, new, path)
        else:
            self.text = replace_value(self.text, path, new)
        return self.text

    def _objects(self, old: dict[str, Any], new: dict[str, Any], path: Path) -> None:
        for key in [k for k in old if k not in new]:
            self._remove(path, key)
        for key in [k for k in new if k in old]:
            self.apply(old[key], new[key], (*path, key))
        for key in [k for k in new if k not in old]:
            self._add(path, key, new[key])

    def _lists(self, old: list[Any], new: list[Any], path: Path) -> None:
        kept = _subsequence(old, new)
        if kept is not None:  # items removed, the rest unchanged
            for index in reversed([i for i in range(len(old)) if i not in kept]):
                self._remove(path, index)
        elif len(new) > len(old) and all(same(a, b) for a, b in zip(old, new, strict=False)):
            for item in new[len(old) :]:  # items appended
                self._add(path, None, item)
        elif len(new) == len(old):
            for index, (a, b) in enumerate(zip(old, new, strict=True)):
                self.apply(a, b, (*path, index))
        else:
            self.text = replace_value(self.text, path, new)

    def _remove(self, path: Path, key: str | int) -> None:
        members = _Scanner(self.text).members(path)
        index = next(i for i, m in enumerate(members) if m.key == key)
        member = members[index]
        if len(members) == 1:
            self.text = replace_value(self.text, path, {} if isinstance(key, str) else [])
            return
        if index > 0:
            start, end = members[index - 1].value_end, member.value_end
        else:
            start, end = member.start, members[1].start
        self.text = self.text[:start] + self.text[end:]

    def _add(self, path: Path, key: str | None, value: Any) -> None:
        """Add ``key: value`` to the object (``key`` None: ``value`` to the list) at
        ``path``, after its last member, indented like it."""
        scanner = _Scanner(self.text)
        members = scanner.members(path)
        if not members:
            self.text = replace_value(self.text, path, [value] if key is None else {key: value})
            return
        last = members[-1]
        indent = _line_indent(self.text, last.start)
        prefix = "" if key is None else json.dumps(key, ensure_ascii=False) + ": "
        if indent is None:  # members on one line: `{ "a": 1, "b": 2 }`
            piece = ", " + prefix + json.dumps(value, ensure_ascii=False)
        else:
            outer = _line_indent(self.text, scanner.find(path)[0], anywhere=True) or ""
            unit = indent[len(outer) :] if indent.startswith(outer) and indent != outer else "  "
            body = json.dumps(value, indent=unit, ensure_ascii=False).replace("\n", "\n" + indent)
            piece = ",\n" + indent + prefix + body
        self.text = self.text[: last.value_end] + piece + self.text[last.value_end :]


def _subsequence(old: list[Any], new: list[Any]) -> set[int] | None:
    """The indexes of ``old`` that make up ``new`` in order, when ``new`` is ``old`` with
    some items removed; else None."""
    if len(new) >= len(old):
        return None
    kept: set[int] = set()
    index = 0
    for item in new:
        while index < len(old) and not same(old[index], item):
            index += 1
        if index == len(old):
            return None
        kept.add(index)
        index += 1
    return kept


def _line_indent(text: str, pos: int, anywhere: bool = False) -> str | None:
    """The whitespace that starts ``pos``'s line when only whitespace precedes ``pos`` on
    it (with ``anywhere``: whatever precedes it); else None."""
    line_start = text.rfind("\n", 0, pos) + 1
    lead = text[line_start:pos]
    stripped = lead.lstrip(" \t")
    if stripped and not anywhere:
        return None
    return lead[: len(lead) - len(stripped)]


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text

    def find(self, path: Path) -> tuple[int, int]:
        pos = self._ws(0)
        for depth, step in enumerate(path):
            if depth >= MAX_DEPTH:
                raise NotFoundInText("path too deep")
            member = next((m for m in self._members(pos) if m.key == step), None)
            if member is None:
                raise NotFoundInText(f"no {step!r}")
            pos = member.value_start
        return pos, self._skip(pos, len(path))

    def members(self, path: Path) -> list[Member]:
        """The members of the object (or items of the list) at ``path``."""
        return self._members(self.find(path)[0])

    def _ws(self, pos: int) -> int:
        match = _WS.match(self.text, pos)
        assert match is not None
        return match.end()

    def _members(self, pos: int) -> list[Member]:
        opener = self.text[pos : pos + 1]
        if opener not in ("{", "["):
            raise NotFoundInText("not a container")
        closer = "}" if opener == "{" else "]"
        pos = self._ws(pos + 1)
        out: list[Member] = []
        while self.text[pos : pos + 1] != closer:
            start, key = pos, len(out)
            if opener == "{":
                match = _STRING.match(self.text, pos)
                if match is None:
                    raise NotFoundInText("bad key")
                key = json.loads(match.group())
                pos = self._ws(match.end())
                if self.text[pos : pos + 1] != ":":
                    raise NotFoundInText("missing ':'")
                pos = self._ws(pos + 1)
            end = self._skip(pos, 0)
            out.append(Member(key, start, pos, end))
            pos = self._ws(end)
            if self.text[pos : pos + 1] == ",":
                pos = self._ws(pos + 1)
            elif self.text[pos : pos + 1] != closer:
                raise NotFoundInText("missing ',' or closer")
        return out

    def _skip(self, pos: int, depth: int) -> int:
        """The end of the value starting at ``pos``."""
        if depth >= MAX_DEPTH:
            raise NotFoundInText("nesting too deep")
        char = self.text[pos : pos + 1]
        if char == '"':
            match = _STRING.match(self.text, pos)
            if match is None:
                raise NotFoundInText("bad string")
            return match.end()
        if char in ("{", "["):
            closer = "}" if char == "{" else "]"
            pos = self._ws(pos + 1)
            while self.text[pos : pos + 1] != closer:
                if char == "{":
                    match = _STRING.match(self.text, pos)
                    if match is None:
                        raise NotFoundInText("bad key")
                    pos = self._ws(match.end())
                    if self.text[pos : pos + 1] != ":":
                        raise NotFoundInText("missing ':'")
                    pos = self._ws(pos + 1)
                pos = self._ws(self._skip(pos, depth + 1))
                if self.text[pos : pos + 1] == ",":
                    pos = self._ws(pos + 1)
                elif self.text[pos : pos + 1] != closer:
                    raise NotFoundInText("missing ',' or closer")
            return pos + 1
        match = _SCALAR.match(self.text, pos)
        if match is None:
            raise NotFoundInText("bad value")
        return match.end()

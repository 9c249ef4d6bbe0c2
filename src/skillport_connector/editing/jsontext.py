"""Change one value of a JSON document in place, keeping the rest of the text as written.

A version bump should be a one-line diff that a reviewer reads at a glance, not a reflow of
the whole ``marketplace.json``. :func:`replace_value` finds the span of the value at a
path (object keys and list indexes) with a small bounded scanner and splices the new
value's JSON in; pure logic, no I/O.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64
_WS = re.compile(r"[ \t\r\n]*")
_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"')
_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null")

Path = tuple[str | int, ...]


class NotFoundInText(ValueError):
    """The path names no value in the document (or the text is not plain JSON)."""


def replace_value(text: str, path: Path, value: Any) -> str:
    """``text`` with the value at ``path`` replaced by ``value`` (as compact JSON)."""
    start, end = _Scanner(text).find(path)
    return text[:start] + json.dumps(value, ensure_ascii=False) + text[end:]


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text

    def find(self, path: Path) -> tuple[int, int]:
        pos = self._ws(0)
        for depth, step in enumerate(path):
            if depth >= MAX_DEPTH:
                raise NotFoundInText("path too deep")
            pos = self._child(pos, step)
        return pos, self._skip(pos, len(path))

    def _ws(self, pos: int) -> int:
        match = _WS.match(self.text, pos)
        assert match is not None
        return match.end()

    def _child(self, pos: int, step: str | int) -> int:
        """Where the value of key (or index) ``step`` of the container at ``pos`` starts."""
        opener = self.text[pos : pos + 1]
        if opener not in ("{", "[") or (opener == "{") != isinstance(step, str):
            raise NotFoundInText(f"no {step!r} here")
        pos = self._ws(pos + 1)
        index = 0
        while self.text[pos : pos + 1] not in ("}", "]", ""):
            key: str | int = index
            if opener == "{":
                match = _STRING.match(self.text, pos)
                if match is None:
                    raise NotFoundInText("bad key")
                key = json.loads(match.group())
                pos = self._ws(match.end())
                if self.text[pos : pos + 1] != ":":
                    raise NotFoundInText("missing ':'")
                pos = self._ws(pos + 1)
            if key == step:
                return pos
            pos = self._ws(self._skip(pos, 0))
            if self.text[pos : pos + 1] == ",":
                pos = self._ws(pos + 1)
            index += 1
        raise NotFoundInText(f"no {step!r}")

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


def patched(raw: bytes, path: Path, value: Any, expected: Any) -> bytes | None:
    """``raw`` with the value at ``path`` set to ``value``, byte-order mark and formatting
    kept, when the result parses to ``expected``; None when the text cannot be patched so
    (the path is absent, a key is duplicated…): the caller then writes the data anew."""
    bom = "\ufeff" if raw.startswith(b"\xef\xbb\xbf") else ""
    try:
        text = raw.decode("utf-8-sig")
        out = replace_value(text, path, value)
        if json.loads(out) != expected:
            return None
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return (bom + out).encode()

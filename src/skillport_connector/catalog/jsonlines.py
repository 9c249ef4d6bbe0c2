"""Where each plugin entry's keys sit in marketplace.json: one bounded pass, no I/O.

The JSON parser gives values, not positions; findings about an entry's field point at the
field's own line. A lexical scan (strings and structural characters only) follows the
nesting and notes, for every object in the top-level ``plugins`` array, the line of each
of its keys. Malformed text just yields fewer lines (the parser reports the error).
"""

from __future__ import annotations

import json
import re

_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|[{}\[\]:,]')


def entry_key_lines(text: str) -> dict[tuple[int, str], int]:
    """``(index in plugins, key) -> line`` for every key of every ``plugins`` entry."""
    found: dict[tuple[int, str], int] = {}
    # Open containers, outermost first: ("{", its current key) or ("[", its element index).
    stack: list[tuple[str, str | int | None]] = []
    line, pos = 1, 0
    pending: tuple[str, int] | None = None  # the last string (a key if ':' follows)
    for m in _TOKEN.finditer(text):
        token = m.group()
        if token.startswith('"'):
            line += text.count("\n", pos, m.start())
            pos = m.start()
            pending = (token, line)
            continue
        if token == ":" and pending is not None and stack and stack[-1][0] == "{":
            key = _string(pending[0])
            stack[-1] = ("{", key)
            if key is not None and _in_entry(stack):
                found.setdefault((int(stack[1][1] or 0), key), pending[1])
        elif token == "," and stack and stack[-1][0] == "[":
            stack[-1] = ("[", int(stack[-1][1] or 0) + 1)
        elif token in "{[":
            stack.append((token, 0 if token == "[" else None))
        elif token in "}]" and stack:
            stack.pop()
        pending = None
    return found


def _in_entry(stack: list[tuple[str, str | int | None]]) -> bool:
    """The innermost container is an object of the top-level ``plugins`` array."""
    return (
        len(stack) == 3
        and stack[0] == ("{", "plugins")
        and stack[1][0] == "["
        and stack[2][0] == "{"
    )


def _string(token: str) -> str | None:
    try:
        value = json.loads(token)
    except ValueError:
        return None
    return value if isinstance(value, str) else None

"""How a manifest or front-matter value reads on a page: one rule for every page.

Strings as they are; a person (``{"name", "email"}``) as ``Name <email>``; a list of plain
values joined by commas; anything else as compact JSON. Always bounded.
"""

from __future__ import annotations

import json
from typing import Any

MAX_TEXT = 1000
MAX_ROWS = 50


def display(value: Any) -> str:
    if isinstance(value, str):
        text = value
    elif isinstance(value, dict) and isinstance(value.get("name"), str):
        email = value.get("email")
        text = value["name"] + (f" <{email}>" if isinstance(email, str) and email else "")
    elif isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        text = ", ".join(str(v) for v in value)
    else:
        text = json.dumps(value, default=str, ensure_ascii=False)
    return text[:MAX_TEXT]


def rows(items: list[tuple[str, Any]]) -> list[tuple[str, str]]:
    """(key, text) rows for a definition list, at most :data:`MAX_ROWS`."""
    return [(str(key)[:100], display(value)) for key, value in items[:MAX_ROWS]]

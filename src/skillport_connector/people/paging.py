"""Follow a listing's ``next_cursor`` until the last page: over 1,000 skills the connector
answers one page at a time. Bounded: at most :data:`MAX_PAGES` pages, and a cursor seen
before (a server paging in a circle) stops with an error instead of looping."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .exits import CliError

#: Pages one listing may take (1,000 skills each: a million skills).
MAX_PAGES = 1000
#: Skills asked for per page after the first.
PAGE_SIZE = 1000

Fetch = Callable[[dict[str, str]], Any]


def all_pages(fetch: Fetch, params: dict[str, str]) -> dict[str, Any]:
    """The whole listing: the first answer with the ``skills`` of every page, without
    ``next_cursor``. ``fetch(params)`` answers one page."""
    first = _page(fetch(params))
    skills: list[Any] = list(first.get("skills") or [])
    cursor, seen = first.get("next_cursor"), set[str]()
    for _ in range(MAX_PAGES - 1):
        if cursor is None:
            break
        if not isinstance(cursor, str) or cursor in seen:
            raise CliError("the connector repeated a page cursor; the listing is incomplete")
        seen.add(cursor)
        page = _page(fetch({**params, "limit": str(PAGE_SIZE), "cursor": cursor}))
        skills.extend(page.get("skills") or [])
        cursor = page.get("next_cursor")
    else:
        if cursor is not None:
            raise CliError(f"the listing took more than {MAX_PAGES} pages; it is incomplete")
    answer = {key: value for key, value in first.items() if key != "next_cursor"}
    return {**answer, "skills": skills}


def _page(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict) or not isinstance(data.get("skills") or [], list):
        raise CliError("the connector's listing is not a listing")
    return data

"""Paging for big listings: ``?limit=N`` (1 to 1,000) and ``?cursor=`` from the previous
page's ``next_cursor``. Without ``limit`` an answer keeps its original shape, unless it would
hold more than 1,000 skills: then it is the first page of 1,000, with ``next_cursor``.

The cursor is opaque to clients (base64url of the next offset); a cursor from another
snapshot still pages, and a change between pages may shift entries by the size of the
change, as with any offset paging.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from starlette.requests import Request

from ..errors import InvalidRequest

MAX_LIMIT = 1000
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page:
    limit: int
    offset: int

    def cut(self, items: Sequence[T]) -> tuple[Sequence[T], str | None]:
        """This page of ``items`` and the cursor of the next one (None after the last)."""
        end = self.offset + self.limit
        return items[self.offset : end], (encode(end) if end < len(items) else None)


def page_or_default(page: Page | None, total: int) -> Page | None:
    """The page to answer: the one asked for; the first :data:`MAX_LIMIT` when none was
    asked for but the whole answer would hold more (a 50,000-skill listing is ~15 MB);
    None (the whole answer, the original shape) otherwise."""
    if page is None and total > MAX_LIMIT:
        return Page(MAX_LIMIT, 0)
    return page


def paged(
    answer: dict[str, object],
    found: Sequence[T],
    page: Page | None,
    summary: Callable[[T], dict[str, object]],
) -> object:
    """``answer`` with the summaries of its ``skills``: one page of them and
    ``next_cursor`` when paged (asked for, or the whole answer would be huge), else all."""
    page = page_or_default(page, len(found))
    if page is None:
        return {**answer, "skills": [summary(item) for item in found]}
    shown, next_cursor = page.cut(found)
    return {**answer, "skills": [summary(item) for item in shown], "next_cursor": next_cursor}


def encode(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    kind, _, number = raw.partition(":")
    if kind != "o" or not number.isdigit() or len(number) > 9:
        raise InvalidRequest("cursor is not one this server handed out; start again without it.")
    return int(number)


def page_of(request: Request) -> Page | None:
    """The page asked for, None when ``limit`` is absent (the whole answer)."""
    limit, cursor = request.query_params.get("limit"), request.query_params.get("cursor")
    if limit is None:
        if cursor is not None:
            raise InvalidRequest("cursor needs limit.")
        return None
    if not limit.isdigit() or not 1 <= int(limit) <= MAX_LIMIT:
        raise InvalidRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}.")
    return Page(int(limit), decode(cursor) if cursor else 0)

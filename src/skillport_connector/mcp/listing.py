"""Pre-serialised MCP listings: ``resources/list`` answered from the wire form built once
per snapshot, reader and protocol version.

A listing depends only on the snapshot, the reader (as far as the access policy tells
readers apart: :meth:`~skillport_connector.access.AccessPolicy.view_key`), the protocol
version and the cursor. The first request for a key goes through fastmcp as usual (the
provider, the conversion to MCP types, the validation of the result); later ones get that
same wire answer back before any of it runs again: at 1,000 skills most of a listing's cost.
The cache is weak on the catalog, so a new snapshot starts empty and an old one's answers
go with it; per snapshot it keeps the most recent answers up to a budget of entries.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext

from ..catalog import Catalog
from ..errors import SkillportError
from ..services import View

#: Methods whose answer is a function of the key alone (no arguments but the cursor).
CACHED_METHODS = frozenset({"resources/list", "resources/templates/list"})
#: Listed entries kept per snapshot, over all cached answers (the latest answer always).
BUDGET = 50_000

Key = tuple[Hashable, ...]


class _Answers:
    """One snapshot's cached answers, least recently used first."""

    def __init__(self) -> None:
        self.answers: OrderedDict[Key, tuple[dict[str, Any], int]] = OrderedDict()
        self.entries = 0

    def get(self, key: Key) -> dict[str, Any] | None:
        found = self.answers.get(key)
        if found is None:
            return None
        self.answers.move_to_end(key)
        return found[0]

    def put(self, key: Key, answer: dict[str, Any]) -> None:
        size = max((len(v) for v in answer.values() if isinstance(v, list)), default=0)
        self.answers[key] = (answer, size)
        self.entries += size
        while self.entries > BUDGET and len(self.answers) > 1:
            _, (_, dropped) = self.answers.popitem(last=False)
            self.entries -= dropped


class ListingCache:
    """An MCP SDK server middleware (``Server.middleware``) serving cached listings."""

    def __init__(self, view: Callable[[], View]) -> None:
        self.view = view
        self._snapshots: weakref.WeakKeyDictionary[Catalog, _Answers] = weakref.WeakKeyDictionary()

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> Any:
        key = self._key(ctx)
        if key is None:
            return await call_next(ctx)
        catalog, wire_key = key
        answers = self._snapshots.get(catalog)
        cached = answers.get(wire_key) if answers is not None else None
        if cached is not None:
            return dict(cached)  # the runner copies it too; nobody changes the entries
        result: HandlerResult = await call_next(ctx)
        if isinstance(result, dict):
            self._snapshots.setdefault(catalog, _Answers()).put(wire_key, dict(result))
        return result

    def _key(self, ctx: ServerRequestContext[Any, Any]) -> tuple[Catalog, Key] | None:
        """The snapshot and the answer's key, or None when this request is not cacheable."""
        if ctx.method not in CACHED_METHODS or ctx.request_id is None:
            return None
        params: Mapping[str, Any] = ctx.params or {}
        cursor = params.get("cursor")
        if set(params) - {"cursor", "_meta"} or not isinstance(cursor, str | None):
            return None  # odd parameters: fastmcp answers (and rejects) them itself
        try:
            view = self.view()
        except SkillportError:  # not signed in: fastmcp answers with its own error
            return None
        who = view.policy.view_key(view.who)
        return view.catalog, (ctx.method, ctx.protocol_version, who, cursor)

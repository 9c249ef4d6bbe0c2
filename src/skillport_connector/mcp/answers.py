"""Pre-serialised MCP answers: ``resources/list`` and small ``resources/read`` answers served
from the wire form built once per snapshot, reader and protocol version.

Such an answer depends only on the snapshot, the reader (as far as the access policy tells
readers apart: :meth:`~skillport_connector.access.AccessPolicy.view_key`), the protocol
version and the one argument (the cursor, the URI). The first request for a key goes
through fastmcp as usual (the provider, the access check, the file read, the conversion
to MCP types, the validation of the result); later ones get that same wire answer back
before any of it runs again: at 1,000 skills most of a listing's cost. Errors are never
kept. The cache is weak on the catalog, so a new snapshot starts empty and an old one's
answers go with it; per snapshot it keeps the most recent answers up to a budget.
"""

from __future__ import annotations

import json
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext

from ..catalog import Catalog
from ..errors import SkillportError
from ..services import View

#: Cached methods and the one parameter (besides ``_meta``) their answer depends on.
CACHED_METHODS = {
    "resources/list": "cursor",
    "resources/templates/list": "cursor",
    "resources/read": "uri",
}
#: Tools whose answer depends only on the snapshot, the reader and these arguments
#: (a listing of 1,000 skills at 50,000 is ~350 KB of JSON built afresh otherwise).
CACHED_TOOLS = {"list_skills": frozenset({"surface", "cursor"})}
#: Larger reads are answered afresh every time (a skill file may be up to 16 MB).
MAX_READ_BYTES = 64 * 1024
#: Bytes of JSON kept per snapshot, over all cached answers (the latest answer always).
BUDGET = 8 * 1024 * 1024

Key = tuple[Hashable, ...]


class _Answers:
    """One snapshot's cached answers, least recently used first."""

    def __init__(self) -> None:
        self.answers: OrderedDict[Key, tuple[dict[str, Any], int]] = OrderedDict()
        self.size = 0

    def get(self, key: Key) -> dict[str, Any] | None:
        found = self.answers.get(key)
        if found is None:
            return None
        self.answers.move_to_end(key)
        return found[0]

    def put(self, key: Key, answer: dict[str, Any], size: int) -> None:
        if key in self.answers:
            self.size -= self.answers.pop(key)[1]
        self.answers[key] = (answer, size)
        self.size += size
        while self.size > BUDGET and len(self.answers) > 1:
            _, (_, dropped) = self.answers.popitem(last=False)
            self.size -= dropped


class AnswerCache:
    """An MCP SDK server middleware (``Server.middleware``) serving cached answers."""

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
        if isinstance(result, dict) and not result.get("isError"):
            size = len(json.dumps(result, separators=(",", ":"), default=str))
            if ctx.method != "resources/read" or size <= MAX_READ_BYTES:
                self._snapshots.setdefault(catalog, _Answers()).put(wire_key, dict(result), size)
        return result

    def _key(self, ctx: ServerRequestContext[Any, Any]) -> tuple[Catalog, Key] | None:
        """The snapshot and the answer's key, or None when this request is not cacheable."""
        if ctx.request_id is None:
            return None
        params: Mapping[str, Any] = ctx.params or {}
        argument: Hashable
        if ctx.method == "tools/call":
            argument = _tool_call(params)
            if argument is None:
                return None
        else:
            name = CACHED_METHODS.get(ctx.method)
            if name is None:
                return None
            argument = params.get(name)
            if set(params) - {name, "_meta"} or not isinstance(argument, str | None):
                return None  # odd parameters: fastmcp answers (and rejects) them itself
        try:
            view = self.view()
        except SkillportError:  # not signed in: fastmcp answers with its own error
            return None
        who = view.policy.view_key(view.who)
        return view.catalog, (ctx.method, ctx.protocol_version, who, argument)


def _tool_call(params: Mapping[str, Any]) -> Hashable | None:
    """The key of a cacheable tool call (its name and arguments), else None."""
    name, arguments = params.get("name"), params.get("arguments") or {}
    allowed = CACHED_TOOLS.get(name) if isinstance(name, str) else None
    if allowed is None or set(params) - {"name", "arguments", "_meta"}:
        return None
    if not isinstance(arguments, dict) or set(arguments) - allowed:
        return None
    if not all(isinstance(value, str | None) for value in arguments.values()):
        return None  # odd arguments: fastmcp answers (and rejects) them itself
    return (name, tuple(sorted(arguments.items())))

"""Conditional answers for the reading endpoints: one rule for ETag, 304 and Cache-Control.

A reading answer is fully determined by the snapshot (its git commit), the caller's view
of it (:meth:`~skillport_connector.access.AccessPolicy.view_key`: people with the same
key see the same skills) and the request (path, query, and for check-updates the parsed
body). Its strong ``ETag`` is a digest of exactly those, computed *before* the answer is
built, so a matching ``If-None-Match`` costs no listing, no file read and no JSON.

Every such answer is per person: ``Cache-Control: private, no-cache`` (a browser or the
CLI may keep it and must revalidate; a shared cache must not) with ``Vary: Authorization``.
The digest hides who the caller is. ``POST /api/check-updates`` is a read, so a match
answers 304 there too, as the ``GET`` endpoints do.
"""

from __future__ import annotations

import hashlib
import secrets

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from .. import __version__
from ..catalog import Catalog
from ..services import Services, View

PRIVATE = "private, no-cache"


def snapshot_id(services: Services, catalog: Catalog) -> str:
    """The snapshot's git commit; a folder snapshot gets a random id of its own."""
    commit = getattr(catalog.tree, "commit", None)
    if isinstance(commit, str):
        return commit
    return services.snapshots.memo(catalog, "snapshot-id", lambda: secrets.token_hex(16))


def etag_for(services: Services, view: View, request: Request, *extra: str) -> str:
    """The strong ETag of ``request``'s answer for ``view``."""
    return etag_of(services, view, request.scope, *extra)


def etag_of(services: Services, view: View, scope: Scope, *extra: str) -> str:
    """The strong ETag of the answer to the request ``scope`` describes, for ``view``."""
    query: bytes = scope.get("query_string", b"")
    parts = (
        __version__,
        snapshot_id(services, view.catalog),
        repr(view.policy.view_key(view.who)),
        "GET" if scope["method"] == "HEAD" else scope["method"],
        scope["path"],
        "&".join(sorted(query.decode("latin-1").split("&"))),
        *extra,
    )
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]
    return f'"{digest}"'


def matches(request: Request, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, as RFC 9110 asks)."""
    return names_etag(request.headers.get("if-none-match"), etag)


def names_etag(header: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` value names ``etag`` (or is ``*``)."""
    if not header:
        return False
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == etag:
            return True
    return False


def validators(etag: str) -> dict[str, str]:
    return {"ETag": etag, "Cache-Control": PRIVATE, "Vary": "Authorization"}


def not_modified(request: Request, etag: str) -> Response | None:
    """A 304 when the caller already holds this answer, else None."""
    if matches(request, etag):
        return Response(status_code=304, headers=validators(etag))
    return None


def validated(response: Response, etag: str) -> Response:
    for name, value in validators(etag).items():
        response.headers[name] = value
    return response

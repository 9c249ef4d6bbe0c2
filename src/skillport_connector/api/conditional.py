"""Conditional answers for the reading endpoints: their ETag, and that they are private.

A reading answer is fully determined by the snapshot (its git commit), the caller's view
of it (:meth:`~skillport_connector.access.AccessPolicy.view_key`: people with the same
key see the same skills) and the request (path, query, and for check-updates the parsed
body). Its strong ``ETag`` is a digest of exactly those, computed *before* the answer is
built, so a matching ``If-None-Match`` costs no listing, no file read and no JSON.

Every such answer is per person: ``Cache-Control: private, no-cache`` (a browser or the
CLI may keep it and must revalidate; a shared cache must not) with ``Vary: Authorization``.
The digest hides who the caller is. ``POST /api/check-updates`` is a read, so a match
answers 304 there too, as the ``GET`` endpoints do. The rule itself (matching, 304) is
:mod:`skillport_connector.conditional`.
"""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from .. import __version__, conditional
from ..catalog import Catalog
from ..conditional import PRIVATE, Validators
from ..services import Services, View

__all__ = ["PRIVATE", "etag_for", "not_modified", "snapshot_id", "validated", "validators"]


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
    return conditional.strong_etag(
        __version__,
        snapshot_id(services, view.catalog),
        repr(view.policy.view_key(view.who)),
        "GET" if scope["method"] == "HEAD" else scope["method"],
        scope["path"],
        "&".join(sorted(query.decode("latin-1").split("&"))),
        *extra,
    )


def private(etag: str) -> Validators:
    """The validators of a per-person answer."""
    return Validators(etag, PRIVATE, "Authorization")


def validators(etag: str) -> dict[str, str]:
    return private(etag).headers()


def not_modified(request: Request, etag: str) -> Response | None:
    """A 304 when the caller already holds this answer, else None."""
    return conditional.not_modified(request, private(etag))


def validated(response: Response, etag: str) -> Response:
    return conditional.validated(response, private(etag))

"""The whole-list answer of ``GET /api/skills``: the request every client repeats.

Two pieces, one rule:

* :func:`listing_body` is the JSON of one reader's listing on one surface, built once per
  snapshot and view (:meth:`~skillport_connector.services.Snapshots.memo`) and shared by
  the framework handler (:func:`.skills.list_skills`) and the lane below.
* :class:`ListingLane` answers the plain forms of the listing (no search, no paging, no
  refresh: ``/api/skills`` and ``/api/skills?surface=CC`` …) without the framework's
  request, routing and response objects. It does every check the handler does, in the
  same order and through the same functions: the bearer token (the same ``401`` with
  ``WWW-Authenticate``), the caller's view of the snapshot served now, the ``ETag`` and
  ``If-None-Match`` (``304``). What it keeps per snapshot, view and query is the finished
  answer: the body, its headers and its ETag, so a repeated request costs a token
  lookup and two dictionary reads. Every other form of the request goes on to the
  framework; so does ``HEAD``. It stands in front of the whole stack and applies the
  Host check and the request metrics itself, through the same objects (profiled: each
  layer a request passes costs it, and this one is the request clients repeat).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from ..catalog import FILTER_SURFACES
from ..conditional import names_etag
from ..metrics import RequestStats
from ..services import Services, View
from .common import bearer_credentials, dumps, identify_bearer
from .conditional import etag_of, private
from .errors import EXCEPTION_HANDLERS
from .paging import paged

PATH = "/api/skills"
JSON = b"application/json"

#: The query strings the lane answers, and the surface each asks for.
PLAIN_QUERIES: dict[bytes, str | None] = {
    b"": None,
    **{f"surface={s}".encode(): s for s in FILTER_SURFACES},
    **{f"surface={s.lower()}".encode(): s for s in FILTER_SURFACES},
}


def listing_body(services: Services, view: View, surface: str | None) -> bytes:
    """The JSON of ``view``'s whole listing on ``surface``, built once per snapshot."""

    def render() -> bytes:
        visible = view.skills(surface)
        answer = {"count": len(visible), "surface_filter": surface}
        # More than 1,000 skills: the first page, as the framework's handler answers.
        return dumps(paged(answer, visible, None, lambda s: view.summary(s).rest()))

    # The listing depends only on the snapshot, the reader (as far as the policy tells
    # readers apart) and the surface.
    key = ("listing", view.policy.view_key(view.who), surface)
    return services.snapshots.memo(view.catalog, key, render)


@dataclass(frozen=True, slots=True)
class Answer:
    """A finished listing answer: its ETag, body, and the headers of its ``200`` and ``304``."""

    etag: str
    body: bytes
    ok: tuple[tuple[bytes, bytes], ...]
    unchanged: tuple[tuple[bytes, bytes], ...]

    @classmethod
    def of(cls, etag: str, body: bytes) -> Answer:
        headers = private(etag).headers().items()
        validators = tuple((name.lower().encode(), value.encode()) for name, value in headers)
        framing = ((b"content-length", str(len(body)).encode()), (b"content-type", JSON))
        return cls(etag, body, framing + validators, validators)

    async def send(self, send: Send, if_none_match: str | None) -> int:
        """The ``304`` when the caller holds this answer already, the ``200`` otherwise."""
        if names_etag(if_none_match, self.etag):
            await send({"type": "http.response.start", "status": 304, "headers": self.unchanged})
            await send({"type": "http.response.body", "body": b""})
            return 304
        await send({"type": "http.response.start", "status": 200, "headers": self.ok})
        await send({"type": "http.response.body", "body": self.body})
        return 200


class ListingLane:
    """Answers the plain listing requests in one pass; hands every other request to
    ``app`` (the whole stack: metrics, Host check, CORS, routing).

    It stands in front of that stack and applies its rules itself, through the same
    objects: the Host check (``allows``; a refused Host goes on to ``app``, which answers
    421 and counts it) and the request metrics (``stats``, under the route template).
    """

    def __init__(
        self,
        app: ASGIApp,
        services: Services,
        allows: Callable[[Scope], bool],
        stats: RequestStats,
    ) -> None:
        self.app = app
        self.services = services
        self.allows = allows
        self.stats = stats

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != PATH
            or scope["method"] != "GET"
            or scope["query_string"] not in PLAIN_QUERIES
            or not self.allows(scope)
        ):
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        try:
            answer, if_none_match = self.answer(scope)
        except Exception as exc:
            status = await self.refuse(scope, receive, send, exc)
        else:
            status = await answer.send(send, if_none_match)
        finally:
            self.stats.observe(PATH, "GET", status, time.perf_counter() - start)

    def answer(self, scope: Scope) -> tuple[Answer, str | None]:
        """The answer for this caller and query, and the ``If-None-Match`` they sent."""
        authorization = if_none_match = None
        for name, value in scope["headers"]:  # the first of each, as Starlette reads them
            if name == b"authorization" and authorization is None:
                authorization = value.decode("latin-1")
            elif name == b"if-none-match" and if_none_match is None:
                if_none_match = value.decode("latin-1")
        services = self.services
        who = identify_bearer(services, bearer_credentials(authorization or ""))
        view = services.view(who)
        query = scope["query_string"]

        def build() -> Answer:
            body = listing_body(services, view, PLAIN_QUERIES[query])
            return Answer.of(etag_of(services, view, scope), body)

        key = ("listing-answer", view.policy.view_key(who), query)
        return services.snapshots.memo(view.catalog, key, build), if_none_match

    async def refuse(self, scope: Scope, receive: Receive, send: Send, exc: Exception) -> int:
        """The framework's answer to ``exc``: the same handler, so the same error body."""
        for kind in type(exc).__mro__:
            handler = EXCEPTION_HANDLERS.get(kind)
            if handler is not None:
                response = await handler(Request(scope, receive), exc)
                await response(scope, receive, send)
                return int(response.status_code)
        raise exc

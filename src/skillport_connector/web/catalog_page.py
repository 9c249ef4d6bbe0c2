"""``GET /``: the catalog the visitor may read, with the search box and the filters.

The result list is rendered once per snapshot, view key (people who see the same skills
share it) and question, then kept with the snapshot; a request only wraps it in the page
shell. ``?partial=1`` answers the list alone, for the search-as-you-type script.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ..catalog import FILTER_SURFACES, SURFACES
from .listing import PAGE_SIZE, Facets, Filters, facets, matching
from .site import Visitor, Web


@dataclass(frozen=True)
class CatalogPage:
    web: Web

    def results(self, visitor: Visitor, filters: Filters, dates: dict[str, str]) -> Markup:
        view = visitor.view
        key = ("web", "results", view.policy.view_key(view.who), filters.key(), filters.page)

        def build() -> Markup:
            found = matching(view, filters)
            pages = max(1, -(-len(found) // PAGE_SIZE))
            page = min(filters.page, pages)
            shown = found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
            html = self.web.env.get_template("_results.html").render(
                skills=shown, total=len(found), page=page, pages=pages, filters=filters,
                dates=dates, surfaces=SURFACES,
            )  # fmt: skip
            return Markup(html)

        return self.web.services.snapshots.memo(view.catalog, key, build)

    def facets(self, visitor: Visitor) -> Facets:
        view = visitor.view
        key = ("web", "facets", view.policy.view_key(view.who))
        return self.web.services.snapshots.memo(view.catalog, key, lambda: facets(view))

    async def handle(self, request: Request, visitor: Visitor) -> Response:
        filters = Filters.parse(request.query_params)
        catalog = visitor.view.catalog
        dates = await run_in_threadpool(self.web.dates, catalog)
        results = self.results(visitor, filters, dates)
        if request.query_params.get("partial") == "1":
            return HTMLResponse(str(results))
        return self.web.html(
            request, "catalog.html", visitor, results=results, filters=filters,
            facets=self.facets(visitor), surfaces={s: SURFACES[s] for s in FILTER_SURFACES},
            marketplace=catalog.name,
        )  # fmt: skip

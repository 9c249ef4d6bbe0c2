"""Prometheus metrics: requests by route and status, latency, snapshot age, upstream
requests, tokens minted by kind (``api``, ``install``, ``edit``: counted by the one minting
path in :mod:`skillport_connector.services.tickets`). One registry per process (with
``--workers N`` each worker reports its own)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from .sources.base import Source

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    def __init__(self, source: Source) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "skillport_http_requests",
            "HTTP requests",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "skillport_http_request_duration_seconds",
            "HTTP request latency",
            ["route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.tokens = Counter(
            "skillport_tokens_minted", "Tokens minted", ["kind"], registry=self.registry
        )
        snapshot = Gauge(
            "skillport_snapshot_age_seconds", "Age of the served snapshot", registry=self.registry
        )
        snapshot.set_function(source.snapshot_age)
        skills = Gauge("skillport_skills", "Skills in the served snapshot", registry=self.registry)
        skills.set_function(lambda: len(source.catalog.skills))
        upstream = Gauge(
            "skillport_upstream_requests",
            "Requests made to the git remote (cumulative)",
            registry=self.registry,
        )
        upstream.set_function(lambda: source.upstream_requests)

    def render(self) -> bytes:
        return generate_latest(self.registry)


#: Paths whose route template is remembered (forgotten all at once past this).
MAX_REMEMBERED_PATHS = 4096


class MetricsMiddleware:
    """Counts every request under its route template (never the raw path: bounded labels)."""

    def __init__(
        self, app: ASGIApp, metrics: Metrics, routes: list[Route], prefixes: list[str]
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes
        self.prefixes = prefixes
        # Per-request cost: the template of each path seen (bounded) and each labelled child.
        self._templates: dict[str, str] = {}
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def route_of(self, scope: Scope) -> str:
        path = scope.get("path", "")
        template = self._templates.get(path)
        if template is None:
            template = self._route_of(scope, path)
            if len(self._templates) >= MAX_REMEMBERED_PATHS:
                self._templates.clear()
            self._templates[path] = template
        return template

    def _route_of(self, scope: Scope, path: str) -> str:
        for prefix in self.prefixes:
            if path == prefix or path.startswith(prefix + "/"):
                return prefix
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is not Match.NONE:
                return route.path
        return "other"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            counter, latency = self._labelled(self.route_of(scope), scope.get("method", ""), status)
            counter.inc()
            latency.observe(time.perf_counter() - start)

    def _labelled(self, route: str, method: str, status: int) -> tuple[Any, Any]:
        key = (route, method, status)
        children = self._children.get(key)
        if children is None:
            children = (
                self.metrics.requests.labels(route, method, str(status)),
                self.metrics.latency.labels(route),
            )
            if len(self._children) >= MAX_REMEMBERED_PATHS:
                self._children.clear()
            self._children[key] = children
        return children

"""Prometheus metrics: requests by route and status, latency, snapshot age, upstream
requests, tokens minted by kind (``api``, ``install``, ``edit``: counted by the one minting
path in :mod:`skillport_connector.services.tickets`). One registry per process (with
``--workers N`` each worker reports its own)."""

from __future__ import annotations

import math
import time
from bisect import bisect_left
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.utils import floatToGoString
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from .sources.base import Source

CONTENT_TYPE = CONTENT_TYPE_LATEST
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
#: Methods counted by name; any other is counted as "other" (bounded labels).
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestStats:
    """Requests by route, method and status, and latency by route, as plain numbers that
    the event loop updates (no lock, no label lookup per request) and that become
    Prometheus samples only when scraped: ``skillport_http_requests_total`` and the
    ``skillport_http_request_duration_seconds`` histogram."""

    def __init__(self, bounds: tuple[float, ...] = LATENCY_BUCKETS) -> None:
        self.bounds = bounds
        #: (route, method, status) -> [count, created]
        self.counts: dict[tuple[str, str, int], list[float]] = {}
        #: route -> [count per bucket ..., count above the last bound, sum, created]
        self.latencies: dict[str, list[float]] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method if method in METHODS else "other", status)
        count = self.counts.get(key)
        if count is None:
            count = self.counts[key] = [0, time.time()]
        count[0] += 1
        latency = self.latencies.get(route)
        if latency is None:
            latency = self.latencies[route] = [0] * (len(self.bounds) + 1) + [0.0, time.time()]
        latency[bisect_left(self.bounds, seconds)] += 1  # the first bound >= seconds
        latency[-2] += seconds

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "skillport_http_requests", "HTTP requests", labels=["route", "method", "status"]
        )
        for (route, method, status), (count, created) in list(self.counts.items()):
            requests.add_metric([route, method, str(status)], count, created=created)
        yield requests
        latency = HistogramMetricFamily(
            "skillport_http_request_duration_seconds", "HTTP request latency", labels=["route"]
        )
        for route, counted in list(self.latencies.items()):
            buckets, total = [], 0.0
            for bound, n in zip((*self.bounds, math.inf), counted[:-2], strict=True):
                total += n
                buckets.append((floatToGoString(bound), total))
            latency.add_metric([route], buckets, counted[-2])
        yield latency


class Metrics:
    def __init__(self, source: Source) -> None:
        self.registry = CollectorRegistry()
        self.requests = RequestStats()
        self.registry.register(self.requests)
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
        self.stats = metrics.requests
        self.routes = routes
        self.prefixes = prefixes
        self._templates: dict[str, str] = {}  # the template of each path seen (bounded)

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
            seconds = time.perf_counter() - start
            self.stats.observe(self.route_of(scope), scope.get("method", ""), status, seconds)

"""`GET /metrics` for Prometheus, and the middleware that times every HTTP request.

Requests are labelled by their route template (`/api/memories/{memory_id}`), never by the raw path:
paths carry ids, and one series per id would grow without bound. The web client's catch-all route
(`/{path}`) answers its files and unknown paths; FastAPI's own pages (`/docs`, `/openapi.json`)
share the label `other`.

The endpoint is unauthenticated, as Prometheus scrapes usually are; it shows counts and timings,
nothing about any user. Restrict it at the proxy, or turn it off with `MEMADVISOR_METRICS=false`.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent.services import Services
from memadvisor import metrics

UNMATCHED = "other"


class MetricsMiddleware:
    """Pure ASGI middleware (it does not buffer streamed answers, unlike `BaseHTTPMiddleware`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Time the request until its last byte, then record it under its route template."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        status = 500  # if the app raises before answering, the server answers 500
        start = time.perf_counter()

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        metrics.HTTP_IN_PROGRESS.labels(method).inc()
        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            metrics.HTTP_IN_PROGRESS.labels(method).dec()
            metrics.observe_request(method, route_template(scope), status, _since(start))


def route_template(scope: Scope) -> str:
    """The full path template of the route that answered, or `other`.

    FastAPI puts the matched route in the scope, but (since 0.16x) with its path relative to the
    router it was included from; the routers' prefixes are found again as the part of the request
    path before the route's own match. Prefixes here are fixed words, never parameters: anything
    else is reported as `other`, so no id can become a label.
    """
    route = scope.get("route")
    template = getattr(route, "path_format", None)
    regex = getattr(route, "path_regex", None)
    if not isinstance(template, str) or not isinstance(regex, re.Pattern):
        return UNMATCHED
    path: str = scope.get("path", "")
    for start in [0, *(i for i, c in enumerate(path) if c == "/" and i > 0)]:
        if regex.match(path[start:]):
            prefix = path[:start]
            return prefix + template if _STATIC_PREFIX.fullmatch(prefix) else UNMATCHED
    return UNMATCHED


_STATIC_PREFIX = re.compile(r"(/[A-Za-z_-]+)*")


class _Union(Collector):
    """Several collectors exposed as one (the process's metrics and the app's SQL gauges)."""

    def __init__(self, parts: Iterable[Any]) -> None:
        self._parts = list(parts)

    def collect(self) -> Iterable[Any]:
        """Every metric of every part."""
        for part in self._parts:
            yield from part.collect()


def _process_metrics() -> CollectorRegistry:
    """This process's metrics, or every worker's when prometheus_client runs multi-process.

    prometheus_client itself reads `PROMETHEUS_MULTIPROC_DIR` when it is imported (before any
    settings), so this follows the same variable rather than a setting of ours.
    """
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


def add_metrics(app: FastAPI) -> None:
    """Time every request and serve `/metrics` (SQL gauges read the app's services at scrape)."""

    def services() -> Services:
        current: Services = app.state.services
        return current

    store = metrics.StoreCollector(
        memories_by_kind=lambda: services().memory.count_by_kind(),
        memories_pending=lambda: services().memory.count_pending(),
        approval=lambda: services().feedback.stats(),
        jobs_queued=lambda: services().jobs.queued(),
    )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Union([_process_metrics(), store]))

    async def serve_metrics(request: Request) -> Response:
        body = await asyncio.to_thread(generate_latest, registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    app.add_api_route("/metrics", serve_metrics, methods=["GET"], include_in_schema=False)
    app.add_middleware(MetricsMiddleware)


def _since(start: float) -> float:
    return time.perf_counter() - start

"""`GET /metrics` for Prometheus, and the timing of every HTTP request.

Requests are timed by prometheus-fastapi-instrumentator until the last byte of the answer (a
streamed chat turn: the whole turn) and labelled by the route template that answered
(`/api/memories/{memory_id}`), never by the raw path: paths carry ids, and one series per id would
grow without bound. The web client's catch-all route (`/{path:path}`) answers its files and unknown
paths; a path no route matches is `none`.

The endpoint is unauthenticated, as Prometheus scrapes usually are; it shows counts and timings,
nothing about any user. Restrict it at the proxy, or turn it off with `MEMADVISOR_METRICS=false`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from prometheus_fastapi_instrumentator import Instrumentator
from prometheus_fastapi_instrumentator import metrics as http_metrics
from prometheus_fastapi_instrumentator.metrics import Info

from agent.services import Services
from memadvisor import metrics, sql_gauges
from memory.usage.engagement import measure


class _Union(Collector):
    """Several collectors exposed as one (the process's metrics and the app's SQL gauges)."""

    def __init__(self, parts: Iterable[Any]) -> None:
        self._parts = list(parts)

    def collect(self) -> Iterable[Any]:
        """Every metric of every part."""
        for part in self._parts:
            yield from part.collect()


def process_metrics() -> CollectorRegistry:
    """This process's metrics, or every worker's when prometheus_client runs multi-process.

    prometheus_client itself reads `PROMETHEUS_MULTIPROC_DIR` when it is imported (before any
    settings), so this follows the same variable rather than a setting of ours.
    """
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


def add_metrics(app: FastAPI, *, sql_cache_seconds: float) -> None:
    """Time every request and serve `/metrics` (SQL gauges read the app's services at scrape)."""

    def services() -> Services:
        current: Services = app.state.services
        return current

    store = sql_gauges.StoreCollector(
        memories_by_kind=lambda: services().memory.count_by_kind(),
        memories_pending=lambda: services().memory.count_pending(),
        approval=lambda: services().feedback.stats(),
        jobs_queued=lambda: services().jobs.queued(),
    )
    snapshot = sql_gauges.SqlSnapshotCollector(
        engagement=lambda: measure(services().sessions),
        canary=lambda: services().evaluations.latest_run(),
        ttl=sql_cache_seconds,
    )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Union([process_metrics(), store, snapshot]))

    async def serve_metrics(request: Request) -> Response:
        body = await asyncio.to_thread(generate_latest, registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    app.add_api_route("/metrics", serve_metrics, methods=["GET"], include_in_schema=False)
    instrumentator = Instrumentator(
        should_group_status_codes=False,  # 503 (model down) and 500 are different stories
        excluded_handlers=["^/metrics$"],
    )
    instrumentator.add(_request_duration())
    instrumentator.instrument(app)


@cache
def _request_duration() -> Callable[[Info], None]:
    """The request histogram's instrumentation, made once per process like every other metric.

    The library registers the histogram when this is made and returns None for a second app in
    the same process (the name is taken); tests build many apps, all of which record here.
    """
    instrumentation = http_metrics.latency(
        metric_name=metrics.HTTP_REQUEST_DURATION,
        metric_doc="Time from request to the last byte of the answer.",
        should_include_handler=True,
        should_include_method=True,
        should_include_status=True,
        buckets=metrics.HTTP_BUCKETS,
    )
    assert instrumentation is not None, "the HTTP histogram was registered elsewhere"
    return instrumentation

"""Every Prometheus metric of the process, and the small functions that record them.

One module, so that the API, the graph nodes, the job runners and the stores all record into the
same series, and the README's metric table has one place to be checked against. It sits in
`memadvisor/` (next to the settings) because every layer may import it, `memory/` included.

Labels are bounded by construction: route templates (never raw paths), job names, prompt versions
and variants from the code, model labels from settings. No user id or text is ever a label.

Counters and histograms are process-wide (prometheus_client's default registry). Figures read from
SQL at scrape time (memory counts, approval) come from `StoreCollector`, which the API registers
for its own services. With several worker processes, see the README ("Metrics").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Protocol

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

PREFIX = "memadvisor"

# Buckets: HTTP turns stream for seconds; searches take milliseconds.
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
FAST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
LLM_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 80.0)
JOB_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)

HTTP_REQUEST_SECONDS = Histogram(
    f"{PREFIX}_http_request_duration_seconds",
    "Time from request to the last byte of the answer (a streamed chat turn: the whole turn).",
    ["method", "route", "status"],
    buckets=HTTP_BUCKETS,
)
HTTP_IN_PROGRESS = Gauge(
    f"{PREFIX}_http_requests_in_progress",
    "Requests being answered now.",
    ["method"],
    multiprocess_mode="livesum",
)
RETRIEVAL_SECONDS = Histogram(
    f"{PREFIX}_memory_retrieval_duration_seconds",
    "Time of one memory search on the chat path (query embedding, dense, keyword, fusion).",
    buckets=FAST_BUCKETS,
)
INDEX_CACHE_BYTES = Gauge(
    f"{PREFIX}_memory_index_cache_bytes",
    "Bytes held by the in-memory search indexes of recently searched users (bounded by "
    "MEMADVISOR_MEMORY_INDEX_CACHE_MB per process).",
    multiprocess_mode="livesum",
)
INDEX_CACHE_USERS = Gauge(
    f"{PREFIX}_memory_index_cache_users",
    "Users whose search index is held in memory.",
    multiprocess_mode="livesum",
)
INDEX_REFRESHES = Counter(
    f"{PREFIX}_memory_index_refreshes_total",
    "Searches that first brought a user's index up to date: `delta` (rows changed since, read "
    "from SQL) or `build` (the user's whole index, read anew).",
    ["kind"],
)
VECTOR_STORE_UNAVAILABLE = Counter(
    f"{PREFIX}_vector_store_unavailable_total",
    "Operations that found the vector store down (the answer went on without it).",
    ["operation"],
)
LLM_SECONDS = Histogram(
    f"{PREFIX}_llm_duration_seconds",
    "Time of one model call, from the prompt to the last token.",
    ["model"],
    buckets=LLM_BUCKETS,
)
LLM_FIRST_TOKEN_SECONDS = Histogram(
    f"{PREFIX}_llm_first_token_seconds",
    "Time from the prompt to the first streamed token (what a user waits before text appears).",
    ["model"],
    buckets=LLM_BUCKETS,
)
LLM_TOKENS = Counter(
    f"{PREFIX}_llm_tokens_total",
    "Tokens of model calls: as the model reports them, else completion = streamed chunks.",
    ["model", "kind"],
)
LLM_FAILURES = Counter(
    f"{PREFIX}_llm_failures_total",
    "Model calls that raised.",
    ["model"],
)
JOBS_PENDING = Gauge(
    f"{PREFIX}_jobs_pending",
    "Background jobs queued or running in this process's runner.",
    ["job"],
    multiprocess_mode="livesum",
)
JOB_SECONDS = Histogram(
    f"{PREFIX}_job_duration_seconds",
    "Time of one background job, failed or not.",
    ["job"],
    buckets=JOB_BUCKETS,
)
JOB_FAILURES = Counter(
    f"{PREFIX}_job_failures_total",
    "Background jobs that raised (their work stays owed in SQL).",
    ["job"],
)
FEEDBACK = Counter(
    f"{PREFIX}_feedback_total",
    "Thumbs given since start, by target, verdict, prompt version and variant.",
    ["target_type", "rating", "prompt_version", "variant"],
)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """Record one answered HTTP request; `route` is the template, e.g. `/api/memories/{id}`."""
    HTTP_REQUEST_SECONDS.labels(method, route, str(status)).observe(seconds)


def observe_retrieval(seconds: float) -> None:
    """Record one memory search."""
    RETRIEVAL_SECONDS.observe(seconds)


@contextmanager
def retrieval_timer() -> Iterator[None]:
    """Time the block as one memory search (also when it raises)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        observe_retrieval(time.perf_counter() - start)


def observe_index_cache(nbytes: int, users: int) -> None:
    """Record the size of this process's search index cache."""
    INDEX_CACHE_BYTES.set(nbytes)
    INDEX_CACHE_USERS.set(users)


def index_refreshed(kind: str) -> None:
    """Count a search that updated (`delta`) or built (`build`) a user's index first."""
    INDEX_REFRESHES.labels(kind).inc()


def memory_unavailable(operation: str = "search") -> None:
    """Count an operation that found the vector store down (`search`, `index`, `delete`...)."""
    VECTOR_STORE_UNAVAILABLE.labels(operation).inc()


def observe_llm(
    seconds: float,
    *,
    model: str,
    prompt_tokens: int | None = None,
    completion_tokens: int | None = None,
) -> None:
    """Record one model call; token counts the model did not report are left out."""
    LLM_SECONDS.labels(model).observe(seconds)
    if prompt_tokens:
        LLM_TOKENS.labels(model, "prompt").inc(prompt_tokens)
    if completion_tokens:
        LLM_TOKENS.labels(model, "completion").inc(completion_tokens)


def observe_first_token(seconds: float, *, model: str) -> None:
    """Record how long a streamed call took to produce its first token."""
    LLM_FIRST_TOKEN_SECONDS.labels(model).observe(seconds)


def llm_failed(seconds: float, *, model: str) -> None:
    """Record a model call that raised."""
    LLM_SECONDS.labels(model).observe(seconds)
    LLM_FAILURES.labels(model).inc()


def job_enqueued(name: str) -> None:
    """A job was handed to this process's runner (undo with `job_finished`)."""
    JOBS_PENDING.labels(name).inc()


def job_finished(name: str, seconds: float, *, failed: bool = False) -> None:
    """A job of this process's runner ended."""
    JOBS_PENDING.labels(name).dec()
    JOB_SECONDS.labels(name).observe(seconds)
    if failed:
        JOB_FAILURES.labels(name).inc()


def job_failed(name: str) -> None:
    """Count a failed job run outside this process's runner (e.g. by a queue worker)."""
    JOB_FAILURES.labels(name).inc()


def feedback_given(
    *, target_type: str, rating: int, prompt_version: str | None, variant: str | None
) -> None:
    """Record one thumbs up (rating > 0) or down."""
    FEEDBACK.labels(
        target_type, "up" if rating > 0 else "down", prompt_version or "", variant or ""
    ).inc()


class Approval(Protocol):
    """Feedback on one target type, prompt version and variant (as `FeedbackStore` reports it)."""

    @property
    def target_type(self) -> str: ...  # noqa: D102
    @property
    def prompt_version(self) -> str | None: ...  # noqa: D102
    @property
    def variant(self) -> str | None: ...  # noqa: D102
    @property
    def count(self) -> int: ...  # noqa: D102
    @property
    def approval_rate(self) -> float: ...  # noqa: D102


class StoreCollector(Collector):
    """Gauges read from SQL at each scrape, so they are right after restarts and across workers.

    Each source is a cheap aggregate query (a `GROUP BY` over indexed columns); a failing source is
    logged and left out of that scrape rather than failing the whole scrape.
    """

    def __init__(
        self,
        *,
        memories_by_kind: Callable[[], Mapping[str, int]],
        memories_pending: Callable[[], int],
        approval: Callable[[], Sequence[Approval]],
        jobs_queued: Callable[[], int],
    ) -> None:
        self._memories_by_kind = memories_by_kind
        self._memories_pending = memories_pending
        self._approval = approval
        self._jobs_queued = jobs_queued

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """The gauges, computed now."""
        try:
            by_kind = self._memories_by_kind()
            memories = GaugeMetricFamily(
                f"{PREFIX}_memories", "Memories stored in SQL, by kind.", labels=["kind"]
            )
            for kind, count in sorted(by_kind.items()):
                memories.add_metric([kind], count)
            yield memories
            yield GaugeMetricFamily(
                f"{PREFIX}_memories_pending_index",
                "Memories whose vector copy is still owed (indexing backlog).",
                value=self._memories_pending(),
            )
        except Exception:
            logger.warning("memory counts left out of this scrape", exc_info=True)
        try:
            rows = self._approval()
            ratio = GaugeMetricFamily(
                f"{PREFIX}_feedback_approval_ratio",
                "Share of thumbs up among all feedback ever given, from SQL.",
                labels=["target_type", "prompt_version", "variant"],
            )
            votes = GaugeMetricFamily(
                f"{PREFIX}_feedback_votes",
                "Feedback ever given, from SQL.",
                labels=["target_type", "prompt_version", "variant"],
            )
            for row in rows:
                labels = [row.target_type, row.prompt_version or "", row.variant or ""]
                ratio.add_metric(labels, row.approval_rate)
                votes.add_metric(labels, row.count)
            yield ratio
            yield votes
        except Exception:
            logger.warning("feedback approval left out of this scrape", exc_info=True)
        try:
            yield GaugeMetricFamily(
                f"{PREFIX}_job_queue_depth",
                "Background jobs waiting: in the process's pool, or in the Celery queue on Redis.",
                value=self._jobs_queued(),
            )
        except Exception:
            logger.warning("job queue depth left out of this scrape", exc_info=True)

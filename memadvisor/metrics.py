"""Every Prometheus metric of the process, and the small functions that record them.

One module, so that the API, the graph nodes, the job runners and the stores all record into the
same series, and the metric table of docs/monitoring.md has one place to be checked against. It
sits in `memadvisor/` (next to the settings) because every layer may import it, `memory/` included.

Names: model calls and memory searches use the OpenTelemetry GenAI semantic conventions as
Prometheus shows them (`gen_ai_client_operation_duration_seconds`, `gen_ai_client_token_usage`,
attributes `gen_ai_operation_name`, `gen_ai_provider_name`, ...), so standard GenAI dashboards read
this project unchanged; everything else is `memadvisor_*`. HTTP series are recorded by
prometheus-fastapi-instrumentator under the names declared here (`api/metrics.py` wires it).

Labels are bounded by construction: route templates (never raw paths), job names, prompt versions
and variants from the code, model names from settings, exception class names, and the fixed
windows and slices below. No user id or text is ever a label.

Counters and histograms are process-wide (prometheus_client's default registry). Figures read from
SQL at scrape time come from the collectors of `memadvisor.sql_gauges`, which the API registers for
its own services. With several processes, see docs/monitoring.md ("Several processes").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from prometheus_client import Counter, Gauge, Histogram

logger = logging.getLogger(__name__)

PREFIX = "memadvisor"

# Buckets: HTTP turns stream for seconds; jobs run up to minutes.
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
JOB_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
# The GenAI conventions' advised boundaries, with finer ones for memory searches: two below 10 ms,
# and every 10 ms from 20 to 60 (between the advised 40 and 80 ms, a p95 read off the histogram
# was an interpolation 40 ms wide, around the 50 ms that a search under load should stay within).
GEN_AI_SECONDS_BUCKETS = (
    0.0025,
    0.005,
    0.01,
    0.02,
    0.03,
    0.04,
    0.05,
    0.06,
    0.08,
    0.16,
    0.32,
    0.64,
    1.28,
    2.56,
    5.12,
    10.24,
    20.48,
    40.96,
    81.92,
)
GEN_AI_TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576)
SCORE_BUCKETS = (0.5, 0.7, 0.75, 0.8, 0.825, 0.85, 0.875, 0.9, 0.925, 0.95, 0.975, 1.0)

# --- HTTP: recorded by prometheus-fastapi-instrumentator (see api/metrics.py) ------------------
HTTP_REQUEST_DURATION = f"{PREFIX}_http_request_duration_seconds"
"""Histogram by `handler` (the route template), `method` and `status`: request to last byte."""
CHAT_STREAMS = Gauge(
    f"{PREFIX}_chat_streams_in_progress",
    "Chat answers being streamed to clients now.",
    multiprocess_mode="livesum",
)

# --- GenAI: model calls and memory searches (OpenTelemetry semantic conventions) ----------------
CHAT = "chat"
"""`gen_ai_operation_name` of every model call (answers, summaries, facts, recommendations)."""
SEARCH_MEMORY = "search_memory"
"""`gen_ai_operation_name` of the agent's memory searches (chat retrieval, advice notes)."""
MEMORY_PROVIDER = "memadvisor"
"""`gen_ai_provider_name` of memory searches: this project's hybrid search over Chroma and SQL."""

GEN_AI_OPERATION_SECONDS = Histogram(
    "gen_ai_client_operation_duration_seconds",
    "GenAI operation duration: a model call (prompt to last token) or a memory search.",
    ["gen_ai_operation_name", "gen_ai_provider_name", "gen_ai_request_model", "error_type"],
    buckets=GEN_AI_SECONDS_BUCKETS,
)
GEN_AI_TOKENS = Histogram(
    "gen_ai_client_token_usage",
    "Number of input and output tokens used per model call.",
    ["gen_ai_operation_name", "gen_ai_provider_name", "gen_ai_request_model", "gen_ai_token_type"],
    buckets=GEN_AI_TOKEN_BUCKETS,
)
GEN_AI_FIRST_CHUNK_SECONDS = Histogram(
    "gen_ai_client_operation_time_to_first_chunk_seconds",
    "Time from the request to the first streamed chunk (what a user waits before text appears).",
    ["gen_ai_operation_name", "gen_ai_provider_name", "gen_ai_request_model"],
    buckets=GEN_AI_SECONDS_BUCKETS,
)
MODEL_UNAVAILABLE = Counter(
    f"{PREFIX}_model_unavailable_total",
    "Chat messages answered 503 because the configured model could not be reached.",
)

# --- Retrieval accuracy, online (no user labels) ----------------------------------------------
CHAT_RETRIEVALS = Counter(
    f"{PREFIX}_chat_retrievals_total",
    "Chat answers by what memory search gave them: `relevant` (at least one memory at or above "
    "the relevance threshold), `none`, or `unavailable` (the vector store was down).",
    ["outcome"],
)
RETRIEVAL_TOP_SCORE = Histogram(
    f"{PREFIX}_retrieval_top_score",
    "Score (0-1) of the best memory found for a chat message; it drifts when retrieval changes.",
    buckets=SCORE_BUCKETS,
)
MEMORIES_SHOWN = Counter(
    f"{PREFIX}_memories_shown_total",
    "Memories given to the model with chat answers.",
)
MEMORY_CORRECTIONS = Counter(
    f"{PREFIX}_memory_corrections_total",
    "Memories the user edited or deleted, by whether an answer had been given them before.",
    ["action", "shown_to_model"],
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
INDEX_VECTORS_READ = Counter(
    f"{PREFIX}_memory_index_vectors_total",
    "Vectors of newly indexed memories added to a cached index, by where they came from: "
    "`handed_over` (written by this process, taken from memory) or `vector_store` (read back).",
    ["source"],
)
VECTOR_STORE_UNAVAILABLE = Counter(
    f"{PREFIX}_vector_store_unavailable_total",
    "Operations that found the vector store down (the answer went on without it).",
    ["operation"],
)

# --- Recommendations ----------------------------------------------------------------------------
RECOMMENDATION_SECONDS = Histogram(
    f"{PREFIX}_recommendation_duration_seconds",
    "Time to produce a user's recommendations, by writer (`rules`, `model`) and whether the "
    "stored set was still valid (`cached`).",
    ["writer", "cached"],
    buckets=HTTP_BUCKETS,
)
RECOMMENDATIONS_BY_RULES = Counter(
    f"{PREFIX}_recommendations_by_rules_total",
    "Recommendation sets the rules wrote, by reason: `configured`, `language`, or the model's "
    "failure (`model_invalid`: its answer stayed invalid; `model_unavailable`: down or busy).",
    ["reason"],
)

# --- Jobs ---------------------------------------------------------------------------------------
JOBS_PENDING = Gauge(
    f"{PREFIX}_jobs_pending",
    "Background jobs queued or running in this process's runner (a Celery worker: running).",
    ["task"],
    multiprocess_mode="livesum",
)
JOB_SECONDS = Histogram(
    f"{PREFIX}_job_duration_seconds",
    "Time of one background job, failed or not.",
    ["task"],
    buckets=JOB_BUCKETS,
)
JOB_FAILURES = Counter(
    f"{PREFIX}_job_failures_total",
    "Background jobs that raised (their work stays owed in SQL).",
    ["task"],
)

# --- Feedback -----------------------------------------------------------------------------------
FEEDBACK = Counter(
    f"{PREFIX}_feedback_total",
    "Thumbs given since start, by target, verdict, prompt version and variant, and (answers) "
    "whether the answer had memories.",
    ["target_type", "rating", "prompt_version", "variant", "memories"],
)


def initialise(*, jobs: Sequence[str] = ()) -> None:
    """Create the label sets known in advance, so their series read 0 before the first event.

    A panel or alert over a series that does not exist yet shows "no data" (and a ratio of two
    counters returns nothing); Prometheus' guidance is to export known label sets from the start.
    """
    for outcome in ("relevant", "none", "unavailable"):
        CHAT_RETRIEVALS.labels(outcome)
    for action in ("edit", "delete"):
        for shown in ("true", "false"):
            MEMORY_CORRECTIONS.labels(action, shown)
    for operation in ("search", "index", "delete"):
        VECTOR_STORE_UNAVAILABLE.labels(operation)
    for name in jobs:
        JOB_FAILURES.labels(name)
        JOBS_PENDING.labels(name)


# --- Recording ----------------------------------------------------------------------------------


def model_labels(label: str) -> tuple[str, str]:
    """`gen_ai_provider_name` and `gen_ai_request_model` from a model label `provider:model`.

    A model object handed in by code (tests, benchmarks) has no provider: `custom`.
    """
    provider, _, model = label.partition(":")
    return (provider, model) if model else ("custom", label)


def observe_model_call(
    seconds: float,
    *,
    provider: str,
    model: str,
    input_tokens: int | None = None,
    output_tokens: int | None = None,
    error: BaseException | None = None,
) -> None:
    """Record one model call; token counts the model did not report are left out."""
    error_type = type(error).__qualname__ if error is not None else ""
    GEN_AI_OPERATION_SECONDS.labels(CHAT, provider, model, error_type).observe(seconds)
    if input_tokens:
        GEN_AI_TOKENS.labels(CHAT, provider, model, "input").observe(input_tokens)
    if output_tokens:
        GEN_AI_TOKENS.labels(CHAT, provider, model, "output").observe(output_tokens)


def observe_first_chunk(seconds: float, *, provider: str, model: str) -> None:
    """Record how long a streamed call took to produce its first chunk."""
    GEN_AI_FIRST_CHUNK_SECONDS.labels(CHAT, provider, model).observe(seconds)


@contextmanager
def search_memory_timer(embedding_model: str) -> Iterator[None]:
    """Time the block as one `search_memory` operation (an error names its exception class)."""
    start, error_type = time.perf_counter(), ""
    try:
        yield
    except BaseException as exc:
        error_type = type(exc).__qualname__
        raise
    finally:
        GEN_AI_OPERATION_SECONDS.labels(
            SEARCH_MEMORY, MEMORY_PROVIDER, embedding_model, error_type
        ).observe(time.perf_counter() - start)


def model_unavailable() -> None:
    """Count a chat message refused because the model could not be reached."""
    MODEL_UNAVAILABLE.inc()


def observe_index_cache(nbytes: int, users: int) -> None:
    """Record the size of this process's search index cache."""
    INDEX_CACHE_BYTES.set(nbytes)
    INDEX_CACHE_USERS.set(users)


def index_refreshed(kind: str) -> None:
    """Count a search that updated (`delta`) or built (`build`) a user's index first."""
    INDEX_REFRESHES.labels(kind).inc()


def index_vectors_read(source: str, count: int) -> None:
    """Count vectors a delta took from this process's hand-over or read from the vector store."""
    if count:
        INDEX_VECTORS_READ.labels(source).inc(count)


def memory_unavailable(operation: str = "search") -> None:
    """Count an operation that found the vector store down (`search`, `index`, `delete`...)."""
    VECTOR_STORE_UNAVAILABLE.labels(operation).inc()


def chat_retrieval(*, scores: Sequence[float | None], shown: int, available: bool = True) -> None:
    """Record what memory search gave one chat answer: scores found, memories shown to the model."""
    if not available:
        CHAT_RETRIEVALS.labels("unavailable").inc()
        return
    CHAT_RETRIEVALS.labels("relevant" if shown else "none").inc()
    MEMORIES_SHOWN.inc(shown)
    if found := [s for s in scores if s is not None]:
        RETRIEVAL_TOP_SCORE.observe(max(found))


def memory_corrected(action: str, *, shown_to_model: bool) -> None:
    """Count a memory the user edited (`edit`) or deleted (`delete`)."""
    MEMORY_CORRECTIONS.labels(action, "true" if shown_to_model else "false").inc()


def observe_recommendation(seconds: float, *, writer: str, cached: bool) -> None:
    """Record one recommendation request served by the advisor."""
    RECOMMENDATION_SECONDS.labels(writer, "true" if cached else "false").observe(seconds)


def recommendation_by_rules(reason: str) -> None:
    """The rules wrote a set the model was to write, or was not configured to write."""
    RECOMMENDATIONS_BY_RULES.labels(reason).inc()


def job_enqueued(name: str) -> None:
    """A job was handed to this process's runner (undo with `job_finished`)."""
    JOBS_PENDING.labels(name).inc()


def job_finished(name: str, seconds: float, *, failed: bool = False) -> None:
    """A job of this process's runner ended."""
    JOBS_PENDING.labels(name).dec()
    JOB_SECONDS.labels(name).observe(seconds)
    if failed:
        JOB_FAILURES.labels(name).inc()


def feedback_given(
    *,
    target_type: str,
    rating: int,
    prompt_version: str | None,
    variant: str | None,
    with_memories: bool | None = None,
) -> None:
    """Record one thumbs up (rating > 0) or down."""
    memories = "" if with_memories is None else ("with" if with_memories else "without")
    FEEDBACK.labels(
        target_type, "up" if rating > 0 else "down", prompt_version or "", variant or "", memories
    ).inc()


# --- the model queue (agent/model/queue.py) ------------------------------------------------
QUEUE_BUCKETS = (0.001, 0.01, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0)

MODEL_QUEUE_WAIT_SECONDS = Histogram(
    f"{PREFIX}_model_queue_wait_seconds",
    "Time a model call waited for a free slot, by outcome: `served` (it then ran), `timeout`, "
    "`cancelled` (its client left) or `stopping` (the server shut down).",
    ["outcome"],
    buckets=QUEUE_BUCKETS,
)
MODEL_QUEUE_DEPTH = Gauge(
    f"{PREFIX}_model_queue_depth",
    "Model calls waiting for a free slot now.",
    multiprocess_mode="livesum",
)
MODEL_QUEUE_RUNNING = Gauge(
    f"{PREFIX}_model_queue_running",
    "Model calls running now (at most the queue's slots: 1 for llama.cpp).",
    multiprocess_mode="livesum",
)
MODEL_QUEUE_REJECTED = Counter(
    f"{PREFIX}_model_queue_rejected_total",
    "Model calls turned away (HTTP 503 or an `error` event with a retry hint), by reason: "
    "`full`, `timeout` or `stopping`.",
    ["reason"],
)


def model_queue_entered() -> None:
    """A model call joined the queue."""
    MODEL_QUEUE_DEPTH.inc()


def model_queue_left(seconds: float, outcome: str) -> None:
    """A model call left the queue after `seconds` (see MODEL_QUEUE_WAIT_SECONDS's outcomes)."""
    MODEL_QUEUE_DEPTH.dec()
    MODEL_QUEUE_WAIT_SECONDS.labels(outcome).observe(seconds)


def model_queue_running(change: int) -> None:
    """A model call started (+1) or ended (-1)."""
    MODEL_QUEUE_RUNNING.inc(change)


def model_queue_rejected(reason: str, count: int = 1) -> None:
    """Count model calls turned away."""
    MODEL_QUEUE_REJECTED.labels(reason).inc(count)

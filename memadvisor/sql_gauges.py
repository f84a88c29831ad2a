"""Gauges read from SQL when Prometheus scrapes: right after restarts, and the same in every worker.

Two collectors, which the API registers for its own services (`api/metrics.py`): `StoreCollector`
(memory counts, approval, queue depth; cheap, read at every scrape) and `SqlSnapshotCollector`
(engagement and the retrieval canary; cached for a while). The figures they show are counted by
`memory/` (`memory.usage.engagement`, `memory.training.evaluations`) into the shapes below.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from memadvisor.metrics import PREFIX

logger = logging.getLogger(__name__)


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


WINDOWS: Mapping[str, int] = {"1d": 1, "7d": 7, "30d": 30}
"""The `window` label of the engagement gauges: days back from now."""
CANARY_SLICES = ("all", "zh", "en", "cross")
"""The `slice` label of the canary's recall: every question, Chinese, English, cross-lingual."""


@dataclass(frozen=True, slots=True)
class Engagement:
    """What the engagement gauges show, counted in SQL (`memory.usage.engagement.measure`).

    Windowed figures are keyed by the labels of `WINDOWS`. Nothing here is per user.
    """

    users: int
    """Accounts."""
    active_users: Mapping[str, int]
    """Users who sent at least one chat message in the window."""
    turns: Mapping[str, int]
    """Chat messages sent in the window."""
    answers: Mapping[str, int]
    """Chat messages answered in the window."""
    returning_users: int
    """Users active in the last 7 days and in the 7 days before."""
    answer_feedback: Mapping[tuple[str, str, str], int]
    """Thumbs on answers by (window, `with`/`without` memories, `up`/`down`)."""
    recommendation_feedback: Mapping[tuple[str, str], int]
    """Thumbs on recommendation items by (window, `up`/`down`)."""
    recommendations_adopted: Mapping[str, int]
    """Recommendation items marked "I did this" in the window."""
    consents: Mapping[str, int]
    """Users who granted each consent type (data types, and any type added later)."""
    records: Mapping[str, int]
    """Stored data records per data type."""


@dataclass(frozen=True, slots=True)
class CanaryRun:
    """The latest run of the retrieval canary (`agent.evaluation.canary`), as stored in SQL."""

    finished_at: float
    """Unix time."""
    duration_seconds: float
    embedding_model: str
    recall_at_5: Mapping[str, float]
    """By slice (`CANARY_SLICES`); a slice with no questions is absent."""
    questions: Mapping[str, int]


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def engagement_families(figures: Engagement) -> list[GaugeMetricFamily]:
    """The engagement gauges of one snapshot (a ratio with nothing to divide by is left out)."""
    windowed = ["window"]
    users = GaugeMetricFamily(f"{PREFIX}_users", "Accounts.", value=figures.users)
    active = GaugeMetricFamily(
        f"{PREFIX}_active_users", "Users who sent a chat message in the window.", labels=windowed
    )
    turns = GaugeMetricFamily(
        f"{PREFIX}_turns", "Chat messages sent in the window.", labels=windowed
    )
    per_user = GaugeMetricFamily(
        f"{PREFIX}_turns_per_active_user",
        "Chat messages per active user in the window.",
        labels=windowed,
    )
    returning = GaugeMetricFamily(
        f"{PREFIX}_returning_users",
        "Users active in the last 7 days and in the 7 days before.",
        value=figures.returning_users,
    )
    answer_feedback = GaugeMetricFamily(
        f"{PREFIX}_answer_feedback",
        "Thumbs on chat answers in the window, by whether the answer had memories.",
        labels=["window", "memories", "rating"],
    )
    feedback_rate = GaugeMetricFamily(
        f"{PREFIX}_answer_feedback_rate",
        "Thumbs given per chat answer in the window.",
        labels=windowed,
    )
    approval = GaugeMetricFamily(
        f"{PREFIX}_answer_approval_ratio",
        "Share of thumbs up on chat answers in the window: with memories, without, and all.",
        labels=["window", "memories"],
    )
    adoption = GaugeMetricFamily(
        f"{PREFIX}_recommendation_adoption_ratio",
        "Share of rated recommendation items the user marked as done, in the window.",
        labels=windowed,
    )
    recommendation_approval = GaugeMetricFamily(
        f"{PREFIX}_recommendation_approval_ratio",
        "Share of thumbs up on recommendation items in the window.",
        labels=windowed,
    )
    for window in WINDOWS:
        active_users = figures.active_users.get(window, 0)
        active.add_metric([window], active_users)
        turns.add_metric([window], figures.turns.get(window, 0))
        if (value := _ratio(figures.turns.get(window, 0), active_users)) is not None:
            per_user.add_metric([window], value)
        votes = {
            (memories, rating): figures.answer_feedback.get((window, memories, rating), 0)
            for memories in ("with", "without")
            for rating in ("up", "down")
        }
        for (memories, rating), count in votes.items():
            answer_feedback.add_metric([window, memories, rating], count)
        given = sum(votes.values())
        if (value := _ratio(given, figures.answers.get(window, 0))) is not None:
            feedback_rate.add_metric([window], value)
        for memories in ("with", "without", "all"):
            kinds = ("with", "without") if memories == "all" else (memories,)
            up = sum(votes[(kind, "up")] for kind in kinds)
            total = sum(votes[(kind, rating)] for kind in kinds for rating in ("up", "down"))
            if (value := _ratio(up, total)) is not None:
                approval.add_metric([window, memories], value)
        rated = sum(figures.recommendation_feedback.get((window, r), 0) for r in ("up", "down"))
        if (value := _ratio(figures.recommendations_adopted.get(window, 0), rated)) is not None:
            adoption.add_metric([window], value)
        up = figures.recommendation_feedback.get((window, "up"), 0)
        if (value := _ratio(up, rated)) is not None:
            recommendation_approval.add_metric([window], value)
    consents = GaugeMetricFamily(
        f"{PREFIX}_users_with_consent", "Users who granted each consent.", labels=["data_type"]
    )
    for data_type, count in sorted(figures.consents.items()):
        consents.add_metric([data_type], count)
    records = GaugeMetricFamily(
        f"{PREFIX}_user_data_records", "Stored data records per type.", labels=["data_type"]
    )
    for data_type, count in sorted(figures.records.items()):
        records.add_metric([data_type], count)
    return [
        users,
        active,
        turns,
        per_user,
        returning,
        answer_feedback,
        feedback_rate,
        approval,
        adoption,
        recommendation_approval,
        consents,
        records,
    ]


def canary_families(run: CanaryRun) -> list[GaugeMetricFamily]:
    """The gauges of the latest canary run."""
    recall = GaugeMetricFamily(
        f"{PREFIX}_retrieval_canary_recall_at_5",
        "Recall@5 of the latest retrieval canary on the bundled bilingual set, by slice.",
        labels=["slice", "embedding_model"],
    )
    questions = GaugeMetricFamily(
        f"{PREFIX}_retrieval_canary_questions",
        "Questions of the latest retrieval canary, by slice.",
        labels=["slice"],
    )
    for name in CANARY_SLICES:
        if (value := run.recall_at_5.get(name)) is not None and not math.isnan(value):
            recall.add_metric([name, run.embedding_model], value)
            questions.add_metric([name], run.questions.get(name, 0))
    return [
        recall,
        questions,
        GaugeMetricFamily(
            f"{PREFIX}_retrieval_canary_duration_seconds",
            "How long the latest retrieval canary took (ingestion and search).",
            value=run.duration_seconds,
        ),
        GaugeMetricFamily(
            f"{PREFIX}_retrieval_canary_last_run_timestamp_seconds",
            "When the latest retrieval canary finished (Unix time).",
            value=run.finished_at,
        ),
    ]


class SqlSnapshotCollector(Collector):
    """Engagement and canary gauges from SQL, computed at most once per `ttl` seconds.

    The queries are range scans of indexes, but a scrape every few seconds from several
    Prometheus servers need not repeat them: the snapshot is kept for `ttl` seconds, and
    concurrent scrapes wait for one computation. A failing source is logged and left out.
    """

    def __init__(
        self,
        *,
        engagement: Callable[[], Engagement],
        canary: Callable[[], CanaryRun | None],
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sources: list[tuple[str, Callable[[], list[GaugeMetricFamily]]]] = [
            ("engagement", lambda: engagement_families(engagement())),
            ("canary", lambda: canary_families(run) if (run := canary()) else []),
        ]
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._families: list[GaugeMetricFamily] = []
        self._taken: float | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """The cached gauges, computed again when older than `ttl`."""
        with self._lock:
            now = self._clock()
            if self._taken is None or now - self._taken >= self._ttl:
                self._families = []
                for name, source in self._sources:
                    try:
                        self._families += source()
                    except Exception:
                        logger.warning("%s gauges left out of this scrape", name, exc_info=True)
                self._taken = now
            families = list(self._families)
        yield from families

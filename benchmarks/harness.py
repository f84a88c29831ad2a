"""Run a retrieval benchmark through the project's real write and search paths, in a scratch store.

The measuring itself is `agent.evaluation.retrieval` (shared with the production retrieval canary,
so both report the same recall): every conversation becomes one user, every turn a memory, every
answerable question (categories 1-4 with evidence) is scored with recall@k = |evidence ∩ retrieved|
/ |evidence|. Category 5 (adversarial: the answer is not in the conversation) reports how often
the best hit still clears the "relevant" threshold.
"""

from __future__ import annotations

import statistics
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.progress import Progress

from agent.evaluation.datasets import Conversation
from agent.evaluation.retrieval import ADVERSARIAL, measure, scratch_store
from memadvisor.settings import EmbeddingModel, Settings
from memory.retrieval.embeddings import make_embeddings

CATEGORY_NAMES = {
    1: "multi-hop",
    2: "temporal",
    3: "open-domain",
    4: "single-hop",
    5: "adversarial",
}


@dataclass
class Run:
    """Options of one benchmark run."""

    ks: Sequence[int] = (5, 10, 20)
    embedding: EmbeddingModel = "multilingual-e5-small"


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank q-th percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def evaluate(conversations: Sequence[Conversation], run: Run) -> dict[str, Any]:
    """Ingest, search and score; returns the figures as one JSON-able dict."""
    ks = sorted(set(run.ks))
    threshold = Settings(_env_file=None).memory_min_score
    embeddings = make_embeddings(run.embedding, index_threads=0)  # a bulk ingest: every core
    turns_total = sum(len(c.turns) for c in conversations)
    questions_total = sum(len(c.questions) for c in conversations)
    with (
        scratch_store(embeddings, prefix="memadvisor-bench-") as scratch,
        Progress(console=None, transient=True, redirect_stdout=False) as progress,
    ):
        progress.console.file = sys.stderr
        tasks = {
            "ingesting turns": progress.add_task("ingesting turns", total=turns_total),
            "searching": progress.add_task("searching", total=questions_total),
        }
        measured = measure(
            scratch, conversations, ks, lambda stage, n: progress.advance(tasks[stage], n)
        )

    recalls: dict[int, dict[int, list[float]]] = {k: defaultdict(list) for k in ks}
    top_scores: dict[str, list[float]] = {"answerable": [], "adversarial": []}
    adversarial = [q for q in measured.questions if q.category == ADVERSARIAL]
    for question in measured.questions:
        kind = "adversarial" if question.category == ADVERSARIAL else "answerable"
        top_scores[kind].append(question.top_score or 0.0)
        for k, value in question.recall.items():
            recalls[k][question.category].append(value)

    result: dict[str, Any] = {"embedding": run.embedding}
    for k in ks:
        every = [v for values in recalls[k].values() for v in values]
        result[f"recall@{k}"] = round(statistics.fmean(every), 4) if every else 0.0
        result[f"recall@{k}_by_category"] = {
            CATEGORY_NAMES[c]: round(statistics.fmean(v), 4) for c, v in sorted(recalls[k].items())
        }
    latencies = [q.search_ms for q in measured.questions]
    seconds = measured.ingest_seconds
    result["questions"] = sum(len(v) for v in recalls[ks[0]].values())
    result["turns"] = measured.turns
    result["ingest_per_s"] = round(measured.turns / seconds, 1) if seconds else 0.0
    result["search_p50_ms"] = round(percentile(latencies, 50), 2)
    result["search_p95_ms"] = round(percentile(latencies, 95), 2)
    result["adversarial_questions"] = len(adversarial)
    above = [q for q in adversarial if q.top_score is not None and q.top_score >= threshold]
    result["adversarial_above_threshold"] = (
        round(len(above) / len(adversarial), 4) if adversarial else 0.0
    )
    result["relevance_threshold"] = threshold
    for name, values in top_scores.items():
        result[f"top_score_{name}_p10_p50_p90"] = [
            round(percentile(values, q), 3) for q in (10, 50, 90)
        ]
    return result

"""The retrieval canary: the bundled bilingual set searched with the live embedding and search code.

Beat runs it daily (the `eval_retrieval` job) and `memadvisor eval-retrieval` on demand. It reads
and writes no user's data: the set goes into a scratch store (a temporary SQLite file and Chroma
folder) with the live store's embedding model and search weights. Recall@5 overall, for Chinese,
English and cross-lingual questions, and the run's duration are written to SQL; every API process
exports the latest run as gauges, so a model or configuration change that hurts retrieval shows on
the dashboard (and in an alert) the next day.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Literal

from agent.evaluation.datasets import BILINGUAL, load_folder
from agent.evaluation.retrieval import mean_recall, measure, scratch_store
from memory.retrieval.store import MemoryStore
from memory.storage.models import RetrievalEvaluation
from memory.training.evaluations import EvaluationStore

K = 5
Trigger = Literal["cli", "schedule"]


def run_canary(
    live: MemoryStore,
    evaluations: EvaluationStore,
    *,
    embedding_model: str,
    trigger: Trigger,
    data: Path = BILINGUAL,
) -> RetrievalEvaluation:
    """Measure retrieval on `data` with the live code, store the run and return it."""
    conversations = load_folder(data)
    began = time.perf_counter()
    with scratch_store(live.embeddings, weights=live.weights, prefix="memadvisor-canary-") as s:
        measured = measure(s, conversations, (K, 10))
    duration = time.perf_counter() - began
    answerable = [q for q in measured.questions if q.answerable]
    slices = {name: [q for q in answerable if q.slice == name] for name in ("zh", "en", "cross")}
    latencies = sorted(q.search_ms for q in measured.questions)
    row = RetrievalEvaluation(
        duration_seconds=duration,
        dataset=data.name,
        embedding_model=embedding_model,
        trigger=trigger,
        questions=len(answerable),
        recall_at_5=mean_recall(answerable, K) or 0.0,
        recall_at_5_zh=mean_recall(slices["zh"], K),
        recall_at_5_en=mean_recall(slices["en"], K),
        recall_at_5_cross=mean_recall(slices["cross"], K),
        details={
            "questions": {"all": len(answerable)} | {n: len(q) for n, q in slices.items()},
            "recall_at_10": mean_recall(answerable, 10),
            "turns": measured.turns,
            "search_median_ms": round(statistics.median(latencies), 2) if latencies else None,
        },
    )
    return evaluations.add(row)

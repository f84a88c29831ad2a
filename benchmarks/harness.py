"""Run a retrieval benchmark through the project's real write and search paths, in temporary stores.

Every conversation becomes one user; every turn a memory (its session's date as the memory's time);
every answerable question (categories 1-4 with evidence) is searched as that user and scored with
recall@k = |evidence ∩ retrieved| / |evidence|. Category 5 (adversarial: the answer is not in the
conversation) reports how often the best hit still clears the "relevant" threshold.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.progress import Progress

from agent.services import Services, build_services
from benchmarks.datasets import Conversation
from memadvisor.settings import EmbeddingModel, Settings
from memory.store import NewMemory

ANSWERABLE = (1, 2, 3, 4)
CATEGORY_NAMES = {
    1: "multi-hop",
    2: "temporal",
    3: "open-domain",
    4: "single-hop",
    5: "adversarial",
}
INGEST_BATCH = 128


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
    with tempfile.TemporaryDirectory(prefix="memadvisor-bench-") as folder:
        settings = Settings(_env_file=None, data_dir=Path(folder), embedding_model=run.embedding)
        services = build_services(settings, inline_jobs=True)
        try:
            return _evaluate(services, conversations, ks)
        finally:
            services.close()


def _evaluate(
    services: Services, conversations: Sequence[Conversation], ks: list[int]
) -> dict[str, Any]:
    store = services.memory
    threshold = services.settings.memory_min_score
    recalls: dict[int, dict[int, list[float]]] = {k: defaultdict(list) for k in ks}
    latencies: list[float] = []
    adversarial_hits = adversarial_total = 0
    top_scores: dict[str, list[float]] = {"answerable": [], "adversarial": []}
    turns_total = sum(len(c.turns) for c in conversations)
    ingest_seconds = 0.0

    with Progress(console=None, transient=True, redirect_stdout=False) as progress:
        progress.console.file = sys.stderr
        ingest_task = progress.add_task("ingesting turns", total=turns_total)
        users: dict[str, tuple[int, dict[str, str]]] = {}
        for conversation in conversations:
            user_id = services.accounts.local(f"bench-{conversation.name}"[:64]).id
            id_to_dia: dict[str, str] = {}
            for start in range(0, len(conversation.turns), INGEST_BATCH):
                batch = conversation.turns[start : start + INGEST_BATCH]
                began = time.perf_counter()
                ids = store.add_many(
                    user_id,
                    [
                        NewMemory(
                            t.memory_text,
                            "turn",
                            t.when,
                            t.dia_id,
                            thread=f"session-{t.session}",
                            speaker=t.speaker,
                        )
                        for t in batch
                    ],
                )
                ingest_seconds += time.perf_counter() - began
                id_to_dia.update(zip(ids, (t.dia_id for t in batch), strict=True))
                progress.advance(ingest_task, len(batch))
            users[conversation.name] = (user_id, id_to_dia)

        questions = [(c, q) for c in conversations for q in c.questions]
        search_task = progress.add_task("searching", total=len(questions))
        for conversation, question in questions:
            progress.advance(search_task)
            user_id, id_to_dia = users[conversation.name]
            answerable = question.category in ANSWERABLE and question.evidence
            if not answerable and question.category != 5:
                continue
            began = time.perf_counter()
            found = store.search(user_id, question.question, max(ks))
            latencies.append((time.perf_counter() - began) * 1000)
            top = (found[0].score or 0.0) if found else 0.0
            top_scores["adversarial" if question.category == 5 else "answerable"].append(top)
            if question.category == 5:
                adversarial_total += 1
                adversarial_hits += bool(found and (found[0].score or 0) >= threshold)
                continue
            retrieved = [id_to_dia.get(m.id, "") for m in found]
            evidence = set(question.evidence)
            for k in ks:
                hit = len(evidence & set(retrieved[:k])) / len(evidence)
                recalls[k][question.category].append(hit)

    result: dict[str, Any] = {"embedding": services.settings.embedding_model}
    for k in ks:
        every = [v for values in recalls[k].values() for v in values]
        result[f"recall@{k}"] = round(statistics.fmean(every), 4) if every else 0.0
        result[f"recall@{k}_by_category"] = {
            CATEGORY_NAMES[c]: round(statistics.fmean(v), 4) for c, v in sorted(recalls[k].items())
        }
    result["questions"] = sum(len(v) for v in recalls[ks[0]].values())
    result["turns"] = turns_total
    result["ingest_per_s"] = round(turns_total / ingest_seconds, 1) if ingest_seconds else 0.0
    result["search_p50_ms"] = round(percentile(latencies, 50), 2)
    result["search_p95_ms"] = round(percentile(latencies, 95), 2)
    result["adversarial_questions"] = adversarial_total
    result["adversarial_above_threshold"] = (
        round(adversarial_hits / adversarial_total, 4) if adversarial_total else 0.0
    )
    result["relevance_threshold"] = threshold
    for name, values in top_scores.items():
        result[f"top_score_{name}_p10_p50_p90"] = [
            round(percentile(values, q), 3) for q in (10, 50, 90)
        ]
    return result

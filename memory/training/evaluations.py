"""Results of the retrieval canary in SQL: one row per run, the latest one exported as gauges.

SQL, not the process that ran it, is where the figures live: the canary runs in a Celery worker
or a command-line process, and every API process reads the latest run at scrape time.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from memadvisor.sql_gauges import CanaryRun
from memory.storage.models import RetrievalEvaluation


class EvaluationStore:
    """Record canary runs; read the latest ones."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def add(self, row: RetrievalEvaluation) -> RetrievalEvaluation:
        """Store one run."""
        with self._sessions.begin() as session:
            session.add(row)
            session.flush()
            session.expunge(row)
        return row

    def latest(self, limit: int = 1) -> list[RetrievalEvaluation]:
        """The newest runs, newest first."""
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(RetrievalEvaluation)
                    .order_by(RetrievalEvaluation.finished_at.desc(), RetrievalEvaluation.id.desc())
                    .limit(limit)
                )
            )

    def latest_run(self) -> CanaryRun | None:
        """The newest run in the shape of the canary gauges, or None before the first."""
        rows = self.latest(1)
        if not rows:
            return None
        row = rows[0]
        recall = {
            "all": row.recall_at_5,
            "zh": row.recall_at_5_zh,
            "en": row.recall_at_5_en,
            "cross": row.recall_at_5_cross,
        }
        questions = row.details.get("questions", {}) if isinstance(row.details, dict) else {}
        return CanaryRun(
            finished_at=row.finished_at.timestamp(),
            duration_seconds=row.duration_seconds,
            embedding_model=row.embedding_model,
            recall_at_5={k: v for k, v in recall.items() if v is not None},
            questions={str(k): int(v) for k, v in questions.items()},
        )

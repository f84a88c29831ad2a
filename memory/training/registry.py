"""What fine-tuning may learn from, and what it learnt from: examples, data sets, adapters.

Only users who turned on the `model_training` consent contribute. Their valid structured answers
are kept as examples (prompt and answer, encrypted like everything they confide); each export is a
data set that records whose examples it holds; each adapter records its data set. When a user
erases their account or withdraws the consent, every data set holding their examples, and every
adapter trained on one, is marked stale in the same transaction: a model cannot forget a person,
so it must be retrained without them (the next export leaves them out).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Literal

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from memory.storage.models import (
    Consent,
    ModelAdapter,
    TrainingExample,
    TrainingSet,
    TrainingSetUser,
    utcnow,
)
from memory.storage.owners import owned_write

MODEL_TRAINING: Final = "model_training"
"""The consent, beside the data types, that lets a user's approved answers train models."""

StaleReason = Literal["erasure", "consent_withdrawn"]
Task = Literal["recommend", "profile", "facts"]


ADAPTER_ID_HEX = 16


def adapter_id(path: Path) -> str:
    """An adapter's id: `lora-` and the start of its GGUF file's SHA-256 (the same everywhere)."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return f"lora-{digest.hexdigest()[:ADAPTER_ID_HEX]}"


@dataclass(frozen=True, slots=True)
class Adapter:
    """A trained adapter as the registry knows it."""

    id: str
    set_id: str | None
    base_model: str
    path: str
    created_at: datetime
    stale_at: datetime | None
    stale_reason: str | None

    @property
    def stale(self) -> bool:
        """Trained on examples of someone who is owed forgetting: retrain before serving it."""
        return self.stale_at is not None


def mark_stale(session: Session, user_id: int, reason: StaleReason) -> list[str]:
    """In the caller's transaction: mark stale what holds this user's examples; forget the link.

    Returns the ids of the adapters newly marked. The link rows go (the sets stay, stale, with no
    trace of who caused it), and so do the user's kept examples.
    """
    set_ids = list(
        session.scalars(select(TrainingSetUser.set_id).where(TrainingSetUser.user_id == user_id))
    )
    marked: list[str] = []
    if set_ids:
        now = utcnow()
        session.execute(
            update(TrainingSet)
            .where(TrainingSet.id.in_(set_ids), TrainingSet.stale_at.is_(None))
            .values(stale_at=now, stale_reason=reason)
        )
        marked = list(
            session.scalars(
                select(ModelAdapter.id).where(
                    ModelAdapter.set_id.in_(set_ids), ModelAdapter.stale_at.is_(None)
                )
            )
        )
        if marked:
            session.execute(
                update(ModelAdapter)
                .where(ModelAdapter.id.in_(marked))
                .values(stale_at=now, stale_reason=reason)
            )
        session.execute(delete(TrainingSetUser).where(TrainingSetUser.user_id == user_id))
    session.execute(delete(TrainingExample).where(TrainingExample.user_id == user_id))
    return marked


class TrainingRegistry:
    """Examples of consenting users, the data sets exported from them, the adapters trained."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def consenting(self) -> list[int]:
        """The users who allow their answers to train models, in id order."""
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(Consent.user_id)
                    .where(Consent.data_type == MODEL_TRAINING, Consent.granted.is_(True))
                    .order_by(Consent.user_id)
                )
            )

    def record(
        self,
        user_id: int,
        *,
        task: Task,
        language: str,
        messages: Sequence[Mapping[str, str]],
        answer: dict[str, Any],
        labels: Mapping[str, tuple[str, int | str]] | None = None,
        source_id: str | None = None,
    ) -> bool:
        """Keep one valid answer and its exact prompt, only if the user consents (else False)."""
        with owned_write(self._sessions, user_id) as session:
            consent = session.get(Consent, (user_id, MODEL_TRAINING))
            if consent is None or not consent.granted:
                return False
            prompt = {
                "messages": [dict(m) for m in messages],
                "labels": {k: list(v) for k, v in (labels or {}).items()},
            }
            session.add(
                TrainingExample(
                    user_id=user_id,
                    task=task,
                    source_id=source_id,
                    language=language,
                    prompt=prompt,
                    answer=answer,
                )
            )
        return True

    def examples(self, user_id: int) -> list[TrainingExample]:
        """A user's kept examples, oldest first."""
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(TrainingExample)
                    .where(TrainingExample.user_id == user_id)
                    .order_by(TrainingExample.id)
                )
            )

    def add_set(self, set_id: str, per_user: Mapping[int, int], examples: int) -> None:
        """Record an export: its size and how many examples each user gave."""
        with self._sessions.begin() as session:
            session.add(TrainingSet(id=set_id, examples=examples))
            session.flush()
            session.add_all(
                TrainingSetUser(set_id=set_id, user_id=user_id, examples=n)
                for user_id, n in per_user.items()
            )

    def set_stale(self, set_id: str) -> bool | None:
        """Whether the data set is stale; None when this database never exported it."""
        with self._sessions() as session:
            row = session.get(TrainingSet, set_id)
            return None if row is None else row.stale_at is not None

    def add_adapter(
        self, adapter_id: str, *, set_id: str | None, base_model: str, path: str
    ) -> Adapter:
        """Record a trained adapter (again: its path is updated); born stale on a stale set."""
        with self._sessions.begin() as session:
            known = session.get(TrainingSet, set_id) if set_id else None
            row = session.get(ModelAdapter, adapter_id)
            if row is None:
                row = ModelAdapter(id=adapter_id, base_model=base_model, path=path)
                session.add(row)
            row.set_id = known.id if known else None
            row.base_model, row.path = base_model, path
            if known is not None and known.stale_at is not None and row.stale_at is None:
                row.stale_at, row.stale_reason = known.stale_at, known.stale_reason
            session.flush()
            return _adapter(row)

    def adapters(self, *, stale_only: bool = False) -> list[Adapter]:
        """Every known adapter, newest first."""
        stmt = select(ModelAdapter).order_by(ModelAdapter.created_at.desc())
        if stale_only:
            stmt = stmt.where(ModelAdapter.stale_at.is_not(None))
        with self._sessions() as session:
            return [_adapter(row) for row in session.scalars(stmt)]

    def adapter(self, adapter_id: str) -> Adapter | None:
        """One adapter, or None if unknown here."""
        with self._sessions() as session:
            row = session.get(ModelAdapter, adapter_id)
            return None if row is None else _adapter(row)


def _adapter(row: ModelAdapter) -> Adapter:
    return Adapter(
        id=row.id,
        set_id=row.set_id,
        base_model=row.base_model,
        path=row.path,
        created_at=row.created_at,
        stale_at=row.stale_at,
        stale_reason=row.stale_reason,
    )

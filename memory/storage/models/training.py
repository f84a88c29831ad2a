"""What fine-tuning learns from (examples, data sets, adapters) and the retrieval canary's runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Double, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from memory.storage.crypto import EncryptedJSON
from memory.storage.models.base import NEVER_REUSED, Base, UTCDateTime, new_id, utcnow


class TrainingExample(Base):
    """A prompt and the valid JSON answer it got, kept for fine-tuning with the user's consent.

    Written only while the user allows `model_training`; withdrawing it deletes them. The export
    keeps the recommendation items the user approved and the other answers as they are.
    """

    __tablename__ = "training_examples"
    __table_args__ = (Index("ix_training_examples_user_task", "user_id", "task"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    task: Mapped[str] = mapped_column(String(32))
    """`recommend`, `profile` or `facts`."""
    source_id: Mapped[str | None] = mapped_column(String(64))
    """The row the answer became (a recommendation set's id), to find the user's verdicts."""
    language: Mapped[str] = mapped_column(String(8), default="en")
    prompt: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    """`{"messages": [{"role", "content"}], "labels": {"I1": ["user_insights", 5], ...}}`."""
    answer: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    """The validated answer, as the program stored it."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TrainingSet(Base):
    """One `memadvisor finetune export`: which users' examples went into which data set."""

    __tablename__ = "training_sets"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    examples: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stale_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Set when a user in it erased their account or withdrew `model_training`."""
    stale_reason: Mapped[str | None] = mapped_column(String(32))
    """`erasure` or `consent_withdrawn` (no user is named)."""


class TrainingSetUser(Base):
    """A user whose examples are in a data set (deleted with the user, after marking it stale)."""

    __tablename__ = "training_set_users"

    set_id: Mapped[str] = mapped_column(
        ForeignKey("training_sets.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    examples: Mapped[int] = mapped_column(Integer, default=0)


class ModelAdapter(Base):
    """A LoRA adapter trained on a data set; stale once a user in that set is owed forgetting."""

    __tablename__ = "model_adapters"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    """`lora-` and the start of the SHA-256 of its GGUF file (the same wherever it is served)."""
    set_id: Mapped[str | None] = mapped_column(
        ForeignKey("training_sets.id", ondelete="SET NULL"), index=True
    )
    base_model: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(String(1024))
    """Where `finetune train` wrote it."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stale_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stale_reason: Mapped[str | None] = mapped_column(String(32))


class RetrievalEvaluation(Base):
    """One run of the retrieval canary: the bundled bilingual set searched with the live code.

    Holds no user data (the canary runs in a scratch store), so erasure never needs to look here.
    """

    __tablename__ = "retrieval_evaluations"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    duration_seconds: Mapped[float] = mapped_column(Double)
    """Ingestion and search, model loading excluded."""
    dataset: Mapped[str] = mapped_column(String(64))
    embedding_model: Mapped[str] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(16))
    """`cli` (on demand) or `schedule` (beat's daily run)."""
    questions: Mapped[int] = mapped_column(Integer)
    recall_at_5: Mapped[float] = mapped_column(Double)
    """Mean recall@5 over every answerable question (what `benchmarks.locomo` reports)."""
    recall_at_5_zh: Mapped[float | None] = mapped_column(Double)
    """Chinese questions about Chinese turns; None when the set has none."""
    recall_at_5_en: Mapped[float | None] = mapped_column(Double)
    """English questions about English turns."""
    recall_at_5_cross: Mapped[float | None] = mapped_column(Double)
    """Questions whose evidence is (partly) in the other language."""
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Questions per slice, recall@10, search latency: what else the run measured."""

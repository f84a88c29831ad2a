"""SQLAlchemy models: the source of truth for everything the product knows about a user.

The vector index holds copies of `memories` rows only and can always be rebuilt from them.
Columns are portable between SQLite and MySQL (utf8mb4): `String(255)` for indexed text, `LongText`
for bodies (MySQL `TEXT` stops at 64 KB), timezone-aware datetimes with microseconds. What a user
confides (messages, answers, memories, titles, profile, data, insights, comments) is stored
encrypted (`EncryptedText`, `EncryptedJSON`); nothing may filter or sort on those columns in SQL.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Double,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from memory.crypto import EncryptedJSON, EncryptedText, LongText

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC (SQLite and MySQL would hand back naive values)."""

    # MySQL's plain DATETIME drops microseconds; caches and orderings rely on them.
    impl = DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql")
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Store as naive UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Read back as aware UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


def new_id() -> str:
    """A random, unguessable id for rows that appear in URLs."""
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    """Declarative base with one naming convention: constraints get the same names everywhere."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    """An account. Every other row belongs to exactly one user and is deleted with it."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    """As the person typed it (NFKC, width-mapped); unique through `username_key`."""
    username_key: Mapped[str] = mapped_column(
        String(255).with_variant(mysql.VARCHAR(255, collation="utf8mb4_bin"), "mysql"), unique=True
    )
    """The form every variant of the name shares (`memory/usernames.py`): case-folded,
    look-alikes replaced. Compared byte for byte, also on MySQL, whose default collation would
    fold more (accents) than the rule says."""
    email: Mapped[str | None] = mapped_column(String(255))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    """None for local users of the CLI or the development convenience (they cannot log in)."""
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Conversation(Base):
    """A thread of turns; the id is random because it appears in URLs."""

    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(EncryptedText, default="")
    """The start of the first message, so it is encrypted like the message."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConversationTurn(Base):
    """One exchange: what the user wrote and what the model answered (the seed's history).

    The input is written before the model runs, so a message survives a model that is down.
    """

    __tablename__ = "conversation_history"
    __table_args__ = (
        Index("ix_conversation_history_conv_time", "conversation_id", "created_at"),
        # Engagement counts users active since a time: a range scan that never reads the rows.
        Index("ix_conversation_history_time_user", "created_at", "user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    input_text: Mapped[str] = mapped_column(EncryptedText)
    output_text: Mapped[str | None] = mapped_column(EncryptedText)
    """None while the answer is being generated or when the model failed."""
    status: Mapped[str] = mapped_column(String(16), default="pending")
    """`pending`, `answered` or `failed`."""
    error: Mapped[str | None] = mapped_column(Text)
    prompt_version: Mapped[str | None] = mapped_column(String(64))
    model_name: Mapped[str | None] = mapped_column(String(255))
    memories_used: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    """The memories the answer was given, best first: `[{"id", "score"}]` (ids, never text, so a
    forgotten memory leaves nothing behind here)."""
    answered_by: Mapped[str | None] = mapped_column(String(16))
    """`model`, or `fallback` (put together without the model, which cannot write the message's
    language); None while pending and for turns answered before this was recorded (the model)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MemoryRow(Base):
    """One thing the assistant remembers about a user, in the language it was written in.

    `kind` says where it came from (`turn`, `data`, `insight`, `summary`, `fact`) and
    `source_id` points at that row. Memories of one thread (a conversation, a session) are ordered
    by `position`; search reads each memory together with its neighbours. The Chroma vector with
    the same id is a derived copy.
    """

    __tablename__ = "memories"
    __table_args__ = (
        Index("ix_memories_user_kind", "user_id", "kind"),
        # Unique: two writers of one thread can never take the same position (`memory.clock`).
        Index("ix_memories_user_thread_position", "user_id", "thread_id", "position", unique=True),
        Index("ix_memories_user_seq", "user_id", "seq"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(EncryptedText)
    source_id: Mapped[str | None] = mapped_column(String(64))
    thread_id: Mapped[str | None] = mapped_column(String(64))
    """The conversation or session the memory belongs to; None for standalone memories."""
    position: Mapped[int] = mapped_column(Integer, default=0)
    """Order within the thread."""
    speaker: Mapped[str | None] = mapped_column(String(64))
    """Who said it, when a thread has several speakers (e.g. an imported transcript)."""
    people: Mapped[str] = mapped_column(LongText, default="")
    """Keyed hashes of the people the memory names (its speaker, names in its text): a query
    naming one of them favours it. Hashed like `terms`, so names are not stored."""
    terms: Mapped[str] = mapped_column(LongText, default="")
    """Keyword-search terms of `text` (segmented, stemmed), space-separated, each replaced by its
    keyed hash (`Keyring.hash_terms`) so the words themselves are not stored."""
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    indexed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    """When the vector copy was written; None means `reindex` (or the next start) still owes it."""
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When an answer was last given this memory (None: never), so a later correction or deletion
    by the user can be counted as a retrieval that misled the model."""
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    """The user's `MemoryClock.seq` at the row's last change (written, edited, indexed): searches
    in every process read only the rows past the sequence their in-memory index has seen."""


class MemoryClock(Base):
    """One row per user: the sequence of changes to their memories, and the lock of their writes.

    Every write of a user's memories advances `seq` first, which holds this row's lock until the
    commit, so the user's writes commit in sequence order and thread positions are assigned one
    writer at a time. `generation` changes when every index must be rebuilt (reindex, new keys).
    """

    __tablename__ = "memory_clocks"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    generation: Mapped[str] = mapped_column(String(32), default=new_id)


class MemoryTombstone(Base):
    """A memory deleted at a point of its user's sequence, for other processes to drop it.

    Hits are read back from SQL as well, so it never comes back meanwhile. Ids only; removed with
    the account and by `reindex`.
    """

    __tablename__ = "memory_tombstones"
    __table_args__ = (Index("ix_memory_tombstones_user_seq", "user_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    memory_id: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(BigInteger)


class UserProfile(Base):
    """What the assistant has concluded about a user: a summary and structured preferences."""

    __tablename__ = "user_profiles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    summary: Mapped[str] = mapped_column(EncryptedText, default="")
    preferences: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)
    """`{"goals": [...], "likes": [...], "dislikes": [...], "constraints": [...]}`."""
    summarized_turns: Mapped[int] = mapped_column(Integer, default=0)
    """How many answered turns the user had when the summariser last ran (it runs every N more)."""
    edited_by_user: Mapped[bool] = mapped_column(Boolean, default=False)
    """The user corrected the profile by hand; the summariser builds on their words."""
    height_cm: Mapped[float | None] = mapped_column(Float)
    """The user's height, entered by them; with the latest weight it gives the BMI."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UserData(Base):
    """A typed record (health, finance, education, behavior, custom), validated at the edge.

    `data` follows the type's schema in `memory.datatypes`.
    """

    __tablename__ = "user_data"
    __table_args__ = (Index("ix_user_data_user_type_time", "user_id", "data_type", "recorded_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    data_type: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Consent(Base):
    """Whether a user agreed to the collection and use of one type of data.

    No row means no consent: a type is neither stored, analysed nor put in a prompt until the user
    turns it on.
    """

    __tablename__ = "consents"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    data_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    granted: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UserInsight(Base):
    """A conclusion drawn from a user's data or conversations, citing what it rests on.

    An analyser owns the insights with its `key` (e.g. `health.steps`) and replaces them on each
    run, so rerunning an analysis never piles up copies.
    """

    __tablename__ = "user_insights"
    __table_args__ = (Index("ix_user_insights_user_key", "user_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(32))
    """The dimension: `health`, `finance`, `education`, `behavior` or `conversation`."""
    key: Mapped[str] = mapped_column(String(64), default="")
    """Which analysis rule produced it."""
    text: Mapped[str] = mapped_column(EncryptedText)
    """The conclusion in the user's language."""
    severity: Mapped[str] = mapped_column(String(16), default="info")
    """`info`, `good`, `warning` or `alert`."""
    figures: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)
    """The numbers behind the text (averages, targets, window), so a client can chart them."""
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Ids of the records (`data:<id>`) or memories (`memory:<id>`) it rests on."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Feedback(Base):
    """A user's verdict on an answer or a recommendation, per prompt version."""

    __tablename__ = "feedback"
    __table_args__ = (Index("ix_feedback_time_type", "created_at", "target_type"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    target_type: Mapped[str] = mapped_column(String(32))
    """`turn` or `recommendation`."""
    target_id: Mapped[str] = mapped_column(String(64))
    rating: Mapped[int] = mapped_column(Integer)
    """+1 (thumbs up) or -1 (thumbs down)."""
    comment: Mapped[str | None] = mapped_column(EncryptedText)
    adopted: Mapped[bool] = mapped_column(Boolean, default=False)
    prompt_version: Mapped[str | None] = mapped_column(String(64))
    variant: Mapped[str | None] = mapped_column(String(32))
    """The prompt variant (A/B arm) the user was assigned when the target was produced."""
    with_memories: Mapped[bool | None] = mapped_column(Boolean)
    """For an answer: whether it was given at least one memory (approval with vs without memories
    is an online signal of retrieval quality); None for recommendations."""
    model_name: Mapped[str | None] = mapped_column(String(255))
    """The model that wrote the target, so approval can be compared by model."""
    adapter_id: Mapped[str | None] = mapped_column(String(64))
    """The fine-tuned adapter loaded on that model, if any (see `ModelAdapter`)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MemoryChange(Base):
    """The history of a consolidated memory: what it said before an update or a deletion.

    Consolidation keeps one current fact ("lives in Shanghai") and this trail of how it changed.
    """

    __tablename__ = "memory_history"
    __table_args__ = (Index("ix_memory_history_user_memory", "user_id", "memory_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    memory_id: Mapped[str] = mapped_column(String(32))
    event: Mapped[str] = mapped_column(String(16))
    """`add`, `update` or `delete`."""
    old_text: Mapped[str | None] = mapped_column(EncryptedText)
    new_text: Mapped[str | None] = mapped_column(EncryptedText)
    source_id: Mapped[str | None] = mapped_column(String(64))
    """The memory (usually a chat turn) whose new fact caused the change."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Recommendation(Base):
    """A set of recommendations for one user, cached until the data behind it changes."""

    __tablename__ = "recommendations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    """`{"health": [{"id", "advice", "rationale", "sources"}], ...}`, validated before storing."""
    basis: Mapped[str] = mapped_column(String(128))
    """A fingerprint of the data, turns, insights and profile it was computed from."""
    language: Mapped[str] = mapped_column(String(8), default="en")
    prompt_version: Mapped[str] = mapped_column(String(64))
    variant: Mapped[str | None] = mapped_column(String(32))
    model_name: Mapped[str | None] = mapped_column(String(255))
    adapter_id: Mapped[str | None] = mapped_column(String(64))
    """The fine-tuned adapter (LoRA) that was loaded on the model, if any."""
    written_by: Mapped[str] = mapped_column(String(16), default="model")
    """`model` or `rules`."""
    written_by_reason: Mapped[str | None] = mapped_column(String(32))
    """Why the rules wrote it: `configured`, `language`, `model_invalid` or `model_unavailable`."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TrainingExample(Base):
    """A prompt and the valid JSON answer it got, kept for fine-tuning with the user's consent.

    Written only while the user allows `model_training`; withdrawing it deletes them. The export
    keeps the recommendation items the user approved and the other answers as they are.
    """

    __tablename__ = "training_examples"
    __table_args__ = (Index("ix_training_examples_user_task", "user_id", "task"),)

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


class AuthSession(Base):
    """One sign-in: the family of refresh tokens issued from one login, revocable as a whole.

    Access tokens name their session (`sid`), so logging out or revoking it ends them at once.
    """

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    """After this no refresh token of the session is accepted; the user signs in again."""
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Set by logout, or when a rotated refresh token is presented again (likely stolen)."""


class RefreshToken(Base):
    """A refresh token, stored only as a SHA-256 hash; each is used once and then rotated."""

    __tablename__ = "refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When it was exchanged for a new one; a second use revokes the whole session."""


class AuditEntry(Base):
    """Who read, wrote, deleted or exported which sensitive data, and when (the user can see it)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_user_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(16))
    """`read`, `write`, `delete`, `export` or `login`."""
    resource: Mapped[str] = mapped_column(String(32))
    """`memories`, `conversation`, `profile`, `user_data`, `account` or `session`."""
    resource_id: Mapped[str | None] = mapped_column(String(64))
    client: Mapped[str | None] = mapped_column(String(64))
    """The client address the request came from, when known."""
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RetrievalEvaluation(Base):
    """One run of the retrieval canary: the bundled bilingual set searched with the live code.

    Holds no user data (the canary runs in a scratch store), so erasure never needs to look here.
    """

    __tablename__ = "retrieval_evaluations"

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

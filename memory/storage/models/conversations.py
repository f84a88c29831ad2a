"""Conversations and their turns, recommendation sets, and users' feedback on both."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from memory.storage.crypto import EncryptedJSON, EncryptedText
from memory.storage.models.base import NEVER_REUSED, Base, UTCDateTime, new_id, utcnow


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
        NEVER_REUSED,
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


class Feedback(Base):
    """A user's verdict on an answer or a recommendation, per prompt version."""

    __tablename__ = "feedback"
    __table_args__ = (Index("ix_feedback_time_type", "created_at", "target_type"), NEVER_REUSED)

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

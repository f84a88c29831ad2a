"""Typed user records, the consent that gates each type, and the insights drawn from them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from memory.storage.crypto import EncryptedJSON, EncryptedText
from memory.storage.models.base import NEVER_REUSED, Base, UTCDateTime, utcnow


class UserData(Base):
    """A typed record (health, finance, education, behavior, custom), validated at the edge.

    `data` follows the type's schema in `memory.records.datatypes`.
    """

    __tablename__ = "user_data"
    __table_args__ = (
        Index("ix_user_data_user_type_time", "user_id", "data_type", "recorded_at"),
        NEVER_REUSED,
    )

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
    __table_args__ = (Index("ix_user_insights_user_key", "user_id", "key"), NEVER_REUSED)

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

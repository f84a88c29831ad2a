"""Memories, the per-user clock that orders their writes, tombstones, and consolidation history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from memory.storage.crypto import EncryptedText, LongText
from memory.storage.models.base import NEVER_REUSED, Base, UTCDateTime, new_id, utcnow


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
        # Unique: two writers of one thread never take the same position (`memory.retrieval.clock`).
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
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When a newer statement about the same thing replaced this fact (None: current)."""
    superseded_by: Mapped[str | None] = mapped_column(String(32))
    """The id of the memory that replaced this one (None: current, or its replacement is gone)."""
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
    __table_args__ = (Index("ix_memory_tombstones_user_seq", "user_id", "seq"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    memory_id: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(BigInteger)


class MemoryChange(Base):
    """The history of a consolidated memory: what it said before an update or a deletion.

    Consolidation keeps one current fact ("lives in Shanghai") and this trail of how it changed.
    """

    __tablename__ = "memory_history"
    __table_args__ = (Index("ix_memory_history_user_memory", "user_id", "memory_id"), NEVER_REUSED)

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

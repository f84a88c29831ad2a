"""Right of access and right to erasure: everything held about one user, found in one place.

Every table that holds a user's rows is listed in `USER_TABLES`; a test checks that it names every
table with a `user_id`, so a new table cannot be forgotten by export or erasure.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session, sessionmaker

from memory.retrieval.store import MemoryStore
from memory.storage.models import (
    AuditEntry,
    AuthSession,
    Base,
    Consent,
    Conversation,
    ConversationTurn,
    Feedback,
    MemoryChange,
    MemoryClock,
    MemoryRow,
    MemoryTombstone,
    PersonalAccessToken,
    Recommendation,
    RefreshToken,
    TrainingExample,
    TrainingSetUser,
    User,
    UserData,
    UserInsight,
    UserProfile,
)
from memory.training.registry import mark_stale

USER_TABLES: dict[str, type[Base]] = {
    "conversations": Conversation,
    "conversation_history": ConversationTurn,
    "memories": MemoryRow,
    "memory_history": MemoryChange,
    "memory_clocks": MemoryClock,
    "memory_tombstones": MemoryTombstone,
    "user_profiles": UserProfile,
    "user_data": UserData,
    "consents": Consent,
    "user_insights": UserInsight,
    "recommendations": Recommendation,
    "feedback": Feedback,
    "training_examples": TrainingExample,
    "training_set_users": TrainingSetUser,
    "auth_sessions": AuthSession,
    "refresh_tokens": RefreshToken,
    "access_tokens": PersonalAccessToken,
    "audit_log": AuditEntry,
}
"""Tables with a `user_id` column, in the order export lists them (erasure runs it backwards, so
children come after their parents here)."""

PRIVATE_COLUMNS = {
    "users": {"password_hash"},
    "memories": {"terms", "people"},
    "refresh_tokens": {"token_hash"},
    "access_tokens": {"token_hash"},
}
"""Columns left out of an export: secrets, and derived search data."""


def _row(obj: Base) -> dict[str, Any]:
    table = obj.__table__
    hidden = PRIVATE_COLUMNS.get(str(getattr(table, "name", "")), set())
    out: dict[str, Any] = {}
    for column in table.columns:
        if column.name in hidden:
            continue
        value = getattr(obj, column.key)
        out[column.name] = value.isoformat() if isinstance(value, datetime) else value
    return out


class PrivacyService:
    """Export and erase one user's data across SQL and the vector index."""

    def __init__(self, *, sessions: sessionmaker[Session], memory: MemoryStore) -> None:
        self._sessions = sessions
        self._memory = memory

    def export(self, user_id: int) -> dict[str, Any]:
        """Everything held about the user, as one JSON-able document.

        Imported text can hold spreadsheet formulas: JSON carries them inertly, but a CSV form
        of this export must pass every cell through `memory.records.spreadsheet.spreadsheet_safe`.
        """
        with self._sessions() as session:
            user = session.get_one(User, user_id)
            document: dict[str, Any] = {"account": _row(user)}
            for name, model in USER_TABLES.items():
                column = model.__table__.c["user_id"]
                rows = session.scalars(select(model).where(column == user_id)).all()
                document[name] = [_row(row) for row in rows]
        return document

    def erase(self, user_id: int) -> None:
        """Delete the user everywhere: every SQL row in one transaction, then vectors and caches.

        Data sets and adapters trained on the user's examples are marked stale in the same
        transaction (a model cannot forget: it must be retrained without them). Vectors go after
        the commit, so one an indexer writes meanwhile is erased here or by that indexer
        (`memory.indexing`); the `sweep_erased` job looks once more.
        """
        with self._sessions.begin() as session:
            # The clock first: every writer of memories holds it until its commit, so none is
            # halfway through while the rows go, and those that come later find no user.
            session.execute(delete(MemoryClock).where(MemoryClock.user_id == user_id))
            mark_stale(session, user_id, "erasure")
            for model in reversed(list(USER_TABLES.values())):
                column = model.__table__.c["user_id"]
                session.execute(delete(model).where(column == user_id))
            session.execute(delete(User).where(User.id == user_id))
        self._memory.forget_user(user_id)
        with self._sessions() as session:
            if session.get_bind().dialect.name == "sqlite":
                # secure_delete zeroed the pages; move them out of the write-ahead log as well,
                # which still holds the earlier page images.
                session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))

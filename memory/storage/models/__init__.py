"""SQLAlchemy models: the source of truth for everything the product knows about a user.

The vector index holds copies of `memories` rows only and can always be rebuilt from them.
Columns are portable between SQLite, MySQL (utf8mb4) and PostgreSQL: `String(255)` for indexed
text, `LongText` for bodies (MySQL `TEXT` stops at 64 KB), timezone-aware datetimes with
microseconds; integer ids are never reused (`NEVER_REUSED`). What a user confides (messages,
answers, memories, titles, profile, data, insights, comments) is stored encrypted
(`EncryptedText`, `EncryptedJSON`); nothing may filter or sort on those columns in SQL.

The tables are defined by area in this package's modules (accounts, conversations, memories,
records, training) and imported from here, so `Base.metadata` always holds every one of them.
"""

from __future__ import annotations

from memory.storage.models.accounts import (
    AuditEntry,
    AuthSession,
    PersonalAccessToken,
    RefreshToken,
    User,
    UserProfile,
)
from memory.storage.models.base import NEVER_REUSED, Base, UTCDateTime, new_id, utcnow
from memory.storage.models.conversations import (
    Conversation,
    ConversationTurn,
    Feedback,
    Recommendation,
)
from memory.storage.models.memories import MemoryChange, MemoryClock, MemoryRow, MemoryTombstone
from memory.storage.models.records import Consent, UserData, UserInsight
from memory.storage.models.training import (
    ModelAdapter,
    RetrievalEvaluation,
    TrainingExample,
    TrainingSet,
    TrainingSetUser,
)

__all__ = [
    "NEVER_REUSED",
    "AuditEntry",
    "AuthSession",
    "Base",
    "Consent",
    "Conversation",
    "ConversationTurn",
    "Feedback",
    "MemoryChange",
    "MemoryClock",
    "MemoryRow",
    "MemoryTombstone",
    "ModelAdapter",
    "PersonalAccessToken",
    "Recommendation",
    "RefreshToken",
    "RetrievalEvaluation",
    "TrainingExample",
    "TrainingSet",
    "TrainingSetUser",
    "UTCDateTime",
    "User",
    "UserData",
    "UserInsight",
    "UserProfile",
    "new_id",
    "utcnow",
]

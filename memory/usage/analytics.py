"""Anonymised analytics: how the product is used, without names, text or real user ids.

Only counts, categories and months are read: no encrypted column is ever decrypted, and each user
id is replaced by a keyed hash (HMAC-SHA256, truncated), stable across exports with the same key
so trends can be followed, but not reversible without the key. Months, not days, limit how far a
row can be linked back to a person by its timing.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from memory.storage.models import (
    Conversation,
    ConversationTurn,
    Feedback,
    MemoryRow,
    User,
    UserData,
    UserInsight,
)

PSEUDONYM_HEX_CHARS = 16


def pseudonym(user_id: int, key: bytes) -> str:
    """The keyed hash that stands for a user in analytics."""
    return hmac.new(key, str(user_id).encode(), hashlib.sha256).hexdigest()[:PSEUDONYM_HEX_CHARS]


def _month(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m")


def _counts(session: Session, column: Any, *group: Any) -> list[Any]:
    return list(session.execute(select(*group, func.count(column)).group_by(*group)).all())


def analytics_report(sessions: sessionmaker[Session], key: bytes) -> dict[str, Any]:
    """Aggregate statistics overall and per pseudonymous user, as a JSON-able document.

    A CSV form of it must pass every cell through `memory.records.spreadsheet.spreadsheet_safe`.
    """
    per_user: dict[int, dict[str, Any]] = defaultdict(
        lambda: {"conversations": 0, "turns": 0, "memories": {}, "records": {}, "feedback": {}}
    )
    with sessions() as session:
        for user_id, created in session.execute(select(User.id, User.created_at)).all():
            per_user[user_id]["joined"] = _month(created)
        for user_id, n in _counts(session, Conversation.id, Conversation.user_id):
            per_user[user_id]["conversations"] = n
        for user_id, first, last, n in session.execute(
            select(
                ConversationTurn.user_id,
                func.min(ConversationTurn.created_at),
                func.max(ConversationTurn.created_at),
                func.count(ConversationTurn.id),
            ).group_by(ConversationTurn.user_id)
        ).all():
            per_user[user_id].update(turns=n, first_active=_month(first), last_active=_month(last))
        for user_id, kind, n in _counts(session, MemoryRow.id, MemoryRow.user_id, MemoryRow.kind):
            per_user[user_id]["memories"][kind] = n
        for user_id, kind, n in _counts(session, UserData.id, UserData.user_id, UserData.data_type):
            per_user[user_id]["records"][kind] = n
        for user_id, rating, n in _counts(session, Feedback.id, Feedback.user_id, Feedback.rating):
            per_user[user_id]["feedback"]["up" if rating > 0 else "down"] = n
        insights = _counts(session, UserInsight.id, UserInsight.category, UserInsight.severity)
        answers = _counts(
            session, ConversationTurn.id, ConversationTurn.prompt_version, ConversationTurn.status
        )
        variants = _counts(
            session, Feedback.id, Feedback.prompt_version, Feedback.variant, Feedback.rating
        )
    users = [
        {"user": pseudonym(user_id, key), **stats}
        for user_id, stats in sorted(per_user.items(), key=lambda item: pseudonym(item[0], key))
    ]
    return {
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d"),
        "totals": {
            "users": len(users),
            "active_users": sum(1 for u in users if u["turns"]),
            "conversations": sum(u["conversations"] for u in users),
            "turns": sum(u["turns"] for u in users),
            "memories": sum(sum(u["memories"].values()) for u in users),
            "records": sum(sum(u["records"].values()) for u in users),
        },
        "turns_by_prompt": [
            {"prompt_version": version, "status": status, "count": n}
            for version, status, n in answers
        ],
        "insights": [{"category": c, "severity": s, "count": n} for c, s, n in insights],
        "feedback_by_variant": [
            {"prompt_version": version, "variant": variant, "rating": rating, "count": n}
            for version, variant, rating, n in variants
        ],
        "users": users,
    }

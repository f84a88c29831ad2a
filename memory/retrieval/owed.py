"""The background work that SQL records as still owed, so a lost queue loses no work.

A queue (Redis) may drop what it holds; SQL does not. Each job leaves a mark when done (a memory's
`indexed_at`, a profile's `summarized_turns`, a turn's `consolidated` flag), and these queries find
what has no mark yet, for the scheduler to enqueue again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session, sessionmaker

from memory.retrieval.store import CONSOLIDATED
from memory.storage.models import ConversationTurn, MemoryRow, UserData, UserInsight, UserProfile


def users_with_new_turns(sessions: sessionmaker[Session], at_least: int = 1) -> list[int]:
    """Users with `at_least` answered turns that their profile summary has not read yet."""
    answered = (
        select(ConversationTurn.user_id, func.count().label("turns"))
        .where(ConversationTurn.status == "answered")
        .group_by(ConversationTurn.user_id)
        .subquery()
    )
    summarized = func.coalesce(UserProfile.summarized_turns, 0)
    stmt = (
        select(answered.c.user_id)
        .outerjoin(UserProfile, UserProfile.user_id == answered.c.user_id)
        .where(answered.c.turns - summarized >= at_least)
        .order_by(answered.c.user_id)
    )
    with sessions() as session:
        return list(session.scalars(stmt))


def users_with_data(sessions: sessionmaker[Session]) -> list[int]:
    """Users with records or insights: those an analysis can change."""
    stmt = union(select(UserData.user_id), select(UserInsight.user_id))
    with sessions() as session:
        return sorted(int(user_id) for user_id in session.scalars(stmt))


def unconsolidated_turns(sessions: sessionmaker[Session], since: datetime) -> list[tuple[int, str]]:
    """`(user_id, memory_id)` of turn memories since `since` whose facts are not consolidated."""
    stmt = (
        select(MemoryRow.user_id, MemoryRow.id, MemoryRow.meta)
        .where(MemoryRow.kind == "turn", MemoryRow.created_at >= since)
        .order_by(MemoryRow.created_at)
    )
    with sessions() as session:
        rows = session.execute(stmt).all()
    return [
        (user_id, memory_id)
        for user_id, memory_id, meta in rows
        if not (meta or {}).get(CONSOLIDATED)
    ]

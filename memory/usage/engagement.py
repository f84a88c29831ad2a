"""How the product is used, counted in SQL for the engagement gauges: no user is ever named.

Only counts leave this module: users active in a window, messages, thumbs, adoption, consents and
records. Recent activity is counted from the indexes on `(created_at, user_id)` of chat turns and
`(created_at, target_type)` of feedback, so a scrape reads index ranges, never the encrypted text.
The API caches the result (`MEMADVISOR_METRICS_SQL_CACHE_SECONDS`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, case, distinct, func, select
from sqlalchemy.orm import Session, sessionmaker

from memadvisor.sql_gauges import WINDOWS, Engagement
from memory.records.datatypes import DATA_TYPES
from memory.records.userdata import PURPOSES
from memory.storage.models import Consent, ConversationTurn, Feedback, User, UserData, utcnow

RETURNING_DAYS = 7
"""Returning users were active in the last week and in the week before it."""


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """Rows meeting `condition` (a conditional sum: one pass counts every window)."""
    return func.sum(case((condition, 1), else_=0))


def measure(sessions: sessionmaker[Session], now: datetime | None = None) -> Engagement:
    """Count engagement now (or as of `now`): a handful of aggregate queries."""
    now = now or utcnow()
    since = {window: now - timedelta(days=days) for window, days in WINDOWS.items()}
    n = len(WINDOWS)
    turn_time, feedback_time = ConversationTurn.created_at, Feedback.created_at
    answered = ConversationTurn.status == "answered"
    with sessions() as session:
        users = int(session.scalar(select(func.count()).select_from(User)) or 0)
        activity = session.execute(
            select(
                *(
                    func.count(distinct(case((turn_time >= start, ConversationTurn.user_id))))
                    for start in since.values()
                ),
                *(_count_if(turn_time >= start) for start in since.values()),
                *(_count_if((turn_time >= start) & answered) for start in since.values()),
            ).where(turn_time >= min(since.values()))
        ).one()
        active, turns, answers = (
            {w: int(v or 0) for w, v in zip(WINDOWS, activity[i * n : (i + 1) * n], strict=True)}
            for i in range(3)
        )

        week = now - timedelta(days=RETURNING_DAYS)
        last_week = select(ConversationTurn.user_id).where(
            turn_time >= week - timedelta(days=RETURNING_DAYS), turn_time < week
        )
        returning = session.scalar(
            select(func.count(distinct(ConversationTurn.user_id))).where(
                turn_time >= week, ConversationTurn.user_id.in_(last_week)
            )
        )

        answer_feedback: dict[tuple[str, str, str], int] = defaultdict(int)
        recommendation_feedback: dict[tuple[str, str], int] = defaultdict(int)
        adopted: dict[str, int] = dict.fromkeys(WINDOWS, 0)
        verdict = case((Feedback.rating > 0, "up"), else_="down")
        rows = session.execute(
            select(
                Feedback.target_type,
                Feedback.with_memories,
                verdict,
                *(_count_if(feedback_time >= start) for start in since.values()),
                *(
                    _count_if((feedback_time >= start) & Feedback.adopted)
                    for start in since.values()
                ),
            )
            .where(feedback_time >= min(since.values()))
            .group_by(Feedback.target_type, Feedback.with_memories, verdict)
        ).all()
        for target_type, with_memories, rating, *counts in rows:
            for window, count, adoptions in zip(WINDOWS, counts[:n], counts[n:], strict=True):
                if target_type == "turn":
                    memories = "with" if with_memories else "without"
                    answer_feedback[(window, memories, rating)] += int(count or 0)
                else:
                    recommendation_feedback[(window, rating)] += int(count or 0)
                    adopted[window] += int(adoptions or 0)

        consents = dict.fromkeys((*DATA_TYPES, *PURPOSES), 0) | {
            data_type: int(count)
            for data_type, count in session.execute(
                select(Consent.data_type, func.count())
                .where(Consent.granted.is_(True))
                .group_by(Consent.data_type)
            )
        }
        records = dict.fromkeys(DATA_TYPES, 0) | {
            data_type: int(count)
            for data_type, count in session.execute(
                select(UserData.data_type, func.count()).group_by(UserData.data_type)
            )
        }
    return Engagement(
        users=users,
        active_users=active,
        turns=turns,
        answers=answers,
        returning_users=int(returning or 0),
        answer_feedback=dict(answer_feedback),
        recommendation_feedback=dict(recommendation_feedback),
        recommendations_adopted=adopted,
        consents=consents,
        records=records,
    )

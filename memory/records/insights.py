"""The analysers' conclusions in SQL: each analysis replaces the insights of its data type."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from memory.storage.models import UserInsight
from memory.storage.owners import owned_write

SEVERITY_ORDER = {"alert": 0, "warning": 1, "info": 2, "good": 3}
"""Most pressing first."""


@dataclass(frozen=True, slots=True)
class NewInsight:
    """An insight to store; `sources` are `{"kind", "id"}` references (see `SourceRef`)."""

    key: str
    text: str
    severity: str
    figures: dict[str, Any] = field(default_factory=dict)
    sources: list[dict[str, Any]] = field(default_factory=list)


class InsightStore:
    """Replace and read a user's insights."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def replace(self, user_id: int, category: str, insights: Sequence[NewInsight]) -> None:
        """Make these the user's only insights of `category` (in one transaction).

        When the stored ones already say the same, nothing is written: a rerun of an analysis
        (a retried or redelivered job) keeps the rows, so cached recommendations stay valid.
        """
        with owned_write(self._sessions, user_id) as session:
            stored = session.scalars(
                select(UserInsight)
                .where(UserInsight.user_id == user_id, UserInsight.category == category)
                .order_by(UserInsight.id)
            )
            if [_content(row) for row in stored] == [_content(item) for item in insights]:
                return
            session.execute(
                delete(UserInsight).where(
                    UserInsight.user_id == user_id, UserInsight.category == category
                )
            )
            session.add_all(
                UserInsight(
                    user_id=user_id,
                    category=category,
                    key=item.key,
                    text=item.text,
                    severity=item.severity,
                    figures=item.figures,
                    sources=item.sources,
                )
                for item in insights
            )

    def list(self, user_id: int, categories: set[str] | None = None) -> list[UserInsight]:
        """The user's insights, most pressing first; only `categories` when given."""
        stmt = select(UserInsight).where(UserInsight.user_id == user_id)
        if categories is not None:
            stmt = stmt.where(UserInsight.category.in_(categories))
        with self._sessions() as session:
            rows = list(session.scalars(stmt.order_by(UserInsight.id)))
        rows.sort(key=lambda row: SEVERITY_ORDER.get(row.severity, 9))
        return rows


def _content(item: UserInsight | NewInsight) -> tuple[Any, ...]:
    """What an insight says, to compare a stored one with a new one."""
    return (item.key, item.text, item.severity, item.figures, item.sources)

"""The audit log: who read, wrote, deleted or exported a user's sensitive data, and when.

Rows are written by `api/` (one helper, `api.audit`) for every request that touches sensitive
data; the user can read their own log, it is part of their export, and it is erased with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from memory.storage.models import AuditEntry
from memory.storage.owners import owned_write

Action = Literal["read", "write", "delete", "export", "login", "logout"]
Resource = Literal[
    "account",
    "memories",
    "conversation",
    "profile",
    "user_data",
    "insights",
    "session",
    "access_tokens",
    "consent",
    "recommendations",
    "feedback",
]


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One entry as other layers see it."""

    action: str
    resource: str
    resource_id: str | None
    client: str | None
    at: datetime


class AuditLog:
    """Append and read a user's audit entries."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def record(
        self,
        user_id: int,
        action: Action,
        resource: Resource,
        resource_id: str | None = None,
        *,
        client: str | None = None,
    ) -> None:
        """Append one entry."""
        with owned_write(self._sessions, user_id) as session:
            session.add(
                AuditEntry(
                    user_id=user_id,
                    action=action,
                    resource=resource,
                    resource_id=resource_id[:64] if resource_id else None,
                    client=client[:64] if client else None,
                )
            )

    def entries(self, user_id: int, *, limit: int = 50, offset: int = 0) -> list[AuditRecord]:
        """The user's entries, newest first."""
        stmt = (
            select(AuditEntry)
            .where(AuditEntry.user_id == user_id)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(limit)
            .offset(offset)
        )
        with self._sessions() as session:
            return [
                AuditRecord(row.action, row.resource, row.resource_id, row.client, row.at)
                for row in session.scalars(stmt)
            ]

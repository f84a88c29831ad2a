"""The declarative base with its naming convention, and what every table's columns use."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NEVER_REUSED: dict[str, Any] = {"sqlite_autoincrement": True}
"""Table options of every table with an integer key: an id is never handed out twice.

SQLite would otherwise reuse the highest deleted rowid, so the account (or turn, record) made
after an erasure would get the erased one's id, and a late write by id would land on it. MySQL's
InnoDB and PostgreSQL never reuse ids anyway."""

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC (SQLite and MySQL would hand back naive values)."""

    # MySQL's plain DATETIME drops microseconds; caches and orderings rely on them.
    impl = DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql")
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Store as naive UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Read back as aware UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


def new_id() -> str:
    """A random, unguessable id for rows that appear in URLs."""
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    """Declarative base with one naming convention: constraints get the same names everywhere."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)

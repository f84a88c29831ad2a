"""MySQL keeps microseconds of every time (DATETIME(6)); SQLite already did.

MySQL's plain DATETIME drops the fraction of a second, so two changes of a memory within one
second looked alike to the caches keyed on `max(updated_at)`, and turns of one second lost their
order.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 15:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "users",
    "conversations",
    "conversation_history",
    "memories",
    "user_profiles",
    "user_data",
    "consents",
    "user_insights",
    "feedback",
    "memory_history",
    "recommendations",
    "auth_sessions",
    "refresh_tokens",
    "audit_log",
)


def _set_precision(fsp: int | None) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "mysql":
        return
    inspector = sa.inspect(bind)
    for table in TABLES:
        for column in inspector.get_columns(table):
            if isinstance(column["type"], sa.DateTime):
                op.alter_column(
                    table,
                    column["name"],
                    type_=mysql.DATETIME(fsp=fsp),
                    existing_type=column["type"],
                    existing_nullable=column["nullable"],
                )


def upgrade() -> None:
    _set_precision(6)


def downgrade() -> None:
    _set_precision(None)

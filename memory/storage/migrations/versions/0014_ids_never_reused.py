"""Ids are never reused: SQLite tables with an integer key are rebuilt with AUTOINCREMENT.

Without it SQLite hands out the highest deleted rowid again, so after an erasure the next account
(or turn, record, ...) took the erased one's id, and a late write addressed by that id landed on a
stranger's row. Each table is copied into an AUTOINCREMENT twin (batch mode, recreate), rows
kept; the counter starts at the highest id present. MySQL/MariaDB (InnoDB keeps its counter across
restarts since MySQL 8.0 and MariaDB 10.2.4) and PostgreSQL (sequences) never reuse an id: nothing
to do there.

The tables are written out as revision 0013 left them (a migration never imports the models).
The downgrade keeps AUTOINCREMENT: going back to reusing ids would only bring the bug back.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 00:14:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LONG_TEXT: sa.types.TypeEngine[Any] = sa.Text().with_variant(mysql.LONGTEXT(), "mysql")
TIME: sa.types.TypeEngine[Any] = sa.DateTime(timezone=True).with_variant(
    mysql.DATETIME(fsp=6), "mysql"
)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), nullable=False)


def _owner(table: str) -> sa.Column[int]:
    return sa.Column(
        "user_id",
        sa.Integer(),
        sa.ForeignKey("users.id", name=f"fk_{table}_user_id_users", ondelete="CASCADE"),
        nullable=False,
    )


def _tables() -> list[sa.Table]:
    """Every table with an integer key, as of revision 0013, now with AUTOINCREMENT."""
    metadata = sa.MetaData()
    pk = "pk_{}".format
    return [
        sa.Table(
            "users",
            metadata,
            _id(),
            sa.Column("username", sa.String(64), nullable=False),
            sa.Column("email", sa.String(255)),
            sa.Column("password_hash", sa.String(255)),
            sa.Column("is_active", sa.Boolean(), nullable=False),
            sa.Column("created_at", TIME, nullable=False),
            sa.Column("username_key", sa.String(255), nullable=False),
            sa.PrimaryKeyConstraint("id", name=pk("users")),
            sa.UniqueConstraint("username_key", name="uq_users_username_key"),
            sa.Index("ix_users_username", "username"),
            sqlite_autoincrement=True,
        ),
        sa.Table(
            "conversation_history",
            metadata,
            _id(),
            _owner("conversation_history"),
            sa.Column(
                "conversation_id",
                sa.String(32),
                sa.ForeignKey(
                    "conversations.id",
                    name="fk_conversation_history_conversation_id_conversations",
                    ondelete="CASCADE",
                ),
                nullable=False,
            ),
            sa.Column("input_text", LONG_TEXT, nullable=False),
            sa.Column("output_text", LONG_TEXT),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("error", sa.Text()),
            sa.Column("prompt_version", sa.String(64)),
            sa.Column("model_name", sa.String(255)),
            sa.Column("memories_used", sa.JSON()),
            sa.Column("answered_by", sa.String(16)),
            sa.Column("created_at", TIME, nullable=False),
            sa.Column("answered_at", TIME),
            sa.PrimaryKeyConstraint("id", name=pk("conversation_history")),
            sa.Index("ix_conversation_history_user_id", "user_id"),
            sa.Index("ix_conversation_history_conv_time", "conversation_id", "created_at"),
            sa.Index("ix_conversation_history_time_user", "created_at", "user_id"),
            sqlite_autoincrement=True,
        ),
        sa.Table(
            "memory_tombstones",
            metadata,
            _id(),
            _owner("memory_tombstones"),
            sa.Column("memory_id", sa.String(32), nullable=False),
            sa.Column("seq", sa.BigInteger(), nullable=False),
            sa.PrimaryKeyConstraint("id", name=pk("memory_tombstones")),
            sa.Index("ix_memory_tombstones_user_seq", "user_id", "seq"),
            sqlite_autoincrement=True,
        ),
        sa.Table(
            "user_data",
            metadata,
            _id(),
            _owner("user_data"),
            sa.Column("data_type", sa.String(32), nullable=False),
            sa.Column("data", LONG_TEXT, nullable=False),
            sa.Column("recorded_at", TIME, nullable=False),
            sa.Column("created_at", TIME, nullable=False),
            sa.PrimaryKeyConstraint("id", name=pk("user_data")),
            sa.Index("ix_user_data_user_type_time", "user_id", "data_type", "recorded_at"),
            sqlite_autoincrement=True,
        ),
        sa.Table(
            "user_insights",
            metadata,
            _id(),
            _owner("user_insights"),
            sa.Column("category", sa.String(32), nullable=False),
            sa.Column("key", sa.String(64), nullable=False, server_default=""),
            sa.Column("text", LONG_TEXT, nullable=False),
            sa.Column("severity", sa.String(16), nullable=False),
            sa.Column("figures", LONG_TEXT, nullable=False),
            sa.Column("sources", sa.JSON(), nullable=False),
            sa.Column("created_at", TIME, nullable=False),
            sa.PrimaryKeyConstraint("id", name=pk("user_insights")),
            sa.Index("ix_user_insights_user_id", "user_id"),
            sa.Index("ix_user_insights_user_key", "user_id", "key"),
            sqlite_autoincrement=True,
        ),
        sa.Table(
            "feedback",
            metadata,
            _id(),
            _owner("feedback"),
            sa.Column("target_type", sa.String(32), nullable=False),
            sa.Column("target_id", sa.String(64), nullable=False),
            sa.Column("rating", sa.Integer(), nullable=False),
            sa.Column("comment", LONG_TEXT),
            sa.Column("adopted", sa.Boolean(), nullable=False),
            sa.Column("prompt_version", sa.String(64)),
            sa.Column("variant", sa.String(32)),
            sa.Column("with_memories", sa.Boolean()),
            sa.Column("model_name", sa.String(255)),
            sa.Column("adapter_id", sa.String(64)),
            sa.Column("created_at", TIME, nullable=False),
            sa.PrimaryKeyConstraint("id", name=pk("feedback")),
            sa.Index("ix_feedback_user_id", "user_id"),
            sa.Index("ix_feedback_time_type", "created_at", "target_type"),
            sqlite_autoincrement=True,
        ),
        sa.Table(
            "memory_history",
            metadata,
            _id(),
            _owner("memory_history"),
            sa.Column("memory_id", sa.String(32), nullable=False),
            sa.Column("event", sa.String(16), nullable=False),
            sa.Column("old_text", LONG_TEXT),
            sa.Column("new_text", LONG_TEXT),
            sa.Column("source_id", sa.String(64)),
            sa.Column("created_at", TIME, nullable=False),
            sa.PrimaryKeyConstraint("id", name=pk("memory_history")),
            sa.Index("ix_memory_history_user_memory", "user_id", "memory_id"),
            sqlite_autoincrement=True,
        ),
        sa.Table(
            "training_examples",
            metadata,
            _id(),
            _owner("training_examples"),
            sa.Column("task", sa.String(32), nullable=False),
            sa.Column("source_id", sa.String(64)),
            sa.Column("language", sa.String(8), nullable=False),
            sa.Column("prompt", LONG_TEXT, nullable=False),
            sa.Column("answer", LONG_TEXT, nullable=False),
            sa.Column("created_at", TIME, nullable=False),
            sa.PrimaryKeyConstraint("id", name=pk("training_examples")),
            sa.Index("ix_training_examples_user_task", "user_id", "task"),
            sqlite_autoincrement=True,
        ),
        sa.Table(
            "audit_log",
            metadata,
            _id(),
            _owner("audit_log"),
            sa.Column("action", sa.String(16), nullable=False),
            sa.Column("resource", sa.String(32), nullable=False),
            sa.Column("resource_id", sa.String(64)),
            sa.Column("client", sa.String(64)),
            sa.Column("at", TIME, nullable=False),
            sa.PrimaryKeyConstraint("id", name=pk("audit_log")),
            sa.Index("ix_audit_log_user_at", "user_id", "at"),
            sqlite_autoincrement=True,
        ),
        sa.Table(
            "retrieval_evaluations",
            metadata,
            _id(),
            sa.Column("finished_at", TIME, nullable=False),
            sa.Column("duration_seconds", sa.Double(), nullable=False),
            sa.Column("dataset", sa.String(64), nullable=False),
            sa.Column("embedding_model", sa.String(64), nullable=False),
            sa.Column("trigger", sa.String(16), nullable=False),
            sa.Column("questions", sa.Integer(), nullable=False),
            sa.Column("recall_at_5", sa.Double(), nullable=False),
            sa.Column("recall_at_5_zh", sa.Double()),
            sa.Column("recall_at_5_en", sa.Double()),
            sa.Column("recall_at_5_cross", sa.Double()),
            sa.Column("details", sa.JSON(), nullable=False),
            sa.PrimaryKeyConstraint("id", name=pk("retrieval_evaluations")),
            sa.Index("ix_retrieval_evaluations_finished_at", "finished_at"),
            sqlite_autoincrement=True,
        ),
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # sequences and InnoDB's counter never hand out an id twice
    for table in _tables():
        # Foreign keys are off during migrations (`env.py`): dropping the old copy of `users`
        # cascades into nothing, and the children keep pointing at the name `users`.
        with op.batch_alter_table(table.name, copy_from=table, recreate="always"):
            pass


def downgrade() -> None:
    pass  # 0013's code works on these tables as they are; reusing ids again would be the bug

"""Retrieval-accuracy and engagement signals: canary runs, memory use, answers with memories.

- `retrieval_evaluations`: one row per run of the retrieval canary (`memadvisor eval-retrieval`).
- `memories.last_used_at`: when an answer was last given the memory, so a later correction or
  deletion by the user counts as a retrieval that misled the model.
- `feedback.with_memories`: whether the rated answer had memories; filled for existing feedback
  from the turn's `memories_used`.
- Indexes on `conversation_history (created_at, user_id)` and `feedback (created_at, target_type)`:
  the engagement gauges count recent activity with range scans of these alone.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql")
BATCH = 500


def upgrade() -> None:
    op.create_table(
        "retrieval_evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finished_at", TIME, nullable=False),
        sa.Column("duration_seconds", sa.Double(), nullable=False),
        sa.Column("dataset", sa.String(length=64), nullable=False),
        sa.Column("embedding_model", sa.String(length=64), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("questions", sa.Integer(), nullable=False),
        sa.Column("recall_at_5", sa.Double(), nullable=False),
        sa.Column("recall_at_5_zh", sa.Double(), nullable=True),
        sa.Column("recall_at_5_en", sa.Double(), nullable=True),
        sa.Column("recall_at_5_cross", sa.Double(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retrieval_evaluations")),
    )
    with op.batch_alter_table("retrieval_evaluations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_retrieval_evaluations_finished_at"), ["finished_at"], unique=False
        )
    with op.batch_alter_table("memories", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_used_at", TIME, nullable=True))
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("with_memories", sa.Boolean(), nullable=True))
        batch_op.create_index("ix_feedback_time_type", ["created_at", "target_type"], unique=False)
    with op.batch_alter_table("conversation_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_conversation_history_time_user", ["created_at", "user_id"], unique=False
        )
    _fill_with_memories()


def _fill_with_memories() -> None:
    """Existing feedback on answers: with memories when the turn recorded any (ids, no text)."""
    bind = op.get_bind()
    feedback = sa.table(
        "feedback",
        sa.column("id", sa.Integer),
        sa.column("user_id", sa.Integer),
        sa.column("target_type", sa.String),
        sa.column("target_id", sa.String),
        sa.column("with_memories", sa.Boolean),
    )
    turns = sa.table(
        "conversation_history",
        sa.column("id", sa.Integer),
        sa.column("user_id", sa.Integer),
        sa.column("memories_used", sa.JSON),
    )
    rated = bind.execute(
        sa.select(feedback.c.id, feedback.c.user_id, feedback.c.target_id).where(
            feedback.c.target_type == "turn"
        )
    ).all()
    for start in range(0, len(rated), BATCH):
        batch = [row for row in rated[start : start + BATCH] if row.target_id.isdigit()]
        used = {
            (turn.id, turn.user_id): bool(turn.memories_used)
            for turn in bind.execute(
                sa.select(turns).where(turns.c.id.in_([int(row.target_id) for row in batch]))
            )
        }
        for row in batch:
            if (key := (int(row.target_id), row.user_id)) in used:
                bind.execute(
                    sa.update(feedback)
                    .where(feedback.c.id == row.id)
                    .values(with_memories=used[key])
                )


def downgrade() -> None:
    with op.batch_alter_table("conversation_history", schema=None) as batch_op:
        batch_op.drop_index("ix_conversation_history_time_user")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_time_type")
        batch_op.drop_column("with_memories")
    with op.batch_alter_table("memories", schema=None) as batch_op:
        batch_op.drop_column("last_used_at")
    with op.batch_alter_table("retrieval_evaluations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retrieval_evaluations_finished_at"))
    op.drop_table("retrieval_evaluations")

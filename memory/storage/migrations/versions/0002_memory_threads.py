"""Memory threads, speakers and keyword terms (hybrid search reads a memory with its neighbours).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 21:38:27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LongText = sa.Text().with_variant(mysql.LONGTEXT(), "mysql")


def upgrade() -> None:
    with op.batch_alter_table("memories", schema=None) as batch_op:
        batch_op.add_column(sa.Column("thread_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("position", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("speaker", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("terms", LongText, nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))

    # Existing memories: keyword terms from their text, conversation as thread, order by time.
    from memory.retrieval.tokenize import tokenize

    memories = sa.table(
        "memories",
        sa.column("id", sa.String),
        sa.column("text", LongText),
        sa.column("meta", sa.JSON),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("thread_id", sa.String),
        sa.column("position", sa.Integer),
        sa.column("terms", LongText),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(memories.c.id, memories.c.text, memories.c.meta, memories.c.created_at)
    ).all()
    for number, (memory_id, text, meta, created_at) in enumerate(rows):
        thread = (meta or {}).get("conversation_id") if isinstance(meta, dict) else None
        connection.execute(
            memories.update()
            .where(memories.c.id == memory_id)
            .values(
                thread_id=thread,
                position=number,
                terms=" ".join(tokenize(text)),
                updated_at=created_at,
            )
        )

    with op.batch_alter_table("memories", schema=None) as batch_op:
        batch_op.alter_column("position", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("terms", existing_type=LongText, nullable=False)
        batch_op.alter_column(
            "updated_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.create_index(
            "ix_memories_user_thread_position", ["user_id", "thread_id", "position"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("memories", schema=None) as batch_op:
        batch_op.drop_index("ix_memories_user_thread_position")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("terms")
        batch_op.drop_column("speaker")
        batch_op.drop_column("position")
        batch_op.drop_column("thread_id")

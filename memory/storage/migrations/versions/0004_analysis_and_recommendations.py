"""Analysis and recommendations: consent per data type, insight keys and figures, memory history,
cached recommendations, prompt variants on feedback, and the summariser's progress on profiles.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 23:53:22.267923
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consents",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("data_type", sa.String(length=32), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_consents_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "data_type", name=op.f("pk_consents")),
    )
    op.create_table(
        "memory_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("memory_id", sa.String(length=32), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("old_text", sa.Text().with_variant(mysql.LONGTEXT(), "mysql"), nullable=True),
        sa.Column("new_text", sa.Text().with_variant(mysql.LONGTEXT(), "mysql"), nullable=True),
        sa.Column("source_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_memory_history_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memory_history")),
    )
    with op.batch_alter_table("memory_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_memory_history_user_memory", ["user_id", "memory_id"], unique=False
        )

    op.create_table(
        "recommendations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("basis", sa.String(length=128), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("prompt_version", sa.String(length=64), nullable=False),
        sa.Column("variant", sa.String(length=32), nullable=True),
        sa.Column("model_name", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_recommendations_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendations")),
    )
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recommendations_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("variant", sa.String(length=32), nullable=True))

    with op.batch_alter_table("user_insights", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("key", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("figures", sa.JSON(), nullable=True))
        batch_op.create_index("ix_user_insights_user_key", ["user_id", "key"], unique=False)
    # JSON columns take no portable server default: fill existing rows, then require a value.
    op.execute("UPDATE user_insights SET figures = '{}'")
    with op.batch_alter_table("user_insights", schema=None) as batch_op:
        batch_op.alter_column("figures", existing_type=sa.JSON(), nullable=False)

    with op.batch_alter_table("user_profiles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("summarized_turns", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("edited_by_user", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    # Dropping a table drops its indexes (MySQL refuses to drop one that backs a foreign key).
    with op.batch_alter_table("user_profiles", schema=None) as batch_op:
        batch_op.drop_column("edited_by_user")
        batch_op.drop_column("summarized_turns")

    with op.batch_alter_table("user_insights", schema=None) as batch_op:
        batch_op.drop_index("ix_user_insights_user_key")
        batch_op.drop_column("figures")
        batch_op.drop_column("key")

    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_column("variant")

    op.drop_table("recommendations")
    op.drop_table("memory_history")
    op.drop_table("consents")

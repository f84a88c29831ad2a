"""Fine-tuning with consent: training examples, data sets, adapters, and who wrote what.

`training_examples` keeps prompts and valid answers of users who allow `model_training`;
`training_sets` and `training_set_users` record which users' examples each export holds, so
erasure and withdrawal can mark the `model_adapters` trained on them stale. Recommendations and
feedback record the adapter (and feedback the model) so approval can be compared by model.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 03:20:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LONG_TEXT: sa.types.TypeEngine[Any] = sa.Text().with_variant(mysql.LONGTEXT(), "mysql")
TIME: sa.types.TypeEngine[Any] = sa.DateTime(timezone=True).with_variant(
    mysql.DATETIME(fsp=6), "mysql"
)


def upgrade() -> None:
    op.create_table(
        "training_examples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("task", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("prompt", LONG_TEXT, nullable=False),
        sa.Column("answer", LONG_TEXT, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_training_examples_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_examples")),
    )
    with op.batch_alter_table("training_examples", schema=None) as batch_op:
        batch_op.create_index("ix_training_examples_user_task", ["user_id", "task"], unique=False)

    op.create_table(
        "training_sets",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("examples", sa.Integer(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("stale_at", TIME, nullable=True),
        sa.Column("stale_reason", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_sets")),
    )
    op.create_table(
        "training_set_users",
        sa.Column("set_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("examples", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["set_id"],
            ["training_sets.id"],
            name=op.f("fk_training_set_users_set_id_training_sets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_training_set_users_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("set_id", "user_id", name=op.f("pk_training_set_users")),
    )
    with op.batch_alter_table("training_set_users", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_set_users_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "model_adapters",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("set_id", sa.String(length=32), nullable=True),
        sa.Column("base_model", sa.String(length=255), nullable=False),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("stale_at", TIME, nullable=True),
        sa.Column("stale_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["set_id"],
            ["training_sets.id"],
            name=op.f("fk_model_adapters_set_id_training_sets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_adapters")),
    )
    with op.batch_alter_table("model_adapters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_model_adapters_set_id"), ["set_id"], unique=False)

    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("adapter_id", sa.String(length=64), nullable=True))
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("model_name", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("adapter_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_column("adapter_id")
        batch_op.drop_column("model_name")
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.drop_column("adapter_id")
    # Dropping a table drops its indexes (MySQL refuses to drop one that backs a foreign key).
    op.drop_table("model_adapters")
    op.drop_table("training_set_users")
    op.drop_table("training_sets")
    op.drop_table("training_examples")

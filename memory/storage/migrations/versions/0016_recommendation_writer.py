"""Record who wrote each recommendation set, the model or the rules, and why the rules did.

The rules now write a set the model failed to write (its answer stayed invalid, or it could not be
asked), so the prompt version no longer tells the writer alone. Existing rows are filled in from
it: `advice-rules-*` is the rules', the rest the model's.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("written_by", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("written_by_reason", sa.String(length=32), nullable=True))
    recommendations = sa.table(
        "recommendations",
        sa.column("prompt_version", sa.String),
        sa.column("written_by", sa.String),
    )
    op.execute(
        recommendations.update().values(
            written_by=sa.case(
                (recommendations.c.prompt_version.like("advice-rules%"), "rules"),
                else_="model",
            )
        )
    )
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.alter_column("written_by", existing_type=sa.String(length=16), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.drop_column("written_by_reason")
        batch_op.drop_column("written_by")

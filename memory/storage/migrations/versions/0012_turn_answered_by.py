"""Record who answered each turn: the model, or the fallback that answers without it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversation_history", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answered_by", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversation_history", schema=None) as batch_op:
        batch_op.drop_column("answered_by")

"""Typed records with explicit units: study sessions in minutes, height in the profile.

An old education record's `study_hours` meant the hours studied on the day of its `recorded_at`
(the schema allowed 0-24, the form said "study (hours)", and the analysers added the days up into
weekly totals). It becomes a study session of the same length on the same day:
`study_minutes = study_hours * 60`, nothing else changes. Downgrading turns minutes back into hours.

`user_profiles.height_cm` (nullable) holds the height the BMI needs.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 10:00:00.000000
"""

import json
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _keyring() -> Any:
    config = op.get_context().config
    keyring = config.attributes.get("keyring") if config is not None else None
    if keyring is None:
        raise RuntimeError(
            "education records must be rewritten with the encryption keys: run "
            "`memadvisor db upgrade`, which passes them, instead of plain `alembic`"
        )
    return keyring


def _education_rows() -> list[Any]:
    return list(
        op.get_bind()
        .execute(sa.text("SELECT id, data FROM user_data WHERE data_type = 'education'"))
        .all()
    )


def _rewrite(rows: list[Any], change: Callable[[dict[str, Any]], dict[str, Any] | None]) -> None:
    """Apply `change` to the data of these education records (None: leave the row alone)."""
    if not rows:
        return
    bind = op.get_bind()
    keyring = _keyring()
    for row_id, stored in rows:
        changed = change(json.loads(keyring.decrypt(str(stored))))
        if changed is not None:
            bind.execute(
                sa.text("UPDATE user_data SET data = :data WHERE id = :id"),
                {"data": keyring.encrypt(json.dumps(changed, ensure_ascii=False)), "id": row_id},
            )


def _hours_to_minutes(data: dict[str, Any]) -> dict[str, Any] | None:
    if "study_hours" not in data:
        return None
    hours = data.pop("study_hours")
    if isinstance(hours, int | float) and not isinstance(hours, bool):
        data["study_minutes"] = round(float(hours) * 60, 2)
    else:  # never valid, but kept rather than dropped
        data["study_hours"] = hours
    return data


def _minutes_to_hours(data: dict[str, Any]) -> dict[str, Any] | None:
    if "study_minutes" not in data:
        return None
    data["study_hours"] = round(float(data.pop("study_minutes")) / 60, 4)
    return data


def upgrade() -> None:
    rows = _education_rows()
    if rows:
        _keyring()  # refuse before changing anything
    with op.batch_alter_table("user_profiles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("height_cm", sa.Float(), nullable=True))
    _rewrite(rows, _hours_to_minutes)


def downgrade() -> None:
    _rewrite(_education_rows(), _minutes_to_hours)
    with op.batch_alter_table("user_profiles", schema=None) as batch_op:
        batch_op.drop_column("height_cm")

"""Usernames are unique by their normalised key: `Alice`, `ALICE`, `ａｌｉｃｅ`, Cyrillic `аlice`.

`users.username_key` (the rule of `memory/usernames.py` then, copied below) gets the unique
constraint that `username` had.
Existing accounts whose names share a key (e.g. `alice` and `Alice` from before) are all kept
and none is renamed: the oldest gets the key, each later one `<key>#<id>` (a form no valid name
has) and keeps signing in with exactly the name it registered; they are logged for the operator.

Downgrade restores the unique `username`; on MySQL it fails if two accounts now differ only in
what MySQL's case- and accent-insensitive collation ignores (`josé` and `jose`).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 12:00:00.000000
"""

import logging
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from confusable_homoglyphs import confusables
from precis_i18n import get_profile
from sqlalchemy.dialects import mysql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

logger = logging.getLogger("alembic.runtime.migration")

KEY_TYPE = sa.String(length=255).with_variant(mysql.VARCHAR(255, collation="utf8mb4_bin"), "mysql")


# Frozen with this revision: the key two names share when they are the same account (NFKC, PRECIS
# UsernameCaseMapped, look-alikes of ASCII letters and digits replaced), so a later change to the
# live rule (memory.accounts.usernames) cannot change the keys this migration gave.
def username_key(name: str) -> str:
    """The form two names share when they are the same account (never raises)."""
    normal = unicodedata.normalize("NFKC", name)
    try:
        folded: str = get_profile("UsernameCaseMapped").enforce(normal)
    except UnicodeEncodeError:
        folded = unicodedata.normalize("NFC", normal.casefold())
    return "".join(_ascii_lookalike(char) for char in folded)


def _ascii_lookalike(char: str) -> str:
    if char.isascii():
        return char
    for found in confusables.is_confusable(char, greedy=True) or []:
        for glyph in found["homoglyphs"]:
            candidate = glyph["c"].casefold()
            if candidate.isascii() and candidate.isalnum():
                return str(candidate)
    return char


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("username_key", KEY_TYPE, nullable=True))

    users = sa.table(
        "users",
        sa.column("id", sa.Integer()),
        sa.column("username", sa.String()),
        sa.column("username_key", sa.String()),
    )
    bind = op.get_bind()
    owners: dict[str, int] = {}
    keys = []
    for user_id, name in bind.execute(sa.select(users.c.id, users.c.username).order_by(users.c.id)):
        key = username_key(name)
        if key in owners:
            logger.warning(
                "user %s has a name that is a variant of user %s's; it keeps signing in with its "
                "exact name, and no one can register another variant",
                user_id,
                owners[key],
            )
            keys.append({"uid": user_id, "key": f"{key}#{user_id}"})
        else:
            owners[key] = user_id
            keys.append({"uid": user_id, "key": key})
    if keys:
        bind.execute(
            users.update()
            .where(users.c.id == sa.bindparam("uid"))
            .values(username_key=sa.bindparam("key")),
            keys,
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("username_key", existing_type=KEY_TYPE, nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_users_username_key"), ["username_key"])
        batch_op.drop_constraint(batch_op.f("uq_users_username"), type_="unique")
        batch_op.create_index(batch_op.f("ix_users_username"), ["username"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_username"))
        batch_op.create_unique_constraint(batch_op.f("uq_users_username"), ["username"])
        batch_op.drop_constraint(batch_op.f("uq_users_username_key"), type_="unique")
        batch_op.drop_column("username_key")

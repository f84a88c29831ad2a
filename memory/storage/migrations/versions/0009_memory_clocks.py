"""Incremental memory indexes: a clock per user, a sequence on each memory, tombstones; unique
thread positions; hashed people names.

- `memory_clocks`: one row per user whose `seq` every write of their memories advances (holding
  the row's lock until commit), so writes of one user commit in order and searches in every process
  read only what changed since their index last looked.
- `memories.seq` (indexed with `user_id`) and `memory_tombstones` (deleted ids) are what they read.
- `(user_id, thread_id, position)` becomes unique; positions that concurrent writers had doubled
  are renumbered first (in their order of position, time and id).
- `memories.people`: keyed hashes of the people a memory names, computed for existing rows when
  the keyring is given (`memadvisor db upgrade` gives it), else left empty (`memadvisor rotate-key`
  fills them).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 09:00:00.000000
"""

import logging
import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LongText = sa.Text().with_variant(mysql.LONGTEXT(), "mysql")
memories = sa.table(
    "memories",
    sa.column("id", sa.String),
    sa.column("user_id", sa.Integer),
    sa.column("thread_id", sa.String),
    sa.column("position", sa.Integer),
    sa.column("created_at", sa.DateTime),
    sa.column("speaker", sa.String),
    sa.column("text", LongText),
    sa.column("people", LongText),
)

# Frozen with this revision: how a memory's people were found then (its speaker, else capitalised
# English words inside a sentence and the names jieba tags in Chinese), so a later change to the
# live rule (memory.retrieval.people) cannot change what this migration writes.
_SENTENCE = re.compile(r"(?<=[.!?。！？\n])\s*")
_NAME_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*:?")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
ENGLISH_STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its itself
    just me more most my myself no nor not now of off on once only or other our ours ourselves out
    over own same she should so some such than that the their theirs them themselves then there
    these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves s t don ll m re ve d
    also yeah oh hey hi wow really like just got get go going gonna thanks thank""".split()
)
NOT_NAMES = ENGLISH_STOP_WORDS | frozenset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december today tomorrow yesterday please ok okay
    yes sure dear mr mrs ms dr""".split()
)


def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def _chinese_person_names(text: str) -> list[str]:
    if not _CJK.search(text):
        return []
    import jieba.posseg

    _jieba()
    return [pair.word for pair in jieba.posseg.cut(text) if pair.flag == "nr"]


def _people_named(text: str, speaker: str | None) -> list[str]:
    """Lower-case first names of the people a memory names (its speaker, else those in its text)."""
    if speaker and speaker.split():
        return [speaker.split()[0].lower()]
    found: list[str] = []
    for sentence in _SENTENCE.split(text):
        for number, match in enumerate(_NAME_WORD.finditer(sentence)):
            word = match.group(0)
            label = word.endswith(":")
            word = word.rstrip(":")
            name = word.lower()
            if (
                word[0].isupper()
                and (number > 0 or label)
                and not word.isupper()
                and name not in NOT_NAMES
            ):
                found.append(name)
    found += _chinese_person_names(text)
    return list(dict.fromkeys(found))


def _keyring() -> Any:
    config = op.get_context().config
    return config.attributes.get("keyring") if config is not None else None


def _renumber_doubled_positions(connection: sa.Connection) -> None:
    doubled = connection.execute(
        sa.select(memories.c.user_id, memories.c.thread_id)
        .where(memories.c.thread_id.is_not(None))
        .group_by(memories.c.user_id, memories.c.thread_id, memories.c.position)
        .having(sa.func.count() > 1)
        .distinct()
    ).all()
    for user_id, thread_id in doubled:
        ids = connection.scalars(
            sa.select(memories.c.id)
            .where(memories.c.user_id == user_id, memories.c.thread_id == thread_id)
            .order_by(memories.c.position, memories.c.created_at, memories.c.id)
        ).all()
        for position, memory_id in enumerate(ids):
            connection.execute(
                memories.update().where(memories.c.id == memory_id).values(position=position)
            )


def _fill_people(connection: sa.Connection) -> None:
    keyring = _keyring()
    if keyring is None:
        return
    rows = connection.execute(sa.select(memories.c.id, memories.c.text, memories.c.speaker)).all()
    for memory_id, stored, speaker in rows:
        names = _people_named(keyring.decrypt(stored), speaker)
        if names:
            connection.execute(
                memories.update()
                .where(memories.c.id == memory_id)
                .values(people=" ".join(keyring.hash_terms(names)))
            )


def upgrade() -> None:
    op.create_table(
        "memory_clocks",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("generation", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_memory_clocks_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_memory_clocks")),
    )
    op.create_table(
        "memory_tombstones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("memory_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_memory_tombstones_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memory_tombstones")),
    )
    op.create_index("ix_memory_tombstones_user_seq", "memory_tombstones", ["user_id", "seq"])
    with op.batch_alter_table("memories", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("people", LongText, nullable=True))
    connection = op.get_bind()
    connection.execute(memories.update().values(people=""))
    _fill_people(connection)
    _renumber_doubled_positions(connection)
    from uuid import uuid4

    clocks = sa.table(
        "memory_clocks",
        sa.column("user_id", sa.Integer),
        sa.column("seq", sa.BigInteger),
        sa.column("generation", sa.String),
    )
    users = connection.scalars(sa.text("SELECT id FROM users")).all()
    if users:
        connection.execute(
            clocks.insert(), [{"user_id": u, "seq": 0, "generation": uuid4().hex} for u in users]
        )
    with op.batch_alter_table("memories", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.BigInteger(), server_default=None)
        batch_op.alter_column("people", existing_type=LongText, nullable=False)
        batch_op.drop_index("ix_memories_user_thread_position")
        batch_op.create_index(
            "ix_memories_user_thread_position", ["user_id", "thread_id", "position"], unique=True
        )
        batch_op.create_index("ix_memories_user_seq", ["user_id", "seq"])


def downgrade() -> None:
    with op.batch_alter_table("memories", schema=None) as batch_op:
        batch_op.drop_index("ix_memories_user_seq")
        batch_op.drop_index("ix_memories_user_thread_position")
        batch_op.create_index(
            "ix_memories_user_thread_position", ["user_id", "thread_id", "position"], unique=False
        )
        batch_op.drop_column("people")
        batch_op.drop_column("seq")
    op.drop_table("memory_tombstones")  # with its index (MySQL's foreign key needs it till then)
    op.drop_table("memory_clocks")

"""Memory threads, speakers and keyword terms (hybrid search reads a memory with its neighbours).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 21:38:27
"""

import logging
import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LongText = sa.Text().with_variant(mysql.LONGTEXT(), "mysql")

# Frozen with this revision: the keyword tokenizer as it was then (jieba's search-mode segments,
# Snowball stems, stop words of both languages), so a later change to the live one
# (memory.retrieval.tokenize) cannot change what this migration writes.
_WORD = re.compile(r"[0-9a-z]+(?:['’][a-z]+)?|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
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
CHINESE_STOP_WORDS = frozenset(
    """的 了 是 在 和 就 都 而 及 与 着 或 一个 没有 我们 你们 他们 她们 这 那 这个 那个 之 也
    很 吗 呢 吧 啊 呀 哦 嗯 么 什么 怎么 为什么 哪 哪里 哪个 谁 多少 几 我 你 他 她 它 自己 有 会
    能 要 想 说 去 又 还 把 被 让 给 对 从 向 到 上 下 里 中 个 些 过 等 用""".split()
)


def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def _tokenize(text: str) -> list[str]:
    """Keyword terms: stemmed English words and segmented Chinese words, stop words dropped."""
    import Stemmer

    terms: list[str] = []
    english: list[str] = []
    for match in _WORD.finditer(text.lower()):
        word = match.group(0)
        if _CJK.match(word):
            terms.extend(w for w in _jieba().cut_for_search(word) if w not in CHINESE_STOP_WORDS)
        elif word not in ENGLISH_STOP_WORDS:
            english.append(word.replace("’", "'").split("'")[0])
    if english:
        terms.extend(Stemmer.Stemmer("english").stemWords(english))
    return terms


def upgrade() -> None:
    with op.batch_alter_table("memories", schema=None) as batch_op:
        batch_op.add_column(sa.Column("thread_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("position", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("speaker", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("terms", LongText, nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))

    # Existing memories: keyword terms from their text, conversation as thread, order by time.
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
                terms=" ".join(_tokenize(text)),
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

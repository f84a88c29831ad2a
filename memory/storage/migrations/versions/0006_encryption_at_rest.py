"""Encryption at rest: what users confide is encrypted in SQL, keyword terms become keyed hashes.

JSON columns that now hold ciphertext become long text; existing rows are encrypted (and the
terms of existing memories hashed) with the keys that `memadvisor db upgrade` passes in
`config.attributes["keyring"]`. Downgrading decrypts them again and recomputes plain terms.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 00:06:58.868709
"""

import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LONG_TEXT: sa.types.TypeEngine[Any] = sa.Text().with_variant(mysql.LONGTEXT(), "mysql")

# Frozen with this revision: the keyword tokenizer as it was then (jieba's search-mode segments,
# Snowball stems, stop words of both languages), which a downgrade recomputes plain terms with, so
# a later change to the live one (memory.retrieval.tokenize) cannot change what it writes.
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


# (table, primary key, column): every column this revision encrypts.
ENCRYPTED = [
    ("conversations", "id", "title"),
    ("conversation_history", "id", "input_text"),
    ("conversation_history", "id", "output_text"),
    ("memories", "id", "text"),
    ("memory_history", "id", "old_text"),
    ("memory_history", "id", "new_text"),
    ("user_profiles", "user_id", "summary"),
    ("user_profiles", "user_id", "preferences"),
    ("user_data", "id", "data"),
    ("user_insights", "id", "text"),
    ("user_insights", "id", "figures"),
    ("feedback", "id", "comment"),
    ("recommendations", "id", "payload"),
]
# (table, column, previous type, nullable): columns whose type changes to long text.
RETYPED: list[tuple[str, str, sa.types.TypeEngine[Any], bool]] = [
    ("conversations", "title", sa.String(length=255), False),
    ("recommendations", "payload", sa.JSON(), False),
    ("user_data", "data", sa.JSON(), False),
    ("user_insights", "figures", sa.JSON(), False),
    ("user_profiles", "preferences", sa.JSON(), False),
    ("feedback", "comment", sa.Text(), True),
]


def _keyring() -> Any:
    config = op.get_context().config
    keyring = config.attributes.get("keyring") if config is not None else None
    if keyring is None:
        raise RuntimeError(
            "existing rows must be encrypted (or decrypted): run `memadvisor db upgrade`, "
            "which passes the encryption keys, instead of plain `alembic`"
        )
    return keyring


def _convert(table: str, key: str, column: str, change: Callable[[str], str]) -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(f"SELECT {key}, {column} FROM {table} WHERE {column} IS NOT NULL")
    ).all()
    for row_key, value in rows:
        bind.execute(
            sa.text(f"UPDATE {table} SET {column} = :value WHERE {key} = :key"),
            {"value": change(str(value)), "key": row_key},
        )


def _has_rows() -> bool:
    bind = op.get_bind()
    return any(
        bind.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first() is not None
        for table in {table for table, _, _ in ENCRYPTED}
    )


def upgrade() -> None:
    keyring = _keyring() if _has_rows() else None  # refuse before changing anything
    for table, column, previous, nullable in RETYPED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column, existing_type=previous, type_=LONG_TEXT, existing_nullable=nullable
            )
    if keyring is None:
        return
    for table, key, column in ENCRYPTED:
        _convert(table, key, column, keyring.encrypt)
    _convert("memories", "id", "terms", lambda terms: " ".join(keyring.hash_terms(terms.split())))


def downgrade() -> None:
    if _has_rows():
        keyring = _keyring()
        for table, key, column in ENCRYPTED:
            _convert(table, key, column, keyring.decrypt)
        bind = op.get_bind()
        for memory_id, text in bind.execute(sa.text("SELECT id, text FROM memories")).all():
            bind.execute(
                sa.text("UPDATE memories SET terms = :terms WHERE id = :id"),
                {"terms": " ".join(_tokenize(text)), "id": memory_id},
            )
    for table, column, previous, nullable in reversed(RETYPED):
        # PostgreSQL turns text back into JSON only when told how.
        cast: dict[str, Any] = (
            {"postgresql_using": f"{column}::json"} if isinstance(previous, sa.JSON) else {}
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column, existing_type=LONG_TEXT, type_=previous, existing_nullable=nullable, **cast
            )

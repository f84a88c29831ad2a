"""`memadvisor rotate-key`: re-encrypt under the newest key, re-hash terms under the current one.

It walks the models, so a column that becomes encrypted later is rotated without a change here.
Rows are read and written in pages by primary key. Keyword terms and people names are hashed
again, and every user's memory clock gets a new generation, so running processes rebuild their
search indexes from the new hashes at their next search.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from memory.retrieval.clock import new_generation
from memory.retrieval.people import people_named
from memory.retrieval.tokenize import tokenize
from memory.storage.crypto import EncryptedJSON, EncryptedText, Keyring
from memory.storage.models import Base, MemoryRow

PAGE = 500


def encrypted_columns() -> list[tuple[str, str, str]]:
    """`(table, primary key, column)` of every encrypted column in the models."""
    found = []
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, EncryptedText | EncryptedJSON)]
        if columns:
            [key] = list(table.primary_key.columns)  # paging needs a single-column key
            found += [(table.name, key.name, column.name) for column in columns]
    return found


def _rewrite(engine: Engine, name: str, key: str, column: str, change: Callable[[str], str]) -> int:
    """Apply `change` to the raw stored value of every non-null cell of one column."""
    table = sa.table(name, sa.column(key), sa.column(column))
    done, last = 0, None
    while True:
        stmt = sa.select(table.c[key], table.c[column]).order_by(table.c[key]).limit(PAGE)
        if last is not None:
            stmt = stmt.where(table.c[key] > last)
        with engine.begin() as conn:
            rows = conn.execute(stmt).all()
            for row_key, value in rows:
                if value is not None:
                    conn.execute(
                        sa.update(table)
                        .where(table.c[key] == row_key)
                        .values({column: change(str(value))})
                    )
                    done += 1
        if len(rows) < PAGE:
            return done
        last = rows[-1][0]


def rotate(engine: Engine, keyring: Keyring) -> dict[str, int]:
    """Re-encrypt under the newest key and re-hash terms; returns cells changed per column.

    `engine` must carry `keyring` (it decrypts memory texts to recompute their terms).
    """
    counts: dict[str, int] = {}
    for table, key, column in encrypted_columns():
        counts[f"{table}.{column}"] = _rewrite(engine, table, key, column, keyring.rotate)
    done, last = 0, None
    while True:
        stmt = (
            sa.select(MemoryRow.id, MemoryRow.text, MemoryRow.speaker)
            .order_by(MemoryRow.id)
            .limit(PAGE)
        )
        if last is not None:
            stmt = stmt.where(MemoryRow.id > last)
        with engine.begin() as conn:
            rows = conn.execute(stmt).all()
            for memory_id, text, speaker in rows:
                terms = " ".join(keyring.hash_terms(tokenize(text)))
                people = " ".join(keyring.hash_terms(people_named(text, speaker)))
                conn.execute(
                    sa.update(MemoryRow)
                    .where(MemoryRow.id == memory_id)
                    .values(terms=terms, people=people)
                )
        done += len(rows)
        if len(rows) < PAGE:
            break
        last = rows[-1][0]
    counts["memories.terms"] = done
    with Session(engine) as session, session.begin():
        new_generation(session)
    return counts

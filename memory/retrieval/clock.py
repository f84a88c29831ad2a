"""Each user's memory clock: the order of their writes, the lock that serialises them.

It is also what a search reads to learn what changed since it last looked.

A write of a user's memories first advances the user's clock (`tick`): an `UPDATE` of their one
`memory_clocks` row, whose lock (a row lock in InnoDB and PostgreSQL, the write lock in SQLite) is
held until the transaction commits. Hence the user's writes commit in the order of their sequence
numbers, the rows they touch carry that number (`memories.seq`, `memory_tombstones.seq`), and
"max + 1" thread positions are read and assigned by one writer at a time. A search reads the clock
(`read`) before anything else, then only the rows past the sequence its index has seen; rows that
commit meanwhile are read again next time, which changes nothing (applying a change twice is
harmless).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.orm import Session

from memory.storage.models import MemoryClock, User, new_id


@dataclass(frozen=True, slots=True)
class ClockReading:
    """Where a user's memories stand: rebuild when `generation` differs, else read past `seq`."""

    seq: int
    generation: str


def tick(session: Session, user_id: int) -> int | None:
    """Advance the user's clock inside the caller's transaction and return the new number.

    None when the user does not exist (any more). Call it first in the transaction: on SQLite it
    then starts as a writer, and everywhere what the transaction reads afterwards was committed
    before it.
    """
    for _ in range(2):
        advanced = session.execute(
            update(MemoryClock)
            .where(MemoryClock.user_id == user_id)
            .values(seq=MemoryClock.seq + 1)
        )
        if getattr(advanced, "rowcount", 0):
            seq = session.scalar(select(MemoryClock.seq).where(MemoryClock.user_id == user_id))
            return int(seq or 0)
        if session.get(User, user_id) is None:
            return None
        _create(session, user_id)  # a user made before clocks existed, or by another path
    return None


def tick_many(session: Session, user_ids: Iterable[int]) -> dict[int, int]:
    """Advance the clocks of several users, in id order (so two writers never deadlock).

    Users that no longer exist are left out.
    """
    ticked = {}
    for user_id in sorted(set(user_ids)):
        if (seq := tick(session, user_id)) is not None:
            ticked[user_id] = seq
    return ticked


def read(session: Session, user_id: int) -> ClockReading | None:
    """The user's clock, or None when the user (and so every memory of theirs) is gone."""
    row = session.execute(
        select(MemoryClock.seq, MemoryClock.generation).where(MemoryClock.user_id == user_id)
    ).one_or_none()
    return None if row is None else ClockReading(int(row.seq), str(row.generation))


def new_generation(session: Session, user_ids: Iterable[int] | None = None) -> None:
    """Make every process rebuild the indexes of these users (None: everyone's)."""
    stmt = update(MemoryClock).values(generation=new_id(), seq=MemoryClock.seq + 1)
    if user_ids is not None:
        wanted = sorted(set(user_ids))
        if not wanted:
            return
        stmt = stmt.where(MemoryClock.user_id.in_(wanted))
    session.execute(stmt)


def _create(session: Session, user_id: int) -> None:
    """Insert the user's clock unless another writer just did (each dialect says it its way)."""
    values = {"user_id": user_id, "seq": 0, "generation": new_id()}
    dialect = session.get_bind().dialect.name
    if dialect == "mysql":
        session.execute(mysql.insert(MemoryClock).values(values).prefix_with("IGNORE"))
    elif dialect == "postgresql":
        session.execute(postgresql.insert(MemoryClock).values(values).on_conflict_do_nothing())
    else:
        session.execute(sqlite.insert(MemoryClock).values(values).on_conflict_do_nothing())

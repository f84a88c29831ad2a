"""The write path of memories: add, correct, forget, in SQL first, each write one transaction.

Every transaction that changes a user's memories starts by advancing the user's clock
(`memory.retrieval.clock.tick`): it holds the user's write lock until the commit, so "max + 1"
thread positions are assigned one writer at a time (`(user_id, thread_id, position)` is unique
besides), and the rows it writes carry the clock's number for the searches of every process to pick
up. Deletions leave a tombstone with that number. The vector copy follows after the commit
(`memory.retrieval.indexing`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from memory.retrieval.clock import tick
from memory.retrieval.indexing import Indexer
from memory.retrieval.memories import CONSOLIDATED, Memory, NewMemory, validate
from memory.retrieval.people import people_named
from memory.retrieval.tokenize import tokenize
from memory.storage.crypto import Keyring
from memory.storage.models import (
    MemoryChange,
    MemoryClock,
    MemoryRow,
    MemoryTombstone,
    new_id,
    utcnow,
)
from memory.storage.owners import UserGoneError, owned_write


class MemoryWriter:
    """Add, change and delete memories of one user at a time."""

    def __init__(
        self, *, sessions: sessionmaker[Session], keyring: Keyring, indexer: Indexer
    ) -> None:
        self._sessions = sessions
        self._keyring = keyring
        self._indexer = indexer

    def add_many(
        self, user_id: int, items: Sequence[NewMemory], *, index: bool = True
    ) -> list[str]:
        """Store many memories of one user in one transaction (and one embedding batch)."""
        for item in items:
            validate(item)
        with self._sessions.begin() as session:
            seq = _tick(session, user_id)
            next_position = _next_positions(session, user_id, {i.thread for i in items if i.thread})
            rows = []
            for item in items:
                position = 0
                if item.thread is not None:
                    position = next_position[item.thread]
                    next_position[item.thread] += 1
                now = item.created_at or utcnow()
                rows.append(
                    MemoryRow(
                        id=new_id(),
                        user_id=user_id,
                        kind=item.kind,
                        text=item.text,
                        source_id=item.source_id,
                        thread_id=item.thread,
                        position=position,
                        speaker=item.speaker,
                        terms=self._terms(item.text),
                        people=self._people(item.text, item.speaker),
                        meta=dict(item.metadata),
                        created_at=now,
                        updated_at=utcnow(),
                        seq=seq,
                    )
                )
            session.add_all(rows)
        if index:
            self._indexer.index_or_owe(rows)
        return [row.id for row in rows]

    def update(
        self, user_id: int, memory_id: str, text: str, *, source_id: str | None = None
    ) -> Memory | None:
        """Change what a memory says, keeping the old text in its history; None if not theirs."""
        if not text.strip():
            raise ValueError("a memory needs some text")
        with self._sessions.begin() as session:
            seq = tick(session, user_id)
            row = session.get(MemoryRow, memory_id)
            if seq is None or row is None or row.user_id != user_id:
                return None
            if row.text != text:
                session.add(
                    MemoryChange(
                        user_id=user_id,
                        memory_id=memory_id,
                        event="update",
                        old_text=row.text,
                        new_text=text,
                        source_id=source_id,
                    )
                )
                row.text = text
                row.terms = self._terms(text)
                row.people = self._people(text, row.speaker)
                row.updated_at = utcnow()
                row.indexed_at = None
                row.seq = seq
            session.flush()
            updated = Memory.from_row(row)
        if row.indexed_at is None:
            self._indexer.index_or_owe([row])
        return updated

    def add_fact(self, user_id: int, text: str, *, source_id: str | None = None) -> str:
        """Store a consolidated fact (indexed at once) and start its history.

        The same fact from the same source is stored once: a consolidation job that is run again
        (retried, or redelivered after its worker died) finds it and adds no copy.
        """
        if source_id is not None:
            with self._sessions() as session:
                same = session.scalars(
                    select(MemoryRow).where(
                        MemoryRow.user_id == user_id,
                        MemoryRow.kind == "fact",
                        MemoryRow.source_id == source_id,
                    )
                )
                for row in same:
                    if row.text == text:
                        return row.id
        [memory_id] = self.add_many(user_id, [NewMemory(text, kind="fact", source_id=source_id)])
        with owned_write(self._sessions, user_id) as session:
            session.add(
                MemoryChange(
                    user_id=user_id,
                    memory_id=memory_id,
                    event="add",
                    new_text=text,
                    source_id=source_id,
                )
            )
        return memory_id

    def supersede(
        self, user_id: int, memory_id: str, subject: str, attribute: str, *, at: datetime
    ) -> list[str]:
        """Mark the user's current facts about (subject, attribute) as replaced by `memory_id`.

        They keep their text and stay findable; they get `valid_to` and `superseded_by`.
        """
        with self._sessions.begin() as session:
            seq = tick(session, user_id)
            if seq is None:
                return []
            rows = session.scalars(
                select(MemoryRow).where(
                    MemoryRow.user_id == user_id,
                    MemoryRow.kind == "fact",
                    MemoryRow.valid_to.is_(None),
                    MemoryRow.id != memory_id,
                )
            )
            replaced = []
            for row in rows:
                meta = row.meta or {}
                if meta.get("subject") == subject and meta.get("attribute") == attribute:
                    row.valid_to = at
                    row.superseded_by = memory_id
                    row.seq = seq
                    replaced.append(row.id)
            return replaced

    def mark_consolidated(self, user_id: int, memory_id: str) -> None:
        """Record that a turn's facts were consolidated, so doing it again changes nothing."""
        with self._sessions.begin() as session:
            row = session.get(MemoryRow, memory_id)
            if row is not None and row.user_id == user_id:
                row.meta = {**(row.meta or {}), CONSOLIDATED: True}

    def forget_fact(self, user_id: int, memory_id: str, *, source_id: str | None = None) -> bool:
        """Delete a fact that no longer holds and record what it said, in one transaction."""
        with self._sessions.begin() as session:
            seq = tick(session, user_id)
            row = session.get(MemoryRow, memory_id)
            if seq is None or row is None or row.user_id != user_id:
                return False
            old_text = row.text
            self._delete(session, user_id, [memory_id], seq)
            session.add(
                MemoryChange(
                    user_id=user_id,
                    memory_id=memory_id,
                    event="delete",
                    old_text=old_text,
                    source_id=source_id,
                )
            )
        self._indexer.forget_vectors([memory_id])
        return True

    def delete(self, user_id: int, memory_id: str) -> bool:
        """Forget one memory of the user, with its history; False if there was none (or theirs)."""
        with self._sessions.begin() as session:
            seq = tick(session, user_id)
            deleted = seq is not None and bool(self._delete(session, user_id, [memory_id], seq))
        if deleted:
            self._indexer.forget_vectors([memory_id])
        return deleted

    def delete_sources(self, user_id: int, kind: str, source_ids: Iterable[str]) -> int:
        """Forget the memories made from these rows (e.g. deleted records), in every store."""
        wanted = list(source_ids)
        if not wanted:
            return 0
        with self._sessions.begin() as session:
            seq = tick(session, user_id)
            if seq is None:
                return 0
            ids = list(
                session.scalars(
                    select(MemoryRow.id).where(
                        MemoryRow.user_id == user_id,
                        MemoryRow.kind == kind,
                        MemoryRow.source_id.in_(wanted),
                    )
                )
            )
            ids = self._delete(session, user_id, ids, seq)
        if ids:
            self._indexer.forget_vectors(ids)
        return len(ids)

    def delete_user_rows(self, user_id: int) -> int:
        """Delete every memory row of a user and their clock (indexes everywhere drop the user)."""
        with self._sessions.begin() as session:
            result = session.execute(delete(MemoryRow).where(MemoryRow.user_id == user_id))
            session.execute(delete(MemoryTombstone).where(MemoryTombstone.user_id == user_id))
            session.execute(delete(MemoryClock).where(MemoryClock.user_id == user_id))
            return int(getattr(result, "rowcount", 0))

    @staticmethod
    def _delete(session: Session, user_id: int, ids: list[str], seq: int) -> list[str]:
        """Delete these memories of the user with their history; tombstones say so to indexes."""
        if not ids:
            return []
        found = list(
            session.scalars(
                select(MemoryRow.id).where(MemoryRow.user_id == user_id, MemoryRow.id.in_(ids))
            )
        )
        if found:
            session.execute(delete(MemoryRow).where(MemoryRow.id.in_(found)))
            session.execute(
                delete(MemoryChange).where(
                    MemoryChange.user_id == user_id, MemoryChange.memory_id.in_(found)
                )
            )
            session.add_all(
                MemoryTombstone(user_id=user_id, memory_id=memory_id, seq=seq)
                for memory_id in found
            )
        return found

    def _terms(self, text: str) -> str:
        return " ".join(self._keyring.hash_terms(tokenize(text)))

    def _people(self, text: str, speaker: str | None) -> str:
        return " ".join(self._keyring.hash_terms(people_named(text, speaker)))


def _tick(session: Session, user_id: int) -> int:
    seq = tick(session, user_id)
    if seq is None:
        raise UserGoneError(user_id)
    return seq


def _next_positions(session: Session, user_id: int, threads: set[str]) -> dict[str, int]:
    """The next free position in each thread (read under the user's clock lock)."""
    positions = dict.fromkeys(threads, 0)
    if threads:
        for thread, highest in session.execute(
            select(MemoryRow.thread_id, func.max(MemoryRow.position))
            .where(MemoryRow.user_id == user_id, MemoryRow.thread_id.in_(threads))
            .group_by(MemoryRow.thread_id)
        ):
            if thread is not None:
                positions[thread] = int(highest) + 1
    return positions

"""The in-memory indexes of recently searched users, kept current from SQL and bounded in bytes.

Before every search the user's clock is read from SQL (one primary-key lookup). If the cached
index has seen that sequence, it is used as it is; if the clock moved, only the rows changed since
(`memories.seq` past the index's), the ids deleted since (`memory_tombstones`) and the vectors of
newly indexed rows (from Chroma, by id) are read and applied; if the generation changed (reindex,
new keys) or the user was not cached, the index is built from all of the user's rows. So a search
sees every write committed before it started, in any process (API workers, Celery workers), and a
deleted memory leaves every index at the next search; hits are read back from SQL as well, so a
forgotten memory is never shown even by an index that has not looked yet.

Indexes live in a `cachetools.LRUCache` whose size is the bytes they hold
(`MEMADVISOR_MEMORY_INDEX_CACHE_MB`); the least recently searched users leave first, and a user
whose index alone exceeds the limit is searched without being kept.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from cachetools import LRUCache
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, sessionmaker

from memadvisor import metrics
from memory.clock import ClockReading, read
from memory.models import MemoryRow, MemoryTombstone
from memory.user_index import IndexRow, UserIndex
from memory.vectors import VectorIndex

LOCK_STRIPES = 64
"""Per-user locks, striped: searches of one user take turns, other users' run alongside."""


class UserIndexes:
    """Each user's `UserIndex`, brought up to date with SQL before it is used."""

    def __init__(
        self, sessions: sessionmaker[Session], vectors: VectorIndex, *, max_bytes: int
    ) -> None:
        self._sessions = sessions
        self._vectors = vectors
        self._cache: LRUCache[int, UserIndex] = LRUCache(
            maxsize=max_bytes, getsizeof=lambda index: max(1, index.nbytes)
        )
        self._cache_lock = threading.Lock()
        self._locks = [threading.Lock() for _ in range(LOCK_STRIPES)]

    @contextmanager
    def current(self, user_id: int) -> Iterator[UserIndex | None]:
        """The user's index as of now (None: the user is gone), held for this search alone."""
        with self._locks[user_id % LOCK_STRIPES]:
            yield self._refresh(user_id)

    def forget(self, user_id: int) -> None:
        """Drop a user's index (after erasure; other processes drop theirs at their next search)."""
        with self._cache_lock:
            self._cache.pop(user_id, None)
            metrics.observe_index_cache(int(self._cache.currsize), len(self._cache))

    def clear(self) -> None:
        """Drop every index (after a full rebuild)."""
        with self._cache_lock:
            self._cache.clear()
            metrics.observe_index_cache(0, 0)

    @property
    def nbytes(self) -> int:
        """Bytes the cached indexes hold."""
        return int(self._cache.currsize)

    def _refresh(self, user_id: int) -> UserIndex | None:
        with self._sessions() as session:
            clock = read(session, user_id)
            with self._cache_lock:
                cached = self._cache.get(user_id)
            if clock is None:
                if cached is not None:
                    self.forget(user_id)
                return None
            if cached is not None and cached.clock == clock:
                return cached
            if cached is None or cached.clock.generation != clock.generation:
                index = self._build(session, user_id, clock)
                metrics.index_refreshed("build")
            else:
                self._catch_up(session, user_id, cached, clock)
                index = cached
                metrics.index_refreshed("delta")
        self._keep(user_id, index)
        return index

    def _build(self, session: Session, user_id: int, clock: ClockReading) -> UserIndex:
        rows = [_index_row(*row) for row in session.execute(_index_rows(user_id))]
        indexed = {row.id for row in rows if row.indexed}
        index = UserIndex(clock)
        vectors = None
        if indexed:
            ids, matrix = self._vectors.user_vectors(user_id)
            keep = [i for i, memory_id in enumerate(ids) if memory_id in indexed]
            vectors = ([ids[i] for i in keep], matrix[keep]) if keep else None
        index.build(rows, vectors)
        return index

    def _catch_up(
        self, session: Session, user_id: int, index: UserIndex, clock: ClockReading
    ) -> None:
        since = index.clock.seq
        rows = [
            _index_row(*row)
            for row in session.execute(_index_rows(user_id).where(MemoryRow.seq > since))
        ]
        deleted = session.scalars(
            select(MemoryTombstone.memory_id).where(
                MemoryTombstone.user_id == user_id, MemoryTombstone.seq > since
            )
        ).all()
        indexed = [row.id for row in rows if row.indexed]
        vectors = self._vectors.vectors_of(indexed) if indexed else None
        index.apply(rows, deleted, vectors, clock)

    def _keep(self, user_id: int, index: UserIndex) -> None:
        with self._cache_lock:
            try:
                self._cache[user_id] = index  # (re)measured: the index may have grown
            except ValueError:  # larger than the whole cache: used for this search only
                self._cache.pop(user_id, None)
            metrics.observe_index_cache(int(self._cache.currsize), len(self._cache))


def _index_row(
    memory_id: str,
    thread_id: str | None,
    position: int,
    terms: str,
    indexed_at: datetime | None,
    people: str,
) -> IndexRow:
    return IndexRow(memory_id, thread_id, position, terms, indexed_at is not None, people)


def _index_rows(
    user_id: int,
) -> Select[str, str | None, int, str, datetime | None, str]:
    return (
        select(
            MemoryRow.id,
            MemoryRow.thread_id,
            MemoryRow.position,
            MemoryRow.terms,
            MemoryRow.indexed_at,
            MemoryRow.people,
        ).where(MemoryRow.user_id == user_id)
        # No ORDER BY: a delta is found through (user_id, seq) without reading the user's rows.
    )

"""The in-memory indexes of recently searched users, kept current from SQL and bounded in bytes.

Before every search the user's clock is read from SQL (one primary-key lookup). If the cached
index has seen that sequence, it is used as it is; if the clock moved, only the rows changed since
(`memories.seq` past the index's), the ids deleted since (`memory_tombstones`) and the vectors of
newly indexed rows (from Chroma, by id) are read and applied; if the generation changed (reindex,
new keys) or the user was not cached, the index is built from all of the user's rows. A vector this
process has just written is handed over in memory instead (`hand_over`), keyed by the clock value
its row got: it is taken only while SQL says the row is still at that value (another process
re-indexing the row gives it a later one, and the vector is then read from Chroma). So a search
sees every write committed before it started, in any process (API workers, Celery workers), and a
deleted memory leaves every index at the next search; hits are read back from SQL as well, so a
forgotten memory is never shown even by an index that has not looked yet.

Indexes live in a `cachetools.LRUCache` whose size is the bytes they hold
(`MEMADVISOR_MEMORY_INDEX_CACHE_MB`); the least recently searched users leave first, and a user
whose index alone exceeds the limit is searched without being kept.

An erased user never searches again, so their index would stay until evicted: every few seconds
(`MEMADVISOR_MEMORY_INDEX_SWEEP_SECONDS`) a sweeper reads the clocks of the cached users in one
query and drops each index whose user has no clock any more (erased in any process) or whose
generation changed (rebuilt anyway at the next search).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import numpy as np
from cachetools import Cache, LRUCache
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, sessionmaker

from memadvisor import metrics
from memory.retrieval.clock import ClockReading, read
from memory.retrieval.index.user import IndexRow, UserIndex
from memory.retrieval.vectors import VectorIndex, Vectors
from memory.storage.models import MemoryClock, MemoryRow, MemoryTombstone

logger = logging.getLogger(__name__)

LOCK_STRIPES = 64
"""Per-user locks, striped: searches of one user take turns, other users' run alongside."""
HANDED_OVER = 4096
"""Vectors just written by this process, waiting for their user's next search (about 6 MB)."""
SWEEP_BATCH = 500
"""Clocks read per query of a sweep."""

_Vector = np.ndarray[Any, np.dtype[np.float32]]


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
        self._handed: LRUCache[str, tuple[int, int, _Vector]] = LRUCache(maxsize=HANDED_OVER)
        """Memory id -> (user id, the row's clock value when written, vector)."""
        self._stop = threading.Event()
        self._sweeper: threading.Thread | None = None

    @contextmanager
    def current(self, user_id: int) -> Iterator[UserIndex | None]:
        """The user's index as of now (None: the user is gone), held for this search alone."""
        with self._locks[user_id % LOCK_STRIPES]:
            yield self._refresh(user_id)

    def hand_over(self, user_id: int, seq: int, ids: Sequence[str], vectors: _Vector) -> None:
        """Vectors this process wrote, their rows now at `seq`: the next delta need not read them.

        Kept only for users whose index is cached (any other builds from Chroma anyway).
        """
        with self._cache_lock:
            if user_id in self._cache:
                for memory_id, vector in zip(ids, vectors, strict=True):
                    self._handed[memory_id] = (user_id, seq, vector)

    def forget(self, user_id: int) -> None:
        """Drop a user's index (after erasure; other processes drop theirs at their next search)."""
        with self._cache_lock:
            self._cache.pop(user_id, None)
            for memory_id in [key for key, held in self._handed.items() if held[0] == user_id]:
                del self._handed[memory_id]
            metrics.observe_index_cache(int(self._cache.currsize), len(self._cache))

    def clear(self) -> None:
        """Drop every index (after a full rebuild)."""
        with self._cache_lock:
            self._cache.clear()
            self._handed.clear()
            metrics.observe_index_cache(0, 0)

    def sweep(self) -> list[int]:
        """Drop the indexes of users erased, or re-keyed, since they were cached; who they were."""
        with self._cache_lock:
            # Cache.__getitem__ reads without making the user recently used (LRUCache's would).
            cached = {user: Cache.__getitem__(self._cache, user).clock for user in self._cache}
        if not cached:
            return []
        users, generations = sorted(cached), dict[int, str]()
        with self._sessions() as session:
            for start in range(0, len(users), SWEEP_BATCH):
                batch = users[start : start + SWEEP_BATCH]
                generations.update(
                    session.execute(
                        select(MemoryClock.user_id, MemoryClock.generation).where(
                            MemoryClock.user_id.in_(batch)
                        )
                    )
                    .tuples()
                    .all()
                )
        stale = [user for user in users if generations.get(user) != cached[user].generation]
        for user_id in stale:
            self.forget(user_id)
        return stale

    def sweep_every(self, seconds: float) -> None:
        """Sweep in a daemon thread every `seconds` until `close`.

        That is the bound for an erasure in another process to leave this one's memory.
        """
        if self._sweeper is not None:
            return
        self._sweeper = threading.Thread(
            target=self._sweep_until_closed, args=(seconds,), name="memadvisor-index-sweep"
        )
        self._sweeper.daemon = True
        self._sweeper.start()

    def close(self) -> None:
        """Stop the sweeper (if it runs)."""
        self._stop.set()
        if self._sweeper is not None:
            self._sweeper.join(timeout=10)
            self._sweeper = None

    def _sweep_until_closed(self, seconds: float) -> None:
        while not self._stop.wait(seconds):
            try:
                if dropped := self.sweep():
                    logger.info(
                        "dropped %d cached indexes of erased or re-keyed users", len(dropped)
                    )
            except Exception:  # a database that is down now is up again at a later sweep
                logger.warning("index cache sweep failed; trying again", exc_info=True)

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
        changed = session.execute(
            _index_rows(user_id).add_columns(MemoryRow.seq).where(MemoryRow.seq > since)
        ).all()
        rows = [_index_row(*row[:-1]) for row in changed]
        deleted = session.scalars(
            select(MemoryTombstone.memory_id).where(
                MemoryTombstone.user_id == user_id, MemoryTombstone.seq > since
            )
        ).all()
        indexed = {found.id: int(found.seq) for found in changed if found.indexed_at is not None}
        index.apply(rows, deleted, self._vectors_of(indexed) if indexed else None, clock)

    def _vectors_of(self, wanted: dict[str, int]) -> Vectors:
        """The vectors of rows at these clock values: handed over if this process wrote them."""
        ids: list[str] = []
        found: list[_Vector] = []
        with self._cache_lock:
            for memory_id, seq in wanted.items():
                held = self._handed.pop(memory_id, None)
                if held is not None and held[1] == seq:
                    ids.append(memory_id)
                    found.append(held[2])
        metrics.index_vectors_read("handed_over", len(ids))
        held_ids = set(ids)
        missing = [memory_id for memory_id in wanted if memory_id not in held_ids]
        if missing:
            read_ids, read = self._vectors.vectors_of(missing)
            metrics.index_vectors_read("vector_store", len(read_ids))
            ids += read_ids
            found += list(read)
        if not ids:
            return [], np.zeros((0, 0), dtype=np.float32)
        return ids, np.stack(found).astype(np.float32, copy=False)

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

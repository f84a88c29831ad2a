"""The vector copy of memories and what SQL records as still owed to it.

SQL is the source of truth; Chroma holds a derived vector per memory. A memory whose vector is not
written yet is owed (`indexed_at IS NULL`): chat writes its turn with the vector owed and a job
pays it (`index_pending`), and a Chroma server that is down leaves whatever it missed owed or
orphaned until `reconcile` (`memadvisor reindex`) settles both. Writing a vector advances its
user's clock (`memory.retrieval.clock`), so every process's index reads it at its next search.

A memory deleted (or its user erased) while its vector was being computed leaves no vector: the
indexer writes the vector first, then, in the transaction that marks rows indexed, reads which of
them still exist and deletes the vectors of the others; deleters delete vectors after their SQL
commit. Whichever of the two comes last finds the vector and deletes it.
"""

from __future__ import annotations

import itertools
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from memory.retrieval.clock import new_generation, tick_many
from memory.retrieval.memories import ProgressCallback, Reconciled
from memory.retrieval.vectors import VectorIndex, VectorStoreUnavailableError
from memory.storage.models import MemoryRow, MemoryTombstone, utcnow

logger = logging.getLogger(__name__)

INDEX_BATCH = 256

IndexedCallback = Callable[[int, int, Sequence[str], np.ndarray[Any, np.dtype[np.float32]]], None]
"""Told of each user's written vectors: (user id, the clock value their rows got, ids, rows)."""


class Indexer:
    """Write, owe, reconcile and rebuild the vector copy of memories."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        vectors: VectorIndex,
        embeddings: Embeddings,
        on_indexed: IndexedCallback | None = None,
    ) -> None:
        self._sessions = sessions
        self._vectors = vectors
        self._embeddings = embeddings
        self._on_indexed = on_indexed

    def index_or_owe(self, rows: Sequence[MemoryRow]) -> None:
        """Index now; if the vector store is down, leave the rows owed (they are safe in SQL)."""
        try:
            self.index_rows(rows)
        except VectorStoreUnavailableError as exc:
            logger.warning("%s: %d memories stay owed until it is back", exc, len(rows))

    def forget_vectors(self, ids: Sequence[str]) -> None:
        """Delete vectors; if the vector store is down, `reconcile` removes the orphans later."""
        try:
            self._vectors.delete(ids)
        except VectorStoreUnavailableError as exc:
            logger.warning("%s: %d vectors of deleted memories wait for reconcile", exc, len(ids))

    def index_pending(
        self,
        ids: Iterable[str] | None = None,
        *,
        batches: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> int:
        """Write the vector copy of memories that have none yet; returns how many were indexed.

        `batches` bounds the work to that many batches of `INDEX_BATCH` (None: all that is owed).
        """
        stmt = (
            select(MemoryRow)
            .where(MemoryRow.indexed_at.is_(None))
            .order_by(MemoryRow.user_id, MemoryRow.thread_id, MemoryRow.position)
        )
        if ids is not None:
            stmt = stmt.where(MemoryRow.id.in_(list(ids)))
        done = 0
        for _ in itertools.count() if batches is None else range(batches):
            with self._sessions() as session:
                rows = list(session.scalars(stmt.limit(INDEX_BATCH)))
            if not rows:
                return done
            self.index_rows(rows)
            done += len(rows)
            if progress:
                progress(len(rows))
        return done

    def count_pending(self) -> int:
        """Memories whose vector copy is still owed."""
        with self._sessions() as session:
            stmt = select(func.count()).select_from(MemoryRow).where(MemoryRow.indexed_at.is_(None))
            return int(session.scalar(stmt) or 0)

    def reconcile(self, *, progress: ProgressCallback | None = None) -> Reconciled:
        """Make the vectors agree with SQL without rebuilding them.

        Removes vectors whose memory was deleted while the vector store was down, marks memories
        whose vector went missing as owed, then indexes everything owed.
        """
        in_vectors = set(self._vectors.ids())
        with self._sessions() as session:
            rows = session.execute(
                select(MemoryRow.id, MemoryRow.user_id, MemoryRow.indexed_at)
            ).all()
        in_sql = {row.id: row.indexed_at for row in rows}
        orphans = sorted(in_vectors - in_sql.keys())
        for start in range(0, len(orphans), INDEX_BATCH):
            self._vectors.delete(orphans[start : start + INDEX_BATCH])
        lost = [row for row in rows if row.indexed_at is not None and row.id not in in_vectors]
        if lost:
            with self._sessions.begin() as session:
                new_generation(session, {row.user_id for row in lost})
                ids = [row.id for row in lost]
                for start in range(0, len(ids), INDEX_BATCH):
                    session.execute(
                        update(MemoryRow)
                        .where(MemoryRow.id.in_(ids[start : start + INDEX_BATCH]))
                        .values(indexed_at=None)
                    )
        return Reconciled(indexed=self.index_pending(progress=progress), removed=len(orphans))

    def reindex(self, *, progress: ProgressCallback | None = None) -> int:
        """Rebuild the whole vector index from SQL (after a crash, a model change or a restore)."""
        self._vectors.reset()
        with self._sessions.begin() as session:
            new_generation(session)
            session.execute(update(MemoryRow).values(indexed_at=None))
            session.execute(delete(MemoryTombstone))  # every index is rebuilt anyway
        return self.index_pending(progress=progress)

    def index_rows(self, rows: Sequence[MemoryRow]) -> None:
        """Embed rows (each alone and after its thread's previous memory) and store the vectors."""
        if not rows:
            return
        previous = self._previous_texts(rows)
        own = self._embeddings.embed_documents([row.text for row in rows])
        with_context = [row for row in rows if row.id in previous]
        contextual = dict(
            zip(
                [row.id for row in with_context],
                self._embeddings.embed_documents(
                    [f"{previous[row.id]}\n{row.text}" for row in with_context]
                ),
                strict=True,
            )
        )
        vectors = [
            [(a + b) / 2 for a, b in zip(vector, contextual[row.id], strict=True)]
            if row.id in contextual
            else vector
            for row, vector in zip(rows, own, strict=True)
        ]
        matrix = np.asarray(vectors, dtype=np.float32)  # as Chroma stores them, and the hand-over
        ids = [row.id for row in rows]
        self._vectors.upsert(ids, matrix, [_vector_metadata(row) for row in rows])
        by_user: dict[int, list[int]] = defaultdict(list)
        for i, row in enumerate(rows):
            by_user[row.user_id].append(i)
        with self._sessions.begin() as session:
            now = utcnow()
            ticked = tick_many(session, by_user)  # the users that still exist, their clocks held
            for user_id, seq in ticked.items():
                session.execute(
                    update(MemoryRow)
                    .where(
                        MemoryRow.user_id == user_id,
                        MemoryRow.id.in_([rows[i].id for i in by_user[user_id]]),
                    )
                    .values(indexed_at=now, seq=seq)
                )
            kept = set(session.scalars(select(MemoryRow.id).where(MemoryRow.id.in_(ids))))
        self._forget_vanished([row for row in rows if row.id not in kept], set(ticked))
        if self._on_indexed is not None:
            for user_id, seq in ticked.items():
                at = by_user[user_id]
                self._on_indexed(user_id, seq, [rows[i].id for i in at], matrix[at])

    def _forget_vanished(self, vanished: Sequence[MemoryRow], live_users: set[int]) -> None:
        """Delete the vectors just written for rows that were deleted while they were embedded.

        A deleter removes vectors after its SQL commit, and this indexer checks SQL after its
        vector write: whichever comes last deletes, so no interleaving leaves a vector behind. A
        user erased meanwhile has every vector erased again, down to Chroma's log.
        """
        if not vanished:
            return
        try:
            for user_id in sorted({row.user_id for row in vanished} - live_users):
                logger.info("a user was erased while their memories were indexed: erasing again")
                self._vectors.erase_user(user_id)
            self._vectors.delete([row.id for row in vanished if row.user_id in live_users])
        except VectorStoreUnavailableError as exc:
            logger.warning("%s: vectors of deleted memories wait for reconcile", exc)

    def _previous_texts(self, rows: Sequence[MemoryRow]) -> dict[str, str]:
        """For each row in a thread, the text of the memory just before it in that thread."""
        wanted: dict[tuple[int, str], list[MemoryRow]] = defaultdict(list)
        for row in rows:
            if row.thread_id is not None and row.position > 0:
                wanted[(row.user_id, row.thread_id)].append(row)
        found: dict[str, str] = {}
        with self._sessions() as session:
            for (user_id, thread), members in wanted.items():
                low = min(m.position for m in members) - 1
                high = max(m.position for m in members) - 1
                texts = dict(
                    session.execute(
                        select(MemoryRow.position, MemoryRow.text).where(
                            MemoryRow.user_id == user_id,
                            MemoryRow.thread_id == thread,
                            MemoryRow.position.between(low, high),
                        )
                    ).all()
                )
                for member in members:
                    if (text := texts.get(member.position - 1)) is not None:
                        found[member.id] = text
        return found


def _vector_metadata(row: MemoryRow) -> dict[str, Any]:
    """Chroma metadata: scalar values only; `user_id` is what every query filters on."""
    return {
        "user_id": row.user_id,
        "kind": row.kind,
        "created_at": row.created_at.isoformat(),
        "source_id": row.source_id or "",
    }

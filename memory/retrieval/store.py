"""`MemoryStore`: the one public way to remember, find and forget things about a user.

Every write goes to SQL first (the source of truth), then to the vector copy. Every read is scoped
to one user: SQL queries filter on `user_id`, vector reads on the `user_id` metadata, and the
in-memory indexes are per user. The work is split by concern:
- `memory.retrieval.writing`: the write path (add, correct, forget), one transaction each,
  ordered by the user's clock (`memory.retrieval.clock`);
- `memory.retrieval.indexing`: the vector copy and what is still owed to it (index, reconcile,
  reindex);
- `memory.retrieval.search` with `memory.retrieval.index.cache`: hybrid search over per-user
  indexes that each write extends instead of invalidating.

When the Chroma server is down, writes and deletions still succeed in SQL: a vector not written
stays owed (`indexed_at IS NULL`), a vector not deleted is an orphan that is never shown (hits are
read back from SQL), and `reconcile` (`memadvisor reindex`) settles both once it is back. Search
raises `VectorStoreUnavailableError` when it must read vectors it does not hold; chat answers
without memories.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from langchain_core.embeddings import Embeddings
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from memory.retrieval.index.cache import UserIndexes
from memory.retrieval.indexing import INDEX_BATCH, Indexer
from memory.retrieval.memories import (
    CONSOLIDATED,
    MEMORY_KINDS,
    Memory,
    NewMemory,
    ProgressCallback,
    Reconciled,
)
from memory.retrieval.search import HybridSearch, SearchWeights
from memory.retrieval.vectors import VectorIndex, VectorStoreUnavailableError
from memory.retrieval.writing import MemoryWriter
from memory.storage.crypto import Keyring
from memory.storage.models import MemoryChange, MemoryRow, User

__all__ = [
    "CONSOLIDATED",
    "INDEX_BATCH",
    "MEMORY_KINDS",
    "Memory",
    "MemoryStore",
    "NewMemory",
    "Reconciled",
    "SearchWeights",
]

logger = logging.getLogger(__name__)

DEFAULT_CACHE_BYTES = 1024 * 2**20


class MemoryStore:
    """Remember, search and forget a user's memories across SQL, Chroma and in-memory indexes."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        vectors: VectorIndex,
        embeddings: Embeddings,
        keyring: Keyring,
        weights: SearchWeights | None = None,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        sweep_seconds: float | None = None,
    ) -> None:
        """Wire the parts; with `sweep_seconds`, a thread drops erased users' cached indexes."""
        self._sessions = sessions
        self._vectors = vectors
        self.embeddings = embeddings
        """The embedding model of writes and searches (the retrieval canary reuses it)."""
        self._indexes = UserIndexes(sessions, vectors, max_bytes=cache_bytes)
        if sweep_seconds is not None:
            self._indexes.sweep_every(sweep_seconds)
        self._indexer = Indexer(
            sessions=sessions,
            vectors=vectors,
            embeddings=embeddings,
            on_indexed=self._indexes.hand_over,
        )
        self._writer = MemoryWriter(sessions=sessions, keyring=keyring, indexer=self._indexer)
        self._search = HybridSearch(
            sessions=sessions,
            indexes=self._indexes,
            embeddings=embeddings,
            keyring=keyring,
            weights=weights,
        )

    @property
    def weights(self) -> SearchWeights:
        """How dense and keyword evidence are combined."""
        return self._search.weights

    @weights.setter
    def weights(self, weights: SearchWeights) -> None:
        self._search.weights = weights

    @property
    def index_cache_bytes(self) -> int:
        """Bytes held by this process's in-memory indexes."""
        return self._indexes.nbytes

    # --- writing ----------------------------------------------------------------------------------

    def add(
        self,
        user_id: int,
        text: str,
        *,
        kind: str = "turn",
        created_at: datetime | None = None,
        source_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        thread: str | None = None,
        speaker: str | None = None,
        index: bool = True,
    ) -> str:
        """Store one memory and return its id.

        With `index=False` only the SQL row is written; `index_pending` adds the vector copy later
        (this is how chat keeps embedding off the answer's path). Keyword search finds it at once.
        """
        item = NewMemory(text, kind, created_at, source_id, metadata or {}, thread, speaker)
        return self._writer.add_many(user_id, [item], index=index)[0]

    def add_many(
        self, user_id: int, items: Sequence[NewMemory], *, index: bool = True
    ) -> list[str]:
        """Store many memories of one user in one transaction (and one embedding batch)."""
        return self._writer.add_many(user_id, items, index=index)

    def update(
        self, user_id: int, memory_id: str, text: str, *, source_id: str | None = None
    ) -> Memory | None:
        """Change what a memory says (old text kept in its history); None if not theirs.

        The vector copy is rewritten at once, so search finds the new text and not the old.
        """
        return self._writer.update(user_id, memory_id, text, source_id=source_id)

    def add_fact(self, user_id: int, text: str, *, source_id: str | None = None) -> str:
        """Store a consolidated fact (indexed at once) and start its history."""
        return self._writer.add_fact(user_id, text, source_id=source_id)

    def supersede(
        self, user_id: int, memory_id: str, subject: str, attribute: str, *, at: datetime
    ) -> list[str]:
        """Mark older facts about (subject, attribute) as replaced by `memory_id`; their ids."""
        return self._writer.supersede(user_id, memory_id, subject, attribute, at=at)

    def mark_consolidated(self, user_id: int, memory_id: str) -> None:
        """Record that a turn's facts were consolidated, so doing it again changes nothing."""
        self._writer.mark_consolidated(user_id, memory_id)

    def forget_fact(self, user_id: int, memory_id: str, *, source_id: str | None = None) -> bool:
        """Delete a fact that no longer holds, recording what it said (one transaction)."""
        return self._writer.forget_fact(user_id, memory_id, source_id=source_id)

    def history(self, user_id: int, memory_id: str) -> list[MemoryChange]:
        """How a memory changed, oldest first (empty for someone else's memory)."""
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(MemoryChange)
                    .where(MemoryChange.user_id == user_id, MemoryChange.memory_id == memory_id)
                    .order_by(MemoryChange.created_at, MemoryChange.id)
                )
            )

    # --- the vector copy ------------------------------------------------------------------------

    def index_pending(
        self,
        ids: Iterable[str] | None = None,
        *,
        batches: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> int:
        """Write the vector copy of memories that have none yet; returns how many were indexed."""
        return self._indexer.index_pending(ids, batches=batches, progress=progress)

    def count_pending(self) -> int:
        """Memories whose vector copy is still owed."""
        return self._indexer.count_pending()

    def reconcile(self, *, progress: ProgressCallback | None = None) -> Reconciled:
        """Make the vectors agree with SQL without rebuilding them."""
        return self._indexer.reconcile(progress=progress)

    def reindex(self, *, progress: ProgressCallback | None = None) -> int:
        """Rebuild the whole vector index (and every search index) from SQL."""
        self._indexes.clear()
        return self._indexer.reindex(progress=progress)

    def vector_count(self, user_id: int | None = None) -> int:
        """Vectors held (for one user, or all), to check agreement with SQL."""
        return self._vectors.count(user_id)

    # --- reading ----------------------------------------------------------------------------------

    def search(self, user_id: int, query: str, k: int = 5) -> list[Memory]:
        """The user's `k` memories most relevant to `query`, best first, with scores.

        Sees every write committed before it started, in any process; every hit is read back
        from SQL, so a memory deleted there never comes back.
        """
        return self._search.search(user_id, query, k)

    def from_source(self, user_id: int, source_id: str) -> list[Memory]:
        """The user's memories made from one source (a turn, a record), oldest first."""
        stmt = (
            select(MemoryRow)
            .where(MemoryRow.user_id == user_id, MemoryRow.source_id == source_id)
            .order_by(MemoryRow.created_at, MemoryRow.position, MemoryRow.id)
        )
        with self._sessions() as session:
            return [Memory.from_row(row) for row in session.scalars(stmt)]

    def list(
        self, user_id: int, *, limit: int = 50, offset: int = 0, kind: str | None = None
    ) -> list[Memory]:
        """The user's memories, newest first."""
        stmt = select(MemoryRow).where(MemoryRow.user_id == user_id)
        if kind:
            stmt = stmt.where(MemoryRow.kind == kind)
        stmt = (
            stmt.order_by(MemoryRow.created_at.desc(), MemoryRow.position.desc(), MemoryRow.id)
            .limit(limit)
            .offset(offset)
        )
        with self._sessions() as session:
            return [Memory.from_row(row) for row in session.scalars(stmt)]

    def get_many(self, user_id: int, memory_ids: Iterable[str]) -> dict[str, Memory]:
        """Those of the ids that are the user's memories (forgotten or foreign ones are absent)."""
        wanted = list(memory_ids)
        if not wanted:
            return {}
        with self._sessions() as session:
            rows = session.scalars(select(MemoryRow).where(MemoryRow.id.in_(wanted)))
            return {row.id: Memory.from_row(row) for row in rows if row.user_id == user_id}

    def get(self, user_id: int, memory_id: str) -> Memory | None:
        """One memory, or None if it does not exist or belongs to someone else."""
        with self._sessions() as session:
            row = session.get(MemoryRow, memory_id)
            if row is None or row.user_id != user_id:
                return None
            return Memory.from_row(row)

    def shown_to_model(self, user_id: int, memory_id: str) -> bool:
        """Whether an answer was ever given this memory of the user (see `last_used_at`)."""
        with self._sessions() as session:
            used = session.scalar(
                select(MemoryRow.last_used_at).where(
                    MemoryRow.id == memory_id, MemoryRow.user_id == user_id
                )
            )
            return used is not None

    def count(self, user_id: int | None = None) -> int:
        """How many memories the user has (or everyone, for maintenance)."""
        stmt = select(func.count()).select_from(MemoryRow)
        if user_id is not None:
            stmt = stmt.where(MemoryRow.user_id == user_id)
        with self._sessions() as session:
            return int(session.scalar(stmt) or 0)

    def count_by_kind(self) -> dict[str, int]:
        """How many memories of each kind everyone has (for the metrics' gauge)."""
        stmt = select(MemoryRow.kind, func.count()).group_by(MemoryRow.kind)
        with self._sessions() as session:
            return {kind: int(count) for kind, count in session.execute(stmt)}

    # --- forgetting -------------------------------------------------------------------------------

    def delete(self, user_id: int, memory_id: str) -> bool:
        """Forget one memory of the user, with its history; False if there was none (or theirs)."""
        return self._writer.delete(user_id, memory_id)

    def delete_sources(self, user_id: int, kind: str, source_ids: Iterable[str]) -> int:
        """Forget the memories made from these rows (e.g. deleted records), in every store."""
        return self._writer.delete_sources(user_id, kind, source_ids)

    def close(self) -> None:
        """Stop the sweeper of the cached indexes and release the vector store's client.

        The client reconnects if the store is used again.
        """
        self._indexes.close()
        self._vectors.close()

    def delete_user(self, user_id: int) -> int:
        """Forget every memory of a user: SQL rows, indexes, and vectors down to Chroma's files."""
        deleted = self._writer.delete_user_rows(user_id)
        self.forget_user(user_id)
        return deleted

    def forget_user(self, user_id: int) -> None:
        """Drop what this process's indexes and the vector store hold of a user gone from SQL.

        Called after the SQL delete has committed, so a vector that an indexer writes meanwhile is
        either erased here or found orphaned by that indexer (`memory.indexing`).
        """
        self._indexes.forget(user_id)
        try:
            self._vectors.erase_user(user_id)
        except VectorStoreUnavailableError as exc:
            logger.warning("%s: the user's vectors wait for reconcile", exc)

    def sweep_erased(self, user_id: int) -> int:
        """After an erasure: erase whatever vectors of the user are still there; how many were.

        The second line behind the indexers' own check (`memory.indexing`): a job queued after
        the erasure runs after the work that was in flight in its queue. A user who exists is
        never touched (ids are never reused, so an erased id is nobody else's).
        """
        with self._sessions() as session:
            if session.get(User, user_id) is not None:
                return 0
        left = self._vectors.count(user_id)
        if left:
            logger.info("erasure sweep: %d vectors written after the erasure, erased", left)
            self.forget_user(user_id)
        return left

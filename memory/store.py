"""`MemoryStore`: the one public way to remember, find and forget things about a user.

Every write goes to SQL first (the source of truth), then to the Chroma copy. Every read is
scoped to one user: SQL queries filter on `user_id`, vector searches pass `filter={"user_id": ...}`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from langchain_chroma import Chroma
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from memory.models import MemoryRow, new_id, utcnow

logger = logging.getLogger(__name__)

MEMORY_KINDS = ("turn", "data", "insight", "summary", "fact")
INDEX_BATCH = 256


@dataclass(frozen=True, slots=True)
class Memory:
    """A memory as the rest of the product sees it; `score` is set by searches (cosine, 0..1)."""

    id: str
    user_id: int
    kind: str
    text: str
    created_at: datetime
    source_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    score: float | None = None

    @classmethod
    def from_row(cls, row: MemoryRow, score: float | None = None) -> Memory:
        """Copy a SQL row into the public shape."""
        return cls(
            id=row.id,
            user_id=row.user_id,
            kind=row.kind,
            text=row.text,
            created_at=row.created_at,
            source_id=row.source_id,
            metadata=dict(row.meta or {}),
            score=score,
        )


@dataclass(frozen=True, slots=True)
class NewMemory:
    """Input of a batch write (`MemoryStore.add_many`)."""

    text: str
    kind: str = "turn"
    created_at: datetime | None = None
    source_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


ProgressCallback = Callable[[int], None]


class MemoryStore:
    """Remember, search and forget a user's memories across SQL and Chroma."""

    def __init__(self, *, sessions: sessionmaker[Session], vectors: Chroma) -> None:
        self._sessions = sessions
        self._vectors = vectors

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
        index: bool = True,
    ) -> str:
        """Store one memory and return its id.

        With `index=False` only the SQL row is written; `index_pending` adds the vector copy later
        (this is how chat keeps embedding off the answer's path).
        """
        item = NewMemory(text, kind, created_at, source_id, metadata or {})
        return self.add_many(user_id, [item], index=index)[0]

    def add_many(
        self, user_id: int, items: Sequence[NewMemory], *, index: bool = True
    ) -> list[str]:
        """Store many memories of one user in one transaction (and one embedding batch)."""
        rows = [_new_row(user_id, item) for item in items]
        with self._sessions.begin() as session:
            session.add_all(rows)
        if index:
            self._index_rows(rows)
        return [row.id for row in rows]

    def index_pending(
        self, ids: Iterable[str] | None = None, *, progress: ProgressCallback | None = None
    ) -> int:
        """Write the vector copy of memories that have none yet; returns how many were indexed."""
        stmt = (
            select(MemoryRow).where(MemoryRow.indexed_at.is_(None)).order_by(MemoryRow.created_at)
        )
        if ids is not None:
            stmt = stmt.where(MemoryRow.id.in_(list(ids)))
        done = 0
        while True:
            with self._sessions() as session:
                rows = list(session.scalars(stmt.limit(INDEX_BATCH)))
            if not rows:
                return done
            self._index_rows(rows)
            done += len(rows)
            if progress:
                progress(len(rows))

    def count_pending(self) -> int:
        """Memories whose vector copy is still owed."""
        with self._sessions() as session:
            stmt = select(func.count()).select_from(MemoryRow).where(MemoryRow.indexed_at.is_(None))
            return int(session.scalar(stmt) or 0)

    def reindex(self, *, progress: ProgressCallback | None = None) -> int:
        """Rebuild the whole vector index from SQL (after a crash, a model change or a restore)."""
        self._vectors.reset_collection()
        with self._sessions.begin() as session:
            session.execute(update(MemoryRow).values(indexed_at=None))
        return self.index_pending(progress=progress)

    def _index_rows(self, rows: Sequence[MemoryRow]) -> None:
        if not rows:
            return
        self._vectors.add_texts(
            texts=[row.text for row in rows],
            metadatas=[_vector_metadata(row) for row in rows],
            ids=[row.id for row in rows],
        )
        with self._sessions.begin() as session:
            session.execute(
                update(MemoryRow)
                .where(MemoryRow.id.in_([row.id for row in rows]))
                .values(indexed_at=utcnow())
            )

    # --- reading ----------------------------------------------------------------------------------

    def search(self, user_id: int, query: str, k: int = 5) -> list[Memory]:
        """The user's `k` memories closest in meaning to `query`, best first, with cosine scores.

        The vector hit is checked against SQL, so a memory deleted there never comes back.
        """
        if not query.strip() or k < 1:
            return []
        hits = self._vectors.similarity_search_with_score(query, k=k, filter=_owner(user_id))
        scores = {doc.id: 1.0 - float(distance) for doc, distance in hits if doc.id}
        if not scores:
            return []
        with self._sessions() as session:
            rows = session.scalars(
                select(MemoryRow).where(
                    MemoryRow.user_id == user_id, MemoryRow.id.in_(list(scores))
                )
            ).all()
        found = [Memory.from_row(row, scores[row.id]) for row in rows]
        return sorted(found, key=lambda m: m.score or 0.0, reverse=True)

    def list(
        self, user_id: int, *, limit: int = 50, offset: int = 0, kind: str | None = None
    ) -> list[Memory]:
        """The user's memories, newest first."""
        stmt = select(MemoryRow).where(MemoryRow.user_id == user_id)
        if kind:
            stmt = stmt.where(MemoryRow.kind == kind)
        stmt = stmt.order_by(MemoryRow.created_at.desc(), MemoryRow.id).limit(limit).offset(offset)
        with self._sessions() as session:
            return [Memory.from_row(row) for row in session.scalars(stmt)]

    def get(self, user_id: int, memory_id: str) -> Memory | None:
        """One memory, or None if it does not exist or belongs to someone else."""
        with self._sessions() as session:
            row = session.get(MemoryRow, memory_id)
            if row is None or row.user_id != user_id:
                return None
            return Memory.from_row(row)

    def count(self, user_id: int | None = None) -> int:
        """How many memories the user has (or everyone, for maintenance)."""
        stmt = select(func.count()).select_from(MemoryRow)
        if user_id is not None:
            stmt = stmt.where(MemoryRow.user_id == user_id)
        with self._sessions() as session:
            return int(session.scalar(stmt) or 0)

    # --- forgetting -------------------------------------------------------------------------------

    def delete(self, user_id: int, memory_id: str) -> bool:
        """Forget one memory of the user; False if there was none (or it is someone else's)."""
        with self._sessions.begin() as session:
            result = session.execute(
                delete(MemoryRow).where(MemoryRow.id == memory_id, MemoryRow.user_id == user_id)
            )
            deleted = bool(getattr(result, "rowcount", 0))
        if deleted:
            self._vectors.delete(ids=[memory_id])
        return deleted

    def delete_user(self, user_id: int) -> int:
        """Forget every memory of a user, in SQL and in the vector index."""
        with self._sessions.begin() as session:
            ids = list(session.scalars(select(MemoryRow.id).where(MemoryRow.user_id == user_id)))
            session.execute(delete(MemoryRow).where(MemoryRow.user_id == user_id))
        # Delete by filter too, so copies whose SQL row was already gone are removed as well.
        self._vectors.delete(where=_owner(user_id))
        return len(ids)

    def vector_count(self, user_id: int | None = None) -> int:
        """Vector documents held (for one user, or all), to check agreement with SQL."""
        where = None if user_id is None else _owner(user_id)
        return len(self._vectors.get(where=where, include=[])["ids"])


def _owner(user_id: int) -> Any:
    """The Chroma filter every vector read and delete goes through."""
    return {"user_id": user_id}


def _new_row(user_id: int, item: NewMemory) -> MemoryRow:
    if item.kind not in MEMORY_KINDS:
        raise ValueError(f"unknown memory kind {item.kind!r}; expected one of {MEMORY_KINDS}")
    if not item.text.strip():
        raise ValueError("a memory needs some text")
    return MemoryRow(
        id=new_id(),
        user_id=user_id,
        kind=item.kind,
        text=item.text,
        source_id=item.source_id,
        meta=dict(item.metadata),
        created_at=item.created_at or utcnow(),
    )


def _vector_metadata(row: MemoryRow) -> dict[str, Any]:
    """Chroma metadata: scalar values only; `user_id` is what every query filters on."""
    return {
        "user_id": row.user_id,
        "kind": row.kind,
        "created_at": row.created_at.isoformat(),
        "source_id": row.source_id or "",
    }

"""`MemoryStore`: the one public way to remember, find and forget things about a user.

Every write goes to SQL first (the source of truth), then to the vector copy. Every read is scoped
to one user: SQL queries filter on `user_id`, vector searches on the `user_id` metadata, and
keyword indexes are built per user.

Search is hybrid and reads each memory in its thread (measured on LoCoMo and our bilingual set,
see the README):
- dense: a memory's vector is the mean of the embedding of its text alone and of its text after
  the previous memory of the same thread, so a short reply carries what it replies to;
- keyword: BM25 over segmented, stemmed terms of the memory and its neighbours (two each side),
  stored and compared as keyed hashes (`Keyring.hash_terms`), never as words;
- the two are fused on a fixed scale (dense cosine + `keyword` x BM25 / best BM25), plus a small
  boost when the query names the memory's speaker.

When the Chroma server is down, writes and deletions still succeed in SQL: a vector not written
stays owed (`indexed_at IS NULL`), a vector not deleted is an orphan that is never shown (hits are
read back from SQL), and `reconcile` (`memadvisor reindex`) settles both once it is back. Search
raises `VectorStoreUnavailableError`; chat answers without memories.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from langchain_core.embeddings import Embeddings
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from memory.crypto import Keyring
from memory.keyword import KeywordIndex
from memory.models import MemoryChange, MemoryRow, new_id, utcnow
from memory.tokenize import tokenize
from memory.vectors import VectorIndex, VectorStoreUnavailableError

logger = logging.getLogger(__name__)

MEMORY_KINDS = ("turn", "data", "insight", "summary", "fact")
INDEX_BATCH = 256
CONSOLIDATED = "consolidated"
"""Key of a turn memory's metadata set once its facts were consolidated."""
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True, slots=True)
class Memory:
    """A memory as the rest of the product sees it; `score` is set by searches (about 0..1)."""

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
    """Input of a write. Memories sharing a `thread` are read in order, each with its neighbours."""

    text: str
    kind: str = "turn"
    created_at: datetime | None = None
    source_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    thread: str | None = None
    speaker: str | None = None


@dataclass(frozen=True, slots=True)
class SearchWeights:
    """How dense and keyword evidence are combined (chosen on the benchmarks; see the README)."""

    candidates: int = 50
    """Candidates taken from each of the dense and keyword searches."""
    keyword: float = 0.05
    """Weight of the keyword score (scaled to 0-1 by the best hit) next to the cosine score."""
    speaker: float = 0.03
    """Bonus when the query names the memory's speaker."""
    dense_floor_gap: float = 0.02
    """Keyword-only candidates count as this far below the weakest dense candidate."""


ProgressCallback = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class Reconciled:
    """What `reconcile` did to make the vectors agree with SQL."""

    indexed: int
    """Memories whose owed (or lost) vector was written."""
    removed: int
    """Vectors removed because their memory is gone from SQL."""


class MemoryStore:
    """Remember, search and forget a user's memories across SQL, Chroma and keyword indexes."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        vectors: VectorIndex,
        embeddings: Embeddings,
        keyring: Keyring,
        weights: SearchWeights | None = None,
    ) -> None:
        self._sessions = sessions
        self._keyring = keyring
        self._vectors = vectors
        self._embeddings = embeddings
        self._keywords = KeywordIndex(sessions)
        self.weights = weights or SearchWeights()

    @property
    def embeddings(self) -> Embeddings:
        """The embedding model of writes and searches (the retrieval canary reuses it)."""
        return self._embeddings

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
        (this is how chat keeps embedding off the answer's path).
        """
        item = NewMemory(text, kind, created_at, source_id, metadata or {}, thread, speaker)
        return self.add_many(user_id, [item], index=index)[0]

    def add_many(
        self, user_id: int, items: Sequence[NewMemory], *, index: bool = True
    ) -> list[str]:
        """Store many memories of one user in one transaction (and one embedding batch)."""
        for item in items:
            _validate(item)
        with self._sessions.begin() as session:
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
                        terms=" ".join(self._keyring.hash_terms(tokenize(item.text))),
                        meta=dict(item.metadata),
                        created_at=now,
                        updated_at=utcnow(),
                    )
                )
            session.add_all(rows)
        if index:
            self._index_or_owe(rows)
        return [row.id for row in rows]

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
            self._index_rows(rows)
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
            rows = session.execute(select(MemoryRow.id, MemoryRow.indexed_at)).all()
        in_sql = {row.id: row.indexed_at for row in rows}
        orphans = sorted(in_vectors - in_sql.keys())
        for start in range(0, len(orphans), INDEX_BATCH):
            self._vectors.delete(orphans[start : start + INDEX_BATCH])
        lost = [i for i, at in in_sql.items() if at is not None and i not in in_vectors]
        with self._sessions.begin() as session:
            for start in range(0, len(lost), INDEX_BATCH):
                session.execute(
                    update(MemoryRow)
                    .where(MemoryRow.id.in_(lost[start : start + INDEX_BATCH]))
                    .values(indexed_at=None)
                )
        return Reconciled(indexed=self.index_pending(progress=progress), removed=len(orphans))

    def reindex(self, *, progress: ProgressCallback | None = None) -> int:
        """Rebuild the whole vector index from SQL (after a crash, a model change or a restore)."""
        self._vectors.reset()
        with self._sessions.begin() as session:
            session.execute(update(MemoryRow).values(indexed_at=None))
        return self.index_pending(progress=progress)

    def _index_or_owe(self, rows: Sequence[MemoryRow]) -> None:
        """Index now; if the vector store is down, leave the rows owed (they are safe in SQL)."""
        try:
            self._index_rows(rows)
        except VectorStoreUnavailableError as exc:
            logger.warning("%s: %d memories stay owed until it is back", exc, len(rows))

    def _forget_vectors(self, ids: Sequence[str]) -> None:
        """Delete vectors; if the vector store is down, `reconcile` removes the orphans later."""
        try:
            self._vectors.delete(ids)
        except VectorStoreUnavailableError as exc:
            logger.warning("%s: %d vectors of deleted memories wait for reconcile", exc, len(ids))

    def _index_rows(self, rows: Sequence[MemoryRow]) -> None:
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
        self._vectors.upsert(
            [row.id for row in rows], vectors, [_vector_metadata(row) for row in rows]
        )
        with self._sessions.begin() as session:
            session.execute(
                update(MemoryRow)
                .where(MemoryRow.id.in_([row.id for row in rows]))
                .values(indexed_at=utcnow())
            )

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

    def update(
        self, user_id: int, memory_id: str, text: str, *, source_id: str | None = None
    ) -> Memory | None:
        """Change what a memory says, keeping the old text in its history; None if not theirs.

        The vector copy is rewritten at once, so search finds the new text and not the old.
        """
        if not text.strip():
            raise ValueError("a memory needs some text")
        with self._sessions.begin() as session:
            row = session.get(MemoryRow, memory_id)
            if row is None or row.user_id != user_id:
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
                row.terms = " ".join(self._keyring.hash_terms(tokenize(text)))
                row.updated_at = utcnow()
                row.indexed_at = None
            session.flush()
            updated = Memory.from_row(row)
        if row.indexed_at is None:
            self._index_or_owe([row])
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
        memory_id = self.add(user_id, text, kind="fact", source_id=source_id)
        with self._sessions.begin() as session:
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

    def mark_consolidated(self, user_id: int, memory_id: str) -> None:
        """Record that a turn's facts were consolidated, so doing it again changes nothing."""
        with self._sessions.begin() as session:
            row = session.get(MemoryRow, memory_id)
            if row is not None and row.user_id == user_id:
                row.meta = {**(row.meta or {}), CONSOLIDATED: True}

    def forget_fact(self, user_id: int, memory_id: str, *, source_id: str | None = None) -> bool:
        """Delete a fact that no longer holds, recording what it said."""
        memory = self.get(user_id, memory_id)
        if memory is None or not self.delete(user_id, memory_id):
            return False
        with self._sessions.begin() as session:
            session.add(
                MemoryChange(
                    user_id=user_id,
                    memory_id=memory_id,
                    event="delete",
                    old_text=memory.text,
                    source_id=source_id,
                )
            )
        return True

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

    # --- reading ----------------------------------------------------------------------------------

    def search(self, user_id: int, query: str, k: int = 5) -> list[Memory]:
        """The user's `k` memories most relevant to `query`, best first, with scores.

        Every hit is read back from SQL, so a memory deleted there never comes back.
        """
        if not query.strip() or k < 1:
            return []
        weights = self.weights
        version = self._version(user_id)
        dense = dict(
            self._vectors.search(
                user_id,
                self._embeddings.embed_query(query),
                max(k, weights.candidates),
                version=version,
            )
        )
        terms = self._keyring.hash_terms(tokenize(query))
        keyword = self._keywords.scores(user_id, terms, version=version)
        best_keyword = max(keyword.values(), default=0.0)
        keyword_ids = sorted(keyword, key=keyword.__getitem__, reverse=True)[: weights.candidates]
        candidates = set(dense) | set(keyword_ids)
        if not candidates:
            return []
        with self._sessions() as session:
            rows = session.scalars(
                select(MemoryRow).where(
                    MemoryRow.user_id == user_id, MemoryRow.id.in_(list(candidates))
                )
            ).all()
        floor = min(dense.values(), default=0.0) - weights.dense_floor_gap
        named = _speakers_named(query, {row.speaker for row in rows if row.speaker})
        scored = []
        for row in rows:
            score = dense.get(row.id, floor)
            if best_keyword > 0:
                score += weights.keyword * keyword.get(row.id, 0.0) / best_keyword
            if row.speaker in named:
                score += weights.speaker
            scored.append((score, row))
        scored.sort(key=lambda pair: pair[0], reverse=True)
        return [Memory.from_row(row, round(min(1.0, score), 4)) for score, row in scored[:k]]

    def _version(self, user_id: int) -> tuple[Any, ...]:
        """Changes whenever the user's memories or their vectors change (cache key of indexes)."""
        with self._sessions() as session:
            return tuple(
                session.execute(
                    select(
                        func.count(),
                        func.max(MemoryRow.updated_at),
                        func.count(MemoryRow.indexed_at),
                        func.max(MemoryRow.indexed_at),
                    ).where(MemoryRow.user_id == user_id)
                ).one()
            )

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
            rows = session.scalars(
                select(MemoryRow).where(MemoryRow.user_id == user_id, MemoryRow.id.in_(wanted))
            )
            return {row.id: Memory.from_row(row) for row in rows}

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

    def vector_count(self, user_id: int | None = None) -> int:
        """Vectors held (for one user, or all), to check agreement with SQL."""
        return self._vectors.count(user_id)

    # --- forgetting -------------------------------------------------------------------------------

    def delete(self, user_id: int, memory_id: str) -> bool:
        """Forget one memory of the user, with its history; False if there was none (or theirs)."""
        with self._sessions.begin() as session:
            result = session.execute(
                delete(MemoryRow).where(MemoryRow.id == memory_id, MemoryRow.user_id == user_id)
            )
            deleted = bool(getattr(result, "rowcount", 0))
            if deleted:
                session.execute(
                    delete(MemoryChange).where(
                        MemoryChange.user_id == user_id, MemoryChange.memory_id == memory_id
                    )
                )
        if deleted:
            self._forget_vectors([memory_id])
        return deleted

    def delete_sources(self, user_id: int, kind: str, source_ids: Iterable[str]) -> int:
        """Forget the memories made from these rows (e.g. deleted records), in every store."""
        wanted = list(source_ids)
        if not wanted:
            return 0
        with self._sessions.begin() as session:
            ids = list(
                session.scalars(
                    select(MemoryRow.id).where(
                        MemoryRow.user_id == user_id,
                        MemoryRow.kind == kind,
                        MemoryRow.source_id.in_(wanted),
                    )
                )
            )
            if ids:
                session.execute(delete(MemoryRow).where(MemoryRow.id.in_(ids)))
        if ids:
            self._forget_vectors(ids)
        return len(ids)

    def delete_user(self, user_id: int) -> int:
        """Forget every memory of a user, in SQL, the vector index and the keyword cache."""
        with self._sessions.begin() as session:
            result = session.execute(delete(MemoryRow).where(MemoryRow.user_id == user_id))
            deleted = int(getattr(result, "rowcount", 0))
        self._keywords.forget(user_id)
        try:
            self._vectors.delete_user(user_id)
        except VectorStoreUnavailableError as exc:
            logger.warning("%s: the user's vectors wait for reconcile", exc)
        return deleted


def _validate(item: NewMemory) -> None:
    if item.kind not in MEMORY_KINDS:
        raise ValueError(f"unknown memory kind {item.kind!r}; expected one of {MEMORY_KINDS}")
    if not item.text.strip():
        raise ValueError("a memory needs some text")


def _next_positions(session: Session, user_id: int, threads: set[str]) -> dict[str, int]:
    """The next free position in each thread."""
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


def _speakers_named(query: str, speakers: set[str]) -> set[str]:
    """Speakers whose (first) name appears in the query as a word."""
    lowered = query.lower()
    named = set()
    for speaker in speakers:
        first = speaker.split()[0].lower()
        if _CJK.search(first):
            found = first in lowered
        else:
            found = re.search(rf"\b{re.escape(first)}\b", lowered) is not None
        if found:
            named.add(speaker)
    return named


def _vector_metadata(row: MemoryRow) -> dict[str, Any]:
    """Chroma metadata: scalar values only; `user_id` is what every query filters on."""
    return {
        "user_id": row.user_id,
        "kind": row.kind,
        "created_at": row.created_at.isoformat(),
        "source_id": row.source_id or "",
    }

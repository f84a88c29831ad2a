"""Hybrid search over one user's memories: dense and keyword evidence fused on a fixed scale.

Measured on LoCoMo and our bilingual set (see docs/benchmarks.md):
- dense: a memory's vector is the mean of the embedding of its text alone and of its text after
  the previous memory of the same thread, so a short reply carries what it replies to;
- keyword: BM25 over segmented, stemmed terms of the memory and its neighbours (two each side),
  stored and compared as keyed hashes (`Keyring.hash_terms`), never as words;
- fusion: dense cosine + `keyword` x BM25 / best BM25, plus a small bonus when the query names a
  person the memory names (its speaker, or someone in its text; `memory.retrieval.people`).

The indexes are the user's in-memory ones (`memory.retrieval.index.cache`), brought up to date
before each search; candidates are read back from SQL, so a memory deleted there never comes back.
"""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.embeddings import Embeddings
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from memory.retrieval.index.cache import UserIndexes
from memory.retrieval.memories import Memory
from memory.retrieval.people import query_words
from memory.retrieval.tokenize import tokenize
from memory.storage.crypto import Keyring
from memory.storage.models import MemoryRow


@dataclass(frozen=True, slots=True)
class SearchWeights:
    """How dense and keyword evidence are combined (chosen on docs/benchmarks.md)."""

    candidates: int = 50
    """Candidates taken from each of the dense and keyword searches."""
    keyword: float = 0.05
    """Weight of the keyword score (scaled to 0-1 by the best hit) next to the cosine score."""
    people: float = 0.03
    """Bonus when the query names a person that the memory names."""
    dense_floor_gap: float = 0.02
    """Keyword-only candidates count as this far below the weakest dense candidate."""


class HybridSearch:
    """Find a user's memories most relevant to a query."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        indexes: UserIndexes,
        embeddings: Embeddings,
        keyring: Keyring,
        weights: SearchWeights | None = None,
    ) -> None:
        self._sessions = sessions
        self._indexes = indexes
        self._embeddings = embeddings
        self._keyring = keyring
        self.weights = weights or SearchWeights()

    def search(self, user_id: int, query: str, k: int = 5) -> list[Memory]:
        """The user's `k` memories most relevant to `query`, best first, with scores."""
        if not query.strip() or k < 1:
            return []
        weights = self.weights
        vector = self._embeddings.embed_query(query)
        terms = self._keyring.hash_terms(tokenize(query))
        named = set(self._keyring.hash_terms(query_words(query)))
        with self._indexes.current(user_id) as index:
            if index is None:
                return []
            dense = dict(index.dense_top(vector, max(k, weights.candidates)))
            scores = index.keyword_scores(terms)
            best = scores.best
            keyword = dict(scores.top(weights.candidates))
            keyword.update((memory_id, scores.of(memory_id)) for memory_id in dense)
            floor = min(dense.values(), default=0.0) - weights.dense_floor_gap
            scored: list[tuple[float, str]] = []
            for memory_id in set(dense) | set(keyword):
                score = dense.get(memory_id, floor)
                if best > 0:
                    score += weights.keyword * keyword.get(memory_id, 0.0) / best
                if named and not named.isdisjoint(index.names(memory_id)):
                    score += weights.people
                scored.append((score, memory_id))
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        return self._read_back(user_id, scored, k)

    def _read_back(self, user_id: int, scored: list[tuple[float, str]], k: int) -> list[Memory]:
        """The first `k` ranked memories that SQL still holds for this user, with their scores.

        The index is current as of the clock read at the start of the search; a memory deleted
        since is skipped here, and the next ones take its place.
        """
        found: list[Memory] = []
        with self._sessions() as session:
            for start in range(0, len(scored), k):
                page = dict((memory_id, score) for score, memory_id in scored[start : start + k])
                # By primary key only (then the owner is checked here): with `user_id = ?` as
                # well, SQLite would walk the user's rows through the user_id index instead.
                rows = session.scalars(select(MemoryRow).where(MemoryRow.id.in_(list(page))))
                by_id = {row.id: row for row in rows if row.user_id == user_id}
                found += [
                    Memory.from_row(by_id[memory_id], round(min(1.0, score), 4))
                    for memory_id, score in page.items()
                    if memory_id in by_id
                ]
                if len(found) >= k:
                    break
        return found[:k]

"""One user's search index in memory: dense vectors and BM25 documents, changed row by row.

A memory's keyword document is its own terms plus those of its neighbours in the same thread (two
turns before and two after): a reply such as "Yes, last Saturday!" is found by the words of the
question it answers, and a topic carries over a few turns (two neighbours each side found the most
on LoCoMo). So a new memory also changes the documents of the two before it, and a deleted one those
around it: `apply` recomputes exactly those.

The index remembers the user's clock (`seq`, `generation`) it reflects;
`memory.retrieval.index.cache` decides whether to apply the rows past `seq` or to build it afresh.
"""

from __future__ import annotations

import bisect
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from memory.retrieval.clock import ClockReading
from memory.retrieval.index.dense import DenseIndex
from memory.retrieval.index.keyword import KeywordIndex, KeywordScores

NEIGHBOURS = 2
"""Turns on each side, within the same thread, whose terms join a memory's keyword document."""


@dataclass(frozen=True, slots=True)
class IndexRow:
    """What the index needs of a memory row."""

    id: str
    thread_id: str | None
    position: int
    terms: str
    indexed: bool
    people: str = ""
    """Keyed hashes of the people the memory names, space-separated (`MemoryRow.people`)."""


class UserIndex:
    """The dense and keyword indexes of one user's memories, as of one reading of their clock."""

    def __init__(self, clock: ClockReading) -> None:
        self.clock = clock
        self.dense = DenseIndex()
        self.keyword = KeywordIndex()
        self._own: dict[str, tuple[str, ...]] = {}
        self._people: dict[str, frozenset[str]] = {}
        self._place: dict[str, tuple[str | None, int]] = {}
        self._threads: dict[str, list[tuple[int, str]]] = {}
        self._own_terms = 0

    def __len__(self) -> int:
        return len(self._own)

    def build(
        self, rows: Sequence[IndexRow], vectors: tuple[Sequence[str], Any] | None = None
    ) -> None:
        """Fill an empty index from all of the user's rows and their vectors."""
        for row in rows:
            self._place_row(row)
        self.keyword.set_many((row.id, self._document(row.id)) for row in rows)
        if vectors is not None:
            self.dense.set_many(*vectors)

    def apply(
        self,
        rows: Sequence[IndexRow],
        deleted: Iterable[str],
        vectors: tuple[Sequence[str], Any] | None,
        clock: ClockReading,
    ) -> None:
        """Bring the index to `clock`: changed rows, deleted ids, and the vectors of indexed rows.

        Applying the same change twice leaves the index as it was after the first time.
        """
        touched: set[str] = set()
        for row in rows:
            if (place := self._place.get(row.id)) is not None and place != (
                row.thread_id,
                row.position,
            ):
                touched |= self._unplace(row.id)
            touched |= self._place_row(row)
            if not row.indexed:
                self.dense.remove(row.id)
        for memory_id in deleted:
            if memory_id in self._own:
                touched |= self._unplace(memory_id)
                self._own_terms -= len(self._own.pop(memory_id))
                self._people.pop(memory_id, None)
                self.keyword.remove(memory_id)
                self.dense.remove(memory_id)
        for memory_id in touched:
            if memory_id in self._own:
                self.keyword.set(memory_id, self._document(memory_id))
        if vectors is not None:
            ids, matrix = vectors
            keep = [i for i, memory_id in enumerate(ids) if memory_id in self._own]
            self.dense.set_many([ids[i] for i in keep], np.asarray(matrix)[keep])
        if self.keyword.wasteful:
            self.keyword = KeywordIndex()
            self.keyword.set_many((memory_id, self._document(memory_id)) for memory_id in self._own)
        if self.dense.wasteful:
            self.dense = self.dense.compacted()
        self.clock = clock

    def dense_top(self, query: Sequence[float], n: int) -> list[tuple[str, float]]:
        """The `n` memories closest to the query vector."""
        return self.dense.top(query, n)

    def keyword_scores(self, terms: Sequence[str]) -> KeywordScores:
        """BM25 of the user's memories for the query's hashed terms."""
        return self.keyword.scores(terms)

    def names(self, memory_id: str) -> frozenset[str]:
        """The hashed names of the people a memory names (empty for most memories)."""
        return self._people.get(memory_id, frozenset())

    @property
    def nbytes(self) -> int:
        """About how much memory the index holds (what the cache counts)."""
        own = 8 * self._own_terms + 300 * len(self._own) + 200 * len(self._people)
        return self.dense.nbytes + self.keyword.nbytes + own

    def _place_row(self, row: IndexRow) -> set[str]:
        """Record a row's terms and place in its thread; the ids whose document may change."""
        terms = tuple(sys.intern(term) for term in row.terms.split())
        self._own_terms += len(terms) - len(self._own.get(row.id, ()))
        self._own[row.id] = terms
        if row.people:
            self._people[row.id] = frozenset(sys.intern(name) for name in row.people.split())
        else:
            self._people.pop(row.id, None)
        if row.id not in self._place:
            self._place[row.id] = (row.thread_id, row.position)
            if row.thread_id is not None:
                members = self._threads.setdefault(row.thread_id, [])
                bisect.insort(members, (row.position, row.id))
        return set(self._window(row.id))

    def _unplace(self, memory_id: str) -> set[str]:
        """Take a memory out of its thread; the ids whose document may change."""
        around = set(self._window(memory_id))
        thread, position = self._place.pop(memory_id)
        if thread is not None:
            members = self._threads[thread]
            members.remove((position, memory_id))
            if not members:
                del self._threads[thread]
        around.discard(memory_id)
        return around

    def _window(self, memory_id: str) -> list[str]:
        """The memory and its neighbours in its thread."""
        thread, position = self._place[memory_id]
        if thread is None:
            return [memory_id]
        members = self._threads[thread]
        at = bisect.bisect_left(members, (position, memory_id))
        low, high = max(0, at - NEIGHBOURS), min(len(members), at + NEIGHBOURS + 1)
        return [member for _, member in members[low:high]]

    def _document(self, memory_id: str) -> list[str]:
        """Own terms, then the neighbours' terms, in thread order."""
        document = list(self._own[memory_id])
        for neighbour in self._window(memory_id):
            if neighbour != memory_id:
                document += self._own[neighbour]
        return document or ["\u2205"]  # as bm25s: every document has a token

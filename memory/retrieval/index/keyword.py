"""BM25 keyword scores over one user's memories, kept up to date one document at a time.

`bm25s` (which this module reproduces score for score, see the tests) precomputes every score at
indexing time, so one new memory means rebuilding the whole index. Here the index keeps term
frequencies and document lengths instead and computes the scores of a query at search time from
the postings of its terms only (the Lucene/bm25s formula: idf = ln(1 + (N - df + 0.5) /
(df + 0.5)), k1 = 1.2, b = 0.75): adding, replacing or removing a document costs a few appends.

Postings are numpy arrays per term plus a short tail of recent appends that is merged into them
now and then; a replaced or removed document leaves a dead slot that searches skip, and the slots
are rebuilt by the owner when a quarter of them are dead (`wasteful`). Terms are the keyed hashes
stored in SQL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

K1 = 1.2
B = 0.75
TAIL = 256
"""Appends a term's postings collect before they are merged into its arrays."""

_Ints = np.ndarray[Any, np.dtype[np.int32]]
_Floats = np.ndarray[Any, np.dtype[np.float32]]


@dataclass(slots=True)
class _Postings:
    slots: _Ints = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    freqs: _Floats = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    tail_slots: list[int] = field(default_factory=list)
    tail_freqs: list[float] = field(default_factory=list)

    def add(self, slot: int, freq: float) -> None:
        self.tail_slots.append(slot)
        self.tail_freqs.append(freq)
        if len(self.tail_slots) >= TAIL:
            self.merge()

    def merge(self) -> None:
        if self.tail_slots:
            self.slots = np.concatenate([self.slots, np.asarray(self.tail_slots, np.int32)])
            self.freqs = np.concatenate([self.freqs, np.asarray(self.tail_freqs, np.float32)])
            self.tail_slots, self.tail_freqs = [], []


@dataclass(frozen=True, slots=True)
class KeywordScores:
    """The BM25 scores of one query over the user's documents."""

    ids: Sequence[str | None]
    scores: _Floats
    slot_of: dict[str, int]

    @property
    def best(self) -> float:
        """The highest score (0 when nothing matched)."""
        return float(self.scores.max(initial=0.0))

    def top(self, n: int) -> list[tuple[str, float]]:
        """The `n` best matching documents, best first (only those with a positive score)."""
        hits = np.flatnonzero(self.scores > 0)
        if len(hits) > n:
            hits = hits[np.argpartition(-self.scores[hits], n - 1)[:n]]
        hits = hits[np.argsort(-self.scores[hits], kind="stable")]
        return [(str(self.ids[int(i)]), float(self.scores[i])) for i in hits]

    def of(self, doc_id: str) -> float:
        """The score of one document (0 when it did not match)."""
        slot = self.slot_of.get(doc_id)
        return 0.0 if slot is None or slot >= len(self.scores) else float(self.scores[slot])


class KeywordIndex:
    """An incremental BM25 index of documents (lists of terms) identified by memory ids."""

    def __init__(self) -> None:
        self._ids: list[str | None] = []
        self._slot: dict[str, int] = {}
        self._lengths: _Floats = np.zeros(64, dtype=np.float32)
        self._alive: np.ndarray[Any, np.dtype[np.bool_]] = np.zeros(64, dtype=bool)
        self._postings: dict[str, _Postings] = {}
        self._fingerprints: dict[str, int] = {}
        self._total = 0.0
        self._entries = 0

    def __len__(self) -> int:
        return len(self._slot)

    def set(self, doc_id: str, terms: Sequence[str]) -> None:
        """Index (or re-index) one document."""
        document = tuple(terms)
        fingerprint = hash(document)
        if self._fingerprints.get(doc_id) == fingerprint:
            return
        self.remove(doc_id)
        slot = len(self._ids)
        if slot >= len(self._lengths):
            grow = max(64, slot)
            self._lengths = np.concatenate([self._lengths, np.zeros(grow, np.float32)])
            self._alive = np.concatenate([self._alive, np.zeros(grow, bool)])
        self._ids.append(doc_id)
        self._slot[doc_id] = slot
        self._fingerprints[doc_id] = fingerprint
        self._lengths[slot] = len(document)
        self._alive[slot] = True
        self._total += len(document)
        counts = Counter(document)
        self._entries += len(counts)
        for term, freq in counts.items():
            postings = self._postings.get(term)
            if postings is None:
                postings = self._postings[term] = _Postings()
            postings.add(slot, float(freq))

    def set_many(self, documents: Iterable[tuple[str, Sequence[str]]]) -> None:
        """Index many documents; into an empty index, all at once (a user's first search)."""
        rows = [(doc_id, tuple(terms)) for doc_id, terms in documents]
        if not self._ids and len({doc_id for doc_id, _ in rows}) == len(rows):
            self._fill(rows)
            return
        for doc_id, terms in rows:
            self.set(doc_id, terms)
        for postings in self._postings.values():
            postings.merge()

    def _fill(self, documents: list[tuple[str, tuple[str, ...]]]) -> None:
        """Build the postings of an empty index with array operations, not term by term.

        The same index as `set` one document at a time (a test checks it), built far faster than
        term by term for a user with many memories.
        """
        n = len(documents)
        if not n:
            return
        vocabulary: dict[str, int] = {}
        lengths = np.fromiter((len(terms) for _, terms in documents), np.int64, n)
        term_ids = np.fromiter(
            (
                vocabulary.setdefault(term, len(vocabulary))
                for _, terms in documents
                for term in terms
            ),
            np.int64,
            int(lengths.sum()),
        )
        pairs, freqs = np.unique(
            term_ids * n + np.repeat(np.arange(n), lengths), return_counts=True
        )
        bounds = np.searchsorted(pairs // n, np.arange(len(vocabulary) + 1))
        slots = (pairs % n).astype(np.int32)
        for term, number in vocabulary.items():
            start, end = bounds[number], bounds[number + 1]
            self._postings[term] = _Postings(slots[start:end], freqs[start:end].astype(np.float32))
        self._ids = [doc_id for doc_id, _ in documents]
        self._slot = {doc_id: slot for slot, (doc_id, _) in enumerate(documents)}
        self._fingerprints = {doc_id: hash(terms) for doc_id, terms in documents}
        self._lengths = np.zeros(max(64, n), dtype=np.float32)
        self._lengths[:n] = lengths
        self._alive = np.zeros(max(64, n), dtype=bool)
        self._alive[:n] = True
        self._total = float(lengths.sum())
        self._entries = len(pairs)

    def remove(self, doc_id: str) -> None:
        """Forget one document (a no-op for an unknown id)."""
        slot = self._slot.pop(doc_id, None)
        if slot is None:
            return
        self._fingerprints.pop(doc_id, None)
        self._alive[slot] = False
        self._total -= float(self._lengths[slot])
        self._ids[slot] = None

    @property
    def wasteful(self) -> bool:
        """Whether dead slots are a quarter of all: time to build the index afresh."""
        return len(self._ids) - len(self._slot) > max(256, len(self._ids) // 4)

    def scores(self, query_terms: Sequence[str]) -> KeywordScores:
        """BM25 of every document for these query terms (a repeated term counts again)."""
        size = len(self._ids)
        scores = np.zeros(size, dtype=np.float32)
        alive_count = len(self._slot)
        if alive_count and query_terms:
            average = self._total / alive_count
            for term, repeats in Counter(query_terms).items():
                postings = self._postings.get(term)
                if postings is None:
                    continue
                postings.merge()
                live = self._alive[postings.slots]
                slots, freqs = postings.slots[live], postings.freqs[live]
                if not len(slots):
                    continue
                df = len(slots)
                idf = np.log(1.0 + (alive_count - df + 0.5) / (df + 0.5))
                norm = K1 * ((1.0 - B) + B * self._lengths[slots] / average)
                scores[slots] += np.float32(repeats * idf) * (freqs / (freqs + norm))
        return KeywordScores(self._ids, scores, self._slot)

    @property
    def nbytes(self) -> int:
        """About how much memory the index holds."""
        postings = 8 * self._entries + 200 * len(self._postings)
        arrays = int(self._lengths.nbytes + self._alive.nbytes)
        return postings + arrays + 200 * len(self._ids)

"""Per-user BM25 keyword search (bm25s), built from the `terms` stored with each memory.

Each memory is indexed with the terms of its neighbours in the same thread (two turns before and
two after): a reply such as "Yes, last Saturday!" is found by the words of the question it answers,
and a topic carries over a few turns (measured: one neighbour each side 0.699 recall@5 on LoCoMo,
two 0.710, three 0.707).
Indexes are built on demand and cached per user; the caller passes a version read from SQL (count
and last update), which tells when a cached index is stale, so several processes sharing one
database stay correct.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import bm25s
import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from memory.cache import UserCache
from memory.models import MemoryRow

NEIGHBOURS = 2
"""Turns on each side, within the same thread, whose terms join a memory's keyword document."""


@dataclass(frozen=True, slots=True)
class _UserIndex:
    ids: list[str]
    model: bm25s.BM25 | None


class KeywordIndex:
    """BM25 over one user's memories at a time, cached for the most recently searched users."""

    def __init__(self, sessions: sessionmaker[Session], *, cache_users: int = 256) -> None:
        self._sessions = sessions
        self._cache: UserCache[_UserIndex] = UserCache(cache_users)
        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG

    def scores(
        self, user_id: int, query_terms: Sequence[str], *, version: Hashable
    ) -> dict[str, float]:
        """BM25 score of every memory of the user that shares a term with the query."""
        if not query_terms:
            return {}
        index = self._index(user_id, version)
        if index.model is None:
            return {}
        values = index.model.get_scores(list(query_terms))
        hits = np.flatnonzero(values > 0)
        return {index.ids[i]: float(values[i]) for i in hits}

    def forget(self, user_id: int) -> None:
        """Drop a user's cached index (after erasure)."""
        self._cache.forget(user_id)

    def _index(self, user_id: int, version: Hashable) -> _UserIndex:
        if (cached := self._cache.get(user_id, version)) is not None:
            return cached
        with self._sessions() as session:
            rows = session.execute(
                select(MemoryRow.id, MemoryRow.thread_id, MemoryRow.terms)
                .where(MemoryRow.user_id == user_id)
                .order_by(MemoryRow.thread_id, MemoryRow.position, MemoryRow.created_at)
            ).all()
        built = _UserIndex([row.id for row in rows], _build(rows))
        self._cache.put(user_id, version, built)
        return built


def _build(rows: Sequence[object]) -> bm25s.BM25 | None:
    """Documents of own terms plus the neighbours' terms within the same thread."""
    if not rows:
        return None
    own = [str(getattr(row, "terms", "")).split() for row in rows]
    threads = [getattr(row, "thread_id", None) for row in rows]
    documents = []
    for i, terms in enumerate(own):
        document = list(terms)
        if threads[i] is not None:
            for j in range(max(0, i - NEIGHBOURS), min(len(own), i + NEIGHBOURS + 1)):
                if j != i and threads[j] == threads[i]:
                    document += own[j]
        documents.append(document or ["\u2205"])  # bm25s needs a token in every document
    model = bm25s.BM25(k1=1.2, b=0.75)
    model.index(documents, show_progress=False)
    return model

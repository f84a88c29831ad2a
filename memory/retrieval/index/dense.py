"""One user's memory vectors in memory, scored exactly: a matrix that grows as memories arrive.

Rows are appended in place (the matrix grows by a quarter when full), a replaced or removed vector
leaves a dead row that scoring skips, and the owner rebuilds the matrix when a quarter of it is
dead. A search reads only this user's rows: its cost depends on this user's memories alone.

Below `COARSE_FROM` rows a search is one float32 matrix-vector product. The product reads every byte
of the matrix, 1.5 KB a memory, so for a heavy user it is bound by memory bandwidth. From
`COARSE_FROM` rows on, the index also keeps the vectors as int8 (a quarter of the bytes): a SIMD
scan of that copy (`numkong`'s int8 dot products) picks `COARSE_MARGIN` times as many candidates as
asked, and those are scored exactly in float32, so the scores are the exact ones and only the
candidate set is approximate.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numkong
import numpy as np

_Matrix = np.ndarray[Any, np.dtype[np.float32]]
_Codes = np.ndarray[Any, np.dtype[np.int8]]

COARSE_FROM = 20_000
"""Rows from which candidates come from the int8 copy (below it, the float32 product is cheap)."""
COARSE_MARGIN = 4
"""Candidates taken from the int8 copy per result asked, before exact scoring."""


class DenseIndex:
    """Vectors by memory id; inner-product search over the live ones."""

    def __init__(self, dim: int = 0) -> None:
        self._ids: list[str | None] = []
        self._row: dict[str, int] = {}
        self._matrix: _Matrix = np.zeros((0, dim), dtype=np.float32)
        self._alive: np.ndarray[Any, np.dtype[np.bool_]] = np.zeros(0, dtype=bool)
        self._codes: _Codes | None = None
        """The int8 copy of `_matrix` (same rows), kept from `COARSE_FROM` rows on."""
        self._scale = 0.0

    def __len__(self) -> int:
        return len(self._row)

    def __contains__(self, memory_id: object) -> bool:
        return memory_id in self._row

    def set_many(self, ids: Sequence[str], vectors: _Matrix) -> None:
        """Add or replace vectors (rows of `vectors`, in the order of `ids`)."""
        if not len(ids):
            return
        vectors = np.asarray(vectors, dtype=np.float32)
        for memory_id in ids:
            self.remove(memory_id)
        start = len(self._ids)
        end = start + len(ids)
        if self._matrix.shape[1] != vectors.shape[1]:
            if self._row:
                raise ValueError("vectors of another dimension than the index's")
            self._matrix = np.zeros((0, vectors.shape[1]), dtype=np.float32)
        if end > len(self._matrix):
            capacity = max(end + end // 4, 64)  # geometric growth: appends cost O(1) on average
            grown = np.zeros((capacity, vectors.shape[1]), dtype=np.float32)
            grown[:start] = self._matrix[:start]
            alive = np.zeros(capacity, dtype=bool)
            alive[:start] = self._alive[:start]
            self._matrix, self._alive = grown, alive
            if self._codes is not None:
                codes = np.zeros(grown.shape, dtype=np.int8)
                codes[:start] = self._codes[:start]
                self._codes = codes
        self._matrix[start:end] = vectors
        if self._codes is not None:
            self._codes[start:end] = self._quantised(vectors)
        elif end >= COARSE_FROM:
            self._scale = 127.0 / max(float(np.abs(self._matrix[:end]).max()), 1e-6)
            self._codes = np.zeros(self._matrix.shape, dtype=np.int8)
            self._codes[:end] = self._quantised(self._matrix[:end])
        self._alive[start:end] = True
        for offset, memory_id in enumerate(ids):
            self._ids.append(memory_id)
            self._row[memory_id] = start + offset

    def remove(self, memory_id: str) -> None:
        """Forget one vector (a no-op for an unknown id)."""
        row = self._row.pop(memory_id, None)
        if row is not None:
            self._alive[row] = False
            self._ids[row] = None

    def top(self, query: Sequence[float], n: int) -> list[tuple[str, float]]:
        """The `n` closest memories by inner product, best first."""
        used = len(self._ids)
        if not self._row or n < 1:
            return []
        vector = np.asarray(query, dtype=np.float32)
        if self._codes is not None and n * COARSE_MARGIN < len(self._row):
            return self._coarse_top(vector, n)
        scores = self._matrix[:used] @ vector
        if len(self._row) < used:
            scores[~self._alive[:used]] = -np.inf
        n = min(n, len(self._row))
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(str(self._ids[i]), float(scores[i])) for i in top]

    def _coarse_top(self, vector: _Matrix, n: int) -> list[tuple[str, float]]:
        """The `n` best of the int8 scan's candidates, scored exactly.

        The caller holds more live rows than candidates are taken, and dead rows score -inf, so
        every candidate is alive.
        """
        assert self._codes is not None
        used = len(self._ids)
        codes = self._quantised(vector)[None, :]
        coarse = np.asarray(numkong.cdist(self._codes[:used], codes, metric="dot")).ravel()
        coarse[~self._alive[:used]] = -np.inf
        wanted = n * COARSE_MARGIN
        rows = np.argpartition(-coarse, wanted - 1)[:wanted]
        scores = self._matrix[rows] @ vector
        best = np.argsort(-scores, kind="stable")[:n]
        return [(str(self._ids[rows[i]]), float(scores[i])) for i in best]

    def _quantised(self, vectors: _Matrix) -> _Codes:
        """int8 codes on the scale fixed when the copy was made (later outliers are clipped)."""
        codes: _Codes = np.clip(np.rint(vectors * self._scale), -127, 127).astype(np.int8)
        return codes

    @property
    def wasteful(self) -> bool:
        """Whether dead rows are a quarter of all: time to rebuild (`compacted`)."""
        return len(self._ids) - len(self._row) > max(64, len(self._ids) // 4)

    def compacted(self) -> DenseIndex:
        """The same vectors without dead rows."""
        live = [i for i, memory_id in enumerate(self._ids) if memory_id is not None]
        fresh = DenseIndex()
        fresh.set_many([str(self._ids[i]) for i in live], self._matrix[live])
        return fresh

    @property
    def nbytes(self) -> int:
        """About how much memory the index holds."""
        codes = 0 if self._codes is None else int(self._codes.nbytes)
        return int(self._matrix.nbytes + self._alive.nbytes) + codes + 150 * len(self._ids)

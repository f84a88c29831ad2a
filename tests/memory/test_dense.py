"""The dense index returns the exact best vectors, on the float32 path and the int8 prefilter."""

from __future__ import annotations

import numpy as np
import pytest

from memory.retrieval.index.dense import COARSE_FROM, DenseIndex


def _unit(rng: np.random.Generator, n: int, dim: int = 64) -> np.ndarray:
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _exact(vectors: dict[str, np.ndarray], query: np.ndarray, n: int) -> list[str]:
    ids = list(vectors)
    scores = np.stack([vectors[i] for i in ids]) @ query
    return [ids[i] for i in np.argsort(-scores, kind="stable")[:n]]


@pytest.mark.parametrize("size", [300, COARSE_FROM + 500])
def test_top_matches_an_exact_search_after_adds_replacements_and_removals(size: int) -> None:
    rng = np.random.default_rng(3)
    index = DenseIndex()
    kept: dict[str, np.ndarray] = {}
    vectors = _unit(rng, size)
    for start in range(0, size, 1000):  # arrives in batches, as memories do
        ids = [f"m{i}" for i in range(start, min(size, start + 1000))]
        index.set_many(ids, vectors[start : start + len(ids)])
        kept.update(zip(ids, vectors[start : start + len(ids)], strict=True))
    for i in range(0, size, 7):
        index.remove(f"m{i}")
        del kept[f"m{i}"]
    replaced = _unit(rng, 50)
    index.set_many([f"m{i}" for i in range(1, 100, 2)], replaced)
    kept.update({f"m{i}": v for i, v in zip(range(1, 100, 2), replaced, strict=True)})

    for query in _unit(rng, 20):
        found = index.top(query, 10)
        assert [memory_id for memory_id, _ in found] == _exact(kept, query, 10)
        for memory_id, score in found:  # exact float32 scores, whichever path found them
            assert score == pytest.approx(float(kept[memory_id] @ query), abs=1e-5)


def test_compaction_keeps_the_live_vectors() -> None:
    rng = np.random.default_rng(5)
    index = DenseIndex()
    vectors = _unit(rng, COARSE_FROM + 100)
    index.set_many([f"m{i}" for i in range(len(vectors))], vectors)
    for i in range(0, len(vectors), 2):
        index.remove(f"m{i}")
    assert index.wasteful
    fresh = index.compacted()
    query = vectors[1]
    assert fresh.top(query, 1)[0][0] == "m1"
    assert len(fresh) == len(index)

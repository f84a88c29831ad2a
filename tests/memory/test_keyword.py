"""The incremental BM25 index scores as bm25s does, and a thread indexed turn by turn scores as the
same thread indexed at once (neighbours' terms included)."""

from __future__ import annotations

import random

import bm25s
import numpy as np
import pytest

from memory.retrieval.clock import ClockReading
from memory.retrieval.index.keyword import KeywordIndex
from memory.retrieval.index.user import IndexRow, UserIndex

WORDS = [f"w{i}" for i in range(40)]


def _documents(seed: int, n: int) -> list[list[str]]:
    rng = random.Random(seed)
    return [rng.choices(WORDS, k=rng.randint(1, 12)) for _ in range(n)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_scores_equal_bm25s(seed: int) -> None:
    documents = _documents(seed, 300)
    reference = bm25s.BM25(k1=1.2, b=0.75)
    reference.index(documents, show_progress=False)
    index = KeywordIndex()
    for number, document in enumerate(documents):
        index.set(str(number), document)
    for query in (["w1"], ["w2", "w3", "w3"], ["w5", "w39", "w7"]):
        expected = reference.get_scores(query)
        got = index.scores(query)
        assert np.allclose([got.of(str(i)) for i in range(len(documents))], expected, atol=1e-5)


def test_replaced_and_removed_documents_score_as_a_fresh_index() -> None:
    documents = _documents(4, 400)
    index = KeywordIndex()
    for number, document in enumerate(documents):
        index.set(str(number), document)
    for number in range(0, 400, 3):
        index.remove(str(number))
    for number in range(1, 400, 3):
        documents[number] = ["w0", *documents[number]]
        index.set(str(number), documents[number])
    fresh = KeywordIndex()
    fresh.set_many((str(n), d) for n, d in enumerate(documents) if n % 3)
    for query in (["w0"], ["w9", "w10"]):
        got, want = index.scores(query), fresh.scores(query)
        ids = [str(n) for n in range(400)]
        assert [got.of(i) for i in ids] == pytest.approx([want.of(i) for i in ids], abs=1e-5)
        assert got.best == pytest.approx(want.best)


def test_a_thread_written_turn_by_turn_scores_as_one_written_at_once() -> None:
    rows = [
        IndexRow(f"m{i}", "t" if i % 5 else None, i, " ".join(d), True)
        for i, d in enumerate(_documents(5, 60))
    ]
    at_once = UserIndex(ClockReading(1, "g"))
    at_once.build(rows)
    one_by_one = UserIndex(ClockReading(0, "g"))
    for number, row in enumerate(rows):
        one_by_one.apply([row], [], None, ClockReading(number + 1, "g"))
    dropped = ["m7", "m8", "m30"]
    at_once.apply([], dropped, None, ClockReading(2, "g"))
    one_by_one.apply([], dropped, None, ClockReading(61, "g"))
    for query in (["w3"], ["w11", "w12"]):
        got, want = one_by_one.keyword_scores(query), at_once.keyword_scores(query)
        ids = [row.id for row in rows]
        assert [got.of(i) for i in ids] == pytest.approx([want.of(i) for i in ids], abs=1e-5)
        assert want.best > 0


def test_a_first_build_equals_documents_set_one_by_one() -> None:
    documents = [(str(n), d) for n, d in enumerate(_documents(6, 500))]
    built = KeywordIndex()
    built.set_many(documents)
    one_by_one = KeywordIndex()
    for doc_id, terms in documents:
        one_by_one.set(doc_id, terms)
    for query in (["w0"], ["w9", "w10", "w10"], ["nowhere"]):
        got, want = built.scores(query), one_by_one.scores(query)
        assert [got.of(i) for i, _ in documents] == pytest.approx(
            [want.of(i) for i, _ in documents], abs=1e-6
        )
    built.set("1", ["w1"])  # and it changes as any index does afterwards
    one_by_one.set("1", ["w1"])
    built.remove("2")
    one_by_one.remove("2")
    got, want = built.scores(["w1"]), one_by_one.scores(["w1"])
    assert [got.of(i) for i, _ in documents] == pytest.approx([want.of(i) for i, _ in documents])
    assert len(built) == len(one_by_one)

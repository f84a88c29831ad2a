"""E5 threads: batched queries and single-threaded passages change no vector."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from memory.e5 import E5SmallEmbeddings, QueryBatcher

QUERIES = ["What did I eat yesterday?", "我最近的血压怎么样", "piano lessons", "x", "周末爬山"]


def test_concurrent_queries_get_the_vectors_they_would_get_alone() -> None:
    embeddings = E5SmallEmbeddings()
    alone = [embeddings.embed_query(q) for q in QUERIES]
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(embeddings.embed_query, QUERIES * 6))
    assert together == alone * 6


def test_passages_on_one_thread_or_all_are_the_same_vectors() -> None:
    texts = [f"{q} ({n})" for n, q in enumerate(QUERIES * 4)]
    one = np.array(E5SmallEmbeddings(index_threads=1).embed_documents(texts))
    every = np.array(E5SmallEmbeddings(index_threads=0).embed_documents(texts))
    assert np.allclose(one, every, atol=1e-6)


class _Broken:
    def __init__(self) -> None:
        self.calls = 0
        self.release = threading.Event()

    def query(self, texts: list[str]) -> Any:
        self.calls += 1
        self.release.wait(5)
        raise RuntimeError("engine failed")


def test_an_engine_error_reaches_every_waiting_search() -> None:
    batcher = QueryBatcher()
    broken = _Broken()
    batcher._engine = broken  # type: ignore[assignment]
    with ThreadPoolExecutor(4) as pool:
        waiting = [pool.submit(batcher.embed, q) for q in QUERIES[:4]]
        broken.release.set()
        for future in waiting:
            with pytest.raises(RuntimeError, match="engine failed"):
                future.result(timeout=10)
    assert broken.calls <= 4

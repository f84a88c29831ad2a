"""The one way to build a `MemoryStore`: its Chroma collection, embeddings, weights and cache.

The app (`agent.services`), the retrieval canary's scratch store (`agent.evaluation.retrieval`)
and the scale benchmark (`benchmarks.scale`) all build theirs here, so what they measure is wired
exactly as what serves users.
"""

from __future__ import annotations

from pathlib import Path

from langchain_core.embeddings import Embeddings
from sqlalchemy.orm import Session, sessionmaker

from memory.retrieval.search import SearchWeights
from memory.retrieval.store import DEFAULT_CACHE_BYTES, MemoryStore
from memory.retrieval.vectors import VectorIndex
from memory.storage.crypto import Keyring


def make_memory_store(
    *,
    sessions: sessionmaker[Session],
    keyring: Keyring,
    embeddings: Embeddings,
    collection: str,
    chroma_dir: Path,
    chroma_url: str | None = None,
    weights: SearchWeights | None = None,
    cache_bytes: int = DEFAULT_CACHE_BYTES,
    sweep_seconds: float | None = None,
) -> MemoryStore:
    """A store on these SQL sessions, with its vectors in `collection`.

    The vectors live in an embedded Chroma folder (`chroma_dir`) or, with `chroma_url`, on a
    Chroma server shared by every process. `close()` the store to release the Chroma client.
    """
    vectors = VectorIndex(
        collection=collection, embeddings=embeddings, persist_dir=chroma_dir, url=chroma_url
    )
    return MemoryStore(
        sessions=sessions,
        vectors=vectors,
        embeddings=embeddings,
        keyring=keyring,
        weights=weights,
        cache_bytes=cache_bytes,
        sweep_seconds=sweep_seconds,
    )

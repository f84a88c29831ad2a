"""The Chroma collection that holds one vector per memory; the only module that knows Chroma.

Search is exact, per user: the user's vectors are read from Chroma with a `user_id` filter and
scored in memory (a user has hundreds to thousands of memories, where exact scoring takes well under
a millisecond). The matrices of recently active users are cached and re-read when their SQL
version changes. Measured at 100k memories of 1,000 users: Chroma's own filtered HNSW query took
84-93 ms and grew with the whole collection (458 ms at 1M), a collection per user cost 2.6 MB of
memory each, while a filtered read took 8 ms and a cached search well under one.

Vectors are computed by `MemoryStore` (a memory read together with the turn before it), so they are
written with the collection's own `upsert`. Chroma keeps no memory text: hits are read back from
SQL, and no plaintext sits in the vector folder.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings

from memory.cache import UserCache

# Inner product: a memory's vector is the mean of two normalised embeddings (the memory alone and
# with its context), and q·mean equals the mean of the two cosine similarities.
SPACE = "ip"


@dataclass(frozen=True, slots=True)
class _UserVectors:
    ids: list[str]
    matrix: np.ndarray[Any, np.dtype[np.float32]]


class VectorIndex:
    """Vectors of every user in one Chroma collection; every read filtered on `user_id`."""

    def __init__(
        self,
        *,
        collection: str,
        embeddings: Embeddings,
        persist_dir: Path,
        cache_users: int = 256,
    ) -> None:
        persist_dir.mkdir(parents=True, exist_ok=True)
        self._client = chromadb.PersistentClient(
            path=str(persist_dir), settings=ChromaSettings(anonymized_telemetry=False)
        )
        self._name = collection
        # Our own embedding function: Chroma's default would download a model at first use.
        self._store = Chroma(
            collection_name=collection,
            embedding_function=embeddings,
            client=self._client,
            collection_metadata={"hnsw:space": SPACE},
        )
        self._collection = self._client.get_collection(collection)
        space = (self._collection.metadata or {}).get("hnsw:space", "l2")
        if space != SPACE:
            raise RuntimeError(
                f"The Chroma collection {collection!r} was built for {space!r} search by an older "
                "version; rebuild it from SQL with `memadvisor reindex`."
            )
        self._cache: UserCache[_UserVectors] = UserCache(cache_users)

    def upsert(
        self,
        ids: Sequence[str],
        vectors: Sequence[Sequence[float]],
        metadatas: Sequence[dict[str, Any]],
    ) -> None:
        """Write (or replace) the vectors of memories; each metadata names its `user_id`."""
        if ids:
            self._collection.upsert(  # langchain-chroma has no public add for ready-made vectors
                ids=list(ids),
                embeddings=np.asarray(vectors, dtype=np.float32),
                metadatas=list(metadatas),
                documents=[""] * len(ids),  # text stays in SQL
            )

    def search(
        self, user_id: int, vector: Sequence[float], n: int, *, version: Hashable
    ) -> list[tuple[str, float]]:
        """The user's `n` closest memory ids with inner-product scores, best first.

        `version` changes whenever the user's vectors may have (the caller reads it from SQL);
        until then the user's matrix is served from memory.
        """
        vectors = self._user_vectors(user_id, version)
        if not vectors.ids:
            return []
        scores = vectors.matrix @ np.asarray(vector, dtype=np.float32)
        n = min(n, len(scores))
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top])]
        return [(vectors.ids[i], float(scores[i])) for i in top]

    def delete(self, ids: Sequence[str]) -> None:
        """Remove the vectors of these memories."""
        if ids:
            self._store.delete(ids=list(ids))

    def delete_user(self, user_id: int) -> None:
        """Remove every vector of a user (also those whose SQL row is already gone)."""
        self._store.delete(where=_owner(user_id))
        self.forget(user_id)

    def forget(self, user_id: int) -> None:
        """Drop a user's cached matrix."""
        self._cache.forget(user_id)

    def count(self, user_id: int | None = None) -> int:
        """Vectors held, for one user or in all."""
        if user_id is None:
            return int(self._collection.count())
        return len(self._store.get(where=_owner(user_id), include=[])["ids"])

    def reset(self) -> None:
        """Drop every vector (before a full rebuild from SQL)."""
        self._store.reset_collection()
        self._collection = self._client.get_collection(self._name)
        self._cache.clear()

    def _user_vectors(self, user_id: int, version: Hashable) -> _UserVectors:
        if (cached := self._cache.get(user_id, version)) is not None:
            return cached
        found = self._store.get(where=_owner(user_id), include=["embeddings"])
        embeddings = found.get("embeddings")
        matrix = (
            np.asarray(embeddings, dtype=np.float32)
            if embeddings is not None and len(embeddings)
            else np.zeros((0, 0), dtype=np.float32)
        )
        loaded = _UserVectors(list(found["ids"]), matrix)
        self._cache.put(user_id, version, loaded)
        return loaded


def _owner(user_id: int) -> Any:
    """The filter every vector read and delete goes through."""
    return {"user_id": user_id}

"""The Chroma collection that holds one vector per memory; the only module that knows Chroma.

Vectors are computed by `MemoryStore` (a memory read together with the turn before it), so they are
written with the collection's own `upsert`; searches go through langchain-chroma. Chroma keeps no
memory text: hits are read back from SQL, and no plaintext sits in the vector folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings

# Inner product: a memory's vector is the mean of two normalised embeddings (the memory alone and
# with its context), and q·mean equals the mean of the two cosine similarities.
SPACE = "ip"


class VectorIndex:
    """Per-user vector search over memories, filtered on the `user_id` metadata."""

    def __init__(self, *, collection: str, embeddings: Embeddings, persist_dir: Path) -> None:
        persist_dir.mkdir(parents=True, exist_ok=True)
        self._client = chromadb.PersistentClient(
            path=str(persist_dir), settings=ChromaSettings(anonymized_telemetry=False)
        )
        self._name = collection
        self._embeddings = embeddings
        self._store = self._langchain_store()
        space = (self._collection().metadata or {}).get("hnsw:space", "l2")
        if space != SPACE:
            raise RuntimeError(
                f"The Chroma collection {collection!r} was built for {space!r} search by an older "
                "version; rebuild it from SQL with `memadvisor reindex`."
            )

    def _langchain_store(self) -> Chroma:
        # Our own embedding function: Chroma's default would download a model at first use.
        return Chroma(
            collection_name=self._name,
            embedding_function=self._embeddings,
            client=self._client,
            collection_metadata={"hnsw:space": SPACE},
        )

    def upsert(
        self,
        ids: Sequence[str],
        vectors: Sequence[Sequence[float]],
        metadatas: Sequence[dict[str, Any]],
    ) -> None:
        """Write (or replace) the vectors of memories."""
        if ids:
            self._collection().upsert(
                ids=list(ids),
                embeddings=[list(v) for v in vectors],
                metadatas=list(metadatas),
                documents=[""] * len(ids),  # text stays in SQL
            )

    def search(self, user_id: int, vector: Sequence[float], n: int) -> list[tuple[str, float]]:
        """The user's `n` closest memory ids with inner-product scores, best first."""
        hits = self._store.similarity_search_by_vector_with_relevance_scores(
            list(vector), k=n, filter=_owner(user_id)
        )
        return [(doc.id, 1.0 - float(distance)) for doc, distance in hits if doc.id]

    def delete(self, ids: Sequence[str]) -> None:
        """Remove the vectors of these memories."""
        if ids:
            self._store.delete(ids=list(ids))

    def delete_user(self, user_id: int) -> None:
        """Remove every vector of a user (also those whose SQL row is already gone)."""
        self._store.delete(where=_owner(user_id))

    def count(self, user_id: int | None = None) -> int:
        """Vectors held, for one user or in all."""
        where = None if user_id is None else _owner(user_id)
        return len(self._store.get(where=where, include=[])["ids"])

    def reset(self) -> None:
        """Drop every vector (before a full rebuild from SQL)."""
        self._store.reset_collection()

    def _collection(self) -> Any:
        return self._client.get_collection(self._name)


def _owner(user_id: int) -> Any:
    """The filter every vector read and delete goes through."""
    return {"user_id": user_id}

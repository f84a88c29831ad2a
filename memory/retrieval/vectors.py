"""The Chroma collection that holds one vector per memory; the only module that knows Chroma.

Chroma is where vectors are kept, not where they are searched: each process reads a user's vectors
once (filtered on `user_id`), then only those of newly indexed memories (by id), and scores them in
its own memory (`memory.retrieval.index.user`). Chroma's own filtered HNSW query grows with the
whole collection (every user's memories), and a collection per user costs memory for each user,
while a filtered read of one user's vectors stays cheap.

Vectors are computed by `MemoryStore` (a memory read together with the turn before it), so they are
written with the collection's own `upsert`. Chroma keeps no memory text: hits are read back from
SQL, and no plaintext sits in the vector folder.

Chroma runs embedded (a `PersistentClient` folder, one process) or as a server (`chroma run`, an
`HttpClient`, shared by many API and worker processes). A server can be down: every call then
raises `VectorStoreUnavailableError`, the client reconnects on the next call, and callers keep
answering from SQL (the vector copy of what was written meanwhile stays owed in SQL).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings

logger = logging.getLogger(__name__)

# Inner product: a memory's vector is the mean of two normalised embeddings (the memory alone and
# with its context), and q·mean equals the mean of the two cosine similarities.
SPACE = "ip"
ID_PAGE = 5000
ERASE_BATCH = 256
FLUSH_ID = "erasure-flush-{}"
"""Ids of the placeholder vectors written to make Chroma persist its index and purge its log."""


class VectorStoreUnavailableError(RuntimeError):
    """The Chroma server cannot be reached or failed; SQL still holds every memory."""


def chroma_client_factory(*, url: str | None, persist_dir: Path) -> Callable[[], ClientAPI]:
    """How to open Chroma: an `HttpClient` on `url` (a `chroma run` server), else the folder."""
    settings = ChromaSettings(anonymized_telemetry=False)
    if url is None:

        def embedded() -> ClientAPI:
            persist_dir.mkdir(parents=True, exist_ok=True)
            return chromadb.PersistentClient(path=str(persist_dir), settings=settings)

        return embedded
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"the Chroma URL {url!r} is not http(s)://host[:port]")
    ssl = parts.scheme == "https"
    port = parts.port or (443 if ssl else 8000)
    host = parts.hostname

    def remote() -> ClientAPI:
        return chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=settings)

    return remote


def drop_collection(*, collection: str, persist_dir: Path, url: str | None = None) -> None:
    """Delete the collection outright (a full rebuild), even one `VectorIndex` refuses to open."""
    client = chroma_client_factory(url=url, persist_dir=persist_dir)()
    if collection in {c if isinstance(c, str) else c.name for c in client.list_collections()}:
        client.delete_collection(collection)


Vectors = tuple[list[str], np.ndarray[Any, np.dtype[np.float32]]]
"""Memory ids and their vectors, row by row."""


@dataclass(frozen=True, slots=True)
class _Connection:
    client: ClientAPI
    store: Chroma
    collection: Any


class VectorIndex:
    """Vectors of every user in one Chroma collection; every read filtered on `user_id`."""

    def __init__(
        self,
        *,
        collection: str,
        embeddings: Embeddings,
        persist_dir: Path,
        url: str | None = None,
    ) -> None:
        self._open_client = chroma_client_factory(url=url, persist_dir=persist_dir)
        self._name = collection
        self._embeddings = embeddings
        self._remote = url is not None
        self._persist_dir = persist_dir
        self._connection: _Connection | None = None
        try:
            self._connect()
        except VectorStoreUnavailableError as exc:
            # A server that is down at start-up is reached later; nothing is lost meanwhile.
            logger.warning("%s; memories stay in SQL and are indexed once it is back", exc)

    def _connect(self) -> _Connection:
        if self._connection is not None:
            return self._connection
        with self._guard():
            client = self._open_client()
            # Our own embedding function: Chroma's default would download a model at first use.
            store = Chroma(
                collection_name=self._name,
                embedding_function=self._embeddings,
                client=client,
                collection_metadata={"hnsw:space": SPACE},
            )
            collection = client.get_collection(self._name)
        space = (collection.metadata or {}).get("hnsw:space", "l2")
        if space != SPACE:
            raise RuntimeError(
                f"The Chroma collection {self._name!r} was built for {space!r} search by an "
                "older version; rebuild it from SQL with `memadvisor reindex --full`."
            )
        self._connection = _Connection(client, store, collection)
        return self._connection

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn a failing Chroma server into `VectorStoreUnavailableError` (and reconnect later)."""
        if not self._remote:
            yield
            return
        try:
            yield
        except Exception as exc:
            # The server may have restarted (with a new collection id) or vanished: start over.
            self._connection = None
            raise VectorStoreUnavailableError(
                f"the Chroma server is unavailable ({type(exc).__name__}: {exc})"
            ) from exc

    @contextmanager
    def _use(self) -> Iterator[_Connection]:
        connection = self._connect()
        with self._guard():
            yield connection

    def upsert(
        self,
        ids: Sequence[str],
        vectors: Sequence[Sequence[float]] | np.ndarray[Any, np.dtype[np.float32]],
        metadatas: Sequence[dict[str, Any]],
    ) -> None:
        """Write (or replace) the vectors of memories; each metadata names its `user_id`."""
        if ids:
            with self._use() as chroma:
                chroma.collection.upsert(  # langchain-chroma has no add for ready-made vectors
                    ids=list(ids),
                    embeddings=np.asarray(vectors, dtype=np.float32),
                    metadatas=list(metadatas),
                    documents=[""] * len(ids),  # text stays in SQL
                )

    def user_vectors(self, user_id: int) -> Vectors:
        """Every vector of a user (to build their index)."""
        with self._use() as chroma:
            found = chroma.collection.get(where=_owner(user_id), include=["embeddings"])
        return _vectors(found)

    def vectors_of(self, ids: Sequence[str]) -> Vectors:
        """The vectors of these memories (those that have one), e.g. just indexed ones."""
        if not ids:
            return [], np.zeros((0, 0), dtype=np.float32)
        with self._use() as chroma:
            found = chroma.collection.get(ids=list(ids), include=["embeddings"])
        return _vectors(found)

    def delete(self, ids: Sequence[str]) -> None:
        """Remove the vectors of these memories, overwritten first (see `erase_user`)."""
        if ids:
            with self._use() as chroma:
                _overwrite_and_delete(chroma.collection, list(ids))

    def erase_user(self, user_id: int) -> None:
        """Remove every vector of a user, and the bytes Chroma keeps of them after a delete.

        A Chroma delete only marks a vector deleted in its HNSW segment (the floats stay in
        `data_level0.bin`), its write-ahead log (`embeddings_queue` in `chroma.sqlite3`) keeps
        every write until the segment is next persisted (every `hnsw:sync_threshold` writes),
        and SQLite leaves deleted rows in free pages. So each vector of the user is first
        overwritten in place with noise, then deleted (as every deletion does: `delete`);
        then as many placeholder vectors as the sync threshold are written and deleted, which
        makes Chroma persist the segment (noise where the user's floats were) and purge the log
        up to there; and the embedded `chroma.sqlite3` is vacuumed. A Chroma server's file is
        the operator's to vacuum (`chroma vacuum`, see docs/scaling-out.md).
        """
        with self._use() as chroma:
            collection = chroma.collection
            ids = list(collection.get(where=_owner(user_id), include=[])["ids"])
            # Also with no vector left: the log may still hold those of deleted memories.
            dim = _overwrite_and_delete(collection, ids) or len(
                self._embeddings.embed_query("dimension")
            )
            hnsw = (collection.configuration_json or {}).get("hnsw") or {}
            placeholders = [
                FLUSH_ID.format(i) for i in range(int(hnsw.get("sync_threshold", 1000)))
            ]
            for start in range(0, len(placeholders), ERASE_BATCH):
                batch = placeholders[start : start + ERASE_BATCH]
                collection.upsert(
                    ids=batch,
                    embeddings=_noise(len(batch), dim),
                    metadatas=[{"user_id": -1}] * len(batch),
                    documents=[""] * len(batch),
                )
            collection.delete(ids=placeholders)
        if not self._remote:
            self._vacuum()

    def _vacuum(self) -> None:
        """Rewrite the embedded `chroma.sqlite3` without its free pages (deleted rows' bytes)."""
        database = sqlite3.connect(self._persist_dir / "chroma.sqlite3", timeout=60)
        try:
            database.execute("VACUUM")
        finally:
            database.close()

    def count(self, user_id: int | None = None) -> int:
        """Vectors held, for one user or in all."""
        with self._use() as chroma:
            if user_id is None:
                return int(chroma.collection.count())
            return len(chroma.store.get(where=_owner(user_id), include=[])["ids"])

    def ids(self) -> Iterator[str]:
        """Every memory id that has a vector (page by page, for reconciling with SQL)."""
        offset = 0
        while True:
            with self._use() as chroma:
                page = chroma.collection.get(include=[], limit=ID_PAGE, offset=offset)["ids"]
            yield from page
            if len(page) < ID_PAGE:
                return
            offset += len(page)

    def reset(self) -> None:
        """Drop every vector (before a full rebuild from SQL)."""
        with self._use() as chroma:
            chroma.store.reset_collection()
            # The collection was recreated under a new id: look it up again.
            collection = chroma.client.get_collection(self._name)
            self._connection = _Connection(chroma.client, chroma.store, collection)

    def close(self) -> None:
        """Release the client (an embedded folder's files and threads); reconnects on next use."""
        connection, self._connection = self._connection, None
        close = getattr(connection.client, "close", None) if connection else None
        if callable(close):  # the Client class has it; the ClientAPI protocol does not say so
            close()


def _vectors(found: Any) -> Vectors:
    embeddings = found.get("embeddings")
    matrix = (
        np.asarray(embeddings, dtype=np.float32)
        if embeddings is not None and len(embeddings)
        else np.zeros((0, 0), dtype=np.float32)
    )
    return list(found["ids"]), matrix


def _overwrite_and_delete(collection: Any, ids: list[str]) -> int:
    """Overwrite vectors in place with noise, then delete them; returns their dimension.

    Chroma's delete only marks a vector deleted in its HNSW segment; an upsert of a live id
    replaces its floats where they lie, so nothing of them is left for the next persist to write.
    """
    dim = 0
    for start in range(0, len(ids), ERASE_BATCH):
        batch = ids[start : start + ERASE_BATCH]
        found = collection.get(ids=batch, include=["embeddings", "metadatas"])
        embeddings = found.get("embeddings")
        if embeddings is not None and len(embeddings):
            dim = len(embeddings[0])
            collection.upsert(
                ids=list(found["ids"]),
                embeddings=_noise(len(found["ids"]), dim),
                metadatas=list(found["metadatas"]),
                documents=[""] * len(found["ids"]),
            )
        collection.delete(ids=batch)
    return dim


def _noise(n: int, dim: int) -> np.ndarray[Any, np.dtype[np.float32]]:
    """Random unit vectors: what overwrites erased ones (nothing of theirs can be read back)."""
    vectors = np.random.default_rng().standard_normal((n, dim)).astype(np.float32)
    unit: np.ndarray[Any, np.dtype[np.float32]] = vectors / np.linalg.norm(
        vectors, axis=1, keepdims=True
    )
    return unit


def _owner(user_id: int) -> Any:
    """The filter every vector read and delete goes through."""
    return {"user_id": user_id}

"""The Chroma collection that holds the vector copies of memories."""

from __future__ import annotations

from pathlib import Path

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings


def make_chroma(*, collection: str, embeddings: Embeddings, persist_dir: Path) -> Chroma:
    """An embedded (folder-backed) Chroma collection using cosine distance and our own embeddings.

    Passing our embeddings matters: Chroma's default function downloads a model at first use.
    Telemetry is off: nothing leaves the machine.
    """
    persist_dir.mkdir(parents=True, exist_ok=True)
    client = chromadb.PersistentClient(
        path=str(persist_dir), settings=ChromaSettings(anonymized_telemetry=False)
    )
    return Chroma(
        collection_name=collection,
        embedding_function=embeddings,
        client=client,
        collection_metadata={"hnsw:space": "cosine"},
    )

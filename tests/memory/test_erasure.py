"""Erasure reaches every byte of a user's vectors: Chroma's segments, its write-ahead log and the
free pages of its SQLite file, embedded and on a `chroma run` server (after `chroma vacuum`)."""

from __future__ import annotations

from pathlib import Path

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings

from agent.services import Services
from tests.chroma_server import ChromaServer


def _vectors(services: Services, server: ChromaServer | None, user_id: int) -> list[bytes]:
    """The raw float32 bytes of the user's vectors, as Chroma holds them."""
    settings = ChromaSettings(anonymized_telemetry=False)
    client = (
        chromadb.HttpClient(host="127.0.0.1", port=server.port, settings=settings)
        if server
        else chromadb.PersistentClient(path=str(services.settings.chroma_dir), settings=settings)
    )
    found = client.get_collection(services.settings.chroma_collection).get(
        where={"user_id": user_id}, include=["embeddings"]
    )
    return [np.asarray(v, dtype=np.float32).tobytes() for v in found["embeddings"]]


def _files_holding(folder: Path, blobs: list[bytes]) -> list[str]:
    held = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            held += [f"{path.name}: vector {i}" for i, blob in enumerate(blobs) if blob in data]
    return held


def test_erased_vectors_leave_no_bytes_in_chroma(
    services: Services, vector_server: ChromaServer | None
) -> None:
    alice = services.accounts.local("alice").id
    bob = services.accounts.local("bob").id
    kept, dropped = (
        services.memory.add(alice, "My blood pressure was 150 over 95"),
        services.memory.add(alice, "I take lisinopril every morning"),
    )
    services.memory.add(bob, "Bob's memory stays")
    blobs = _vectors(services, vector_server, alice)
    assert len(blobs) == 2 and kept
    folder = vector_server.path if vector_server else services.settings.chroma_dir
    assert _files_holding(folder, blobs)  # Chroma's log holds them before erasure

    services.memory.delete(alice, dropped)  # deleted earlier: its bytes must go as well
    services.privacy.erase(alice)
    if vector_server:
        vector_server.vacuum()  # the operator's step (docs/scaling-out.md, Chroma server)

    assert _files_holding(folder, blobs) == []
    assert services.memory.vector_count(alice) == 0
    assert [m.text for m in services.memory.search(bob, "memory", k=3)] == ["Bob's memory stays"]

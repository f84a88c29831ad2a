"""A vector written while its memory (or its user) was being deleted does not survive.

The indexer writes vectors first and then, in the transaction that marks rows indexed, reads which
rows still exist; a deleter removes vectors after its SQL commit. These tests hold the embeddings
at a gate while a batch is indexed, delete meanwhile, and open the gate: the indexer itself leaves
no vector behind (no sweep runs here), on every stack.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from agent.services import Services, build_services
from memadvisor.settings import Settings
from memory.retrieval.embeddings import make_embeddings
from memory.retrieval.store import NewMemory
from tests.fakes.embeddings import GatedEmbeddings
from tests.fakes.models import scripted


@pytest.fixture
def gated(settings: Settings) -> GatedEmbeddings:
    return GatedEmbeddings(make_embeddings(settings.embedding_model))


@pytest.fixture
def gated_services(settings: Settings, gated: GatedEmbeddings) -> Iterator[Services]:
    services = build_services(settings, chat_model=scripted(["ok"]), embeddings=gated)
    try:
        yield services
    finally:
        gated.gate.set()
        services.close()


def _indexing_held(services: Services, gated: GatedEmbeddings) -> threading.Thread:
    """Index what is owed in a thread of its own, and return once its batch is being embedded."""
    worker = threading.Thread(target=services.memory.index_pending)
    worker.start()
    assert gated.embedding.wait(30), "indexing never started"
    return worker


def test_a_user_erased_while_their_memories_are_embedded_keeps_no_vector(
    gated_services: Services, gated: GatedEmbeddings
) -> None:
    services = gated_services
    hank = services.accounts.create("hank", password_hash=None).id
    alice = services.accounts.create("alice", password_hash=None).id
    items = [NewMemory(f"Hank walked {1000 + i} steps", kind="data") for i in range(40)]
    services.memory.add_many(hank, items, index=False)
    services.memory.add(alice, "Alice's memory stays", index=False)

    worker = _indexing_held(services, gated)
    services.privacy.erase(hank)  # the vectors of the batch in flight are written after this
    gated.gate.set()
    worker.join(120)

    assert not worker.is_alive()
    assert services.memory.vector_count(hank) == 0
    assert services.memory.vector_count(alice) == 1


def test_a_memory_deleted_while_it_is_embedded_keeps_no_vector(
    gated_services: Services, gated: GatedEmbeddings
) -> None:
    services = gated_services
    alice = services.accounts.create("alice", password_hash=None).id
    ids = services.memory.add_many(
        alice, [NewMemory(text) for text in ("I swim", "My PIN is 4267", "I cook")], index=False
    )

    worker = _indexing_held(services, gated)
    assert services.memory.delete(alice, ids[1])
    gated.gate.set()
    worker.join(120)

    assert services.memory.vector_count(alice) == 2
    assert services.memory.count_pending() == 0

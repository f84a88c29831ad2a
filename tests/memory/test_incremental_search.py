"""Searches see writes at once, in every process, and forgotten memories never come back.

Two `MemoryStore`s built on the same database and vector store stand for two processes (an API
worker and a Celery worker): each has its own in-memory indexes, engine and Chroma client. Every
test runs on each stack of `tests/memory/conftest.py` (SQLite + folder, MariaDB + folder, MariaDB +
`chroma run` server). The bound stated in the docs is zero: a search sees every write committed
before it started.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from prometheus_client import REGISTRY

from agent.services import Services
from memory.retrieval.store import NewMemory

MakeServices = Callable[..., Services]


def _texts(services: Services, user: int, query: str, k: int = 5) -> list[str]:
    return [m.text for m in services.memory.search(user, query, k=k)]


def _vectors_added(source: str) -> float:
    labels = {"source": source}
    return REGISTRY.get_sample_value("memadvisor_memory_index_vectors_total", labels) or 0.0


def test_each_write_is_found_by_the_next_search(services: Services) -> None:
    alice = services.accounts.local("alice").id
    store = services.memory
    store.add(alice, "I keep bees on the roof", thread="c1")
    assert _texts(services, alice, "bees") == ["I keep bees on the roof"]
    store.add(alice, "They make lavender honey", thread="c1", index=False)
    # Keyword search has it before its vector exists; the neighbour's words carry over.
    assert "They make lavender honey" in _texts(services, alice, "lavender honey")
    assert "They make lavender honey" in _texts(services, alice, "bees")
    store.index_pending()
    assert _texts(services, alice, "What flavour is the honey?", k=1) == [
        "They make lavender honey"
    ]


def test_a_vector_written_here_is_handed_to_the_index_unless_another_process_rewrote_it(
    services: Services, make_services: MakeServices
) -> None:
    other = make_services()
    alice = services.accounts.local("alice").id
    services.memory.add(alice, "I keep bees on the roof", thread="c1")
    assert _texts(services, alice, "bees") == ["I keep bees on the roof"]  # alice's index cached

    before = _vectors_added("handed_over"), _vectors_added("vector_store")
    services.memory.add(alice, "My daughter plays the violin", thread="c2")
    assert _texts(services, alice, "Which instrument is played?", k=1) == [
        "My daughter plays the violin"
    ]
    after = _vectors_added("handed_over"), _vectors_added("vector_store")
    assert (after[0] - before[0], after[1] - before[1]) == (1, 0)

    # Written here, then corrected (re-indexed) by another process: its vector is read back.
    car = services.memory.add(alice, "I drive a red car to work", thread="c3")
    other.memory.update(alice, car, "I take the tram to work")
    assert _texts(services, alice, "Which public transport do I use?", k=1) == [
        "I take the tram to work"
    ]
    final = _vectors_added("handed_over"), _vectors_added("vector_store")
    assert (final[0] - after[0], final[1] - after[1]) == (0, 1)


def test_another_process_sees_writes_edits_and_deletions_at_its_next_search(
    services: Services, make_services: MakeServices
) -> None:
    other = make_services()  # a second process: its own engine, client and indexes
    alice = services.accounts.local("alice").id
    kept, edited, dropped = services.memory.add_many(
        alice,
        [
            NewMemory("I swim every Tuesday", thread="c1"),
            NewMemory("My cat is called Miso", thread="c1"),
            NewMemory("I live in Hangzhou", thread="c1"),
        ],
    )
    assert set(_texts(other, alice, "Hangzhou swim cat Miso")) == {
        "I swim every Tuesday",
        "My cat is called Miso",
        "I live in Hangzhou",
    }

    services.memory.update(alice, edited, "My cat is called Tofu")
    services.memory.delete(alice, dropped)
    added = services.memory.add(alice, "I started learning the cello", thread="c1")

    found = other.memory.search(alice, "Hangzhou swim cat Miso Tofu cello", k=10)
    assert {m.id for m in found} == {kept, edited, added}
    assert "My cat is called Tofu" in [m.text for m in found]
    assert other.memory.search(alice, "Where do I live?", k=3)[0].id != dropped
    assert other.memory.search(alice, "Which instrument do I play?", k=1)[0].id == added


def test_a_forgotten_memory_never_comes_back_even_from_a_stale_index(
    services: Services, make_services: MakeServices
) -> None:
    other = make_services()
    alice = services.accounts.local("alice").id
    secret = services.memory.add(alice, "My PIN hint is my first cat, Mimi")
    assert [m.id for m in other.memory.search(alice, "PIN hint cat", k=3)] == [secret]

    assert services.memory.forget_fact(alice, secret, source_id="t1")
    assert other.memory.search(alice, "PIN hint cat", k=3) == []
    # One transaction: the memory is gone and its history says what it said.
    assert [(c.event, c.old_text) for c in services.memory.history(alice, secret)] == [
        ("delete", "My PIN hint is my first cat, Mimi")
    ]


def test_erasure_reaches_the_indexes_of_every_process(
    services: Services, make_services: MakeServices
) -> None:
    other = make_services()
    alice = services.accounts.local("alice").id
    services.memory.add(alice, "I am allergic to penicillin")
    assert other.memory.search(alice, "allergic", k=1)
    services.privacy.erase(alice)
    assert other.memory.search(alice, "allergic", k=1) == []
    assert other.memory.index_cache_bytes == 0


def test_an_idle_process_drops_an_erased_users_index_within_the_sweep(
    services: Services, make_services: MakeServices
) -> None:
    """The other process never searches for the erased user again, and still lets go of them."""
    other = make_services(memory_index_sweep_seconds=0.2)
    alice = services.accounts.local("alice").id
    bob = services.accounts.local("bob").id
    services.memory.add(alice, "I am allergic to penicillin")
    services.memory.add(bob, "I keep bees")
    assert other.memory.search(alice, "allergic", k=1) and other.memory.search(bob, "bees", k=1)
    held = other.memory.index_cache_bytes

    services.privacy.erase(alice)

    deadline = time.monotonic() + 10  # the sweep runs every 0.2 s; the rest is slack
    while other.memory.index_cache_bytes == held:
        assert time.monotonic() < deadline, "the erased user's index is still held"
        time.sleep(0.05)
    assert 0 < other.memory.index_cache_bytes < held  # bob's stays
    assert [m.text for m in other.memory.search(bob, "bees", k=1)] == ["I keep bees"]


def test_concurrent_writers_of_one_thread_get_distinct_positions(
    services: Services, make_services: MakeServices
) -> None:
    alice = services.accounts.local("alice").id
    stores = [services.memory, make_services().memory]
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def write(number: int) -> None:
        try:
            start.wait()
            for turn in range(3):
                stores[number % 2].add(alice, f"writer {number} turn {turn}", thread="shared")
        except BaseException as exc:  # reported below
            errors.append(exc)

    writers = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=120)
    assert not errors
    from sqlalchemy import select

    from memory.storage.models import MemoryRow

    with services.sessions() as session:
        positions = sorted(
            session.scalars(select(MemoryRow.position).where(MemoryRow.thread_id == "shared"))
        )
    assert positions == list(range(24))

"""MemoryStore through the real SQLite file, Chroma folder and bundled embeddings."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.services import Services
from memory.retrieval.store import NewMemory
from tests.chroma_server import ChromaServer


def test_add_then_search_finds_the_memory_with_a_score(services: Services) -> None:
    alice = services.accounts.local("alice").id
    store = services.memory
    store.add(alice, "My dog is called Bao and I live in Hangzhou")
    store.add(alice, "I am allergic to peanuts")
    store.add(alice, "My favourite programming language is Rust")

    found = store.search(alice, "Which city do I live in?", k=2)

    assert found[0].text == "My dog is called Bao and I live in Hangzhou"
    assert found[0].score is not None and 0 < found[0].score <= 1
    assert [m.score for m in found] == sorted((m.score or 0 for m in found), reverse=True)


def test_chinese_memories_are_kept_as_written_and_found_across_languages(
    services: Services,
) -> None:
    alice = services.accounts.local("alice").id
    store = services.memory
    store.add(alice, "我的狗叫宝宝，我住在杭州")
    store.add(alice, "I drink coffee every morning")

    assert store.search(alice, "我住在哪个城市？", k=1)[0].text == "我的狗叫宝宝，我住在杭州"
    assert store.search(alice, "What is my dog's name?", k=1)[0].text == "我的狗叫宝宝，我住在杭州"
    assert store.search(alice, "我早上喝咖啡吗？", k=1)[0].text == "I drink coffee every morning"


def test_search_never_returns_another_users_memories(services: Services) -> None:
    alice = services.accounts.local("alice").id
    bob = services.accounts.local("bob").id
    services.memory.add(alice, "My bank PIN hint is the name of my first cat, Mimi")

    assert services.memory.search(bob, "bank PIN first cat Mimi", k=10) == []
    assert services.memory.list(bob) == []
    assert services.memory.get(bob, services.memory.list(alice)[0].id) is None


def test_delete_forgets_in_sql_and_vectors_and_only_for_the_owner(services: Services) -> None:
    alice = services.accounts.local("alice").id
    bob = services.accounts.local("bob").id
    memory_id = services.memory.add(alice, "I live in Hangzhou")

    assert services.memory.delete(bob, memory_id) is False
    assert services.memory.delete(alice, memory_id) is True
    assert services.memory.search(alice, "Hangzhou", k=5) == []
    assert services.memory.vector_count(alice) == 0


def test_delete_user_removes_every_memory_of_that_user_only(services: Services) -> None:
    alice = services.accounts.local("alice").id
    bob = services.accounts.local("bob").id
    services.memory.add_many(alice, [NewMemory("one"), NewMemory("two", kind="fact")])
    services.memory.add(bob, "three")

    assert services.memory.delete_user(alice) == 2
    assert services.memory.vector_count(alice) == 0
    assert services.memory.count(alice) == 0
    assert services.memory.count(bob) == 1 and services.memory.vector_count(bob) == 1


def test_unindexed_memories_are_indexed_later_and_reindex_rebuilds_from_sql(
    services: Services,
) -> None:
    alice = services.accounts.local("alice").id
    store = services.memory
    store.add(alice, "I run 5 km on Saturdays", index=False)
    assert store.count_pending() == 1
    assert store.vector_count(alice) == 0
    # Keyword search reads SQL, so the memory is found before its vector exists...
    assert [m.text for m in store.search(alice, "running", k=5)] == ["I run 5 km on Saturdays"]
    # ...but not by meaning alone.
    assert store.search(alice, "weekend jogging", k=5) == []

    assert store.index_pending() == 1
    assert store.vector_count(alice) == 1
    assert store.search(alice, "weekend jogging", k=5)[0].text == "I run 5 km on Saturdays"

    progress: list[int] = []
    assert store.reindex(progress=progress.append) == 1
    assert sum(progress) == 1
    assert store.vector_count() == 1


def test_memory_keeps_its_time_kind_and_metadata(services: Services) -> None:
    alice = services.accounts.local("alice").id
    when = datetime(2023, 5, 8, 13, 56, tzinfo=UTC)
    memory_id = services.memory.add(
        alice, "Went hiking", kind="data", created_at=when, source_id="7", metadata={"a": 1}
    )
    memory = services.memory.get(alice, memory_id)
    assert memory is not None
    assert (memory.created_at, memory.kind, memory.source_id, memory.metadata) == (
        when,
        "data",
        "7",
        {"a": 1},
    )


@pytest.mark.parametrize("kind, text", [("nonsense", "x"), ("turn", "   ")])
def test_bad_memories_are_refused(services: Services, kind: str, text: str) -> None:
    alice = services.accounts.local("alice").id
    with pytest.raises(ValueError):
        services.memory.add(alice, text, kind=kind)
    assert services.memory.count(alice) == 0


def test_a_reply_is_found_by_the_words_of_what_it_replies_to(services: Services) -> None:
    alice = services.accounts.local("alice").id
    services.memory.add_many(
        alice,
        [
            NewMemory("Do you still go rock climbing at the gym?", thread="s1", speaker="Bob"),
            NewMemory("Yes, every Saturday morning with my sister!", thread="s1", speaker="Alice"),
            NewMemory("I bought a new laptop for work.", thread="s2", speaker="Alice"),
            NewMemory("My favourite food is dumplings.", thread="s3", speaker="Alice"),
        ],
    )

    found = services.memory.search(alice, "When does Alice go rock climbing?", k=2)

    assert "Yes, every Saturday morning with my sister!" in [m.text for m in found]


def test_positions_continue_a_thread_across_writes(services: Services) -> None:
    alice = services.accounts.local("alice").id
    services.memory.add(alice, "Where should I travel in May?", thread="c1")
    services.memory.add(alice, "I love mountains and tea.", thread="c1")
    services.memory.add(alice, "Something unrelated", thread="c2")

    found = services.memory.search(alice, "travel plans in May", k=3)

    assert found[0].text == "Where should I travel in May?"
    assert "I love mountains and tea." in [m.text for m in found[:2]]


def test_a_query_naming_a_speaker_prefers_their_words(services: Services) -> None:
    alice = services.accounts.local("alice").id
    services.memory.add_many(
        alice,
        [
            NewMemory("I adopted a cat last week.", thread="s1", speaker="Caroline"),
            NewMemory("I adopted a cat last week too!", thread="s1", speaker="Melanie"),
        ],
    )
    assert services.memory.search(alice, "What did Melanie adopt?", k=1)[0].text == (
        "I adopted a cat last week too!"
    )
    assert services.memory.search(alice, "What did Caroline adopt?", k=1)[0].text == (
        "I adopted a cat last week."
    )


def test_chinese_keywords_are_segmented(services: Services) -> None:
    alice = services.accounts.local("alice").id
    services.memory.add(alice, "我对花生过敏，吃了会起疹子")
    services.memory.add(alice, "我喜欢在西湖边跑步")
    services.memory.add(alice, "下个月去上海出差")
    assert services.memory.search(alice, "花生", k=1)[0].text == "我对花生过敏，吃了会起疹子"


def test_vector_folder_holds_no_memory_text(
    services: Services, vector_server: ChromaServer | None
) -> None:
    alice = services.accounts.local("alice").id
    services.memory.add(alice, "My secret diagnosis is hypertension")
    folder = vector_server.path if vector_server else services.settings.chroma_dir
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert files
    assert b"hypertension" not in b"".join(p.read_bytes() for p in files)


def test_a_collection_built_for_another_distance_asks_for_reindex(tmp_path: Path) -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from memory.retrieval.embeddings import E5SmallEmbeddings
    from memory.retrieval.vectors import VectorIndex

    client = chromadb.PersistentClient(
        path=str(tmp_path), settings=ChromaSettings(anonymized_telemetry=False)
    )
    client.create_collection("memories", metadata={"hnsw:space": "cosine"})
    with pytest.raises(RuntimeError, match="memadvisor reindex"):
        VectorIndex(collection="memories", embeddings=E5SmallEmbeddings(), persist_dir=tmp_path)


def test_vector_counts_are_per_user_and_erasure_removes_them(services: Services) -> None:
    alice = services.accounts.local("alice").id
    bob = services.accounts.local("bob").id
    services.memory.add(alice, "one")
    services.memory.add(bob, "two")
    services.memory.add(bob, "three")

    assert (services.memory.vector_count(alice), services.memory.vector_count(bob)) == (1, 2)
    services.memory.delete_user(bob)
    assert services.memory.vector_count() == 1
    assert services.memory.search(bob, "two", k=5) == []

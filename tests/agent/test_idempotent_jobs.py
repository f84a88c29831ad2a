"""Every background job can run twice (a retry, a redelivery) and change nothing more."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from agent.jobs.upkeep import analyse_everyone, reconcile, refresh_profiles
from agent.model.structured import StructuredOutputError
from agent.services import Services, job_registry
from memory.records.datatypes import DATA_TYPES, NewRecord
from memory.storage.models import MemoryChange, MemoryRow, UserInsight, UserProfile
from tests.fakes.models import scripted

NOW = datetime.now(UTC)


class RecordingJobs:
    """A job runner that only writes down what it was asked to run."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def enqueue(self, name: str, **kwargs: Any) -> None:
        self.sent.append((name, kwargs))

    def drain(self, timeout: float | None = None) -> None:
        pass

    def queued(self) -> int:
        return 0

    def close(self) -> None:
        pass


def snapshot(services: Services, user_id: int) -> dict[str, Any]:
    """Everything the jobs write, down to row ids and timestamps."""
    with services.sessions() as session:
        memories = [
            (m.id, m.kind, m.text, m.meta, m.updated_at, m.indexed_at)
            for m in session.scalars(
                select(MemoryRow).where(MemoryRow.user_id == user_id).order_by(MemoryRow.id)
            )
        ]
        changes = [
            (c.id, c.event, c.new_text)
            for c in session.scalars(select(MemoryChange).where(MemoryChange.user_id == user_id))
        ]
        insights = [
            (i.id, i.key, i.text, i.created_at)
            for i in session.scalars(select(UserInsight).where(UserInsight.user_id == user_id))
        ]
        profile = session.get(UserProfile, user_id)
        summary = None if profile is None else (profile.summary, profile.updated_at)
    return {
        "memories": memories,
        "changes": changes,
        "insights": insights,
        "profile": summary,
        "vectors": services.memory.vector_count(user_id),
    }


def answered_turn(services: Services, user_id: int, text: str) -> str:
    """A chat turn as the chat graph leaves it: answered, its memory not indexed yet."""
    turn = services.history.begin_turn(user_id, None, text)
    services.history.finish_turn(
        user_id, turn.conversation_id, turn.id, "Noted.", prompt_version="t", model_name="t"
    )
    return services.memory.add(user_id, text, kind="turn", thread=turn.conversation_id, index=False)


def test_every_job_run_twice_changes_nothing_more(make_services: Callable[..., Services]) -> None:
    answer = {"summary": "Drinks green tea.", "preferences": {}, "facts": ["Drinks green tea"]}
    answer |= {"event": "none", "target": None, "text": ""}
    services = make_services(scripted([json.dumps(answer)] * 20), summary_every_turns=1)
    jobs = job_registry(services)
    alice = services.accounts.local("alice").id
    services.user_data.consents.set(alice, dict.fromkeys(DATA_TYPES, True))
    services.user_data.add_many(
        alice, [NewRecord("health", {"steps": 3000}, NOW - timedelta(days=d)) for d in (1, 2)]
    )
    memory_id = answered_turn(services, alice, "I drink green tea every morning")
    runs: list[tuple[str, dict[str, Any]]] = [
        ("index_memories", {}),
        ("index_memories", {"ids": [memory_id]}),
        ("analyse_user", {"user_id": alice}),
        ("summarize_profile", {"user_id": alice}),
        ("summarize_profile", {"user_id": alice, "at_least": 1}),
        ("consolidate_memory", {"user_id": alice, "memory_id": memory_id}),
    ]
    for name, kwargs in runs:
        jobs[name](**kwargs)
    once = snapshot(services, alice)
    assert once["insights"] and once["profile"] and once["changes"]
    assert services.memory.count_pending() == 0

    for name, kwargs in runs:
        jobs[name](**kwargs)
    assert snapshot(services, alice) == once


def test_a_consolidation_cut_short_adds_no_second_copy_when_run_again(
    make_services: Callable[..., Services],
) -> None:
    decide_add = {"event": "add", "target": None, "text": "Lives in Hangzhou"}
    services = make_services(
        scripted([json.dumps({"facts": ["Lives in Hangzhou"]}), json.dumps(decide_add)])
    )
    alice = services.accounts.local("alice").id
    memory_id = services.memory.add(alice, "I live in Hangzhou", kind="turn")
    # A worker that died after storing the fact but before marking the turn consolidated:
    services.memory.add_fact(alice, "Lives in Hangzhou", source_id=memory_id)

    services.consolidate_memory(alice, memory_id)

    assert [f.text for f in services.memory.list(alice, kind="fact")] == ["Lives in Hangzhou"]


def test_reconcile_enqueues_what_sql_records_as_owed(
    make_services: Callable[..., Services],
) -> None:
    services = make_services(summary_every_turns=2, consolidate_facts=True)
    services.jobs = recorder = RecordingJobs()
    alice = services.accounts.local("alice").id
    bob = services.accounts.local("bob").id
    first = answered_turn(services, alice, "one")
    second = answered_turn(services, alice, "two")
    answered_turn(services, bob, "three")
    services.memory.mark_consolidated(bob, services.memory.list(bob)[0].id)

    assert reconcile(services) == len(recorder.sent)
    assert sorted(recorder.sent, key=repr) == sorted(
        [
            ("index_memories", {}),
            ("summarize_profile", {"user_id": alice}),  # bob has 1 new turn of the 2 needed
            ("consolidate_memory", {"user_id": alice, "memory_id": first}),
            ("consolidate_memory", {"user_id": alice, "memory_id": second}),
        ],
        key=repr,
    )

    services.memory.index_pending()
    recorder.sent.clear()
    assert refresh_profiles(services) == 2
    assert sorted(recorder.sent, key=repr) == [
        ("summarize_profile", {"user_id": alice, "at_least": 1}),
        ("summarize_profile", {"user_id": bob, "at_least": 1}),
    ]


def test_nothing_owed_means_nothing_enqueued(make_services: Callable[..., Services]) -> None:
    services = make_services()
    services.jobs = recorder = RecordingJobs()
    services.accounts.local("alice")
    assert reconcile(services) == 0
    assert refresh_profiles(services) == 0
    assert analyse_everyone(services) == 0
    assert recorder.sent == []


def test_a_turn_whose_facts_the_model_cannot_give_is_not_asked_again(
    make_services: Callable[..., Services],
) -> None:
    model = scripted(["not json", "still not json", json.dumps({"facts": ["Lives in Hangzhou"]})])
    services = make_services(model)
    alice = services.accounts.local("alice").id
    memory_id = services.memory.add(alice, "I live in Hangzhou", kind="turn")
    with pytest.raises(StructuredOutputError):
        services.consolidate_memory(alice, memory_id)

    assert services.consolidate_memory(alice, memory_id) == []
    assert len(model.calls) == 2

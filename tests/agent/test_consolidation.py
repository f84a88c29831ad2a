"""Consolidation: a new fact updates the one it contradicts and keeps the history."""

from __future__ import annotations

import json
from collections.abc import Callable

from agent.services import Services
from tests.fakes.models import scripted


def turn(services: Services, user_id: int, text: str) -> str:
    return services.memory.add(user_id, text, kind="turn")


def test_moving_city_leaves_one_current_fact_and_its_history(
    make_services: Callable[..., Services],
) -> None:
    model = scripted(
        [
            json.dumps({"facts": ["Lives in Beijing"]}),
            json.dumps({"facts": ["Moved to Shanghai"]}),
            json.dumps({"event": "update", "target": "F1", "text": "Lives in Shanghai"}),
        ]
    )
    services = make_services(model)
    alice = services.accounts.local("alice").id

    assert services.consolidate_memory(alice, turn(services, alice, "I live in Beijing")) == ["add"]
    second = turn(services, alice, "I moved to Shanghai last month")
    assert services.consolidate_memory(alice, second) == ["update"]

    [fact] = services.memory.list(alice, kind="fact")
    assert fact.text == "Lives in Shanghai"
    history = [(c.event, c.old_text, c.new_text) for c in services.memory.history(alice, fact.id)]
    assert history == [
        ("add", None, "Lives in Beijing"),
        ("update", "Lives in Beijing", "Lives in Shanghai"),
    ]
    assert history_source(services, alice, fact.id) == second
    # Search finds the current fact, not the old one.
    found = services.memory.search(alice, "Where does the user live?", 10)
    assert "Lives in Beijing" not in [m.text for m in found]


def history_source(services: Services, user_id: int, memory_id: str) -> str | None:
    return services.memory.history(user_id, memory_id)[-1].source_id


def test_a_repeated_fact_changes_nothing_and_a_false_one_is_deleted(
    make_services: Callable[..., Services],
) -> None:
    model = scripted(
        [
            json.dumps({"facts": ["Has a dog named Bao"]}),
            json.dumps({"facts": ["Has a dog called Bao"]}),
            json.dumps({"event": "none", "target": None, "text": ""}),
            json.dumps({"facts": ["No longer has a dog"]}),
            json.dumps({"event": "delete", "target": "F1", "text": ""}),
        ]
    )
    services = make_services(model)
    alice = services.accounts.local("alice").id
    services.consolidate_memory(alice, turn(services, alice, "My dog is Bao"))
    assert services.consolidate_memory(alice, turn(services, alice, "Bao is my dog")) == ["none"]
    assert len(services.memory.list(alice, kind="fact")) == 1
    [fact] = services.memory.list(alice, kind="fact")
    assert services.consolidate_memory(alice, turn(services, alice, "Bao went to a farm")) == [
        "delete"
    ]
    assert services.memory.list(alice, kind="fact") == []
    assert [c.event for c in services.memory.history(alice, fact.id)] == ["delete"]


def test_a_decision_naming_an_unknown_fact_is_refused_and_nothing_changes(
    make_services: Callable[..., Services],
) -> None:
    model = scripted(
        [
            json.dumps({"facts": ["Lives in Beijing"]}),
            json.dumps({"facts": ["Lives in Shanghai"]}),
            json.dumps({"event": "update", "target": "F9", "text": "x"}),
            json.dumps({"event": "update", "target": "F7", "text": "y"}),
        ]
    )
    services = make_services(model)
    alice = services.accounts.local("alice").id
    services.consolidate_memory(alice, turn(services, alice, "I live in Beijing"))
    try:
        services.consolidate_memory(alice, turn(services, alice, "I live in Shanghai"))
    except Exception as exc:
        assert "not valid" in str(exc)
    assert [m.text for m in services.memory.list(alice, kind="fact")] == ["Lives in Beijing"]


def test_facts_are_private(make_services: Callable[..., Services]) -> None:
    model = scripted([json.dumps({"facts": ["Lives in Beijing"]})])
    services = make_services(model)
    alice = services.accounts.local("alice").id
    bob = services.accounts.local("bob").id
    memory_id = turn(services, alice, "I live in Beijing")
    assert services.consolidate_memory(bob, memory_id) == []
    services.consolidate_memory(alice, memory_id)
    [fact] = services.memory.list(alice, kind="fact")
    assert services.memory.history(bob, fact.id) == []
    assert services.memory.list(bob) == []

"""What a chat turn leaves behind (issue 28): facts, not questions; records only with consent.

Through the real stack: the API, SQL, the keyword and vector indexes, the scripted model, and the
background jobs (run inline here, as in every API test).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from agent.services import Services
from tests.api.sse import parse_sse

Register = Callable[[str], dict[str, str]]


def chat(client: TestClient, headers: dict[str, str], message: str, **extra: Any) -> Any:
    """Send one message; the final event."""
    body = {"message": message, **extra}
    return parse_sse(client.post("/api/chat/stream", headers=headers, json=body))[-1][1]


def counter(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_statements_become_facts_and_questions_stay_in_the_history(
    client: TestClient, register: Register, services: Services
) -> None:
    alice = register("alice")
    first = chat(client, alice, "I live in Hangzhou. What should I cook tonight?")
    chat(client, alice, "hello!", conversation_id=first["conversation_id"])
    chat(client, alice, "Where do I live?", conversation_id=first["conversation_id"])

    [fact] = client.get("/api/memories", headers=alice).json()
    assert (fact["kind"], fact["text"]) == ("fact", "I live in Hangzhou")
    [stored] = services.memory.from_source(1, str(first["turn_id"]))
    assert stored.metadata == {
        "conversation_id": first["conversation_id"],
        "statement": "fact",
        "subject": "self",
        "attribute": "home_city",
        "value": "Hangzhou",
        "tier": "rules",
    }
    # Indexed by the indexing job: found by meaning, and quoted to the next answer.
    found = client.post("/api/memories/search", headers=alice, json={"query": "which city"}).json()
    assert [m["id"] for m in found] == [fact["id"]]
    later = chat(client, alice, "Which city am I in?")
    assert [m["id"] for m in later["memories"]] == [fact["id"]]
    # Every turn is still in the conversation.
    detail = client.get(f"/api/conversations/{first['conversation_id']}", headers=alice).json()
    assert len(detail["messages"]) == 3


def test_a_message_not_understood_is_kept_as_said(client: TestClient, register: Register) -> None:
    alice = register("alice")
    chat(client, alice, "Bao chewed the sofa again")
    memories = client.get("/api/memories", headers=alice).json()
    assert [(m["kind"], m["text"]) for m in memories] in (
        [("turn", "Bao chewed the sofa again")],
        [("fact", "Bao chewed the sofa again")],
    )


def test_a_measurement_becomes_a_record_only_with_consent(
    client: TestClient, register: Register, services: Services
) -> None:
    alice = register("alice")
    skipped = counter("memadvisor_chat_records_total", event="skipped_no_consent")
    created = counter("memadvisor_chat_records_total", event="created")
    undone = counter("memadvisor_chat_records_total", event="undone")

    without = chat(client, alice, "My weight is 72.5 kg")
    assert client.get("/api/user-data", headers=alice).json() == []
    [fact] = services.memory.from_source(1, str(without["turn_id"]))
    assert fact.kind == "fact" and fact.metadata["statement"] == "measurement"
    assert fact.metadata["record_skipped"] == "no consent for health"
    assert counter("memadvisor_chat_records_total", event="skipped_no_consent") == skipped + 1

    assert client.put("/api/me/consent", headers=alice, json={"health": True}).status_code == 200
    told = chat(client, alice, "最近血压有点高，140/95")
    [record] = client.get("/api/user-data", headers=alice).json()
    assert record["data_type"] == "health"
    assert record["data"] == {
        "systolic_bp": 140,
        "diastolic_bp": 95,
        "source": "chat",
        "turn_id": told["turn_id"],
    }
    facts = services.memory.from_source(1, str(told["turn_id"]))
    assert [m.metadata.get("record_id") for m in facts if m.kind == "fact"][-1] == record["id"]
    assert counter("memadvisor_chat_records_total", event="created") == created + 1

    # Undo: deleting the record is enough (its data memory goes with it).
    assert client.delete(f"/api/user-data/{record['id']}", headers=alice).status_code == 204
    assert client.get("/api/user-data", headers=alice).json() == []
    assert counter("memadvisor_chat_records_total", event="undone") == undone + 1


def test_a_turn_is_remembered_once(
    client: TestClient, register: Register, services: Services
) -> None:
    alice = register("alice")
    final = chat(client, alice, "I live in Hangzhou")
    services.jobs.enqueue("remember_turn", user_id=1, turn_id=final["turn_id"])
    assert len(client.get("/api/memories", headers=alice).json()) == 1
    # Someone else's turn leaves nothing.
    register("bob")
    assert services.remember_turn(2, final["turn_id"]) == []


def test_the_understanding_metrics_count_kinds(client: TestClient, register: Register) -> None:
    alice = register("alice")
    before = counter("memadvisor_understanding_statements_total", kind="preference", tier="rules")
    questions = counter("memadvisor_understanding_messages_total", outcome="not_remembered")
    chat(client, alice, "I am allergic to peanuts.")
    chat(client, alice, "What is my dog called?")
    after = counter("memadvisor_understanding_statements_total", kind="preference", tier="rules")
    assert after == before + 1
    assert counter("memadvisor_understanding_messages_total", outcome="not_remembered") == (
        questions + 1
    )


def test_preferences_reach_the_profile_with_their_memory(
    client: TestClient, register: Register
) -> None:
    alice = register("alice")
    chat(client, alice, "I am allergic to peanuts.")
    [memory] = client.get("/api/memories", headers=alice).json()
    profile = client.get("/api/profile", headers=alice).json()
    assert profile["preferences"]["constraints"] == [
        {
            "text": "I am allergic to peanuts",
            "memory_id": memory["id"],
            "kind": "allergy",
            "concepts": ["peanut"],
        }
    ]
    # The user edits the list with texts: what the entry knew stays with its text.
    body = {"preferences": {"constraints": ["I am allergic to peanuts", "No pork"]}}
    edited = client.put("/api/profile", headers=alice, json=body).json()
    assert [c.get("memory_id") for c in edited["preferences"]["constraints"]] == [
        memory["id"],
        None,
    ]


def test_refresh_never_fails_and_the_summary_is_extractive(
    client: TestClient, register: Register
) -> None:
    alice = register("alice")
    chat(client, alice, "I live in Hangzhou")
    chat(client, alice, "我对花生过敏")
    refreshed = client.post("/api/profile/refresh", headers=alice)
    assert refreshed.status_code == 200
    summary = refreshed.json()["summary"]
    assert "I live in Hangzhou." in summary and "我对花生过敏。" in summary


def test_a_changed_fact_replaces_the_old_one_which_stays_findable(
    client: TestClient, register: Register
) -> None:
    alice = register("alice")
    chat(client, alice, "I live in Hangzhou")
    chat(client, alice, "I moved to Shanghai")
    listed = {m["text"]: m for m in client.get("/api/memories", headers=alice).json()}
    old, new = listed["I live in Hangzhou"], listed["I moved to Shanghai"]
    assert (old["current"], old["superseded_by"]) == (False, new["id"])
    assert (new["current"], new["superseded_by"]) == (True, None)
    # Not cited as current in a new conversation; still found by search.
    final = chat(client, alice, "Where do I live now?")
    assert old["id"] not in [m["id"] for m in final["memories"]]
    found = client.post("/api/memories/search", headers=alice, json={"query": "Hangzhou"}).json()
    assert old["id"] in [m["id"] for m in found]

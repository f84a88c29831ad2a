"""A second user never sees the first user's memories or conversations, through any endpoint."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.api.sse import parse_sse
from tests.fakes.models import RecordingFakeModel

Register = Callable[[str], dict[str, str]]
SECRET = "My secret diagnosis is hypertension and my dog is Bao"


def test_bob_sees_nothing_of_alice(
    client: TestClient, register: Register, model: RecordingFakeModel
) -> None:
    alice, bob = register("alice"), register("bob")
    final = parse_sse(client.post("/api/chat/stream", headers=alice, json={"message": SECRET}))[-1][
        1
    ]
    memory = client.get("/api/memories", headers=alice).json()[0]

    # Listing and searching
    assert client.get("/api/memories", headers=bob).json() == []
    assert client.post("/api/memories/search", headers=bob, json={"query": SECRET}).json() == []
    assert client.get("/api/conversations", headers=bob).json() == []
    # Direct access by id
    assert (
        client.get(f"/api/conversations/{final['conversation_id']}", headers=bob).status_code == 404
    )
    assert client.delete(f"/api/memories/{memory['id']}", headers=bob).status_code == 404
    # Continuing Alice's conversation
    hijack = client.post(
        "/api/chat/stream",
        headers=bob,
        json={"message": "hi", "conversation_id": final["conversation_id"]},
    )
    assert hijack.status_code == 404
    # Chat: nothing of Alice's is retrieved or put in Bob's prompt
    bob_final = parse_sse(
        client.post("/api/chat/stream", headers=bob, json={"message": "What is my diagnosis?"})
    )[-1][1]
    assert bob_final["memories"] == []
    assert "hypertension" not in model.last_prompt
    # LangServe, even with a user id smuggled into the body or the config
    smuggled = client.post(
        "/advisor/invoke",
        headers=bob,
        json={
            "input": {"message": "What is my diagnosis?", "user_id": 1},
            "config": {"configurable": {"memadvisor_user_id": 1, "user_id": 1}},
        },
    )
    assert smuggled.status_code in (200, 422)
    if smuggled.status_code == 200:
        assert SECRET not in [m["text"] for m in smuggled.json()["output"]["memories"]]
    assert "hypertension" not in model.last_prompt
    # Alice still has exactly her memories (the two statements of her message)
    texts = sorted(m["text"] for m in client.get("/api/memories", headers=alice).json())
    assert texts == ["My secret diagnosis is hypertension", "my dog is Bao"]

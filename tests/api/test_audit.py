"""The audit log: reads and writes of sensitive data are recorded, shown to their owner only,
exported, and erased with the account.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from agent.services import Services
from memory.storage.models import AuditEntry

Register = Callable[[str], dict[str, str]]


def test_reads_and_writes_are_logged_newest_first(client: TestClient, register: Register) -> None:
    alice, bob = register("alice"), register("bob")
    client.post("/api/chat/stream", headers=alice, json={"message": "I sleep badly"})
    client.post("/api/memories/search", headers=alice, json={"query": "sleep"})
    conversation = client.get("/api/conversations", headers=alice).json()[0]["id"]
    client.get(f"/api/conversations/{conversation}", headers=alice)
    memory = client.get("/api/memories", headers=alice).json()[0]["id"]
    client.delete(f"/api/memories/{memory}", headers=alice)
    client.get("/api/me/export", headers=alice)

    log = client.get("/api/me/audit", headers=alice).json()
    assert [(e["action"], e["resource"], e["resource_id"]) for e in log] == [
        ("export", "account", None),
        ("delete", "memories", memory),
        ("read", "memories", None),
        ("read", "conversation", conversation),
        ("read", "conversation", None),
        ("read", "memories", None),
        ("write", "conversation", conversation),
        ("login", "session", log[-1]["resource_id"]),
    ]
    assert all(e["client"] == "testclient" for e in log)
    assert client.get("/api/me/audit", headers=alice, params={"limit": 2}).json() == log[:2]
    assert client.get("/api/me/audit", headers=alice, params={"offset": 7}).json() == log[7:]
    # Bob's log holds his sign-in only: nothing of Alice's activity.
    assert [e["action"] for e in client.get("/api/me/audit", headers=bob).json()] == ["login"]


def test_the_log_is_exported_and_erased_with_the_account(
    client: TestClient, register: Register, services: Services
) -> None:
    alice = register("alice")
    client.get("/api/memories", headers=alice)
    export = client.get("/api/me/export", headers=alice).json()
    assert [e["action"] for e in export["audit_log"]] == ["login", "read", "export"]
    assert export["auth_sessions"] and "token_hash" not in str(export["refresh_tokens"])

    assert client.delete("/api/me", headers=alice).status_code == 204
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_bad_paging_is_a_422(client: TestClient, register: Register) -> None:
    alice = register("alice")
    assert client.get("/api/me/audit", headers=alice, params={"limit": 0}).status_code == 422
    assert client.get("/api/me/audit", headers=alice, params={"offset": -1}).status_code == 422

"""Right of access and right to erasure, through HTTP, checked against every store."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

from agent.services import Services
from memory.privacy import USER_TABLES
from memory.storage.models import Base
from tests.accounts import PASSWORD
from tests.api.sse import parse_sse

Register = Callable[[str], dict[str, str]]
SECRET = "My blood pressure was 150 over 95 at the clinic"


def _raw_vectors(services: Services, user_id: int) -> list[bytes]:
    """The float32 bytes of a user's vectors, read from the Chroma folder."""
    import chromadb
    import numpy as np
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.PersistentClient(
        path=str(services.settings.chroma_dir), settings=ChromaSettings(anonymized_telemetry=False)
    )
    found = client.get_collection(services.settings.chroma_collection).get(
        where={"user_id": user_id}, include=["embeddings"]
    )
    return [np.asarray(v, dtype=np.float32).tobytes() for v in found["embeddings"]]


def test_every_table_with_user_rows_is_covered() -> None:
    with_user_id = {t.name for t in Base.metadata.sorted_tables if "user_id" in t.columns}
    assert with_user_id == set(USER_TABLES)


def test_export_holds_everything_about_me_and_nothing_of_others(
    client: TestClient, register: Register
) -> None:
    alice, bob = register("alice"), register("bob")
    client.post("/api/chat/stream", headers=alice, json={"message": SECRET})
    client.post("/api/chat/stream", headers=bob, json={"message": "Bob's own secret"})

    export = client.get("/api/me/export", headers=alice).json()

    assert export["account"]["username"] == "alice"
    assert "password_hash" not in export["account"]
    assert [t["input_text"] for t in export["conversation_history"]] == [SECRET]
    assert [m["text"] for m in export["memories"]] == [SECRET]
    assert len(export["conversations"]) == 1 and export["user_profiles"][0]["summary"] == ""
    assert "Bob's own secret" not in str(export)


def test_delete_me_erases_every_store_and_leaves_others(
    client: TestClient, register: Register, services: Services
) -> None:
    alice, bob = register("alice"), register("bob")
    alice_id = client.get("/api/me", headers=alice).json()["id"]
    final = parse_sse(client.post("/api/chat/stream", headers=alice, json={"message": SECRET}))
    assert final[-1][0] == "final"
    client.post("/api/chat/stream", headers=bob, json={"message": "Bob stays"})
    vectors = _raw_vectors(services, alice_id)
    assert len(vectors) == 1

    assert client.delete("/api/me", headers=alice).status_code == 204

    # The token no longer works, and the account cannot log in.
    assert client.get("/api/me", headers=alice).status_code == 401
    login = {"username": "alice", "password": PASSWORD}
    assert client.post("/api/auth/login", json=login).status_code == 401
    # SQL: no row of hers in any table.
    with services.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            columns = {c["name"] for c in inspect(conn).get_columns(table)}
            column = "user_id" if "user_id" in columns else "id" if table == "users" else None
            if column:
                count = conn.scalar(
                    text(f"SELECT count(*) FROM {table} WHERE {column} = :u"), {"u": alice_id}
                )
                assert count == 0, table
    # Vectors and the raw files: nothing of hers.
    assert services.memory.vector_count(alice_id) == 0
    data_dir = services.settings.data_dir
    for path in data_dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"blood pressure" not in data, path
            # Chroma's segments, write-ahead log and free pages hold no float of her vectors.
            assert not any(vector in data for vector in vectors), path
    # Bob is untouched.
    assert [m["text"] for m in client.get("/api/memories", headers=bob).json()] == ["Bob stays"]

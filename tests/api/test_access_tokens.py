"""Personal access tokens via `/api/me/tokens`: shown once, kept as a hash, revocable, erased."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

import memory.accounts.tokens
from agent.services import Services
from memory.accounts.tokens import PREFIX, TokenRefusedError
from memory.storage.models import PersonalAccessToken

Register = Callable[[str], dict[str, str]]


def test_a_token_is_shown_once_and_only_its_hash_is_kept(
    client: TestClient, register: Register, services: Services
) -> None:
    alice = register("alice")
    created = client.post(
        "/api/me/tokens",
        json={"name": " Claude Desktop ", "scope": "read_write", "expires_in_days": 30},
        headers=alice,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    token = body["token"]
    assert token.startswith(PREFIX) and len(token) > len(PREFIX) + 40
    assert body["name"] == "Claude Desktop" and body["scope"] == "read_write"
    assert body["hint"] == token[-4:] and body["last_used_at"] is None
    assert body["expires_at"] > body["created_at"]

    listed = client.get("/api/me/tokens", headers=alice).json()
    assert [t["id"] for t in listed] == [body["id"]]
    assert "token" not in listed[0] and token not in str(listed)
    with services.sessions() as session:
        [row] = session.scalars(select(PersonalAccessToken)).all()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()

    grant = services.access_tokens.verify(token)
    assert (grant.user_id, grant.scope) == (services.accounts.local("alice").id, "read_write")
    [used] = client.get("/api/me/tokens", headers=alice).json()
    assert used["last_used_at"] is not None


def test_revoking_ends_the_token_and_only_its_owner_may(
    client: TestClient, register: Register, services: Services
) -> None:
    alice, bob = register("alice"), register("bob")
    created = client.post("/api/me/tokens", json={"name": "editor"}, headers=alice).json()
    assert created["scope"] == "read" and created["expires_at"] is None  # the defaults

    assert client.delete(f"/api/me/tokens/{created['id']}", headers=bob).status_code == 404
    services.access_tokens.verify(created["token"])  # still works
    assert client.delete(f"/api/me/tokens/{created['id']}", headers=alice).status_code == 204
    with pytest.raises(TokenRefusedError, match="revoked"):
        services.access_tokens.verify(created["token"])
    assert client.get("/api/me/tokens", headers=alice).json() == []
    assert client.delete(f"/api/me/tokens/{created['id']}", headers=alice).status_code == 404
    audit = client.get("/api/me/audit", headers=alice).json()
    assert {(e["action"], e["resource"]) for e in audit} >= {
        ("write", "access_tokens"),
        ("delete", "access_tokens"),
    }


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 101},
        {"name": "x", "scope": "admin"},
        {"name": "x", "expires_in_days": 0},
        {"name": "x", "expires_in_days": 3651},
        {"name": "x", "user_id": 2},
    ],
)
def test_bad_token_requests_get_422(client: TestClient, register: Register, body: dict) -> None:
    response = client.post("/api/me/tokens", json=body, headers=register("alice"))
    assert response.status_code == 422, response.text


def test_a_user_holds_a_bounded_number_of_tokens(
    client: TestClient, register: Register, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(memory.accounts.tokens, "MAX_ACTIVE", 2)
    alice = register("alice")
    made = [client.post("/api/me/tokens", json={"name": f"t{i}"}, headers=alice) for i in range(3)]
    assert [r.status_code for r in made] == [201, 201, 409]
    assert "revoke one" in made[2].json()["detail"]
    client.delete(f"/api/me/tokens/{made[0].json()['id']}", headers=alice)
    assert client.post("/api/me/tokens", json={"name": "t3"}, headers=alice).status_code == 201


def test_export_lists_tokens_without_hashes_and_erasure_ends_them(
    client: TestClient, register: Register, services: Services
) -> None:
    alice, bob = register("alice"), register("bob")
    mine = client.post("/api/me/tokens", json={"name": "mine"}, headers=alice).json()
    theirs = client.post("/api/me/tokens", json={"name": "theirs"}, headers=bob).json()

    export = client.get("/api/me/export", headers=alice).json()
    assert [t["name"] for t in export["access_tokens"]] == ["mine"]
    assert "token_hash" not in export["access_tokens"][0]
    assert mine["token"] not in str(export)

    assert client.delete("/api/me", headers=alice).status_code == 204
    with pytest.raises(TokenRefusedError, match="not valid"):
        services.access_tokens.verify(mine["token"])
    assert services.access_tokens.verify(theirs["token"]).user_id != 0
    with services.sessions() as session:
        assert [r.name for r in session.scalars(select(PersonalAccessToken))] == ["theirs"]

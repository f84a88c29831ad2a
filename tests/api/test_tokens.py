"""Short-lived access tokens, rotating refresh tokens, logout and revocation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from agent.services import Services
from memory.storage.models import AuthSession, RefreshToken
from tests.accounts import PASSWORD


def _login(client: TestClient, username: str = "alice") -> dict[str, object]:
    response = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def _bearer(tokens: dict[str, object]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _refresh(client: TestClient, tokens: dict[str, object]) -> tuple[int, dict[str, object]]:
    response = client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    body: dict[str, object] = response.json()
    return response.status_code, body


def test_login_keeps_its_shape_and_adds_a_refresh_token(
    client: TestClient, services: Services
) -> None:
    client.post("/api/auth/register", json={"username": "alice", "password": PASSWORD})
    tokens = _login(client)
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == services.settings.access_token_minutes * 60
    assert isinstance(tokens["refresh_token"], str) and len(tokens["refresh_token"]) >= 40
    lifetime = services.settings.refresh_token_days * 86400
    assert 0 < int(str(tokens["refresh_expires_in"])) <= lifetime
    claims = jwt.decode(str(tokens["access_token"]), options={"verify_signature": False})
    assert {"sub", "sid", "jti", "exp", "iat"} <= set(claims)
    # Only a hash of the refresh token is stored.
    with services.sessions() as session:
        stored = session.scalars(select(RefreshToken.token_hash)).all()
    assert stored and tokens["refresh_token"] not in stored


def test_refresh_rotates_and_a_reused_token_ends_the_session(client: TestClient) -> None:
    client.post("/api/auth/register", json={"username": "alice", "password": PASSWORD})
    first = _login(client)
    status, second = _refresh(client, first)
    assert status == 200
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert client.get("/api/me", headers=_bearer(second)).json()["username"] == "alice"
    status, third = _refresh(client, second)
    assert status == 200

    # The rotated token shows up again: someone holds a copy. The whole family is revoked.
    status, refused = _refresh(client, first)
    assert status == 401 and "sign in again" in str(refused["detail"])
    assert client.get("/api/me", headers=_bearer(third)).status_code == 401
    assert _refresh(client, third)[0] == 401


def test_logout_ends_this_sign_in_only(client: TestClient) -> None:
    client.post("/api/auth/register", json={"username": "alice", "password": PASSWORD})
    laptop, phone = _login(client), _login(client)
    assert client.post("/api/auth/logout", headers=_bearer(laptop)).status_code == 204

    gone = client.get("/api/me", headers=_bearer(laptop))
    assert gone.status_code == 401 and "signed out" in gone.json()["detail"]
    assert _refresh(client, laptop)[0] == 401
    assert client.get("/api/me", headers=_bearer(phone)).status_code == 200

    assert (
        client.post(
            "/api/auth/logout", headers=_bearer(phone), params={"everywhere": True}
        ).status_code
        == 204
    )
    assert client.get("/api/me", headers=_bearer(phone)).status_code == 401
    assert client.post("/api/auth/logout", headers=_bearer(phone)).status_code == 401


def test_unknown_or_malformed_refresh_tokens_get_a_clear_4xx(client: TestClient) -> None:
    assert client.post("/api/auth/refresh", json={"refresh_token": "nope"}).status_code == 401
    assert client.post("/api/auth/refresh", json={}).status_code == 422
    assert client.post("/api/auth/refresh", json={"refresh_token": "x" * 300}).status_code == 422


def test_a_token_without_a_session_or_of_a_deleted_account_is_refused(
    client: TestClient, services: Services
) -> None:
    client.post("/api/auth/register", json={"username": "alice", "password": PASSWORD})
    tokens = _login(client)
    user_id = client.get("/api/me", headers=_bearer(tokens)).json()["id"]
    sessionless = jwt.encode(
        {"sub": str(user_id), "exp": datetime.now(UTC) + timedelta(minutes=5)},
        services.settings.secret_key,
        algorithm="HS256",
    )
    assert (
        client.get("/api/me", headers={"Authorization": f"Bearer {sessionless}"}).status_code == 401
    )
    assert client.delete("/api/me", headers=_bearer(tokens)).status_code == 204
    assert _refresh(client, tokens)[0] == 401


def test_an_ended_sign_in_cannot_be_refreshed(client: TestClient, services: Services) -> None:
    client.post("/api/auth/register", json={"username": "alice", "password": PASSWORD})
    tokens = _login(client)
    past = datetime.now(UTC) - timedelta(seconds=1)
    with services.sessions.begin() as session:
        session.execute(update(AuthSession).values(expires_at=past))
    assert _refresh(client, tokens)[0] == 401
    assert client.get("/api/me", headers=_bearer(tokens)).status_code == 401

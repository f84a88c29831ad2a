"""Accounts: register, log in (JSON and form), who am I, and the clear errors around them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from fastapi.testclient import TestClient

from agent.services import Services
from api.main import create_app


def test_register_login_and_me(client: TestClient) -> None:
    created = client.post(
        "/api/auth/register",
        json={"username": "小明同学", "password": "correct horse", "email": "xm@example.com"},
    )
    assert created.status_code == 201
    assert created.json()["username"] == "小明同学"
    assert "password" not in created.text

    token = client.post(
        "/api/auth/login", json={"username": "小明同学", "password": "correct horse"}
    )
    assert token.status_code == 200 and token.json()["token_type"] == "bearer"
    form = client.post(
        "/api/auth/login", data={"username": "小明同学", "password": "correct horse"}
    )
    assert form.status_code == 200

    me = client.get("/api/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert me.json()["username"] == "小明同学"


def test_duplicate_username_is_a_409(client: TestClient) -> None:
    body = {"username": "alice", "password": "correct horse"}
    assert client.post("/api/auth/register", json=body).status_code == 201
    again = client.post("/api/auth/register", json=body)
    assert again.status_code == 409 and "taken" in again.json()["detail"]


def test_wrong_password_and_unknown_user_get_the_same_answer(client: TestClient) -> None:
    client.post("/api/auth/register", json={"username": "alice", "password": "correct horse"})
    wrong = client.post("/api/auth/login", json={"username": "alice", "password": "nope nope"})
    unknown = client.post("/api/auth/login", json={"username": "nobody", "password": "nope nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "Wrong username or password."}


@pytest.mark.parametrize(
    "body, field",
    [
        ({"username": "a", "password": "correct horse"}, "username"),
        ({"username": "alice", "password": "short"}, "password"),
        ({"username": "a b c", "password": "correct horse"}, "username"),
        ({"username": "alice", "password": 12345678}, "password"),
        ({"username": "alice", "password": "correct horse", "email": "not-an-email"}, "email"),
        ({"username": "alice", "password": "correct horse", "user_id": 1}, "user_id"),
    ],
)
def test_bad_registrations_get_a_422_naming_the_field(
    client: TestClient, body: dict[str, object], field: str
) -> None:
    response = client.post("/api/auth/register", json=body)
    assert response.status_code == 422
    assert response.json()["message"].startswith(field)
    assert "correct horse" not in response.text  # input is never echoed


def test_bad_login_bodies_get_a_422(client: TestClient) -> None:
    invalid = client.post("/api/auth/login", content=b"{not json")
    assert invalid.status_code == 422 and "JSON" in invalid.json()["detail"]
    assert client.post("/api/auth/login", json={"username": "x"}).status_code == 422


@pytest.mark.parametrize(
    "header",
    ["Bearer junk", "Bearer ", "Basic abc", "Bearer " + jwt.encode({"sub": "1"}, "wrong-key-" * 4)],
)
def test_bad_tokens_get_a_401(client: TestClient, header: str) -> None:
    response = client.get("/api/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["detail"]


def test_expired_token_gets_a_401(client: TestClient, services: Services) -> None:
    user = services.accounts.local("alice")
    past = datetime.now(UTC) - timedelta(hours=1)
    token = jwt.encode(
        {"sub": str(user.id), "exp": past}, services.settings.secret_key, algorithm="HS256"
    )
    response = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and "expired" in response.json()["detail"]


def test_development_user_stands_in_only_when_configured(
    make_services: Callable[..., Services],
) -> None:
    with TestClient(create_app(services=make_services(None, dev_user="local"))) as client:
        assert client.get("/api/me").json()["username"] == "local"
    with TestClient(create_app(services=make_services(None))) as client:
        assert client.get("/api/me").status_code == 401


def test_production_refuses_the_default_secret_and_the_dev_user() -> None:
    from pydantic import ValidationError

    from memadvisor.settings import Settings

    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(_env_file=None, env="production")
    with pytest.raises(ValidationError, match="DEV_USER"):
        Settings(_env_file=None, env="production", secret_key="x" * 40, dev_user="me")


@pytest.mark.parametrize("variant", ["Alice", "ALICE", "аlice", "ａｌｉｃｅ", "сосо"])
def test_look_alike_and_case_variant_usernames_are_taken(client: TestClient, variant: str) -> None:
    """The issue's names: each got 201 beside `alice`. Now a 409, or a 422 for mixed scripts."""
    for name in ("alice", "coco"):
        body = {"username": name, "password": "correct horse"}
        assert client.post("/api/auth/register", json=body).status_code == 201
    again = client.post(
        "/api/auth/register", json={"username": variant, "password": "correct horse"}
    )
    if variant == "аlice":  # Cyrillic а among Latin letters
        assert again.status_code == 422 and "mixes scripts" in again.json()["message"]
    else:
        assert again.status_code == 409 and "taken" in again.json()["detail"]


def test_any_variant_of_the_name_signs_in_and_the_name_is_kept_as_typed(client: TestClient) -> None:
    created = client.post(
        "/api/auth/register", json={"username": "Ｌｉｎ", "password": "correct horse"}
    )
    assert created.status_code == 201 and created.json()["username"] == "Lin"
    for variant in ("Lin", "lin", "LIN", "ｌｉｎ"):
        login = client.post(
            "/api/auth/login", json={"username": variant, "password": "correct horse"}
        )
        assert login.status_code == 200, variant


@pytest.mark.parametrize("name", ["小明", "小明_li", "さくら", "иван", "müller", "김민준"])
def test_names_in_one_script_or_a_cjk_mix_are_welcome(client: TestClient, name: str) -> None:
    body = {"username": name, "password": "correct horse"}
    assert client.post("/api/auth/register", json=body).status_code == 201


@pytest.mark.parametrize("password", ["password", "12345678", " " * 8, "alice2026", "qwertyuiop"])
def test_weak_passwords_get_a_helpful_422(client: TestClient, password: str) -> None:
    response = client.post("/api/auth/register", json={"username": "alice", "password": password})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["type"] == "password_too_weak" and error["loc"] == ["body", "password"]
    message = response.json()["message"]
    assert message.startswith("password: This password is too easy to guess")
    assert "密码太容易被猜到" in message
    assert password in ("password", " " * 8) or password not in message  # input is not echoed

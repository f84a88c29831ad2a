"""Abuse limits: sign-in backoff that cannot lock the owner out, forwarded addresses believed only
from configured proxies, and rate limits on registration and chat."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from agent.services import Services
from api.main import create_app
from tests.accounts import PASSWORD, sign_up
from tests.fakes.models import RecordingFakeModel

WRONG = "not the password at all"


@pytest.fixture
def app_client(
    make_services: Callable[..., Services], model: RecordingFakeModel
) -> Iterator[Callable[..., TestClient]]:
    """A client (from `address`) of an app on the scripted model with the setting overrides."""
    clients: list[TestClient] = []

    def make(*, address: str = "testclient", **overrides: object) -> TestClient:
        services = make_services(model, **overrides)
        client = TestClient(create_app(services=services), client=(address, 50000))
        clients.append(client.__enter__())
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def _login(client: TestClient, password: str, address: str | None = None) -> int:
    headers = {"X-Forwarded-For": address} if address else {}
    body = {"username": "victim", "password": password}
    return client.post("/api/auth/login", json=body, headers=headers).status_code


def test_wrong_passwords_from_many_addresses_do_not_lock_the_owner_out(
    app_client: Callable[..., TestClient],
) -> None:
    """The issue's request: ten wrong passwords for `victim`, each from another address (behind
    a trusted proxy), then the right password from a fresh address: it signs in."""
    client = app_client(trusted_proxies=["testclient"])
    sign_up(client, "victim")
    client.cookies.clear()  # neither the attacker nor the fresh address is the owner's browser
    assert [_login(client, WRONG, f"203.0.113.{n}") for n in range(10)] == [401] * 10
    assert _login(client, PASSWORD, "198.51.100.7") == 200


def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(
    app_client: Callable[..., TestClient],
) -> None:
    """Uvicorn used to trust 127.0.0.1 by default: a local client could forge its address."""
    local = app_client(address="127.0.0.1")
    alice = sign_up(local, "alice")
    local.post(
        "/api/auth/login",
        json={"username": "alice", "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.9"},
    )
    clients = {entry["client"] for entry in local.get("/api/me/audit", headers=alice).json()}
    assert clients == {"127.0.0.1"}

    proxied = app_client(address="10.0.0.2", trusted_proxies=["10.0.0.0/8"])
    bob = sign_up(proxied, "bob")
    proxied.post(
        "/api/auth/login",
        json={"username": "bob", "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.9"},
    )
    clients = {entry["client"] for entry in proxied.get("/api/me/audit", headers=bob).json()}
    assert "198.51.100.9" in clients


def test_failures_from_one_client_back_off_exponentially_and_only_for_it(
    app_client: Callable[..., TestClient],
) -> None:
    client = app_client(trusted_proxies=["testclient"], login_free_failures=2)
    sign_up(client, "victim")
    client.cookies.clear()
    attacker = "203.0.113.66"
    assert [_login(client, WRONG, attacker) for _ in range(3)] == [401, 401, 401]
    waiting = client.post(
        "/api/auth/login",
        json={"username": "victim", "password": PASSWORD},
        headers={"X-Forwarded-For": attacker},
    )
    assert waiting.status_code == 429 and waiting.headers["Retry-After"] == "1"
    assert "try again" in waiting.json()["detail"]
    # The owner, elsewhere, is not held up by the attacker's failures.
    assert _login(client, PASSWORD, "198.51.100.7") == 200
    client.cookies.clear()
    time.sleep(1.1)
    assert _login(client, WRONG, attacker) == 401  # the 4th failure: the wait doubles
    assert client.post(
        "/api/auth/login", json={"username": "Victim", "password": WRONG},
        headers={"X-Forwarded-For": attacker},
    ).headers["Retry-After"] == "2"  # fmt: skip


def test_guessing_spread_over_addresses_slows_unknown_clients_not_the_owners_browser(
    app_client: Callable[..., TestClient],
) -> None:
    """OWASP's device cookie: a browser that signed in before skips the account-wide backoff."""
    client = app_client(
        trusted_proxies=["testclient"], login_account_free_failures=3, login_free_failures=5
    )
    sign_up(client, "victim")  # this client signed in: it holds the device cookie
    assert client.cookies.get("memadvisor_device")
    owner_cookie = dict(client.cookies)
    client.cookies.clear()
    assert [_login(client, WRONG, f"203.0.113.{n}") for n in range(4)] == [401] * 4
    unknown = client.post(
        "/api/auth/login",
        json={"username": "victim", "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.7"},
    )
    assert unknown.status_code == 429 and 1 <= int(unknown.headers["Retry-After"]) <= 60
    client.cookies.update(owner_cookie)
    assert _login(client, PASSWORD, "198.51.100.8") == 200


def test_one_address_trying_many_accounts_is_limited(
    app_client: Callable[..., TestClient],
) -> None:
    client = app_client(login_failures_per_address="3 per minute")
    statuses = [
        client.post("/api/auth/login", json={"username": f"user{n}", "password": WRONG})
        for n in range(4)
    ]
    assert [r.status_code for r in statuses] == [401, 401, 401, 429]
    assert int(statuses[-1].headers["Retry-After"]) > 0


def test_registrations_are_limited_per_address(app_client: Callable[..., TestClient]) -> None:
    client = app_client(registrations_per_address="2 per hour")
    answers = [
        client.post("/api/auth/register", json={"username": f"spam{n}", "password": PASSWORD})
        for n in range(3)
    ]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert int(answers[-1].headers["Retry-After"]) > 0
    assert "new accounts" in answers[-1].json()["detail"]


def test_chat_is_limited_per_user(app_client: Callable[..., TestClient]) -> None:
    client = app_client(chat_turns_per_user="2 per minute")
    alice, bob = sign_up(client, "alice"), sign_up(client, "bob")
    body = {"message": "hello"}
    sent = [client.post("/api/chat/stream", headers=alice, json=body) for _ in range(2)]
    assert [r.status_code for r in sent] == [200, 200]
    over = client.post("/api/chat/stream", headers=alice, json=body)
    assert over.status_code == 429 and int(over.headers["Retry-After"]) > 0
    over = client.post("/advisor/invoke", headers=alice, json={"input": body})
    assert over.status_code == 429  # the LangServe route counts against the same limit
    assert client.post("/api/chat/stream", headers=bob, json=body).status_code == 200
    # The refused messages were not saved.
    assert len(client.get("/api/conversations", headers=alice).json()) == 2

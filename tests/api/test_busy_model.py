"""Chat while the model is busy: queued events, 503 + Retry-After, deletion mid-stream, no pending.

The model is held at a gate (`GatedModel`), so each test decides when an answer may finish; the
app, its queue and its stores are real. Requests run on threads, as separate clients would.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sse_starlette.sse import AppStatus

from agent.services import Services
from api.main import create_app
from tests.accounts import PASSWORD, sign_up
from tests.api.sse import parse_sse
from tests.fakes.models import GatedModel, Probe

Events = list[tuple[str, Any]]


@contextmanager
def gated_app(
    make_services: Callable[..., Services], **settings: Any
) -> Iterator[tuple[TestClient, Services, Probe]]:
    probe = Probe()
    services = make_services(GatedModel(probe=probe), **settings)
    try:
        with TestClient(create_app(services=services)) as client:
            yield client, services, probe
    finally:
        probe.gate.set()  # never leave a generation waiting


def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def chat(client: TestClient, headers: dict[str, str], message: str) -> httpx.Response:
    return client.post("/api/chat/stream", headers=headers, json={"message": message})


def statuses(client: TestClient, headers: dict[str, str]) -> list[tuple[str, str]]:
    """(message, status) of every turn of the user, oldest first."""
    out = []
    for conversation in client.get("/api/conversations", headers=headers).json():
        detail = client.get(f"/api/conversations/{conversation['id']}", headers=headers).json()
        out += [(m["input_text"], m["status"]) for m in detail["messages"]]
    return sorted(out)


def test_a_full_queue_answers_503_with_retry_after_and_keeps_the_message(
    make_services: Callable[..., Services],
) -> None:
    with gated_app(make_services, llm_queue_max_waiting=1) as (client, services, probe):
        alice, bob, carol = (sign_up(client, name) for name in ("alice", "bob", "carol"))
        with ThreadPoolExecutor(2) as pool:
            first = pool.submit(chat, client, alice, "first")
            until(lambda: probe.started == 1)
            second = pool.submit(chat, client, bob, "second")
            until(lambda: services.model_queue.depth() == (1, 1))

            refused = chat(client, carol, "third")
            assert refused.status_code == 503
            assert int(refused.headers["Retry-After"]) >= 1
            assert "busy" in refused.json()["detail"] and "saved" in refused.json()["detail"]
            assert statuses(client, carol) == [("third", "failed")]

            # Someone who checks in meanwhile is answered at once.
            assert client.get("/api/me", headers=carol).status_code == 200
            probe.gate.set()
            ends = [parse_sse(f.result(timeout=30)) for f in (first, second)]
        assert [events[-1][0] for events in ends] == ["final", "final"]
        # The one who waited was told so, then that the model started on it.
        queued = [data["position"] for name, data in ends[1] if name == "queued"]
        assert queued == [1, 0]
        assert "queued" not in [name for name, _ in ends[0]]
        assert probe.most_at_once == 1


def test_a_request_that_waits_past_the_bound_gets_an_error_with_a_retry_hint(
    make_services: Callable[..., Services],
) -> None:
    with gated_app(make_services, llm_queue_max_wait_seconds=0.5) as (client, _, probe):
        alice, bob = sign_up(client, "alice"), sign_up(client, "bob")
        with ThreadPoolExecutor(1) as pool:
            first = pool.submit(chat, client, alice, "first")
            until(lambda: probe.started == 1)
            late = parse_sse(chat(client, bob, "late"))
            probe.gate.set()
            assert parse_sse(first.result(timeout=30))[-1][0] == "final"
        name, error = late[-1]
        assert name == "error" and error["retry_after"] >= 1 and "saved" in error["message"]
        assert statuses(client, bob) == [("late", "failed")]


def test_deleting_the_account_while_its_answer_streams_ends_in_an_error_event(
    make_services: Callable[..., Services], caplog: pytest.LogCaptureFixture
) -> None:
    with gated_app(make_services) as (client, services, probe):
        alice = sign_up(client, "alice")
        with ThreadPoolExecutor(1) as pool:
            stream: Future[httpx.Response] = pool.submit(chat, client, alice, "forget me")
            until(lambda: probe.started == 1)
            with caplog.at_level(logging.INFO):
                assert client.delete("/api/me", headers=alice).status_code == 204
                probe.gate.set()
                events = parse_sse(stream.result(timeout=30))
        name, error = events[-1]
        assert name == "error" and "deleted" in error["message"]
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
        assert services.history.fail_pending("check") == 0  # nothing left behind, pending or not


def test_turns_a_crash_left_pending_are_marked_failed_at_start(
    make_services: Callable[..., Services],
) -> None:
    services = make_services(GatedModel(probe=Probe()))
    user = services.accounts.local("alice")
    turn = services.history.begin_turn(user.id, None, "lost in a crash")
    with TestClient(create_app(services=services)):
        saved = services.history.get_turn(user.id, turn.id)
    assert saved is not None and saved.status == "failed"
    assert saved.input_text == "lost in a crash"


def test_login_and_the_api_answer_while_eight_chats_wait_for_the_model(
    make_services: Callable[..., Services],
) -> None:
    # The hang of issue 11, through the app: eight streams and more than the executor's threads.
    with gated_app(make_services) as (client, services, probe):
        users = [sign_up(client, f"user{i}") for i in range(8)]
        with ThreadPoolExecutor(8) as pool:
            chats = [pool.submit(chat, client, user, "hello") for user in users]
            until(lambda: services.model_queue.depth() == (7, 1))
            account = {"username": "user0", "password": PASSWORD}
            assert client.post("/api/auth/login", json=account).status_code == 200
            assert client.get("/api/me", headers=users[0]).status_code == 200
            assert client.get("/api/conversations", headers=users[0]).status_code == 200
            probe.gate.set()
            ends = [parse_sse(f.result(timeout=60))[-1][0] for f in chats]
        assert ends == ["final"] * 8 and probe.most_at_once == 1


def test_langserve_answers_503_with_retry_after_when_the_queue_is_full(
    make_services: Callable[..., Services],
) -> None:
    with gated_app(make_services, llm_queue_max_waiting=0) as (client, _, probe):
        alice, bob = sign_up(client, "alice"), sign_up(client, "bob")
        with ThreadPoolExecutor(1) as pool:
            first = pool.submit(chat, client, alice, "first")
            until(lambda: probe.started == 1)
            refused = client.post(
                "/advisor/invoke", headers=bob, json={"input": {"message": "me too"}}
            )
            probe.gate.set()
            assert parse_sse(first.result(timeout=30))[-1][0] == "final"
        assert refused.status_code == 503 and int(refused.headers["Retry-After"]) >= 1


def test_a_turn_unfinished_when_the_server_stops_ends_with_an_error_event(
    make_services: Callable[..., Services], monkeypatch: pytest.MonkeyPatch
) -> None:
    with gated_app(make_services, shutdown_grace_seconds=0) as (client, _, probe):
        alice = sign_up(client, "alice")
        with ThreadPoolExecutor(1) as pool:
            stream = pool.submit(chat, client, alice, "are you there?")
            until(lambda: probe.started == 1)
            # What uvicorn's SIGTERM handler sets (sse-starlette watches it).
            monkeypatch.setattr(AppStatus, "should_exit", True)
            events = parse_sse(stream.result(timeout=30))
        name, error = events[-1]
        assert name == "error" and "server stopped" in error["message"]
        monkeypatch.undo()
        assert statuses(client, alice) == [("are you there?", "failed")]

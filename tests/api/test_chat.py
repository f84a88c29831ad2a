"""The HTTP chat flow: stream a turn, see it in history and memories; bad input gets a 4xx."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any, cast

import anyio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from agent.context import Context
from agent.model.queue import Admission
from agent.services import Services
from agent.streaming import Token, TurnEvent
from api.main import create_app
from api.routes.chat import _TurnState, _within_grace
from memory.storage.models import ConversationTurn
from tests.accounts import sign_up
from tests.api.sse import parse_sse
from tests.fakes.models import FailingModel

Register = Callable[[str], dict[str, str]]


def test_stream_a_chat_then_see_both_turns_in_history_and_memories(
    client: TestClient, register: Register
) -> None:
    alice = register("alice")
    first = client.post("/api/chat/stream", headers=alice, json={"message": "My dog is called Bao"})
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(first)
    names = [name for name, _ in events]
    assert names[0] == "start" and names[-1] == "final" and set(names[1:-1]) == {"token"}
    final = events[-1][1]
    assert events[0][1] == {
        "conversation_id": final["conversation_id"],
        "turn_id": final["turn_id"],
    }
    assert "".join(data["text"] for name, data in events if name == "token") == final["answer"]
    conversation = final["conversation_id"]

    second = parse_sse(
        client.post(
            "/api/chat/stream",
            headers=alice,
            json={"message": "What is my dog called?", "conversation_id": conversation},
        )
    )[-1][1]
    assert second["conversation_id"] == conversation

    listing = client.get("/api/conversations", headers=alice).json()
    assert [(c["id"], c["turns"]) for c in listing] == [(conversation, 2)]
    detail = client.get(f"/api/conversations/{conversation}", headers=alice).json()
    assert [m["input_text"] for m in detail["messages"]] == [
        "My dog is called Bao",
        "What is my dog called?",
    ]
    assert all(m["status"] == "answered" for m in detail["messages"])

    # The statement is remembered as a fact; the question stays in the history only.
    memories = client.get("/api/memories", headers=alice).json()
    assert [(m["kind"], m["text"]) for m in memories] == [("fact", "My dog is called Bao")]
    found = client.post("/api/memories/search", headers=alice, json={"query": "dog's name"}).json()
    assert found[0]["score"] > 0


def test_final_event_lists_the_memories_used(client: TestClient, register: Register) -> None:
    alice = register("alice")
    client.post("/api/chat/stream", headers=alice, json={"message": "I live in Hangzhou"})
    final = parse_sse(
        client.post("/api/chat/stream", headers=alice, json={"message": "Where do I live?"})
    )[-1][1]
    [used] = final["memories"]
    assert used["text"] == "I live in Hangzhou"
    assert set(used) == {"id", "kind", "text", "score", "created_at", "current", "superseded_by"}


def test_delete_a_memory(client: TestClient, register: Register) -> None:
    alice = register("alice")
    client.post("/api/chat/stream", headers=alice, json={"message": "I live in Hangzhou"})
    [memory] = client.get("/api/memories", headers=alice).json()

    assert client.delete(f"/api/memories/{memory['id']}", headers=alice).status_code == 204
    assert client.get("/api/memories", headers=alice).json() == []
    again = client.delete(f"/api/memories/{memory['id']}", headers=alice)
    assert again.status_code == 404 and again.json()["detail"] == "No such memory."


@pytest.mark.parametrize(
    "body, fragment",
    [
        ({"message": ""}, "message"),
        ({"message": "   "}, "message"),
        ({"message": "x" * 100_000}, "at most 8000"),
        ({"message": 42}, "message"),
        ({"message": ["a"]}, "message"),
        ({}, "message: Field required"),
        ({"message": "hi", "conversation_id": 7}, "conversation_id"),
        ({"message": "hi", "user_id": 2}, "user_id"),
    ],
)
def test_bad_chat_input_gets_a_readable_422(
    client: TestClient, register: Register, body: dict[str, object], fragment: str
) -> None:
    response = client.post("/api/chat/stream", headers=register("alice"), json=body)
    assert response.status_code == 422
    assert fragment in response.json()["message"]
    assert len(response.content) < 2000  # a 100 KB message is not echoed back


def test_chat_without_a_token_is_a_401(client: TestClient) -> None:
    response = client.post("/api/chat/stream", json={"message": "hi"})
    assert response.status_code == 401 and "Sign in" in response.json()["detail"]


def test_unknown_conversation_is_a_404(client: TestClient, register: Register) -> None:
    response = client.post(
        "/api/chat/stream",
        headers=register("alice"),
        json={"message": "hi", "conversation_id": "does-not-exist"},
    )
    assert response.status_code == 404
    assert client.get("/api/conversations/nope", headers=register("bob")).status_code == 404


def test_model_failure_mid_stream_sends_an_error_event_and_keeps_the_message(
    make_services: Callable[..., Services],
) -> None:
    services = make_services(FailingModel())
    with TestClient(create_app(services=services)) as client:
        alice = sign_up(client, "alice")

        events = parse_sse(client.post("/api/chat/stream", headers=alice, json={"message": "hi"}))

        assert events[-1][0] == "error" and "saved" in events[-1][1]["message"]
        [conversation] = client.get("/api/conversations", headers=alice).json()
        detail = client.get(f"/api/conversations/{conversation['id']}", headers=alice).json()
        assert [(m["input_text"], m["status"]) for m in detail["messages"]] == [("hi", "failed")]
    # The reason the user was shown, not the exception's text (the column is not encrypted).
    with services.sessions() as session:
        assert session.scalars(select(ConversationTurn.error)).all() == [
            "The model failed to answer."
        ]


def test_history_shows_the_memories_each_answer_used_until_they_are_forgotten(
    client: TestClient, register: Register
) -> None:
    alice = register("alice")
    client.post("/api/chat/stream", headers=alice, json={"message": "I live in Hangzhou"})
    final = parse_sse(
        client.post("/api/chat/stream", headers=alice, json={"message": "Where do I live?"})
    )[-1][1]
    [used] = final["memories"]

    url = f"/api/conversations/{final['conversation_id']}"
    [turn] = client.get(url, headers=alice).json()["messages"]
    assert turn["memories"] == [used]

    client.delete(f"/api/memories/{used['id']}", headers=alice)
    [turn] = client.get(url, headers=alice).json()["messages"]
    assert turn["memories"] == []


def test_stream_event_shapes_are_published_in_the_openapi_schema(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert set(schemas["ChatStart"]["properties"]) == {"conversation_id", "turn_id"}
    assert set(schemas["ChatToken"]["properties"]) == {"text"}
    assert set(schemas["ChatFinal"]["properties"]) == {
        "conversation_id",
        "turn_id",
        "answer",
        "memories",
        "memory",
        "answered_by",
    }
    assert set(schemas["ChatError"]["properties"]) == {"message", "retry_after"}
    assert set(schemas["ChatQueued"]["properties"]) == {"position", "estimated_wait_s"}


def test_a_stream_left_mid_answer_ends_every_task_it_started(services: Services) -> None:
    """The wait on the turn's inbox was left pending when a client left; collected later, it
    logged `Task was destroyed but it is pending!` as an ERROR, once per dropped stream."""

    async def answer() -> AsyncIterator[TurnEvent]:
        yield Token("Once")
        await asyncio.sleep(60)  # the model is still writing when the client leaves
        yield Token("upon")

    async def leave_after_the_first_token() -> set[asyncio.Task[Any]]:
        context = Context(user_id=1, conversation_id="c", turn_id=1)
        state = _TurnState(context, services, cast(Admission, None), set(), anyio.Event())
        stream = _within_grace(answer(), state)
        assert await anext(stream) == Token("Once")
        waiting = asyncio.ensure_future(anext(stream))  # for the next token
        await asyncio.sleep(0.1)
        waiting.cancel()  # the client disconnects: sse-starlette cancels the stream
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await asyncio.sleep(0.1)
        return asyncio.all_tasks() - {asyncio.current_task()}  # type: ignore[operator]

    assert asyncio.run(leave_after_the_first_token()) == set()

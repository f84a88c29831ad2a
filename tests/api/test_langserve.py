"""LangServe at /advisor: invoke, token streaming through stream_events, the playground."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.api.sse import parse_sse

Register = Callable[[str], dict[str, str]]


def test_invoke_answers_as_the_token_user(client: TestClient, register: Register) -> None:
    alice = register("alice")
    client.post("/api/chat/stream", headers=alice, json={"message": "I live in Hangzhou"})

    response = client.post(
        "/advisor/invoke", headers=alice, json={"input": {"message": "Where do I live?"}}
    )

    assert response.status_code == 200, response.text
    output = response.json()["output"]
    assert output["answer"] == "Noted. 好的。"
    assert output["memories"][0]["text"] == "I live in Hangzhou"


def test_stream_events_carries_model_tokens(client: TestClient, register: Register) -> None:
    response = client.post(
        "/advisor/stream_events",
        headers=register("alice"),
        json={"input": {"message": "hello"}},
    )
    assert response.status_code == 200
    events = parse_sse(response)
    tokens = [
        data["data"]["chunk"]["content"]
        for name, data in events
        if name == "data" and data.get("event") == "on_chat_model_stream"
    ]
    assert "".join(tokens) == "Noted. 好的。"
    assert response.text.rstrip().endswith("event: end")


def test_advisor_needs_a_token(client: TestClient) -> None:
    response = client.post("/advisor/invoke", json={"input": {"message": "hello"}})
    assert response.status_code == 401


def test_bad_advisor_input_is_a_422(client: TestClient, register: Register) -> None:
    response = client.post(
        "/advisor/invoke", headers=register("alice"), json={"input": {"message": ""}}
    )
    assert response.status_code == 422


def test_playground_answers_200(client: TestClient) -> None:
    response = client.get("/advisor/playground/")
    assert response.status_code == 200
    assert "<html" in response.text.lower()

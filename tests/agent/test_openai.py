"""The `openai` provider against a real OpenAI-compatible server that the tests start.

llama-cpp-python's server on the bundled GGUF: chat streaming, the summariser, consolidation and
model-written recommendations go through it (JSON mode with the schema, which that server
enforces), and a server that is down gets a 503 with the fix. The request shapes of the other
structured-output modes are checked on the model binding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from agent.model.errors import LLMUnavailableError
from agent.model.llm import check_llm, make_chat_model
from agent.model.structured import constrained
from agent.services import Services
from api.main import create_app
from memadvisor.settings import Settings
from tests.accounts import sign_up
from tests.api.sse import parse_sse
from tests.llm_server import MODEL, openai_compatible_server
from tests.ports import free_port


def _openai(url: str, **more: Any) -> dict[str, Any]:
    return {
        "llm_provider": "openai",
        "openai_base_url": url,
        "openai_model": MODEL,
        "openai_context_window": 2048,
        "llm_structured_output": "json_object",
        "llm_max_tokens": 64,
        **more,
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with openai_compatible_server(tmp_path_factory.mktemp("llm-server")) as url:
        yield url


@pytest.mark.slow
def test_chat_streams_through_the_server_and_is_measured(
    make_services: Callable[..., Services], server: str
) -> None:
    services = make_services(None, **_openai(server))
    assert services.model_name == "openai:smollm2"
    with TestClient(create_app(services=services)) as client:
        alice = sign_up(client, "alice")
        response = client.post(
            "/api/chat/stream", json={"message": "Name one fruit."}, headers=alice
        )
        events = parse_sse(response)
        metrics = client.get("/metrics").text
    tokens = [data["text"] for name, data in events if name == "token"]
    assert len(tokens) > 1
    final = events[-1][1]
    assert events[-1][0] == "final" and final["answered_by"] == "model"
    assert "".join(tokens).strip().startswith(final["answer"])  # a repeat is cut
    series = [
        line
        for line in metrics.splitlines()
        if 'gen_ai_provider_name="openai"' in line and 'gen_ai_request_model="smollm2"' in line
    ]
    counts = [s for s in series if s.startswith("gen_ai_client_operation_duration_seconds_count")]
    assert counts and float(counts[0].split()[-1]) >= 1  # the answer (and the facts it holds)
    assert any(s.startswith("gen_ai_client_token_usage_count{") for s in series), series


@pytest.mark.slow
def test_summariser_consolidation_and_recommendations_through_the_server(
    make_services: Callable[..., Services], server: str
) -> None:
    services = make_services(
        None,
        **_openai(server, recommender="model", recommendation_items=1, consolidate_facts=False),
    )
    alice = services.accounts.local("alice").id
    turn = services.history.begin_turn(alice, None, "I run every morning and I live in Hangzhou.")
    services.history.finish_turn(
        alice, turn.conversation_id, turn.id, "Great!", prompt_version="t", model_name="t"
    )
    memory_id = services.memory.add(alice, turn.input_text, kind="turn", source_id=str(turn.id))

    profile = services.summarize_profile(alice, force=True)
    assert profile.summarized_turns == 1
    assert set(profile.preferences) == {"goals", "likes", "dislikes", "constraints"}

    events = services.consolidate_memory(alice, memory_id)
    assert set(events) <= {"add", "update", "delete", "none"}

    with TestClient(create_app(services=services)) as client:
        headers = sign_up(client, "bob")
        client.put("/api/me/consent", json={"health": True}, headers=headers)
        for steps in (2000, 2500, 3000):
            body = {"data_type": "health", "data": {"steps": steps, "sleep_hours": 5}}
            assert client.post("/api/user-data", json=body, headers=headers).status_code == 201
        response = client.get("/api/recommendations?lang=en", headers=headers)
        assert response.status_code == 200, response.text
        advice = response.json()
        owned = client.get("/api/me/export", headers=headers).json()
    assert advice["model_name"] == "openai:smollm2"
    ids = {row["id"] for kind in ("memories", "user_data", "user_insights") for row in owned[kind]}
    for item in advice["health"] + advice["finance"] + advice["education"]:
        assert item["sources"] and all(source["id"] in ids for source in item["sources"])


def test_a_server_that_is_down_gets_503_with_the_fix(
    make_services: Callable[..., Services],
) -> None:
    services = make_services(None, **_openai(f"http://127.0.0.1:{free_port()}/v1"))
    with TestClient(create_app(services=services)) as client:
        headers = sign_up(client, "alice")
        response = client.post("/api/chat/stream", headers=headers, json={"message": "Hi"})
    assert response.status_code == 503
    assert "not reachable" in response.json()["detail"]
    assert "MEMADVISOR_OPENAI_BASE_URL" in response.json()["detail"]


@pytest.mark.slow
def test_a_model_the_server_does_not_serve_is_named(settings: Settings, server: str) -> None:
    wrong = settings.model_copy(update=_openai(server, openai_model="qwen-72b"))
    with pytest.raises(LLMUnavailableError, match=r"does not serve 'qwen-72b'.*smollm2"):
        check_llm(wrong)
    check_llm(settings.model_copy(update=_openai(server)))


def test_credentials_in_the_url_never_reach_a_message(settings: Settings) -> None:
    url = f"http://user:secret@127.0.0.1:{free_port()}/v1"
    with pytest.raises(LLMUnavailableError) as caught:
        check_llm(settings.model_copy(update=_openai(url)), timeout=1)
    assert "secret" not in str(caught.value)


class _Answer(BaseModel):
    advice: str


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("json_schema", {"type": "json_schema", "json_schema": {"name": "answer"}}),
        ("json_object", {"type": "json_object"}),
        ("prompt", None),
    ],
)
def test_each_structured_output_mode_asks_the_server_its_way(
    settings: Settings, mode: str, expected: dict[str, Any] | None
) -> None:
    model = make_chat_model(settings.model_copy(update=_openai("http://127.0.0.1:1/v1")))
    bound: Any = constrained(model, _Answer.model_json_schema(), mode=mode, max_tokens=99)  # type: ignore[arg-type]
    sent = bound.kwargs.get("response_format")
    assert bound.kwargs["max_tokens"] == 99
    if expected is None:
        assert sent is None
    else:
        assert sent["type"] == expected["type"]
        schema = sent.get("json_schema", {}).get("schema") or sent.get("schema")
        assert schema["properties"].keys() == {"advice"}

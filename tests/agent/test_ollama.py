"""The `ollama` provider against OllamaProtocolFake: the request we send, the stream we parse."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from agent.context import Context
from agent.graph import compile_graph
from agent.model.errors import LLMUnavailableError
from agent.model.llm import check_llm, make_chat_model
from agent.services import Services
from api.main import create_app
from memadvisor.settings import Settings
from tests.accounts import sign_up
from tests.fakes.ollama_protocol import OllamaProtocolFake
from tests.ports import free_port


def _ollama(settings: Settings, url: str, model: str = "qwen2.5:3b") -> Settings:
    return settings.model_copy(
        update={"llm_provider": "ollama", "ollama_base_url": url, "ollama_model": model}
    )


async def test_chat_streams_from_ollama_and_sends_model_messages_and_options(
    make_services: Callable[..., Services],
) -> None:
    fake = OllamaProtocolFake(["qwen2.5:3b"], reply="You live in Hangzhou.")
    with fake.serve() as url:
        services = make_services(
            None,
            llm_provider="ollama",
            ollama_base_url=url,
            ollama_num_ctx=4096,
            consolidate_facts=False,
        )
        graph = compile_graph(services)
        alice = services.accounts.local("alice").id
        tokens = [
            chunk.content
            async for chunk, meta in graph.astream(
                {"message": "Where do I live?"},
                context=Context(user_id=alice),
                stream_mode="messages",
            )
            if meta["langgraph_node"] == "advise"
        ]
    assert "".join(str(t) for t in tokens) == "You live in Hangzhou."
    assert len([t for t in tokens if t]) == 4
    request = fake.chat_requests[0]  # the answer's (understanding the message comes after it)
    assert request["model"] == "qwen2.5:3b"
    assert request["stream"] is True
    assert request["options"]["num_ctx"] == 4096
    assert request["keep_alive"] == "10m"
    assert [m["role"] for m in request["messages"]] == ["system", "user"]
    assert request["messages"][-1]["content"] == "Where do I live?"
    [turn] = services.history.conversations(alice)
    assert turn.turns == 1


def test_structured_output_sends_a_json_schema_format(settings: Settings) -> None:
    class Advice(BaseModel):
        advice: str
        rationale: str

    fake = OllamaProtocolFake(["qwen2.5:3b"], reply='{"advice": "Walk", "rationale": "Low steps"}')
    with fake.serve() as url:
        model = make_chat_model(_ollama(settings, url))
        result = model.with_structured_output(Advice, method="json_schema").invoke("advise me")
    assert result == Advice(advice="Walk", rationale="Low steps")
    assert fake.chat_requests[-1]["format"]["properties"].keys() == {"advice", "rationale"}


def test_unreachable_ollama_says_to_start_it(settings: Settings) -> None:
    with pytest.raises(LLMUnavailableError, match="ollama serve"):
        check_llm(_ollama(settings, f"http://127.0.0.1:{free_port()}"), timeout=1)


def test_missing_model_says_to_pull_it(settings: Settings) -> None:
    with OllamaProtocolFake(["llama3.2:1b"]).serve() as url:
        with pytest.raises(LLMUnavailableError, match=r"ollama pull qwen2\.5:3b"):
            check_llm(_ollama(settings, url))
        check_llm(_ollama(settings, url, model="llama3.2:1b"))


def test_api_answers_503_with_the_fix_and_keeps_the_message(
    make_services: Callable[..., Services],
) -> None:
    services = make_services(
        None, llm_provider="ollama", ollama_base_url=f"http://127.0.0.1:{free_port()}"
    )
    with TestClient(create_app(services=services)) as client:
        headers = sign_up(client, "alice")

        response = client.post("/api/chat/stream", headers=headers, json={"message": "Hello?"})

        assert response.status_code == 503
        assert "ollama serve" in response.json()["detail"]
        conversation = response.json()["conversation_id"]
        saved = client.get(f"/api/conversations/{conversation}", headers=headers).json()
        assert [(m["input_text"], m["status"]) for m in saved["messages"]] == [("Hello?", "failed")]


def test_structured_output_sends_the_json_schema_as_ollamas_format(
    make_services: Callable[..., Services],
) -> None:
    profile = {"summary": "Runs marathons.", "preferences": {"goals": ["sub-4 marathon"]}}
    fake = OllamaProtocolFake(["qwen2.5:3b"], reply=json.dumps(profile))
    with fake.serve() as url:
        services = make_services(None, llm_provider="ollama", ollama_base_url=url)
        alice = services.accounts.local("alice").id
        turn = services.history.begin_turn(alice, None, "I run marathons")
        services.history.finish_turn(
            alice, turn.conversation_id, turn.id, "Great", prompt_version="t", model_name="t"
        )
        summary = services.summarize_profile(alice, force=True)
    assert summary.summary == "Runs marathons."
    sent = fake.chat_requests[-1]
    assert sent["format"]["properties"]["summary"]["type"] == "string"
    assert "preferences" in sent["format"]["properties"]
    assert sent["options"]["num_predict"] >= 1024

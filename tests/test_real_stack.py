"""End to end on the embedded defaults: SQLite file, Chroma folder, bundled e5 embeddings, and the
bundled SmolLM2 GGUF through llama.cpp. Checks behaviour and structure, not a small model's words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage

from agent.context import Context
from agent.graph import compile_graph
from agent.services import Services
from api.main import create_app
from tests.accounts import sign_up
from tests.api.sse import parse_sse

pytestmark = pytest.mark.slow


class PromptRecorder(BaseCallbackHandler):
    """Keeps the messages each chat-model call was started with."""

    def __init__(self) -> None:
        self.prompts: list[list[BaseMessage]] = []

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[BaseMessage]], **kwargs: Any
    ) -> None:
        self.prompts.extend(messages)


@pytest.fixture
def real(make_services: Callable[..., Services]) -> Services:
    services = make_services(None, llm_max_tokens=48)
    assert services.model_name.startswith("llamacpp:SmolLM2")
    return services


@pytest.mark.parametrize(
    "fact, question",
    [
        ("My dog is called Bao and I live in Hangzhou", "What is the name of my dog?"),
        ("我的狗叫宝宝，我住在杭州", "我的狗叫什么名字？"),
    ],
)
async def test_a_fact_told_once_is_recalled_in_a_new_conversation(
    real: Services, fact: str, question: str
) -> None:
    graph = compile_graph(real)
    alice = real.accounts.local("alice").id
    told = await graph.ainvoke({"message": fact}, context=Context(user_id=alice))
    assert told["answer"]
    real.jobs.drain()

    recorder = PromptRecorder()
    asked = await graph.ainvoke(
        {"message": question}, context=Context(user_id=alice), config={"callbacks": [recorder]}
    )

    assert asked["conversation_id"] != told["conversation_id"]
    # The message was remembered as its statements (facts), the dog's name among them.
    recalled = asked["memories"][0].text
    assert recalled in fact and ("Bao" in recalled or "宝宝" in recalled)
    system_prompt = str(recorder.prompts[-1][0].content)
    assert recalled in system_prompt
    assert asked["answer"].strip()
    turns = real.history.turns(alice, asked["conversation_id"])
    assert turns[0].model_name == real.model_name and turns[0].status == "answered"


def test_http_register_login_stream_history_and_memories(real: Services) -> None:
    with TestClient(create_app(services=real)) as client:
        alice = sign_up(client, "alice")

        first = parse_sse(
            client.post("/api/chat/stream", headers=alice, json={"message": "I live in Hangzhou"})
        )
        assert first[-1][0] == "final"
        assert sum(1 for name, _ in first if name == "token") > 1
        real.jobs.drain()
        second = parse_sse(
            client.post("/api/chat/stream", headers=alice, json={"message": "Where do I live?"})
        )[-1][1]
        assert second["memories"][0]["text"] == "I live in Hangzhou"

        conversations = client.get("/api/conversations", headers=alice).json()
        assert len(conversations) == 2 and all(c["turns"] == 1 for c in conversations)
        # The question is not remembered; the statement is a fact.
        listed = client.get("/api/memories", headers=alice).json()
        assert [(m["kind"], m["text"]) for m in listed] == [("fact", "I live in Hangzhou")]
        # The bundled model cannot be relied on for a summary: refresh still succeeds.
        refreshed = client.post("/api/profile/refresh", headers=alice)
        assert refreshed.status_code == 200 and "Hangzhou" in refreshed.json()["summary"]

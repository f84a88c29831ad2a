"""The Chinese paths through the real Qwen option (`MEMADVISOR_LLAMACPP_MODEL=qwen2.5-coder-0.5b`).

Ollama's `qwen2.5` users depend on the chat template and on Chinese JSON; here a real Qwen model
exercises them: its GGUF assembled from the `[qwen]` extra's packages and verified, then a chat
answer in Chinese (no fallback), the profile summary, the facts extracted from a message and the
recommendation JSON. Greedy sampling (temperature 0, a fixed seed) makes each run the same; the
assertions are what the program guarantees and the language, never a small model's exact words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from agent.model.capabilities import QWEN_OPTION
from agent.model.repetition import repeats
from agent.model.weights import QWEN_CODER_05B, packaged_gguf, sha256_of
from agent.services import Services
from api.main import create_app
from tests.accounts import sign_up
from tests.api.sse import parse_sse

pytestmark = pytest.mark.slow

CJK = re.compile(r"[\u4e00-\u9fff]")


def chinese_share(text: str) -> float:
    """Share of the letters that are Chinese characters."""
    letters = [ch for ch in text if ch.isalpha()]
    return sum(1 for ch in letters if CJK.match(ch)) / max(1, len(letters))


@pytest.fixture(scope="session")
def qwen_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The models folder with the Qwen GGUF, assembled once for the session."""
    folder = tmp_path_factory.mktemp("models")
    packaged_gguf(QWEN_CODER_05B, folder)
    return folder


@pytest.fixture
def qwen(make_services: Callable[..., Services], qwen_models: Path) -> Iterator[TestClient]:
    """The app on the Qwen option, as declared (no language override), sampling greedily (the
    suite's settings: temperature 0, seed 0)."""
    services = make_services(
        None,
        llamacpp_model=QWEN_OPTION,
        models_dir=qwen_models,
        llm_languages=None,
        llm_max_tokens=96,
        recommendation_items=2,
        access_token_minutes=120,  # a busy machine's model calls outlast the default 15
    )
    with TestClient(create_app(services=services)) as client:
        client.app_state = services  # type: ignore[attr-defined]
        yield client


def services_of(client: TestClient) -> Services:
    services: Services = client.app_state  # type: ignore[attr-defined]
    return services


def chat(client: TestClient, headers: dict[str, str], message: str) -> dict[str, object]:
    events = parse_sse(client.post("/api/chat/stream", json={"message": message}, headers=headers))
    assert events[-1][0] == "final", events
    assert any(name == "token" for name, _ in events)  # streamed by the model
    final: dict[str, object] = events[-1][1]
    return final


def test_the_assembled_file_is_the_pinned_qwen_gguf(qwen_models: Path) -> None:
    from llama_cpp import Llama

    path = qwen_models / QWEN_CODER_05B.file_name
    assert path.stat().st_size == QWEN_CODER_05B.size
    assert sha256_of(path) == QWEN_CODER_05B.sha256
    vocab = Llama(str(path), vocab_only=True, verbose=False)
    try:
        assert vocab.metadata["general.architecture"] == "qwen2"
        assert vocab.metadata["general.name"].startswith("Qwen2.5 Coder 0.5B Instruct")
        assert "<|im_start|>" in vocab.metadata["tokenizer.chat_template"]
    finally:
        vocab.close()


def test_a_chinese_message_gets_a_chinese_answer_from_the_model_with_memory(
    qwen: TestClient,
) -> None:
    services = services_of(qwen)
    assert services.capabilities.writes("zh") and not services.capabilities.demo
    alice = sign_up(qwen, "alice")
    user = services.accounts.by_username("alice")
    assert user is not None
    memory_id = services.memory.add(user.id, "我的狗叫豆豆，我住在杭州。")

    final = chat(qwen, alice, "我的狗叫什么名字？住在哪个城市？")

    assert final["answered_by"] == "model"
    answer = str(final["answer"])
    assert chinese_share(answer) > 0.6 and not repeats(answer), answer
    assert memory_id in {m["id"] for m in final["memories"]}  # type: ignore[attr-defined]


def test_the_profile_summary_and_extracted_facts_are_chinese(qwen: TestClient) -> None:
    """Consolidation extracts facts with the model today; when the understanding engine's model
    tier (issue 28) replaces it, point the extraction half of this test at that tier."""
    services = services_of(qwen)
    alice = sign_up(qwen, "alice")
    for message in ("我对花生过敏，每天早上跑步五公里。", "我想在明年通过注册会计师考试。"):
        assert chat(qwen, alice, message)["answered_by"] == "model"
    services.jobs.drain()  # the facts of each message (consolidation)
    user = services.accounts.by_username("alice")
    assert user is not None
    facts = [m for m in services.memory.list(user.id) if m.kind == "fact"]
    for fact in facts:
        assert chinese_share(fact.text) > 0.5, fact.text

    refreshed = qwen.post("/api/profile/refresh", headers=alice)
    assert refreshed.status_code == 200, refreshed.text
    profile = qwen.get("/api/profile", headers=alice).json()
    assert profile["summarized_turns"] == 2
    assert chinese_share(profile["summary"]) > 0.6, profile["summary"]
    assert set(profile["preferences"]) == {"goals", "likes", "dislikes", "constraints"}


def test_chinese_recommendations_are_valid_json_written_by_the_model(qwen: TestClient) -> None:
    alice = sign_up(qwen, "alice")
    qwen.put("/api/me/consent", json={"health": True, "finance": True}, headers=alice)
    for day in range(5):
        recorded = (datetime.now(UTC) - timedelta(days=day, hours=2)).isoformat()
        body = {
            "data_type": "health",
            "data": {"steps": 2500, "sleep_hours": 5.5},
            "recorded_at": recorded,
        }
        assert qwen.post("/api/user-data", json=body, headers=alice).status_code == 201
    body = {"data_type": "finance", "data": {"income": 8000, "expenses": 9500, "currency": "CNY"}}
    assert qwen.post("/api/user-data", json=body, headers=alice).status_code == 201

    response = qwen.get("/api/recommendations?lang=zh", headers=alice)

    assert response.status_code == 200, response.text
    advice = response.json()
    assert advice["written_by"] == "model", advice
    assert advice["model_name"] == f"llamacpp:{QWEN_CODER_05B.file_name}"
    document = qwen.get("/api/me/export", headers=alice).json()
    owned = {
        kind: {row["id"] for row in document[kind]}
        for kind in ("memories", "user_data", "user_insights")
    }
    items = [item for d in ("health", "finance", "education") for item in advice[d]]
    assert items and all(len(advice[d]) <= 2 for d in ("health", "finance", "education"))
    for item in items:
        assert chinese_share(item["advice"]) > 0.5, item
        assert item["rationale"] and item["sources"]
        assert all(s["id"] in owned[s["kind"]] for s in item["sources"])

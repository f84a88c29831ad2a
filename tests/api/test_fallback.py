"""On the default set-up a Chinese message never reaches the bundled model (it writes gibberish):
the answer is put together without it, in Chinese, from what was remembered, and marked."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from agent.model.repetition import repeats
from agent.services import Services
from api.main import create_app
from tests.accounts import sign_up
from tests.api.sse import parse_sse
from tests.fakes.models import RecordingFakeModel, scripted

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
PEANUTS = "我对花生过敏，吃了会起疹子，零食里也不能有花生。"
SNACKS = "给我推荐一些适合我的零食"


def _cjk_share(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    return sum(1 for ch in letters if CJK.match(ch)) / len(letters)


def test_a_chinese_message_on_the_bundled_model_gets_the_fallback(
    make_services: Callable[..., Services],
) -> None:
    services = make_services(None, llm_languages=None)  # the bundled model's own declaration
    assert services.capabilities.languages == ("en",) and services.capabilities.demo
    with TestClient(create_app(services=services)) as client:
        alice = sign_up(client, "alice")
        user = services.accounts.by_username("alice")
        assert user is not None
        services.memory.add(user.id, PEANUTS)

        events = parse_sse(client.post("/api/chat/stream", json={"message": SNACKS}, headers=alice))

        assert [name for name, _ in events] == ["start", "final"]  # no model tokens
        final = events[-1][1]
        answer = final["answer"]
        assert final["answered_by"] == "fallback"
        assert _cjk_share(answer) > 0.6, answer
        lines = [line for line in answer.splitlines() if line.strip()]
        assert len(lines) == len(set(lines)) and not repeats(answer)
        assert PEANUTS in answer and "花生" in answer
        assert re.search(r"\d{4}-\d{2}-\d{2}：我对花生过敏", answer)  # dated
        # How to get Chinese answers without Ollama: the Qwen option's setting.
        assert "MEMADVISOR_LLAMACPP_MODEL=qwen2.5-coder-0.5b make run" in answer
        assert "不必安装 Ollama" in answer and "SHA-256" in answer

        conversation = client.get(
            f"/api/conversations/{final['conversation_id']}", headers=alice
        ).json()
        [turn] = conversation["messages"]
        assert turn["answered_by"] == "fallback" and turn["output_text"] == answer


def test_the_fallback_lists_the_most_pressing_insights(
    make_services: Callable[..., Services],
) -> None:
    model = scripted(["unused"])
    services = make_services(model, llm_languages=["en"])
    with TestClient(create_app(services=services)) as client:
        alice = sign_up(client, "alice")
        client.put("/api/me/consent", json={"health": True}, headers=alice)
        for steps in (2000, 2500, 3000):
            body = {"data_type": "health", "data": {"steps": steps}}
            assert client.post("/api/user-data", json=body, headers=alice).status_code == 201

        events = parse_sse(
            client.post("/api/chat/stream", json={"message": "我今天该做什么？"}, headers=alice)
        )

    answer = events[-1][1]["answer"]
    assert events[-1][1]["answered_by"] == "fallback"
    assert "你平均每天走" in answer  # the steps insight, in Chinese
    assert model.calls == []


def test_english_on_the_same_model_is_answered_by_the_model(
    make_services: Callable[..., Services], model: RecordingFakeModel
) -> None:
    services = make_services(model, llm_languages=["en"])
    with TestClient(create_app(services=services)) as client:
        alice = sign_up(client, "alice")
        events = parse_sse(
            client.post("/api/chat/stream", json={"message": "Hello there"}, headers=alice)
        )
    assert events[-1][1]["answered_by"] == "model"
    assert len(model.calls) == 1

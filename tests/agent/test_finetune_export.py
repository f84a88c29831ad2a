"""The fine-tuning export: consent filter, placeholders, manifest, and erasure marking stale."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from agent.services import Services
from api.main import create_app
from finetune.dataset import DATA_FILE, MANIFEST_FILE, SUMMARY_FILE, Scrubber, export_dataset
from memory.usage.analytics import pseudonym
from tests.accounts import sign_up

KEY = b"analytics-pseudonym-key-for-tests"
Headers = dict[str, str]


def _advised_user(client: TestClient, services: Services, name: str, *, training: bool) -> Headers:
    headers = sign_up(client, name)
    consent = {"health": True, "model_training": training}
    assert client.put("/api/me/consent", json=consent, headers=headers).status_code == 200
    for day in range(3):
        body = {
            "data_type": "health",
            "data": {"steps": 2500 + day, "note": f"ask {name}@example.com"},
            "recorded_at": (datetime.now(UTC) - timedelta(days=day, hours=1)).isoformat(),
        }
        assert client.post("/api/user-data", json=body, headers=headers).status_code == 201
    user_id = services.accounts.by_username(name).id  # type: ignore[union-attr]
    services.accounts.update_profile(user_id, summary=f"My name is Ada Lovelace, {name} here.")
    services.analyst.analyse_user(user_id)
    advice = client.get("/api/recommendations?lang=en", headers=headers).json()
    first = advice["health"][0]["id"]
    vote = {"target_type": "recommendation", "target_id": first, "rating": 1}
    assert client.post("/api/feedback", json=vote, headers=headers).status_code == 201
    return headers


def _read(folder: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
    text = (folder / DATA_FILE).read_text()
    lines = [json.loads(line) for line in text.splitlines()]
    manifest = [json.loads(line) for line in (folder / MANIFEST_FILE).read_text().splitlines()]
    return lines, manifest, text


def test_export_keeps_consenting_users_approved_advice_pseudonymised_and_erasure_stales(
    make_services: Callable[..., Services], tmp_path: Path
) -> None:
    services = make_services(None)
    with TestClient(create_app(services=services)) as client:
        alice = _advised_user(client, services, "alice", training=True)
        _advised_user(client, services, "bob", training=False)
        alice_id = services.accounts.by_username("alice").id  # type: ignore[union-attr]

        first = export_dataset(services, tmp_path / "one", key=KEY, personas=None)
        lines, manifest, text = _read(tmp_path / "one")
        assert first.examples == len(lines) == len(manifest) == 1  # bob did not consent
        assert manifest[0] == {
            "line": 0,
            "user": pseudonym(alice_id, KEY),
            "origin": "approved",
            "task": "recommend",
            "language": "en",
        }
        roles = [m["role"] for m in lines[0]["messages"]]
        assert roles == ["system", "user", "assistant"]
        answer = json.loads(lines[0]["messages"][-1]["content"])
        assert len(answer["health"]) == 1  # only the item rated up
        assert answer["health"][0]["sources"][0].startswith("I")  # labels, not row ids
        assert "alice" not in text and "Ada" not in text and "example.com" not in text
        assert "<USER>" in text and "<NAME>" in text and "<EMAIL>" in text
        summary = json.loads((tmp_path / "one" / SUMMARY_FILE).read_text())
        assert summary["users"] == [pseudonym(alice_id, KEY)]

        services.training.add_adapter(
            "lora-test", set_id=first.set_id, base_model="smol", path="/x.gguf"
        )
        assert not services.training.adapter("lora-test").stale  # type: ignore[union-attr]
        assert client.delete("/api/me", headers=alice).status_code == 204

        adapter = services.training.adapter("lora-test")
        assert adapter is not None and adapter.stale and adapter.stale_reason == "erasure"
        assert services.training.set_stale(first.set_id) is True
        second = export_dataset(services, tmp_path / "two", key=KEY, personas=None)
        assert second.examples == 0 and _read(tmp_path / "two")[0] == []


def test_withdrawing_training_consent_deletes_examples_and_stales_adapters(
    make_services: Callable[..., Services], tmp_path: Path
) -> None:
    services = make_services(None)
    with TestClient(create_app(services=services)) as client:
        carol = _advised_user(client, services, "carol", training=True)
        carol_id = services.accounts.by_username("carol").id  # type: ignore[union-attr]
        assert services.training.examples(carol_id)
        exported = export_dataset(services, tmp_path, key=KEY, personas=None)
        services.training.add_adapter("lora-c", set_id=exported.set_id, base_model="b", path="p")

        change = client.put("/api/me/consent", json={"model_training": False}, headers=carol)
        assert change.status_code == 200 and change.json()["model_training"] is False

        assert services.training.examples(carol_id) == []
        assert [a.id for a in services.training.adapters(stale_only=True)] == ["lora-c"]
        assert services.training.adapters()[0].stale_reason == "consent_withdrawn"


def test_scrubber_placeholders() -> None:
    scrub = Scrubber("wangfang88", "wf@example.cn")
    assert scrub.text("我叫王芳，邮箱 wf@example.cn，用户名 WangFang88。") == (
        "我叫<NAME>，邮箱 <EMAIL>，用户名 <USER>。"
    )
    assert scrub.text("Call me Tom; mail tom.b@mail.org") == "Call me <NAME>; mail <EMAIL>"

"""Done when: 14 days of blood pressure at 148/95 give an insight and a health recommendation
that cite those records, in Chinese and in English, from the rules writer and the model writer."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from agent.services import Services
from api.main import create_app
from tests.accounts import sign_up
from tests.fakes.models import scripted

Headers = dict[str, str]


@pytest.fixture
def app_with(
    make_services: Callable[..., Services],
) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(answers: list[str], recommender: str) -> TestClient:
        services = make_services(scripted(answers), recommender=recommender)
        client = TestClient(create_app(services=services))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def hypertensive(client: TestClient) -> tuple[Headers, set[int]]:
    headers = sign_up(client, "wang")
    assert client.put("/api/me/consent", json={"health": True}, headers=headers).status_code == 200
    rows = [
        {
            "data_type": "health",
            "data": {"systolic_bp": 148, "diastolic_bp": 95, "pulse": 76},
            "recorded_at": (datetime.now(UTC) - timedelta(days=day, hours=2)).isoformat(),
        }
        for day in range(14)
    ]
    response = client.post(
        "/api/user-data/import",
        files={"file": ("bp.json", json.dumps(rows).encode(), "application/json")},
        headers=headers,
    )
    report = response.json()
    assert report["written"] and report["accepted"] == 14, report
    return headers, set(report["ids"])


def cited_records(sources: list[dict[str, object]]) -> set[object]:
    return {s["id"] for s in sources if s["kind"] == "user_data"}


@pytest.mark.parametrize("language", ["en", "zh"])
def test_rules_writer_advises_on_148_over_95_citing_the_readings(
    app_with: Callable[..., TestClient], language: str
) -> None:
    client = app_with([], "rules")
    headers, ids = hypertensive(client)

    profile = client.get(f"/api/profile?lang={language}", headers=headers).json()
    [insight] = [i for i in profile["insights"] if i["key"] == "health.blood_pressure"]
    assert insight["severity"] == "alert"
    assert cited_records(insight["sources"]) == ids
    assert "148/95" in insight["text"]
    expected = "2期高血压" if language == "zh" else "stage 2 hypertension"
    assert expected in insight["text"]

    advice = client.get(f"/api/recommendations?lang={language}", headers=headers).json()
    assert advice["language"] == language
    [item] = [i for i in advice["health"] if "148/95" in i["advice"]]
    assert cited_records(item["sources"]) == ids
    assert {"kind": "user_insights", "id": insight["id"]} in item["sources"]
    assert ("就医" if language == "zh" else "doctor") in item["advice"]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_model_writer_gets_the_insight_and_readings_and_cites_them(
    app_with: Callable[..., TestClient], language: str
) -> None:
    draft = {
        "health": [
            {
                "advice": "请就医确认血压并减少食盐。" if language == "zh" else "See a doctor.",
                "rationale": "148/95 mmHg over 14 days.",
                "sources": ["I1", "D1"],
            }
        ],
        "finance": [],
        "education": [],
    }
    client = app_with([json.dumps(draft, ensure_ascii=False)], "model")
    headers, ids = hypertensive(client)
    advice = client.get(f"/api/recommendations?lang={language}", headers=headers).json()
    [item] = advice["health"]
    kinds = {s["kind"] for s in item["sources"]}
    assert kinds == {"user_insights", "user_data"}
    assert cited_records(item["sources"]) <= ids

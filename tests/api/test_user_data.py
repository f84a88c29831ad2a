"""User data through HTTP: consent gates it, every type validates, imports report each row."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from agent.services import Services

Headers = dict[str, str]

VALID = {
    "health": {"steps": 8200, "resting_heart_rate": 62, "sleep_hours": 7.5, "weight_kg": 70.2},
    "finance": {"income": 12000, "expenses": 9000, "currency": "CNY"},
    "education": {"courses": ["Linear algebra"], "goals": ["pass the exam"], "study_hours": 2},
    "behavior": {"category": "exercise", "event": "swam 1 km", "duration_minutes": 40},
}

BAD = [
    ("health", {"steps": -5}, "data.steps", "greater than or equal to 0"),
    ("health", {"steps": 500000}, "data.steps", "less than or equal to 100000"),
    ("health", {"resting_heart_rate": 400}, "data.resting_heart_rate", "less than or equal"),
    ("health", {"sleep_hours": 25}, "data.sleep_hours", "less than or equal to 24"),
    ("health", {"setps": 100}, "data.setps", "Extra inputs are not permitted"),
    ("health", {}, "data", "give at least one of"),
    ("health", {"steps": "many"}, "data.steps", "valid integer"),
    ("finance", {"income": -1}, "data.income", "greater than or equal to 0"),
    ("finance", {"income": 10, "currency": "yuan"}, "data.currency", "match pattern"),
    ("finance", {"income": 10, "period": "decade"}, "data.period", "'day', 'week', 'month'"),
    ("education", {"study_hours": 30}, "data.study_hours", "less than or equal to 24"),
    ("education", {"courses": [""]}, "data.courses.0", "at least 1 character"),
    ("behavior", {"event": "ran"}, "data.category", "Field required"),
    ("behavior", {"category": "x", "event": "y", "duration_minutes": 2000}, "duration", "1440"),
]


@pytest.fixture
def alice(register: Callable[[str], Headers], client: TestClient) -> Headers:
    headers = register("alice")
    consent = {"health": True, "finance": True, "education": True, "behavior": True}
    assert client.put("/api/me/consent", json=consent, headers=headers).status_code == 200
    return headers


def test_consent_is_off_until_turned_on(
    client: TestClient, register: Callable[[str], Headers]
) -> None:
    headers = register("bob")
    assert client.get("/api/me/consent", headers=headers).json() == {
        "health": False,
        "finance": False,
        "education": False,
        "behavior": False,
        "model_training": False,
    }
    refused = client.post(
        "/api/user-data", json={"data_type": "health", "data": {"steps": 100}}, headers=headers
    )
    assert refused.status_code == 403
    assert "consent" in refused.json()["detail"]
    assert client.get("/api/user-data", headers=headers).json() == []


@pytest.mark.parametrize("data_type", list(VALID))
def test_each_type_accepts_a_valid_record(
    client: TestClient, alice: Headers, services: Services, data_type: str
) -> None:
    recorded = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    body = {"data_type": data_type, "data": VALID[data_type], "recorded_at": recorded}
    response = client.post("/api/user-data", json=body, headers=alice)
    assert response.status_code == 201, response.text
    stored = response.json()
    assert stored["data_type"] == data_type
    assert stored["data"].items() >= VALID[data_type].items()
    listed = client.get(f"/api/user-data?type={data_type}", headers=alice).json()
    assert [r["id"] for r in listed] == [stored["id"]]
    # The record is a memory too, so chat can find it.
    [memory] = services.memory.list(stored_user(services), kind="data")
    assert memory.source_id == str(stored["id"])


def stored_user(services: Services) -> int:
    user = services.accounts.by_username("alice")
    assert user is not None
    return user.id


@pytest.mark.parametrize(("data_type", "data", "where", "rule"), BAD)
def test_bad_records_are_refused_with_the_field_and_rule(
    client: TestClient,
    alice: Headers,
    data_type: str,
    data: dict[str, object],
    where: str,
    rule: str,
) -> None:
    response = client.post(
        "/api/user-data", json={"data_type": data_type, "data": data}, headers=alice
    )
    assert response.status_code == 422
    message = response.json()["message"]
    assert where in message and rule in message, message


def test_unknown_type_and_future_time_are_refused(client: TestClient, alice: Headers) -> None:
    response = client.post(
        "/api/user-data", json={"data_type": "diet", "data": {"kcal": 1}}, headers=alice
    )
    assert response.status_code == 422
    assert "health" in response.json()["message"]
    future = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    response = client.post(
        "/api/user-data",
        json={"data_type": "health", "data": {"steps": 1}, "recorded_at": future},
        headers=alice,
    )
    assert response.status_code == 422
    assert "future" in response.json()["message"]


def test_delete_one_record_and_its_memory(
    client: TestClient, alice: Headers, register: Callable[[str], Headers], services: Services
) -> None:
    record = client.post(
        "/api/user-data", json={"data_type": "health", "data": {"steps": 10}}, headers=alice
    ).json()
    mallory = register("mallory")
    assert client.delete(f"/api/user-data/{record['id']}", headers=mallory).status_code == 404
    assert client.delete(f"/api/user-data/{record['id']}", headers=alice).status_code == 204
    assert client.get("/api/user-data", headers=alice).json() == []
    assert services.memory.list(stored_user(services), kind="data") == []


def test_withdrawing_consent_stops_use_and_offers_deletion(
    client: TestClient, alice: Headers
) -> None:
    for steps in (2000, 2500):
        client.post(
            "/api/user-data", json={"data_type": "health", "data": {"steps": steps}}, headers=alice
        )
    assert client.get("/api/profile", headers=alice).json()["insights"]
    change = client.put("/api/me/consent", json={"health": False}, headers=alice).json()
    assert change["health"] is False and change["finance"] is True
    assert change["records_kept"] == {"health": 2}
    assert client.get("/api/profile", headers=alice).json()["insights"] == []
    refused = client.post(
        "/api/user-data", json={"data_type": "health", "data": {"steps": 1}}, headers=alice
    )
    assert refused.status_code == 403
    assert client.delete("/api/user-data?type=health", headers=alice).json() == {"deleted": 2}


CSV = """data_type,recorded_at,steps,sleep_hours,income,expenses,courses
health,2026-11-01,4000,6.5,,,
health,2026-11-02,-3,,,,
finance,2026-11-01,,,9000,9500,
education,2026-11-03,,,,,Calculus;Physics
diet,2026-11-03,,,,,
health,not a date,100,,,,
"""


def test_csv_import_writes_valid_rows_and_reports_the_rest(
    client: TestClient, alice: Headers
) -> None:
    response = client.post(
        "/api/user-data/import",
        files={"file": ("data.csv", CSV.encode(), "text/csv")},
        headers=alice,
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["written"] is True and report["accepted"] == 3
    rejected = {row["row"]: " ".join(row["errors"]) for row in report["rejected"]}
    assert set(rejected) == {2, 5, 6}
    assert "steps" in rejected[2] and "data_type" in rejected[5] and "recorded_at" in rejected[6]
    courses = client.get("/api/user-data?type=education", headers=alice).json()[0]["data"]
    assert courses["courses"] == ["Calculus", "Physics"]


def test_strict_import_writes_nothing_when_a_row_is_bad(client: TestClient, alice: Headers) -> None:
    rows = [
        {"data_type": "health", "data": {"steps": 100}},
        {"data_type": "health", "data": {"steps": -1}},
    ]
    response = client.post(
        "/api/user-data/import?strict=true",
        files={"file": ("data.json", json.dumps(rows).encode(), "application/json")},
        headers=alice,
    )
    report = response.json()
    assert report["written"] is False and report["ids"] == []
    assert client.get("/api/user-data", headers=alice).json() == []


def test_import_of_an_unreadable_file_is_a_clear_400(client: TestClient, alice: Headers) -> None:
    response = client.post(
        "/api/user-data/import",
        files={"file": ("data.json", b"{not json", "application/json")},
        headers=alice,
    )
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]

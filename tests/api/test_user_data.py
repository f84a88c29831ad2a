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
    "education": {"courses": ["Linear algebra"], "goals": ["pass the exam"], "study_minutes": 90},
    "behavior": {"category": "exercise", "event": "swam 1 km", "duration_minutes": 40},
    "custom": {"name": "water 喝水", "unit": "L", "value": 1.5},
}
MORE_VALID = [
    ("health", {"systolic_bp": 148, "diastolic_bp": 95, "pulse": 72}),
    ("health", {"glucose_mmol_l": 5.4, "fasting": True}),
    ("health", {"body_fat_pct": 22.5, "heart_rate": 80}),
    ("finance", {"expenses": 1800, "category": "food"}),
    ("education", {"exam": "IELTS", "exam_date": "2027-01-16", "exam_target": "7.0"}),
    ("education", {"weekly_goal_hours": 12, "subject": "listening"}),
]

BAD = [
    ("health", {"steps": -5}, "data.steps", "greater than or equal to 0"),
    ("health", {"steps": 500000}, "data.steps", "less than or equal to 100000"),
    ("health", {"resting_heart_rate": 400}, "data.resting_heart_rate", "less than or equal"),
    ("health", {"sleep_hours": 25}, "data.sleep_hours", "less than or equal to 24"),
    ("health", {"setps": 100}, "data.setps", "Extra inputs are not permitted"),
    ("health", {}, "data", "give at least one of"),
    ("health", {"steps": "many"}, "data.steps", "valid integer"),
    ("health", {"steps": True}, "data.steps", "valid integer"),  # was read as 1 step
    ("health", {"sleep_hours": False}, "data.sleep_hours", "valid number"),
    ("finance", {"income": -1}, "data.income", "greater than or equal to 0"),
    ("finance", {"income": True}, "data.income", "valid number"),
    ("finance", {"income": 10, "currency": "yuan"}, "data.currency", "match pattern"),
    ("finance", {"income": 10, "period": "decade"}, "data.period", "'day', 'week', 'month'"),
    ("education", {"study_hours": 70}, "data.study_hours", "less than or equal to 24 h (one"),
    ("education", {"study_minutes": 2000}, "data.study_minutes", "1440 min"),
    ("education", {"exam_date": "2027-01-01"}, "data", "give exam too"),
    ("health", {"systolic_bp": 148}, "data", "both systolic_bp and diastolic_bp"),
    ("health", {"systolic_bp": 400, "diastolic_bp": 90}, "data.systolic_bp", "300 mmHg"),
    ("health", {"systolic_bp": 80, "diastolic_bp": 90}, "data", "higher than diastolic"),
    ("health", {"glucose_mmol_l": 80}, "data.glucose_mmol_l", "40 mmol/L"),
    ("health", {"glucose_mg_dl": 5}, "data.glucose_mg_dl", "18 mg/dL"),
    ("health", {"steps": True}, "data.steps", "valid integer"),
    ("health", {"sleep_hours": "7"}, "data.sleep_hours", "valid number"),
    ("health", {"fasting": True}, "data", "give glucose_mmol_l too"),
    ("finance", {"expenses": 10, "category": "snacks"}, "data.category", "'food'"),
    ("custom", {"name": "water", "value": 1}, "data.unit", "Field required"),
    ("custom", {"name": "water", "unit": "L", "value": False}, "data.value", "valid number"),
    ("education", {"courses": [""]}, "data.courses.0", "at least 1 character"),
    ("behavior", {"event": "ran"}, "data.category", "Field required"),
    ("behavior", {"category": "x", "event": "y", "duration_minutes": 2000}, "duration", "1440"),
]


@pytest.fixture
def alice(register: Callable[[str], Headers], client: TestClient) -> Headers:
    headers = register("alice")
    consent = {"health": True, "finance": True, "education": True, "behavior": True, "custom": True}
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
        "custom": False,
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


@pytest.mark.parametrize(("data_type", "data"), MORE_VALID)
def test_new_measurements_with_units_are_accepted(
    client: TestClient, alice: Headers, data_type: str, data: dict[str, object]
) -> None:
    body = {"data_type": data_type, "data": data}
    response = client.post("/api/user-data", json=body, headers=alice)
    assert response.status_code == 201, response.text
    assert response.json()["data"].items() >= data.items()


def test_glucose_in_mg_dl_and_study_in_hours_are_converted(
    client: TestClient, alice: Headers
) -> None:
    glucose = {"data_type": "health", "data": {"glucose_mg_dl": 126, "fasting": True}}
    stored = client.post("/api/user-data", json=glucose, headers=alice).json()["data"]
    assert stored == {"glucose_mmol_l": 7.0, "fasting": True}
    study = {"data_type": "education", "data": {"study_hours": 1.5}}
    stored = client.post("/api/user-data", json=study, headers=alice).json()["data"]
    assert stored["study_minutes"] == 90 and "study_hours" not in stored


def test_the_schema_names_each_unit(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    health = schemas["HealthRecord"]["properties"]
    assert health["systolic_bp"]["x-unit"] == "mmHg"
    assert health["glucose_mmol_l"]["x-unit"] == "mmol/L"
    assert "mmHg" in health["systolic_bp"]["description"]
    assert schemas["EducationRecord"]["properties"]["study_minutes"]["x-unit"] == "min"


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


FIXTURES = __import__("pathlib").Path(__file__).parent.parent / "fixtures"


def test_apple_health_import_streams_progress_then_reports(
    client: TestClient, alice: Headers
) -> None:
    from tests.api.sse import parse_sse

    content = (FIXTURES / "apple_health_export.xml").read_bytes()
    response = client.post(
        "/api/user-data/import",
        files={"file": ("export.xml", content, "text/xml")},
        headers={**alice, "Accept": "text/event-stream"},
    )
    events = parse_sse(response)
    names = [name for name, _ in events]
    assert names[0] == "progress" and names[-1] == "report", names
    reading = [data for name, data in events if name == "progress" and data["phase"] == "reading"]
    assert reading[-1]["done"] == reading[-1]["total"] == len(content)
    assert any(data["phase"] == "writing" for name, data in events if name == "progress")
    report = events[-1][1]
    assert report["format"] == "apple_health" and report["written"] is True
    assert report["accepted"] == 5 and report["rejected_total"] == 2  # 4 days/readings, 1 workout
    assert any("ActiveEnergyBurned" in note for note in report["notes"])

    # A newer export of the same days replaces them instead of counting them twice.
    again = client.post(
        "/api/user-data/import",
        files={"file": ("export.xml", content, "text/xml")},
        headers=alice,
    ).json()
    assert again["replaced"] == 5
    assert len(client.get("/api/user-data?type=health", headers=alice).json()) == 4


def test_a_broken_file_streams_an_error_event(client: TestClient, alice: Headers) -> None:
    from tests.api.sse import parse_sse

    response = client.post(
        "/api/user-data/import",
        files={"file": ("export.xml", b"<HealthData><Record", "text/xml")},
        headers={**alice, "Accept": "text/event-stream"},
    )
    name, data = parse_sse(response)[-1]
    assert name == "error" and data["status"] == 400
    assert "not well-formed at line 1" in data["detail"]


def test_alipay_bill_import_gives_monthly_category_records(
    client: TestClient, alice: Headers
) -> None:
    content = (FIXTURES / "alipay_bill.csv").read_bytes()
    report = client.post(
        "/api/user-data/import?strict=true",
        files={"file": ("alipay.csv", content, "text/csv")},
        headers=alice,
    ).json()
    assert report["format"] == "alipay" and report["written"] is False  # strict: one bad row
    report = client.post(
        "/api/user-data/import",
        files={"file": ("alipay.csv", content, "text/csv")},
        headers=alice,
    ).json()
    assert report["written"] is True and report["accepted"] == 5
    assert [row["row"] for row in report["rejected"]] == [9]
    records = client.get("/api/user-data?type=finance", headers=alice).json()
    assert {r["data"]["category"] for r in records} == {"food", "transport", "salary", "groceries"}


def test_any_csv_previewed_then_imported_with_a_mapping(client: TestClient, alice: Headers) -> None:
    content = b"Date,Sys,Dia,Mood\n2026-11-01,150,96,ok\n2026-11-02,146,94,meh\n"
    preview = client.post(
        "/api/user-data/import/preview?type=health",
        files={"file": ("bp.csv", content, "text/csv")},
        headers=alice,
    ).json()
    assert preview["columns"] == ["Date", "Sys", "Dia", "Mood"]
    assert preview["guess"] == {"Date": "recorded_at", "Sys": "systolic_bp", "Dia": "diastolic_bp"}
    assert "systolic_bp" in preview["fields"] and preview["units"]["systolic_bp"] == "mmHg"
    mapping = json.dumps({"data_type": "health", "columns": preview["guess"]})
    report = client.post(
        "/api/user-data/import?format=csv",
        files={"file": ("bp.csv", content, "text/csv")},
        data={"mapping": mapping},
        headers=alice,
    ).json()
    assert report["written"] and report["accepted"] == 2
    assert report["notes"] == ["columns not imported (not mapped): Mood"]
    bad = client.post(
        "/api/user-data/import?format=csv",
        files={"file": ("bp.csv", content, "text/csv")},
        data={"mapping": json.dumps({"data_type": "health", "columns": {"Mood": "mood"}})},
        headers=alice,
    )
    assert bad.status_code == 400 and "no field mood" in bad.json()["detail"]
    missing = client.post(
        "/api/user-data/import?format=csv",
        files={"file": ("bp.csv", content, "text/csv")},
        headers=alice,
    )
    assert missing.status_code == 400 and "mapping" in missing.json()["detail"]


def test_charts_draw_bands_and_put_insights_at_their_records(
    client: TestClient, alice: Headers
) -> None:
    rows = []
    for day in range(10):
        recorded = (datetime.now(UTC) - timedelta(days=day, hours=1)).isoformat()
        rows.append({"data_type": "health", "recorded_at": recorded, "data": {"steps": 3000 + day}})
        rows.append(
            {
                "data_type": "health",
                "recorded_at": recorded,
                "data": {"systolic_bp": 148, "diastolic_bp": 95},
            }
        )
    rows.append({"data_type": "custom", "data": {"name": "water", "unit": "L", "value": 1.5}})
    rows.append({"data_type": "education", "data": {"study_minutes": 90, "weekly_goal_hours": 10}})
    rows.append({"data_type": "finance", "data": {"expenses": 900, "category": "food"}})
    report = client.post(
        "/api/user-data/import",
        files={"file": ("rows.json", json.dumps(rows).encode(), "application/json")},
        headers=alice,
    ).json()
    assert report["accepted"] == len(rows)

    answer = client.get("/api/user-data/charts?days=30&lang=zh", headers=alice).json()
    assert "charts" in answer, answer
    assert answer["guidelines"] == "international"
    charts = {chart["key"]: chart for chart in answer["charts"]}
    assert {"steps", "blood_pressure", "custom:water", "study_week", "finance_month"} <= set(charts)
    steps = charts["steps"]
    assert len(steps["series"][0]["points"]) == 10 and steps["bands"][0]["low"] == 7000
    pressure = charts["blood_pressure"]
    assert [s["name"] for s in pressure["series"]] == ["systolic_bp", "diastolic_bp"]
    assert {band["category"] for band in pressure["bands"]} >= {"normal", "stage_2"}
    [marker] = pressure["markers"]
    assert marker["key"] == "health.blood_pressure" and "2期高血压" in marker["text"]
    assert len(marker["ids"]) == 10
    assert charts["study_week"]["lines"] == [{"value": 10.0, "label": "goal"}]
    assert client.get("/api/user-data/charts?days=400", headers=alice).status_code == 422


def test_height_in_the_profile_gives_a_bmi_insight(client: TestClient, alice: Headers) -> None:
    body = {"data_type": "health", "data": {"weight_kg": 85.0}}
    assert client.post("/api/user-data", json=body, headers=alice).status_code == 201
    assert client.put("/api/profile", json={"height_cm": True}, headers=alice).status_code == 422
    profile = client.put("/api/profile?lang=zh", json={"height_cm": 172}, headers=alice).json()
    assert profile["height_cm"] == 172 and profile["edited_by_user"] is False
    [bmi] = [i for i in profile["insights"] if i["key"] == "health.bmi"]
    assert bmi["figures"]["bmi"] == 28.7 and "BMI为28.7" in bmi["text"]
    cleared = client.put("/api/profile", json={"height_cm": None}, headers=alice).json()
    assert cleared["height_cm"] is None

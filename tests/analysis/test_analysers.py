"""Analysers on synthetic users whose right answers are known in advance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agent.services import Services
from memory.datatypes import DATA_TYPES
from memory.userdata import NewRecord

NOW = datetime.now(UTC)


@pytest.fixture
def user(services: Services) -> int:
    user_id = services.accounts.local("synthetic").id
    services.user_data.consents.set(user_id, dict.fromkeys(DATA_TYPES, True))
    return user_id


def add(
    services: Services, user_id: int, data_type: str, rows: list[tuple[int, dict]]
) -> list[int]:
    records = [NewRecord(data_type, data, NOW - timedelta(days=days)) for days, data in rows]  # type: ignore[arg-type]
    return [row.id for row in services.user_data.add_many(user_id, records)]


def insights(services: Services, user_id: int) -> dict[str, dict]:
    services.analyst.analyse_user(user_id, now=NOW)
    return {
        row.key: {
            "severity": row.severity,
            "figures": row.figures,
            "sources": row.sources,
            "text": row.text,
        }
        for row in services.insights.list(user_id)
    }


def cited(found: dict) -> set[int]:
    assert all(s["kind"] == "user_data" for s in found["sources"])
    return {s["id"] for s in found["sources"]}


def test_a_user_averaging_3000_steps_gets_an_activity_warning_citing_those_records(
    services: Services, user: int
) -> None:
    ids = add(services, user, "health", [(d, {"steps": 2900 + 50 * (d % 5)}) for d in range(10)])
    found = insights(services, user)["health.steps"]
    assert found["severity"] == "warning"
    assert 2900 <= found["figures"]["avg_7d"] <= 3100
    assert cited(found) == set(ids)
    assert "7,000" in found["text"]


def test_an_active_user_gets_a_good_steps_insight(services: Services, user: int) -> None:
    add(services, user, "health", [(d, {"steps": 11000}) for d in range(7)])
    assert insights(services, user)["health.steps"]["severity"] == "good"


def test_short_sleep_and_high_resting_heart_rate(services: Services, user: int) -> None:
    add(
        services,
        user,
        "health",
        [(d, {"sleep_hours": 5.5, "resting_heart_rate": 108}) for d in range(5)],
    )
    found = insights(services, user)
    assert found["health.sleep"]["severity"] == "warning"
    assert found["health.sleep"]["figures"]["avg_7d"] == 5.5
    assert found["health.resting_heart_rate"]["severity"] == "alert"


def test_expenses_above_income_give_a_savings_alert_citing_the_records(
    services: Services, user: int
) -> None:
    ids = add(services, user, "finance", [(2, {"income": 8000, "expenses": 9500})])
    found = insights(services, user)["finance.savings_rate"]
    assert found["severity"] == "alert"
    assert found["figures"]["rate"] < 0
    assert cited(found) == set(ids)


def test_a_healthy_savings_rate_and_monthly_normalisation(services: Services, user: int) -> None:
    # 52 weekly-income records would be odd; one weekly expense figure scales to a month.
    add(
        services,
        user,
        "finance",
        [(1, {"income": 10000}), (1, {"expenses": 1500, "period": "week"})],
    )
    found = insights(services, user)["finance.savings_rate"]
    assert found["figures"]["expenses"] == pytest.approx(1500 * 52 / 12, rel=1e-3)
    assert found["severity"] == "good"


def test_expense_growth_month_over_month(services: Services, user: int) -> None:
    this_month = NOW.replace(day=1, hour=12) + timedelta(days=1)
    last_month = (NOW.replace(day=1) - timedelta(days=10)).replace(hour=12)
    records = [
        NewRecord("finance", {"expenses": 5000}, last_month),
        NewRecord("finance", {"expenses": 6500}, min(this_month, NOW)),
    ]
    services.user_data.add_many(user, records)
    found = insights(services, user)["finance.expense_growth"]
    assert found["figures"]["growth"] == pytest.approx(0.3)
    assert found["severity"] == "warning"


def test_study_hours_falling_and_goals_without_study(services: Services, user: int) -> None:
    add(services, user, "education", [(d, {"study_hours": 3}) for d in range(8, 13)])
    add(services, user, "education", [(20, {"goals": ["IELTS 7"]})])
    found = insights(services, user)
    assert found["education.study_trend"]["figures"]["hours_7d"] == 0
    assert found["education.study_trend"]["figures"]["hours_prev_7d"] == 15
    assert found["education.study_trend"]["severity"] == "warning"
    assert found["education.goals"]["severity"] == "warning"
    assert "IELTS 7" in found["education.goals"]["text"]


def test_behaviour_top_categories(services: Services, user: int) -> None:
    rows = [
        (d, {"category": "Gaming", "event": "played", "duration_minutes": 90}) for d in range(4)
    ]
    rows += [(1, {"category": "exercise", "event": "ran 5 km"})]
    add(services, user, "behavior", rows)
    top = insights(services, user)["behavior.top_categories"]["figures"]["top"]
    assert top[0] == {"category": "gaming", "events": 4, "minutes": 360}


def test_old_records_and_types_without_consent_give_nothing(services: Services, user: int) -> None:
    add(services, user, "health", [(200, {"steps": 100})])
    assert insights(services, user) == {}
    add(services, user, "health", [(1, {"steps": 100})])
    assert "health.steps" in insights(services, user)
    services.user_data.consents.set(user, {"health": False})
    assert insights(services, user) == {}


def test_insight_text_follows_the_users_language(services: Services, user: int) -> None:
    add(services, user, "health", [(1, {"sleep_hours": 6})])
    services.history.finish_turn(
        services.history.begin_turn(user, None, "我最近睡得不好").id,
        "好的",
        prompt_version="t",
        model_name="t",
        memories_used=[],
    )
    assert "小时" in insights(services, user)["health.sleep"]["text"]


def test_rerunning_the_analysis_replaces_instead_of_piling_up(
    services: Services, user: int
) -> None:
    add(services, user, "health", [(1, {"steps": 100})])
    services.analyst.analyse_user(user, now=NOW)
    services.analyst.analyse_user(user, now=NOW)
    assert [row.key for row in services.insights.list(user)] == ["health.steps"]

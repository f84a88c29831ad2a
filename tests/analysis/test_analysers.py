"""Analysers on synthetic users whose right answers are known in advance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agent.services import Services
from memory.records.datatypes import DATA_TYPES, NewRecord

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
    add(services, user, "education", [(d, {"study_minutes": 180}) for d in range(8, 13)])
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
    turn = services.history.begin_turn(user, None, "我最近睡得不好")
    services.history.finish_turn(
        user, turn.conversation_id, turn.id, "好的", prompt_version="t", model_name="t"
    )
    assert "小时" in insights(services, user)["health.sleep"]["text"]


def test_rerunning_the_analysis_replaces_instead_of_piling_up(
    services: Services, user: int
) -> None:
    add(services, user, "health", [(1, {"steps": 100})])
    services.analyst.analyse_user(user, now=NOW)
    services.analyst.analyse_user(user, now=NOW)
    assert [row.key for row in services.insights.list(user)] == ["health.steps"]


def _guidelines(services: Services, user: int, language: str) -> None:
    """Make the user's last message be in `language` (auto guidelines follow it)."""
    text = "我最近血压有点高" if language == "zh" else "my blood pressure is high"
    turn = services.history.begin_turn(user, None, text)
    services.history.finish_turn(
        user, turn.conversation_id, turn.id, "ok", prompt_version="t", model_name="t"
    )


@pytest.mark.parametrize(
    ("language", "reading", "category", "severity"),
    [
        ("en", (148, 95), "stage_2", "alert"),
        ("zh", (148, 95), "grade_1", "warning"),
        ("en", (134, 78), "stage_1", "warning"),
        ("zh", (134, 78), "high_normal", "info"),
        ("en", (124, 76), "elevated", "info"),
        ("en", (112, 72), "normal", "good"),
        ("zh", (165, 95), "grade_2", "alert"),
    ],
)
def test_blood_pressure_against_the_guideline_of_the_users_language(
    services: Services,
    user: int,
    language: str,
    reading: tuple[int, int],
    category: str,
    severity: str,
) -> None:
    _guidelines(services, user, language)
    sys_bp, dia_bp = reading
    ids = add(
        services,
        user,
        "health",
        [(d, {"systolic_bp": sys_bp, "diastolic_bp": dia_bp}) for d in range(5)],
    )
    found = insights(services, user)["health.blood_pressure"]
    assert found["figures"]["category"] == category
    assert found["severity"] == severity
    assert found["figures"]["guideline"] == ("china_2018" if language == "zh" else "acc_aha_2017")
    assert cited(found) == set(ids)
    assert f"{sys_bp}/{dia_bp}" in found["text"]


def test_one_crisis_reading_makes_an_alert_and_two_readings_are_not_enough(
    services: Services, user: int
) -> None:
    add(services, user, "health", [(d, {"systolic_bp": 118, "diastolic_bp": 76}) for d in (1, 2)])
    assert "health.blood_pressure" not in insights(services, user)
    add(services, user, "health", [(0, {"systolic_bp": 190, "diastolic_bp": 100})])
    found = insights(services, user)["health.blood_pressure"]
    assert found["severity"] == "alert" and found["figures"]["crisis_readings"] == 1


def test_guidelines_by_setting_override_the_language(make_services, model) -> None:  # type: ignore[no-untyped-def]
    services = make_services(model, health_guidelines="china")
    user_id = services.accounts.local("u").id
    services.user_data.consents.set(user_id, {"health": True})
    add(
        services,
        user_id,
        "health",
        [(d, {"systolic_bp": 148, "diastolic_bp": 95}) for d in range(3)],
    )
    found = insights(services, user_id)["health.blood_pressure"]
    assert found["figures"]["guideline"] == "china_2018"
    assert "Chinese hypertension guideline" in found["text"]  # English reader, Chinese guideline


@pytest.mark.parametrize(
    ("language", "mmol", "category", "severity"),
    [
        ("en", 5.8, "impaired", "warning"),  # ADA: prediabetes from 5.6
        ("zh", 5.8, "normal", "good"),  # WHO: impaired from 6.1
        ("en", 7.2, "diabetes_range", "alert"),
        ("en", 5.0, "normal", "good"),
    ],
)
def test_fasting_glucose_against_ada_or_who(
    services: Services, user: int, language: str, mmol: float, category: str, severity: str
) -> None:
    _guidelines(services, user, language)
    add(services, user, "health", [(d, {"glucose_mmol_l": mmol, "fasting": True}) for d in (1, 3)])
    add(services, user, "health", [(2, {"glucose_mmol_l": 11.0, "fasting": False})])  # after a meal
    found = insights(services, user)["health.fasting_glucose"]
    assert (found["figures"]["category"], found["severity"]) == (category, severity)
    assert found["figures"]["readings"] == 2


@pytest.mark.parametrize(
    ("language", "weight", "category"),
    [("en", 72, "normal"), ("zh", 72, "overweight"), ("zh", 85, "obese"), ("en", 85, "overweight")],
)
def test_bmi_from_the_profile_height_by_who_or_chinese_cut_offs(
    services: Services, user: int, language: str, weight: float, category: str
) -> None:
    _guidelines(services, user, language)
    add(services, user, "health", [(3, {"weight_kg": 90}), (1, {"weight_kg": weight})])
    assert "health.bmi" not in insights(services, user)  # no height yet
    services.accounts.set_height(user, 172)
    found = insights(services, user)["health.bmi"]
    assert found["figures"]["bmi"] == round(weight / 1.72**2, 1)
    assert found["figures"]["category"] == category


def test_weekly_study_against_the_goal_and_the_next_exam(services: Services, user: int) -> None:
    sessions = add(services, user, "education", [(d, {"study_minutes": 60}) for d in range(3)])
    exam_day = (NOW + timedelta(days=20)).date().isoformat()
    goal_and_exam = add(
        services,
        user,
        "education",
        [
            (40, {"weekly_goal_hours": 10}),
            (30, {"exam": "IELTS", "exam_date": exam_day, "exam_target": "7.0"}),
        ],
    )
    found = insights(services, user)
    goal = found["education.weekly_goal"]
    assert goal["figures"] == {"hours_7d": 3.0, "goal": 10.0, "share": 0.3}
    assert goal["severity"] == "warning"
    assert cited(goal) == {goal_and_exam[0], *sessions}
    exam = found["education.exam"]
    assert exam["figures"]["days_left"] == 20 and exam["severity"] == "warning"
    assert "IELTS" in exam["text"] and "7.0" in exam["text"]


def test_spending_by_category_names_the_category_that_moved(services: Services, user: int) -> None:
    this_month = min(NOW.replace(day=1, hour=12) + timedelta(days=1), NOW)
    last_month = (NOW.replace(day=1) - timedelta(days=10)).replace(hour=12)
    rows = services.user_data.add_many(
        user,
        [
            NewRecord("finance", {"expenses": 2000, "category": "food"}, last_month),
            NewRecord("finance", {"expenses": 3000, "category": "housing"}, last_month),
            NewRecord("finance", {"expenses": 3500, "category": "food"}, this_month),
            NewRecord("finance", {"expenses": 3000, "category": "housing"}, this_month),
        ],
    )
    found = insights(services, user)
    change = found["finance.category_change"]
    assert change["figures"]["category"] == "food" and change["figures"]["change"] == 1500
    assert change["severity"] == "warning"
    assert cited(change) == {rows[0].id, rows[2].id}
    assert "food" in change["text"]
    assert found["finance.top_categories"]["figures"]["top"][0]["category"] == "food"
    assert found["finance.expense_growth"]["figures"]["growth"] == pytest.approx(0.3)


def test_custom_metrics_are_stored_but_not_judged(services: Services, user: int) -> None:
    add(services, user, "custom", [(1, {"name": "water", "unit": "L", "value": 1.5})])
    assert insights(services, user) == {}

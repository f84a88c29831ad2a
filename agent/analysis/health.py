"""Health: activity, sleep, heart rate, weight, blood pressure, fasting glucose and BMI.

Thresholds and their sources are in `agent.analysis.guidelines`; which guideline applies is in the
context (by setting or the user's language), and every finding names it in its figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import fmean

from agent.analysis.base import Context, Finding, Severity, daily_values, mean_or_none, within
from agent.analysis.guidelines import (
    BMI_BANDS,
    BMI_GUIDELINE,
    BP_CRISIS,
    BP_GUIDELINE,
    BP_TARGET,
    GLUCOSE_BANDS,
    GLUCOSE_GUIDELINE,
    HEART_RANGE,
    SLEEP_RANGE,
    STEPS_SEDENTARY,
    STEPS_TARGET,
    band_of,
    bp_category,
)
from memory.records.datatypes import is_finite_number
from memory.storage.models import UserData

WEIGHT_CHANGE_KG = 2.0
BP_DAYS = 30
"""Blood pressure is judged on the average of the readings of the last 30 days ..."""
BP_MIN_READINGS = 3
"""... when there are at least this many (one high reading is not a diagnosis)."""
GLUCOSE_DAYS = 90
GLUCOSE_MIN_READINGS = 2


def analyse_health(records: Sequence[UserData], context: Context) -> list[Finding]:
    """Findings on each measurement the user records."""
    now = context.now
    findings = []
    month, week = within(records, now, 30), within(records, now, 7)
    if steps := _averages(month, week, "steps"):
        avg, figures, ids = steps
        severity: Severity = (
            "warning" if avg < STEPS_SEDENTARY else "info" if avg < STEPS_TARGET else "good"
        )
        figures["target"] = STEPS_TARGET
        findings.append(Finding("health.steps", severity, figures, ids))
    if sleep := _averages(month, week, "sleep_hours"):
        avg, figures, ids = sleep
        low, high = SLEEP_RANGE
        severity = "warning" if avg < low else "info" if avg > high else "good"
        figures.update(low=low, high=high)
        findings.append(Finding("health.sleep", severity, figures, ids))
    if heart := _averages(month, week, "resting_heart_rate"):
        avg, figures, ids = heart
        low_hr, high_hr = HEART_RANGE
        severity = "alert" if avg > high_hr else "info" if avg < low_hr else "good"
        figures.update(low=low_hr, high=high_hr)
        findings.append(Finding("health.resting_heart_rate", severity, figures, ids))
    weights = [
        (r.recorded_at, float(r.data["weight_kg"]), r.id) for r in month if "weight_kg" in r.data
    ]
    if len(weights) >= 2:
        change = round(weights[-1][1] - weights[0][1], 1)
        findings.append(
            Finding(
                "health.weight",
                "info" if abs(change) >= WEIGHT_CHANGE_KG else "good",
                {"first": weights[0][1], "last": weights[-1][1], "change": change, "days": 30},
                [w[2] for w in weights],
            )
        )
    findings += _blood_pressure(within(records, now, BP_DAYS), context)
    findings += _fasting_glucose(within(records, now, GLUCOSE_DAYS), context)
    findings += _bmi(records, context)
    return findings


def _blood_pressure(records: Sequence[UserData], context: Context) -> list[Finding]:
    readings = [
        r
        for r in records
        if is_finite_number(r.data.get("systolic_bp"))
        and is_finite_number(r.data.get("diastolic_bp"))
    ]
    if len(readings) < BP_MIN_READINGS:
        return []
    guideline = BP_GUIDELINE[context.guidelines]
    systolic = round(fmean(float(r.data["systolic_bp"]) for r in readings))
    diastolic = round(fmean(float(r.data["diastolic_bp"]) for r in readings))
    category, severity = bp_category(guideline, systolic, diastolic)
    crisis = [
        r
        for r in readings
        if r.data["systolic_bp"] > BP_CRISIS[0] or r.data["diastolic_bp"] > BP_CRISIS[1]
    ]
    target_sys, target_dia = BP_TARGET[guideline]
    figures = {
        "systolic": systolic,
        "diastolic": diastolic,
        "readings": len(readings),
        "days": len({f"{r.recorded_at:%Y-%m-%d}" for r in readings}),
        "period_days": BP_DAYS,
        "guideline": guideline,
        "category": category,
        "target_systolic": target_sys,
        "target_diastolic": target_dia,
        "crisis_readings": len(crisis),
    }
    if crisis:
        severity = "alert"
    return [Finding("health.blood_pressure", severity, figures, [r.id for r in readings])]


def _fasting_glucose(records: Sequence[UserData], context: Context) -> list[Finding]:
    readings = [
        r
        for r in records
        if r.data.get("fasting") is True and is_finite_number(r.data.get("glucose_mmol_l"))
    ]
    if len(readings) < GLUCOSE_MIN_READINGS:
        return []
    guideline = GLUCOSE_GUIDELINE[context.guidelines]
    avg = round(fmean(float(r.data["glucose_mmol_l"]) for r in readings), 1)
    band = band_of(GLUCOSE_BANDS[guideline], avg)
    normal = GLUCOSE_BANDS[guideline][0]
    figures = {
        "avg": avg,
        "readings": len(readings),
        "period_days": GLUCOSE_DAYS,
        "guideline": guideline,
        "category": band.category,
        "normal_below": normal.high,
        "diabetes_from": GLUCOSE_BANDS[guideline][-1].low,
    }
    return [Finding("health.fasting_glucose", band.severity, figures, [r.id for r in readings])]


def _bmi(records: Sequence[UserData], context: Context) -> list[Finding]:
    if not context.height_cm:
        return []
    weighed = [r for r in records if is_finite_number(r.data.get("weight_kg"))]
    if not weighed:
        return []
    latest = weighed[-1]
    weight = float(latest.data["weight_kg"])
    bmi = round(weight / (context.height_cm / 100) ** 2, 1)
    guideline = BMI_GUIDELINE[context.guidelines]
    band = band_of(BMI_BANDS[guideline], bmi)
    normal = next(b for b in BMI_BANDS[guideline] if b.category == "normal")
    figures = {
        "bmi": bmi,
        "weight_kg": weight,
        "height_cm": context.height_cm,
        "guideline": guideline,
        "category": band.category,
        "normal_low": normal.low,
        "normal_high": normal.high,
    }
    return [Finding("health.bmi", band.severity, figures, [latest.id])]


def _averages(
    month: Sequence[UserData], week: Sequence[UserData], name: str
) -> tuple[float, dict[str, float | int | None], list[int]] | None:
    """The 7-day average (30-day if no recent data), the figures, and the records used."""
    month_days, month_ids = daily_values(month, name)
    if not month_days:
        return None
    week_days, _ = daily_values(week, name)
    avg_30 = mean_or_none(list(month_days.values()))
    avg_7 = mean_or_none(list(week_days.values()))
    figures: dict[str, float | int | None] = {
        "avg_7d": avg_7,
        "avg_30d": avg_30,
        "days_7d": len(week_days),
        "days_30d": len(month_days),
    }
    headline = avg_7 if avg_7 is not None else avg_30
    assert headline is not None
    return headline, figures, month_ids

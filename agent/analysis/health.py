"""Health: activity, sleep, resting heart rate and weight against widely used guidance.

- Steps: about 7,000-10,000 a day go with lower mortality (Paluch et al., Lancet Public Health
  2022); under 5,000 is commonly called sedentary (Tudor-Locke et al. 2013).
- Sleep: adults need 7-9 hours a night (AASM / Sleep Research Society 2015).
- Resting heart rate: 60-100 bpm is the usual adult range (American Heart Association).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from agent.analysis.base import Finding, Severity, daily_values, mean_or_none, within
from memory.models import UserData

STEPS_TARGET = 7000
STEPS_SEDENTARY = 5000
SLEEP_RANGE = (7.0, 9.0)
HEART_RANGE = (60, 100)
WEIGHT_CHANGE_KG = 2.0


def analyse_health(records: Sequence[UserData], now: datetime) -> list[Finding]:
    """Findings on steps, sleep, resting heart rate and weight over 7 and 30 days."""
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
        low, high = HEART_RANGE
        severity = "alert" if avg > high else "info" if avg < low else "good"
        figures.update(low=low, high=high)
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
    return findings


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

"""Education: study hours this week against last week, and goals without recent study."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from agent.analysis.base import Finding, Severity, within
from memory.models import UserData

DROP = 0.25
"""A fall in weekly study hours larger than this share is flagged."""


def analyse_education(records: Sequence[UserData], now: datetime) -> list[Finding]:
    """Findings on the weekly study trend and on the goals the user has set."""
    findings = []
    this_week = [r for r in within(records, now, 7) if "study_hours" in r.data]
    last_week = [r for r in within(records, now - timedelta(days=7), 7) if "study_hours" in r.data]
    hours_now = sum(float(r.data["study_hours"]) for r in this_week)
    hours_before = sum(float(r.data["study_hours"]) for r in last_week)
    if this_week or last_week:
        change = round((hours_now - hours_before) / hours_before, 3) if hours_before else None
        severity: Severity = (
            "warning" if change is not None and change < -DROP else "good" if hours_now else "info"
        )
        findings.append(
            Finding(
                "education.study_trend",
                severity,
                {
                    "hours_7d": round(hours_now, 1),
                    "hours_prev_7d": round(hours_before, 1),
                    "change": change,
                },
                [r.id for r in last_week + this_week],
            )
        )
    goal_records = [r for r in records if r.data.get("goals")]
    if goal_records:
        latest = goal_records[-1]
        goals = list(latest.data["goals"])
        findings.append(
            Finding(
                "education.goals",
                "warning" if not this_week else "info",
                {"goals": goals, "studied_7d": bool(this_week)},
                [latest.id, *(r.id for r in this_week)],
            )
        )
    return findings

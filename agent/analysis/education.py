"""Education: study time per week (summed from sessions) against the weekly goal and exam dates.

An old `study_hours` record was migrated into a session of the same length (migration 0010), so
the week sums include it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from agent.analysis.base import Context, Finding, Severity, within
from memory.records.datatypes import is_finite_number
from memory.storage.models import UserData

DROP = 0.25
"""A fall in weekly study hours larger than this share is flagged."""
EXAM_SOON_DAYS = 30
"""An exam this close, with less study than the goal last week, is flagged."""


def study_hours(records: Sequence[UserData]) -> float:
    """Hours studied in these records' sessions."""
    return (
        sum(
            float(r.data["study_minutes"])
            for r in records
            if is_finite_number(r.data.get("study_minutes"))
        )
        / 60
    )


def analyse_education(records: Sequence[UserData], context: Context) -> list[Finding]:
    """Findings on the weekly study trend, the goal, the next exam and the stated goals."""
    now = context.now
    findings = []
    this_week = [r for r in within(records, now, 7) if "study_minutes" in r.data]
    last_week = [
        r for r in within(records, now - timedelta(days=7), 7) if "study_minutes" in r.data
    ]
    hours_now, hours_before = study_hours(this_week), study_hours(last_week)
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
    goal_records = [r for r in records if is_finite_number(r.data.get("weekly_goal_hours"))]
    goal = float(goal_records[-1].data["weekly_goal_hours"]) if goal_records else None
    if goal_records and goal:
        share = round(hours_now / goal, 2)
        severity = "good" if share >= 1 else "warning" if share < 0.5 else "info"
        findings.append(
            Finding(
                "education.weekly_goal",
                severity,
                {"hours_7d": round(hours_now, 1), "goal": goal, "share": share},
                [goal_records[-1].id, *(r.id for r in this_week)],
            )
        )
    today = now.date()
    exams = [r for r in records if r.data.get("exam") and r.data.get("exam_date")]
    upcoming = sorted(
        (r for r in exams if date.fromisoformat(r.data["exam_date"]) >= today),
        key=lambda r: r.data["exam_date"],
    )
    if upcoming:
        exam = upcoming[0]
        days_left = (date.fromisoformat(exam.data["exam_date"]) - today).days
        behind = hours_now < goal if goal else not this_week
        findings.append(
            Finding(
                "education.exam",
                "warning" if days_left <= EXAM_SOON_DAYS and behind else "info",
                {
                    "exam": exam.data["exam"],
                    "exam_date": exam.data["exam_date"],
                    "days_left": days_left,
                    "target": exam.data.get("exam_target"),
                    "hours_7d": round(hours_now, 1),
                    "goal": goal,
                },
                [exam.id, *(r.id for r in this_week)],
            )
        )
    goal_texts = [r for r in records if r.data.get("goals")]
    if goal_texts:
        latest = goal_texts[-1]
        findings.append(
            Finding(
                "education.goals",
                "warning" if not this_week else "info",
                {"goals": list(latest.data["goals"]), "studied_7d": bool(this_week)},
                [latest.id, *(r.id for r in this_week)],
            )
        )
    return findings

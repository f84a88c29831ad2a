"""What an analyser returns, what it is given, and the helpers the analysers share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import fmean
from typing import Any

from agent.analysis.guidelines import Guidelines, Severity
from memory.records.datatypes import is_finite_number
from memory.storage.models import UserData

__all__ = ["Analyser", "Context", "Finding", "Severity", "daily_values", "mean_or_none", "within"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One conclusion of a rule: its key names the rule (and the text template), figures say why."""

    key: str
    severity: Severity
    figures: dict[str, Any]
    records: list[int] = field(default_factory=list)
    """Ids of the records it rests on."""


@dataclass(frozen=True, slots=True)
class Context:
    """What an analysis knows besides the records."""

    now: datetime
    guidelines: Guidelines = "international"
    """Which published thresholds to compare with (`agent.analysis.guidelines`)."""
    height_cm: float | None = None
    """From the profile, for the BMI."""


Analyser = Callable[[Sequence[UserData], Context], list[Finding]]
"""Takes a user's records of one type (oldest first, see `runner.LOOKBACK`) and the context."""


def within(records: Sequence[UserData], now: datetime, days: int) -> list[UserData]:
    """The records of the last `days` days."""
    start = now - timedelta(days=days)
    return [r for r in records if start < r.recorded_at <= now]


def daily_values(records: Sequence[UserData], name: str) -> tuple[dict[str, float], list[int]]:
    """One value per calendar day (the day's mean), and the ids of the records that had it."""
    by_day: dict[str, list[float]] = {}
    ids = []
    for record in records:
        value = record.data.get(name)
        if is_finite_number(value):
            by_day.setdefault(f"{record.recorded_at:%Y-%m-%d}", []).append(float(value))
            ids.append(record.id)
    return {day: fmean(values) for day, values in by_day.items()}, ids


def mean_or_none(values: Sequence[float]) -> float | None:
    """The mean, or None for no values."""
    return round(fmean(values), 2) if values else None

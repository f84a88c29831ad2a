"""Apple Health's dates, and a day as it is read (running sums, not samples) and as a record."""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=64)
def _zone(text: str) -> timezone | None:
    if len(text) != 5 or text[0] not in "+-" or not text[1:].isdigit():
        return None
    minutes = int(text[1:3]) * 60 + int(text[3:5])
    if minutes >= 24 * 60:
        return None
    return timezone(timedelta(minutes=-minutes if text[0] == "-" else minutes))


def parse_time(text: str) -> datetime | None:
    """`2026-11-20 08:00:00 +0800` as an aware datetime between 1900 and 2200, else None."""
    if len(text) != 25 or text[19] != " ":
        return None
    zone = _zone(text[20:])
    try:
        naive = datetime.fromisoformat(text[:19])
    except ValueError:
        return None
    if zone is None or not 1900 <= naive.year <= 2200:
        return None
    return naive.replace(tzinfo=zone)


@dataclass
class Day:
    """One local day's samples, summed as they come so memory does not grow with them."""

    first_row: int
    zone: Any
    steps: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    """Each source's sum; the day's steps are the largest (a phone and a watch count alike)."""
    heart: list[float] = field(default_factory=lambda: [0.0, 0])
    """Sum and count of heart rate samples."""
    resting: list[float] = field(default_factory=lambda: [0.0, 0])
    weight: tuple[datetime, float] | None = None
    body_fat: tuple[datetime, float] | None = None
    sleep: array[int] = field(default_factory=lambda: array("q"))
    """Disjoint asleep periods as (start, end) POSIX seconds, sorted, merged as they come."""


def merge_period(periods: array[int], start: int, end: int) -> int:
    """Add [start, end] to the sorted disjoint periods, merging overlaps; the change in count.

    A phone and a watch both log the same night, and sleep stages follow each other: a night
    stays one or a few periods.
    """
    before = len(periods) // 2
    kept: array[int] = array("q")
    placed = False
    for i in range(0, len(periods), 2):
        low, high = periods[i], periods[i + 1]
        if high < start:
            kept.extend((low, high))
        elif low > end:
            if not placed:
                kept.extend((start, end))
                placed = True
            kept.extend((low, high))
        else:
            start, end = min(start, low), max(end, high)
    if not placed:
        kept.extend((start, end))
    periods[:] = kept
    return len(periods) // 2 - before


def day_records(days: dict[date, Day]) -> Iterator[tuple[int, dict[str, Any], datetime, str]]:
    """(row, data, noon of the day, label) for every day with a measurement, oldest first."""
    for when in sorted(days):
        day = days[when]
        data: dict[str, Any] = {"source": "apple_health"}
        if day.steps:
            data["steps"] = round(max(day.steps.values()))
        if day.heart[1]:
            data["heart_rate"] = round(day.heart[0] / day.heart[1])
        if day.resting[1]:
            data["resting_heart_rate"] = round(day.resting[0] / day.resting[1])
        if day.weight:
            data["weight_kg"] = round(day.weight[1], 2)
        if day.body_fat:
            data["body_fat_pct"] = round(day.body_fat[1], 1)
        if day.sleep:
            seconds = sum(day.sleep[i + 1] - day.sleep[i] for i in range(0, len(day.sleep), 2))
            data["sleep_hours"] = round(seconds / 3600, 2)
        if len(data) > 1:
            yield (
                day.first_row,
                data,
                datetime.combine(when, time(12), tzinfo=day.zone),
                f"{when} (day)",
            )

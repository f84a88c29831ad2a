"""Apple Health workouts as exercise events (behavior records), and what is not imported.

A `Workout` has its activity type, its duration (`duration` in `durationUnit`), and its distance
and energy: as `totalDistance`/`totalEnergyBurned` attributes before iOS 16, as
`WorkoutStatistics` children (`sum` in `unit`) since. Each becomes one `behavior` record of
category `exercise` at its start, e.g. "Running 跑步 5.2 km, 310 kcal", with its minutes.
Units are converted with pint (`health_units`); a unit that does not convert leaves that figure
out of the event and is noted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from memory.records.importers.health_units import factor

ACTIVITY_PREFIX = "HKWorkoutActivityType"
ACTIVITIES_ZH = {
    "Running": "跑步",
    "Walking": "步行",
    "Cycling": "骑行",
    "Swimming": "游泳",
    "Hiking": "徒步",
    "Yoga": "瑜伽",
    "TraditionalStrengthTraining": "力量训练",
    "FunctionalStrengthTraining": "功能性力量训练",
    "HighIntensityIntervalTraining": "高强度间歇训练",
    "Elliptical": "椭圆机",
    "Rowing": "划船",
    "Dance": "舞蹈",
    "Badminton": "羽毛球",
    "Basketball": "篮球",
    "Soccer": "足球",
    "TableTennis": "乒乓球",
    "Tennis": "网球",
    "MindAndBody": "身心训练",
    "Pilates": "普拉提",
    "StairClimbing": "爬楼梯",
    "CoreTraining": "核心训练",
    "Other": "其他",
}
_WORDS = re.compile(r"(?<=[a-z])(?=[A-Z])")


@dataclass
class Workout:
    """One workout as read: where it starts, its attributes, and its statistics' sums."""

    row: int
    start: datetime
    end: datetime
    attributes: dict[str, str]
    distance: list[tuple[str, str]] = field(default_factory=list)
    energy: list[tuple[str, str]] = field(default_factory=list)

    def statistic(self, attributes: dict[str, str]) -> None:
        """Keep a `WorkoutStatistics` child's sum of distance or active energy."""
        kind = attributes.get("type", "")
        pair = (attributes.get("sum", ""), attributes.get("unit", ""))
        if "Distance" in kind:
            self.distance.append(pair)
        elif kind.endswith("ActiveEnergyBurned"):
            self.energy.append(pair)


def _amount(pairs: list[tuple[str, str]], target: str, bad_units: list[str]) -> float | None:
    total = None
    for value, unit in pairs:
        try:
            number = float(value)
        except ValueError:
            continue
        scale = factor(unit, target)
        if scale is None:
            bad_units.append(unit)
            continue
        if number == number and abs(number) < 1e9:  # not NaN, not absurd
            total = (total or 0.0) + number * scale
    return total


def activity_names(kind: str) -> tuple[str, str]:
    """`HKWorkoutActivityTypeTableTennis` → ("Table Tennis", "乒乓球")."""
    short = kind.removeprefix(ACTIVITY_PREFIX)[:60] or "Other"
    return _WORDS.sub(" ", short), ACTIVITIES_ZH.get(short, "")


def workout_record(workout: Workout, bad_units: list[str]) -> dict[str, object]:
    """The behavior record's data for a workout (validated by the caller)."""
    attributes = workout.attributes
    english, chinese = activity_names(attributes.get("workoutActivityType", ""))
    distance = _amount(
        workout.distance
        or [(attributes.get("totalDistance", ""), attributes.get("totalDistanceUnit", ""))],
        "km",
        bad_units,
    )
    energy = _amount(
        workout.energy
        or [
            (
                attributes.get("totalEnergyBurned", ""),
                attributes.get("totalEnergyBurnedUnit", ""),
            )
        ],
        "kcal",
        bad_units,
    )
    minutes = _amount(
        [(attributes.get("duration", ""), attributes.get("durationUnit", "min"))], "min", []
    )
    if minutes is None:
        minutes = (workout.end - workout.start).total_seconds() / 60
    figures = []
    if distance:
        figures.append(f"{distance:.2f} km")
    if energy:
        figures.append(f"{energy:.0f} kcal")
    event = " ".join(part for part in (english, chinese) if part)
    if figures:
        event += " " + ", ".join(figures)
    return {
        "category": "exercise",
        "event": event,
        "duration_minutes": round(minutes, 1),
        "source": "apple_health",
    }

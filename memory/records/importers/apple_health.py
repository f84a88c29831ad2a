"""Apple Health's `export.xml` (or the `export.zip` around it), read as a stream.

The Health app's export ("Export All Health Data") is one XML file, often gigabytes: a
`HealthData` root with one `Record` per sample (`type`, `unit`, `value`, `startDate`, `endDate`,
`sourceName`), `Correlation`s that group a blood pressure reading's two records (which also stand
on their own), `Workout`s and `ActivitySummary`s (the rings). `health_xml` hands each element over
without building a tree, so memory stays flat whatever the size.

What becomes records:
- one health record per day (the sample's own local date) with `steps` (the largest of the
  sources' daily sums, since an iPhone and a Watch count the same steps), `heart_rate` and
  `resting_heart_rate` (the day's mean), `weight_kg` and `body_fat_pct` (the day's last), and
  `sleep_hours` (time asleep, overlapping samples merged, on the day the sleep ended);
- one health record per blood pressure reading (systolic and diastolic of the same time) and per
  glucose reading (whether it was fasting is not in the export);
- one behavior record (`exercise`) per workout (`health_workouts`).
Every unit is converted with pint (`health_units`): a sample in a unit that does not convert is
not imported and is noted. Other types, activity summaries and units are counted in the notes.
Daily records are dated at noon of their day.
"""

from __future__ import annotations

import io
import math
from collections import Counter
from datetime import date, datetime
from typing import IO, Any, NoReturn

from memory.records.datatypes import DataType
from memory.records.importers.base import (
    CountingReader,
    ImportFormatError,
    Message,
    ParsedImport,
    Progress,
    listed,
)
from memory.records.importers.health_days import Day, day_records, merge_period, parse_time
from memory.records.importers.health_units import factor
from memory.records.importers.health_workouts import Workout, workout_record
from memory.records.importers.health_xml import read_health_xml
from memory.records.importers.limits import ImportLimits

APP = "apple_health"
HK = "HKQuantityTypeIdentifier"
STEPS = f"{HK}StepCount"
HEART = f"{HK}HeartRate"
RESTING = f"{HK}RestingHeartRate"
SYSTOLIC = f"{HK}BloodPressureSystolic"
DIASTOLIC = f"{HK}BloodPressureDiastolic"
GLUCOSE = f"{HK}BloodGlucose"
WEIGHT = f"{HK}BodyMass"
BODY_FAT = f"{HK}BodyFatPercentage"
SLEEP = "HKCategoryTypeIdentifierSleepAnalysis"
TARGET_UNITS = {
    STEPS: "count",
    HEART: "count/min",
    RESTING: "count/min",
    SYSTOLIC: "mmHg",
    DIASTOLIC: "mmHg",
    GLUCOSE: "mmol/L",
    WEIGHT: "kg",
    BODY_FAT: "percent",
}
"""The pint unit each imported type is stored in."""
QUIET = {
    "HealthData",
    "ExportDate",
    "Me",
    "MetadataEntry",
    "HeartRateVariabilityMetadataList",
    "InstantaneousBeatsPerMinute",
    "WorkoutEvent",
    "WorkoutRoute",
    "FileReference",
    "WorkoutActivity",
    "WorkoutStatistics",
    "Correlation",
}
"""Elements read for their parent or not data of their own: never reported as not imported."""
SOURCES_PER_DAY = 16
"""Step sources compared per day (a phone, a watch, an app or two); more are not counted."""
HELD_PER_RECORD = 20
"""Sleep periods and step sources held while reading, per record allowed (`max_records`)."""
MAX_NAME_CHARS = 100
MAX_TYPES = 10_000
"""Distinct unknown types counted by name; more are counted together."""


class _Reader:
    """Collects the samples of one export, day by day, within the limits."""

    def __init__(self, limits: ImportLimits) -> None:
        self.limits = limits
        self.parsed = ParsedImport(format=APP)
        self.days: dict[date, Day] = {}
        self.pressure: dict[datetime, dict[str, Any]] = {}
        self.glucose: dict[datetime, tuple[int, float]] = {}
        self.workouts: list[Workout] = []
        self.workout: Workout | None = None
        self.skipped: Counter[str] = Counter()
        self.bad_units: Counter[str] = Counter()
        self.summaries = 0
        self.extra_sources = 0
        self.held = 0
        self.row = 0
        self.depth = 0

    # --- the stream ---------------------------------------------------------------------------

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        self.depth += 1
        if self.depth == 1 and tag != "HealthData":
            raise ImportFormatError(
                Message(
                    f"this XML is not an Apple Health export (its root is <{tag[:60]}>)",
                    f"这个 XML 不是 Apple 健康的导出文件（根元素是 <{tag[:60]}>）",
                )
            )
        if tag == "Record":
            self.row += 1
            self.record(attributes)
        elif tag == "Workout":
            self.row += 1
            self.workout_start(attributes)
        elif tag == "WorkoutStatistics" and self.workout is not None:
            self.workout.statistic(attributes)
        elif tag == "ActivitySummary":
            self.summaries += 1
        elif self.depth == 2 and tag not in QUIET:
            self.skip(tag)

    def end(self, tag: str) -> None:
        self.depth -= 1
        if tag == "Workout" and self.workout is not None:
            self.workouts.append(self.workout)
            self.workout = None

    # --- bounds -------------------------------------------------------------------------------

    def count(self, held: int = 0) -> None:
        """Count one more record kept (and `held` periods or sources), refusing past the limits."""
        records = len(self.days) + len(self.pressure) + len(self.glucose) + len(self.workouts)
        self.held += held
        if records > self.limits.max_records:
            self.too_many(
                f"more than {self.limits.max_records:,} days, readings and workouts",
                f"超过 {self.limits.max_records:,} 个日记录、读数和锻炼",
            )
        if self.held > HELD_PER_RECORD * self.limits.max_records:
            self.too_many(
                f"more than {self.held - 1:,} separate sleep periods and step sources",
                f"超过 {self.held - 1:,} 段分开的睡眠和计步来源",
            )

    def too_many(self, en: str, zh: str) -> NoReturn:
        raise ImportFormatError(
            Message(
                f"it holds {en}, the most one import brings (MEMADVISOR_IMPORT_MAX_RECORDS); "
                "nothing was imported. Ask the server's administrator to raise the limit",
                f"其中有{zh}，超出单次导入的上限（MEMADVISOR_IMPORT_MAX_RECORDS），"
                "未导入任何内容；请服务器管理员提高上限",
            ),
            app=APP,
        )

    def skip(self, kind: str) -> None:
        if len(kind) > MAX_NAME_CHARS:
            kind = "(unreadable type)"
        elif kind not in self.skipped and len(self.skipped) >= MAX_TYPES:
            kind = "(other types)"
        self.skipped[kind] += 1

    def reject(self, kind: str, problem: str) -> None:
        self.parsed.reject(self.row, [f"{_short(kind)}: {problem}"])

    # --- samples ------------------------------------------------------------------------------

    def day(self, when: datetime) -> Day:
        """The day of a sample, in the sample's own time zone."""
        key = when.date()
        found = self.days.get(key)
        if found is None:
            found = self.days[key] = Day(first_row=self.row, zone=when.tzinfo)
            self.count()
        return found

    def record(self, attributes: dict[str, str]) -> None:
        kind = attributes.get("type", "")
        if kind not in TARGET_UNITS and kind != SLEEP:
            self.skip(kind or "(no type)")
            return
        start = parse_time(attributes.get("startDate", ""))
        end = parse_time(attributes.get("endDate", "")) if "endDate" in attributes else start
        if start is None or end is None:
            self.reject(kind, "startDate/endDate is not a date like 2026-11-20 08:00:00 +0800")
            return
        if kind == SLEEP:
            if "Asleep" in attributes.get("value", "") and end > start:
                day = self.day(end)
                self.count(merge_period(day.sleep, int(start.timestamp()), int(end.timestamp())))
            return
        raw = attributes.get("value", "")
        try:
            value = float(raw)
        except ValueError:
            self.reject(kind, f"value {raw[:40]!r} is not a number")
            return
        if not math.isfinite(value):
            self.reject(kind, f"value {raw[:40]!r} is not a finite number")
            return
        unit = attributes.get("unit", "")
        if kind == BODY_FAT and unit == "%":
            scale: float | None = 100.0 if value <= 1 else 1.0  # HealthKit's % is a fraction
        else:
            scale = factor(unit, TARGET_UNITS[kind])
        if scale is None:
            self.bad_units[f"{_short(kind)}\t{unit[:40]}"] += 1
            return
        self.sample(kind, value * scale, start, attributes.get("sourceName", "")[:MAX_NAME_CHARS])

    def sample(self, kind: str, value: float, start: datetime, source: str) -> None:
        if kind == STEPS:
            day = self.day(start)
            if source not in day.steps and len(day.steps) >= SOURCES_PER_DAY:
                self.extra_sources += 1
                return
            if source not in day.steps:
                self.count(1)
            day.steps[source] += value
        elif kind in (HEART, RESTING):
            sums = self.day(start).heart if kind == HEART else self.day(start).resting
            sums[0] += value
            sums[1] += 1
        elif kind in (WEIGHT, BODY_FAT):
            day = self.day(start)
            attr = "weight" if kind == WEIGHT else "body_fat"
            latest = getattr(day, attr)
            if latest is None or start >= latest[0]:
                setattr(day, attr, (start, value))
        elif kind in (SYSTOLIC, DIASTOLIC):
            reading = self.pressure.get(start)
            if reading is None:
                reading = self.pressure[start] = {"row": self.row}
                self.count()
            reading["systolic_bp" if kind == SYSTOLIC else "diastolic_bp"] = round(value)
        elif kind == GLUCOSE:
            if start not in self.glucose:
                self.glucose[start] = (self.row, 0.0)
                self.count()
            self.glucose[start] = (self.row, round(value, 1))

    def workout_start(self, attributes: dict[str, str]) -> None:
        start = parse_time(attributes.get("startDate", ""))
        end = parse_time(attributes.get("endDate", ""))
        if start is None or end is None:
            self.reject("Workout", "startDate/endDate is not a date like 2026-11-20 08:00:00 +0800")
            return
        self.workout = Workout(self.row, start, end, dict(attributes))
        self.count()

    # --- the records --------------------------------------------------------------------------

    def finish(self) -> ParsedImport:
        """The records, the refused readings and the notes."""
        for row, data, when, label in day_records(self.days):
            self._add(row, "health", data, when, label)
        for when, reading in sorted(self.pressure.items()):
            row = reading.pop("row")
            label = f"{when:%Y-%m-%d %H:%M}"
            if len(reading) != 2:
                self.parsed.reject(
                    row, [f"{label}: a blood pressure reading needs both systolic and diastolic"]
                )
                continue
            self._add(row, "health", {**reading, "source": APP}, when, label)
        for when, (row, mmol) in sorted(self.glucose.items()):
            self._add(
                row,
                "health",
                {"glucose_mmol_l": mmol, "source": APP},
                when,
                f"{when:%Y-%m-%d %H:%M}",
            )
        bad_units: list[str] = []
        for workout in self.workouts:
            data = workout_record(workout, bad_units)
            self._add(
                workout.row,
                "behavior",
                data,
                workout.start,
                f"workout {workout.start:%Y-%m-%d %H:%M}",
            )
        for unit in bad_units:
            self.bad_units[f"Workout\t{unit[:40]}"] += 1
        self._notes()
        return self.parsed

    def _notes(self) -> None:
        parsed, limit = self.parsed, self.limits.max_listed_names
        if self.workouts:
            n = len(self.workouts)
            parsed.note(
                f"{n} workouts imported as exercise (behavior records)",
                f"{n} 次锻炼导入为运动（行为记录）",
            )
        if self.summaries:
            n = self.summaries
            parsed.note(
                f"not imported: {n} activity summaries (the rings); their steps, energy and "
                "workouts come from the samples",
                f"未导入：{n} 条活动圆环汇总；步数、能量和锻炼已从各条样本中读取",
            )
        if self.extra_sources:
            n = self.extra_sources
            parsed.note(
                f"not counted: {n} step samples from more than {SOURCES_PER_DAY} sources in a day",
                f"未计入：{n} 条步数样本（同一天超过 {SOURCES_PER_DAY} 个来源）",
            )
        shown, more, rest = listed(self.bad_units, limit)
        for key, n in shown:
            kind, unit = key.split("\t", 1)
            parsed.note(
                f"not imported: {kind} in unit {unit or '(none)'!r} ({n} samples), which does not "
                "convert to the unit MemAdvisor stores",
                f"未导入：单位为 {unit or '（无）'!r} 的 {kind}（{n} 条），"
                "无法换算为 MemAdvisor 存储的单位",
            )
        if more:
            parsed.note(
                f"not imported: {rest} samples in {more} other units that do not convert",
                f"未导入：另外 {more} 种无法换算的单位的 {rest} 条样本",
            )
        shown, more, rest = listed(self.skipped, limit)
        for kind, n in shown:
            parsed.note(
                f"not imported: {_short(kind)} ({n} samples)", f"未导入：{_short(kind)}（{n} 条）"
            )
        if more:
            parsed.note(
                f"not imported: {more} more types ({rest} samples)",
                f"未导入：另外 {more} 种类型（{rest} 条）",
            )

    def _add(
        self, row: int, data_type: DataType, data: dict[str, Any], when: datetime, what: str
    ) -> None:
        before = self.parsed.rejected_total
        self.parsed.add(row, data_type, data, recorded_at=when)
        if self.parsed.rejected_total > before and self.parsed.rejected:
            number, errors = self.parsed.rejected[-1]
            self.parsed.rejected[-1] = (number, [f"{what}: {error}" for error in errors])


def _short(kind: str) -> str:
    return kind.removeprefix(HK).removeprefix("HKCategoryTypeIdentifier")[:MAX_NAME_CHARS]


def parse_apple_health(
    stream: IO[bytes],
    total: int | None,
    progress: Progress | None = None,
    limits: ImportLimits | None = None,
) -> ParsedImport:
    """Read an `export.xml` stream (`total` bytes if known); see the module docstring."""
    limits = limits or ImportLimits()
    reader = _Reader(limits)
    counting = CountingReader(stream, total, progress, limit=limits.max_unpacked_bytes, app=APP)
    read_health_xml(
        io.BufferedReader(counting, buffer_size=1 << 18),
        reader.start,
        reader.end,
        max_text_chars=limits.max_text_chars,
    )
    return reader.finish()

"""Apple Health's `export.xml` (or the `export.zip` around it), parsed as a stream.

The Health app's export ("Export All Health Data") is one XML file, often hundreds of megabytes:
a `HealthData` root with one `Record` element per sample (`type`, `unit`, `value`, `startDate`,
`endDate`, `sourceName`), `Correlation` elements that group a blood pressure reading's two
records, `Workout`s and more. It is read with `iterparse` and each element is dropped once read,
so memory stays flat whatever the size. The DTD at the top is allowed; entities are not
(defusedxml), so a crafted file cannot expand.

What becomes records:
- one health record per day (the sample's own local date) with `steps` (the largest of the
  sources' daily sums, since an iPhone and a Watch count the same steps), `heart_rate` and
  `resting_heart_rate` (the day's mean), `weight_kg` and `body_fat_pct` (the day's last), and
  `sleep_hours` (time asleep, overlapping samples merged, on the day the sleep ended);
- one health record per blood pressure reading (systolic and diastolic of the same time) and per
  glucose reading (mg/dL converted to mmol/L; whether it was fasting is not in the export).
Other types are counted in the report's notes. Daily records are dated at noon of their day.
"""

from __future__ import annotations

import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from memory.records.datatypes import MG_DL_PER_MMOL_L
from memory.records.importers.base import (
    CountingReader,
    ImportFormatError,
    ParsedImport,
    Progress,
    stream_size,
)

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
WANTED = {STEPS, HEART, RESTING, SYSTOLIC, DIASTOLIC, GLUCOSE, WEIGHT, BODY_FAT, SLEEP}
POUND_KG = 0.45359237
DATE_FORMAT = "%Y-%m-%d %H:%M:%S %z"


@dataclass
class _Day:
    first_row: int
    zone: Any
    steps: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    heart: list[float] = field(default_factory=list)
    resting: list[float] = field(default_factory=list)
    weight: tuple[datetime, float] | None = None
    body_fat: tuple[datetime, float] | None = None
    sleep: list[tuple[datetime, datetime]] = field(default_factory=list)


class _Reader:
    """Collects the samples of one export, day by day."""

    def __init__(self) -> None:
        self.parsed = ParsedImport(format="apple_health")
        self.days: dict[date, _Day] = {}
        self.pressure: dict[datetime, dict[str, Any]] = {}
        self.glucose: dict[datetime, tuple[int, float]] = {}
        self.skipped: Counter[str] = Counter()
        self.row = 0

    def day(self, when: datetime) -> _Day:
        """The day of a sample, in the sample's own time zone."""
        key = when.date()
        if key not in self.days:
            self.days[key] = _Day(first_row=self.row, zone=when.tzinfo)
        return self.days[key]

    def record(self, element: Element) -> None:
        self.row += 1
        kind = element.get("type", "")
        if kind not in WANTED:
            self.skipped[kind or "(no type)"] += 1
            return
        try:
            start = datetime.strptime(element.get("startDate") or "", DATE_FORMAT)
            end = datetime.strptime(
                element.get("endDate") or element.get("startDate") or "", DATE_FORMAT
            )
        except ValueError:
            self.parsed.reject(
                self.row,
                [f"{kind}: startDate/endDate is not a date like 2026-11-20 08:00:00 +0800"],
            )
            return
        if kind == SLEEP:
            if "Asleep" in element.get("value", ""):
                self.day(end).sleep.append((start, end))
            return
        try:
            value = float(element.get("value", ""))
        except ValueError:
            self.parsed.reject(
                self.row, [f"{kind}: value {element.get('value')!r} is not a number"]
            )
            return
        unit = element.get("unit", "")
        if kind == STEPS:
            self.day(start).steps[element.get("sourceName", "")] += value
        elif kind == HEART:
            self.day(start).heart.append(value)
        elif kind == RESTING:
            self.day(start).resting.append(value)
        elif kind in (WEIGHT, BODY_FAT):
            if kind == WEIGHT:
                value = value * POUND_KG if unit == "lb" else value / 1000 if unit == "g" else value
            elif unit == "%" and value <= 1:
                value *= 100  # Health stores body fat as a fraction with unit "%"
            day = self.day(start)
            attr = "weight" if kind == WEIGHT else "body_fat"
            latest = getattr(day, attr)
            if latest is None or start >= latest[0]:
                setattr(day, attr, (start, value))
        elif kind in (SYSTOLIC, DIASTOLIC):
            reading = self.pressure.setdefault(start, {"row": self.row})
            reading["systolic_bp" if kind == SYSTOLIC else "diastolic_bp"] = round(value)
        elif kind == GLUCOSE:
            mmol = value if unit.startswith("mmol") else value / MG_DL_PER_MMOL_L
            self.glucose[start] = (self.row, round(mmol, 1))

    def finish(self) -> ParsedImport:
        parsed = self.parsed
        for when in sorted(self.days):
            day = self.days[when]
            data: dict[str, Any] = {"source": "apple_health"}
            if day.steps:
                data["steps"] = round(max(day.steps.values()))
            if day.heart:
                data["heart_rate"] = round(sum(day.heart) / len(day.heart))
            if day.resting:
                data["resting_heart_rate"] = round(sum(day.resting) / len(day.resting))
            if day.weight:
                data["weight_kg"] = round(day.weight[1], 2)
            if day.body_fat:
                data["body_fat_pct"] = round(day.body_fat[1], 1)
            if day.sleep:
                data["sleep_hours"] = round(_asleep_hours(day.sleep), 2)
            if len(data) > 1:
                noon = datetime.combine(when, time(12), tzinfo=day.zone)
                self._add(day.first_row, data, noon, f"{when} (day)")
        for when, reading in sorted(self.pressure.items()):
            row = reading.pop("row")
            if len(reading) != 2:
                parsed.reject(
                    row,
                    [
                        f"{when:%Y-%m-%d %H:%M}: a blood pressure reading needs both systolic "
                        "and diastolic"
                    ],
                )
                continue
            self._add(row, {**reading, "source": "apple_health"}, when, f"{when:%Y-%m-%d %H:%M}")
        for when, (row, mmol) in sorted(self.glucose.items()):
            self._add(
                row,
                {"glucose_mmol_l": mmol, "source": "apple_health"},
                when,
                f"{when:%Y-%m-%d %H:%M}",
            )
        for kind, n in self.skipped.most_common():
            short = kind.removeprefix(HK).removeprefix("HKCategoryTypeIdentifier")
            parsed.notes.append(f"not imported: {short} ({n} samples)")
        return parsed

    def _add(self, row: int, data: dict[str, Any], when: datetime, what: str) -> None:
        before = self.parsed.rejected_total
        self.parsed.add(row, "health", data, recorded_at=when)
        if self.parsed.rejected_total > before and self.parsed.rejected:
            number, errors = self.parsed.rejected[-1]
            self.parsed.rejected[-1] = (number, [f"{what}: {error}" for error in errors])


def _asleep_hours(spans: list[tuple[datetime, datetime]]) -> float:
    """Hours covered by the spans, overlaps counted once (a phone and a watch both log sleep)."""
    total = timedelta()
    current_start, current_end = None, None
    for start, end in sorted(spans):
        if current_end is None or start > current_end:
            if current_end is not None and current_start is not None:
                total += current_end - current_start
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None and current_start is not None:
        total += current_end - current_start
    return total.total_seconds() / 3600


def parse_apple_health(stream: IO[bytes], progress: Progress | None = None) -> ParsedImport:
    """Read an `export.xml`, or an `export.zip` with one inside; see the module docstring."""
    start = stream.tell()
    is_zip = stream.read(4) == b"PK\x03\x04"
    stream.seek(start)
    if is_zip:
        try:
            archive = zipfile.ZipFile(stream)
        except zipfile.BadZipFile as exc:
            raise ImportFormatError("the ZIP file is damaged") from exc
        name = next((n for n in archive.namelist() if n.endswith("export.xml")), None)
        if name is None:
            raise ImportFormatError("the ZIP file has no export.xml (export it again from Health)")
        with archive.open(name) as member:
            return _parse_xml(member, archive.getinfo(name).file_size, progress)
    return _parse_xml(stream, stream_size(stream), progress)


def _parse_xml(raw: IO[bytes], total: int | None, progress: Progress | None) -> ParsedImport:
    reader = _Reader()
    depth = 0
    root: Element | None = None
    seen_root = False
    counting = CountingReader(raw, total, progress)
    try:
        for event, element in iterparse(counting, events=("start", "end"), forbid_dtd=False):
            if event == "start":
                depth += 1
                if depth == 1:
                    root, seen_root = element, True
                    if element.tag != "HealthData":
                        raise ImportFormatError(
                            f"this XML is not an Apple Health export (its root is <{element.tag}>, "
                            "not <HealthData>)"
                        )
                continue
            depth -= 1
            if element.tag == "Record":
                reader.record(element)
            if depth == 1 and root is not None:
                root.clear()  # drop what has been read
    except ParseError as exc:
        line, column = exc.position
        raise ImportFormatError(
            f"export.xml is not well-formed at line {line}, column {column} "
            f"({str(exc).split(':')[0]}); nothing was imported. Export it again from the Health app"
        ) from exc
    except DefusedXmlException as exc:
        raise ImportFormatError(f"export.xml declares entities, which are refused ({exc})") from exc
    if not seen_root:
        raise ImportFormatError("the file is empty")
    return reader.finish()

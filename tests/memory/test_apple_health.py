"""Apple Health exports as phones write them: found by content in the ZIP, the iOS 16 DTD
repaired, every unit converted (or refused with a note), workouts imported, and every bound held.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from memory.records.importers import ImportFormatError, ImportLimits, ParsedImport, parse_import

FIXTURES = Path(__file__).parent.parent / "fixtures"
IOS16 = (FIXTURES / "apple_health_ios16.xml").read_bytes()
APPLE_DOUBLE = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + b"\x00" * 64
"""What a Mac writes into `__MACOSX/._name`: resource-fork metadata, not the export."""


def _records(parsed: ParsedImport) -> dict[tuple[str, str], dict[str, object]]:
    return {
        (record.data_type, f"{record.recorded_at:%Y-%m-%d %H:%M}"): record.data
        for _, record in parsed.records
    }


def _notes(parsed: ParsedImport) -> list[str]:
    return [note.en for note in parsed.notes]


def test_the_ios16_dtd_is_repaired_and_every_unit_converted() -> None:
    parsed = parse_import(io.BytesIO(IOS16), "导出.xml")
    records = _records(parsed)
    # Days are at noon in +08:00 (04:00 UTC); 11.5 st is 73.03 kg, 72,800 g is 72.8 kg.
    assert records[("health", "2026-11-20 04:00")] == {"weight_kg": 73.03, "source": "apple_health"}
    day21 = records[("health", "2026-11-21 04:00")]
    assert day21["weight_kg"] == 72.8 and day21["body_fat_pct"] == 26.4  # 0.264 "%"
    assert day21["steps"] == 4321 and day21["heart_rate"] == 75  # NaN and inf left out
    assert records[("health", "2026-11-20 23:30")] == {
        "glucose_mmol_l": 5.6,  # mmol<180.1558800000541>/L
        "source": "apple_health",
    }
    # A body mass in kcal is no mass: refused with a note, never taken for kilograms.
    assert (
        "not imported: BodyMass in unit 'kcal' (1 samples), which does not convert to the unit "
        "MemAdvisor stores" in _notes(parsed)
    )
    assert ("health", "2026-11-22 04:00") not in records


def test_non_finite_values_are_row_errors() -> None:
    parsed = parse_import(io.BytesIO(IOS16), "export.xml")
    assert [errors for _, errors in parsed.rejected] == [
        ["HeartRate: value 'NaN' is not a finite number"],
        ["HeartRate: value 'inf' is not a finite number"],
    ]


def test_workouts_become_exercise_and_rings_are_noted() -> None:
    parsed = parse_import(io.BytesIO(IOS16), "export.xml")
    records = _records(parsed)
    # iOS 16: distance and energy in WorkoutStatistics (3.1 mi, 1,255.2 kJ).
    assert records[("behavior", "2026-11-21 10:08")] == {
        "category": "exercise",
        "event": "Running 跑步 4.99 km, 300 kcal",
        "duration_minutes": 31.5,
        "source": "apple_health",
    }
    # Before: attributes (1,500 m, 290 Cal, 0.75 hr).
    swim = records[("behavior", "2026-11-21 23:00")]
    assert swim["event"] == "Swimming 游泳 1.50 km, 290 kcal" and swim["duration_minutes"] == 45.0
    notes = _notes(parsed)
    assert "2 workouts imported as exercise (behavior records)" in notes
    assert any(note.startswith("not imported: 2 activity summaries") for note in notes)
    assert "not imported: DistanceWalkingRunning (1 samples)" in notes


def _zip(entries: list[tuple[str, bytes]]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            archive.writestr(name, content)
    buffer.seek(0)
    return buffer


@pytest.mark.parametrize("name", ["导出.xml", "導出.xml", "export.xml", "数据.xml"])
def test_the_export_is_found_in_the_zip_by_its_content(name: str) -> None:
    cda = b'<?xml version="1.0"?><ClinicalDocument xmlns="urn:hl7-org:v3"></ClinicalDocument>'
    archive = _zip(
        [
            (f"__MACOSX/apple_health_export/._{name}", APPLE_DOUBLE),
            (f"apple_health_export/{name.replace('.xml', '_cda.xml')}", cda),
            ("apple_health_export/workout-routes/route_2026-11-21_6.39pm.gpx", b"<gpx/>"),
            (f"apple_health_export/{name}", IOS16),
        ]
    )
    parsed = parse_import(archive, "export.zip")
    assert parsed.format == "apple_health" and len(parsed.records) == 5


def test_a_zip_without_an_export_says_what_it_reads() -> None:
    archive = _zip([("notes/readme.txt", b"hello"), ("photo.png", b"\x89PNG")])
    with pytest.raises(ImportFormatError) as error:
        parse_import(archive, "archive.zip")
    assert error.value.app is None and "holds no file MemAdvisor reads" in error.value.in_("en")


@pytest.mark.parametrize(
    ("doctype", "message"),
    [
        ('<!DOCTYPE HealthData [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>', "entities"),
        ('<!DOCTYPE HealthData SYSTEM "file:///etc/passwd">', "external file"),
        ('<!DOCTYPE HealthData [<!ENTITY x SYSTEM "file:///etc/passwd">]>', "entities"),
    ],
)
def test_entities_and_external_dtds_stay_refused(doctype: str, message: str) -> None:
    content = f'<?xml version="1.0"?>{doctype}<HealthData>&b;</HealthData>'.encode()
    with pytest.raises(ImportFormatError, match=message):
        parse_import(io.BytesIO(content), "export.xml")


def test_an_entity_used_without_a_dtd_is_not_expanded() -> None:
    content = b'<?xml version="1.0"?><HealthData><Record type="&x;"/></HealthData>'
    with pytest.raises(ImportFormatError, match="undefined entity"):
        parse_import(io.BytesIO(content), "export.xml")


def _health(body: str) -> bytes:
    return f'<?xml version="1.0"?>\n<HealthData locale="en_US">\n{body}</HealthData>\n'.encode()


def _pressure(n: int) -> str:
    lines = []
    for i in range(n):
        when = f"2026-{1 + i // 28 % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:00 +0800"
        for kind, value in (("Systolic", 130), ("Diastolic", 85)):
            lines.append(
                f'<Record type="HKQuantityTypeIdentifierBloodPressure{kind}" unit="mmHg" '
                f'sourceName="cuff" startDate="{when}" endDate="{when}" value="{value}"/>\n'
            )
    return "".join(lines)


def test_readings_are_capped_like_csv_rows() -> None:
    content = _health(_pressure(60))
    assert len(parse_import(io.BytesIO(content), "export.xml").records) == 60
    with pytest.raises(ImportFormatError) as error:
        parse_import(io.BytesIO(content), "export.xml", limits=ImportLimits(max_records=50))
    assert "more than 50 days, readings and workouts" in error.value.in_("en")
    assert "MEMADVISOR_IMPORT_MAX_RECORDS" in error.value.in_("en")


def test_unknown_types_are_listed_up_to_a_bound_with_a_count() -> None:
    body = "".join(
        f'<Record type="HKQuantityTypeIdentifierMade{i}" unit="count" sourceName="x" '
        f'startDate="2026-11-20 08:00:00 +0800" endDate="2026-11-20 08:00:00 +0800" value="1"/>\n'
        for i in range(5000)
    )
    parsed = parse_import(io.BytesIO(_health(body)), "export.xml")
    notes = _notes(parsed)
    assert len(notes) == 21 and sum(len(note) for note in notes) < 2000
    assert notes[-1] == "not imported: 4980 more types (4980 samples)"


@pytest.mark.parametrize(
    "body",
    [
        " " * 70_000 + "<ExportDate/>",  # a run of spaces
        '<Record type="' + "H" * 70_000 + '"/>',  # an attribute
        "<Note>" + "x" * 70_000 + "</Note>",  # an element's text
    ],
)
def test_long_texts_are_refused_before_they_are_held(body: str) -> None:
    with pytest.raises(ImportFormatError, match="longer than 65,536 characters"):
        parse_import(io.BytesIO(_health(body)), "export.xml")


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(ImportFormatError, match="nest more than 64 deep"):
        parse_import(io.BytesIO(_health("<a>" * 100_000)), "export.xml")


def test_dates_out_of_range_are_row_errors() -> None:
    body = (
        '<Record type="HKQuantityTypeIdentifierStepCount" unit="count" sourceName="x" '
        'startDate="0001-01-01 00:00:00 +1400" endDate="0001-01-01 00:10:00 +1400" value="5"/>\n'
    )
    parsed = parse_import(io.BytesIO(_health(body)), "export.xml")
    assert parsed.records == [] and "startDate/endDate" in parsed.rejected[0][1][0]

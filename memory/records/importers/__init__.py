"""Imports of records from files: our own CSV/JSON, Apple Health, Alipay, WeChat Pay, any CSV.

`parse_import` opens the upload (a ZIP, locked or not, is opened and its file found by content:
`archive`), finds what the file is from its content (the format named by the caller must agree),
and returns the records and the per-row report; `split_by_consent` then keeps the rows whose type
the user allows. Both the API and the CLI go through these two, so they import alike, and a
preview is the same reading without the writing.
"""

from __future__ import annotations

import codecs
from collections import Counter
from typing import IO, Literal

from memory.records.datatypes import DataType, NewRecord
from memory.records.importers.apple_health import parse_apple_health
from memory.records.importers.archive import Upload, open_upload
from memory.records.importers.base import (
    APP_NAMES,
    MAX_REPORTED_ROWS,
    ImportFormatError,
    Message,
    ParsedImport,
    PasswordRequiredError,
    Progress,
)
from memory.records.importers.bills import detect_bill, parse_bill
from memory.records.importers.limits import ImportLimits
from memory.records.importers.mapped_csv import (
    ColumnMapping,
    CsvPreview,
    parse_mapped_csv,
    preview_csv,
)
from memory.records.importers.records import parse_records
from memory.records.importers.sheets import sheet_rows
from memory.records.importers.summary import ImportSummary, summarize
from memory.records.importers.text import csv_rows, open_text

ImportFormat = Literal["auto", "records", "apple_health", "alipay", "wechat_pay", "csv"]
FORMATS: tuple[ImportFormat, ...] = (
    "auto",
    "records",
    "apple_health",
    "alipay",
    "wechat_pay",
    "csv",
)
TYPE_NAMES_ZH = {"health": "健康", "finance": "财务", "education": "学习", "behavior": "行为"}
APPS = ("apple_health", "alipay", "wechat_pay")
"""Formats recognised by content for certain: naming another one for such a file is refused."""

__all__ = [
    "FORMATS",
    "MAX_REPORTED_ROWS",
    "ColumnMapping",
    "CsvPreview",
    "ImportFormat",
    "ImportFormatError",
    "ImportLimits",
    "ImportSummary",
    "Message",
    "ParsedImport",
    "PasswordRequiredError",
    "Progress",
    "detect_format",
    "parse_import",
    "preview_csv",
    "split_by_consent",
    "summarize",
]


def _text_head(head: bytes) -> str:
    for encoding in ("utf-8", "gb18030"):
        try:
            return codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
    return ""


def _detect(upload: Upload, rows: list[list[str]] | None) -> ImportFormat:
    if upload.kind == "health_xml":
        return "apple_health"
    if upload.kind == "xlsx":
        text = "\n".join(",".join(row) for row in (rows or [])[:40])
        bill = detect_bill(text)
        if bill is None:
            raise ImportFormatError(
                Message(
                    "this spreadsheet is not an Alipay or WeChat Pay bill (no 交易时间 and 收/支 "
                    "header); save it as CSV and import it as any CSV, matching its columns",
                    "这个电子表格不是支付宝或微信支付账单（没有“交易时间”“收/支”表头）；"
                    "请另存为 CSV，再作为任意 CSV 导入并对应各列",
                )
            )
        return bill  # type: ignore[return-value]
    text = _text_head(upload.head)
    if bill := detect_bill(text):
        return bill  # type: ignore[return-value]
    if text.lstrip("\ufeff \t\r\n").startswith("<"):
        return "apple_health"  # the only XML read: its parser says what the file is instead
    return "records"


def detect_format(
    stream: IO[bytes],
    filename: str,
    *,
    password: str | None = None,
    limits: ImportLimits | None = None,
) -> ImportFormat:
    """The importer for a file, from its content (a ZIP's file included); the stream is rewound."""
    start = stream.tell()
    limits = limits or ImportLimits()
    with open_upload(stream, filename, password=_secret(password), limits=limits) as upload:
        rows = sheet_rows(upload.stream, limits, None) if upload.kind == "xlsx" else None
        found = _detect(upload, rows)
    stream.seek(start)
    return found


def _secret(password: str | None) -> bytes | None:
    return password.encode("utf-8") if password else None


def parse_import(
    stream: IO[bytes],
    filename: str,
    *,
    format: ImportFormat = "auto",
    mapping: ColumnMapping | None = None,
    progress: Progress | None = None,
    password: str | None = None,
    limits: ImportLimits | None = None,
) -> ParsedImport:
    """Read and validate a whole file with the importer its content calls for.

    `password` opens a locked ZIP (it is used, never kept). Raises ImportFormatError when the
    file as a whole cannot be read (PasswordRequiredError when a password is missing or wrong).
    """
    limits = limits or ImportLimits()
    if format == "csv" or mapping is not None:
        if mapping is None:
            raise ImportFormatError(
                Message("a CSV import needs a column mapping", "任意 CSV 的导入需要列的对应关系")
            )
        return parse_mapped_csv(stream, mapping, progress, limits)
    with open_upload(stream, filename, password=_secret(password), limits=limits) as upload:
        rows = sheet_rows(upload.stream, limits, upload.app_hint) if upload.kind == "xlsx" else None
        found = _detect(upload, rows)
        if format != "auto" and format != found and found in APPS:
            theirs, ours = APP_NAMES[found], APP_NAMES[format]
            raise ImportFormatError(
                Message(
                    f"it is not an {ours[0]}; choose {theirs[0]} (or automatic) and import "
                    "it again",
                    f"它不是{ours[1]}；请选择“{theirs[1]}”（或自动识别）后重新导入",
                ),
                app=found,
            )
        chosen = found if format == "auto" else format
        if chosen == "apple_health":
            return parse_apple_health(upload.stream, upload.size, progress, limits)
        if chosen in ("alipay", "wechat_pay"):
            if rows is None:
                return parse_bill(
                    csv_rows(open_text(upload.stream, progress), chosen), chosen, limits
                )
            return parse_bill(rows, chosen, limits)
        return parse_records(upload.stream, upload.name, progress, limits)


def split_by_consent(
    parsed: ParsedImport, allowed: set[DataType], hint: str = ""
) -> tuple[list[NewRecord], list[tuple[int, list[str]]]]:
    """The records whose type the user allows, and every refused row (in row order).

    A record of a type without consent is refused with the reason (and `hint`, e.g. how to turn
    consent on); nothing of that type is written. An app's export (Apple Health's workouts are
    behavior records beside its health days) is noted once per type instead, since the user chose
    to import the file, not each row.
    """
    accepted: list[NewRecord] = []
    rejected = list(parsed.rejected)
    unconsented: Counter[str] = Counter()
    for number, record in parsed.records:
        if record.data_type in allowed:
            accepted.append(record)
        elif record.data.get("source"):
            unconsented[record.data_type] += 1
        else:
            rejected.append((number, [f"data_type: no consent for {record.data_type}{hint}"]))
    for data_type, n in unconsented.items():
        parsed.note(
            f"not imported: {n} {data_type} records, since you have not agreed to store "
            f"{data_type} data{hint or ' (turn it on under My data)'}",
            f"未导入：{n} 条{TYPE_NAMES_ZH.get(data_type, data_type)}记录，因为你没有同意保存这类"
            f"数据{hint or '（可在“我的数据”中开启）'}",
        )
    rejected.sort(key=lambda item: item[0])
    return accepted, rejected

"""Imports of records from files: our own CSV/JSON, Apple Health, Alipay, WeChat Pay, any CSV.

`parse_import` picks the importer (named, or detected from the file) and returns the records and
the per-row report; `split_by_consent` then keeps the rows whose type the user allows. Both the
API and the CLI go through these two, so they import alike.
"""

from __future__ import annotations

from typing import IO, Literal

from memory.records.datatypes import DataType, NewRecord
from memory.records.importers.apple_health import parse_apple_health
from memory.records.importers.base import (
    MAX_REPORTED_ROWS,
    ImportFormatError,
    ParsedImport,
    Progress,
)
from memory.records.importers.bills import detect_bill, parse_bill
from memory.records.importers.mapped_csv import (
    ColumnMapping,
    CsvPreview,
    parse_mapped_csv,
    preview_csv,
)
from memory.records.importers.records import parse_records

ImportFormat = Literal["auto", "records", "apple_health", "alipay", "wechat_pay", "csv"]
FORMATS: tuple[ImportFormat, ...] = (
    "auto",
    "records",
    "apple_health",
    "alipay",
    "wechat_pay",
    "csv",
)

__all__ = [
    "FORMATS",
    "MAX_REPORTED_ROWS",
    "ColumnMapping",
    "CsvPreview",
    "ImportFormat",
    "ImportFormatError",
    "ParsedImport",
    "Progress",
    "detect_format",
    "parse_import",
    "preview_csv",
    "split_by_consent",
]


def detect_format(stream: IO[bytes], filename: str) -> ImportFormat:
    """The importer for a file, from its first bytes (and its name); the stream is rewound."""
    start = stream.tell()
    head = stream.read(4096)
    stream.seek(start)
    name = filename.lower()
    if head.startswith(b"PK\x03\x04") or b"<HealthData" in head or name.endswith((".xml", ".zip")):
        return "apple_health"
    for encoding in ("utf-8", "gb18030"):
        text = head.decode(encoding, errors="ignore")
        if bill := detect_bill(text):
            return bill  # type: ignore[return-value]
    return "records"


def parse_import(
    stream: IO[bytes],
    filename: str,
    *,
    format: ImportFormat = "auto",
    mapping: ColumnMapping | None = None,
    progress: Progress | None = None,
) -> ParsedImport:
    """Read and validate a whole file with the named (or detected) importer.

    Raises ImportFormatError when the file as a whole cannot be read.
    """
    if format == "csv" or mapping is not None:
        if mapping is None:
            raise ImportFormatError("a CSV import needs a column mapping")
        return parse_mapped_csv(stream, mapping, progress)
    if format == "auto":
        format = detect_format(stream, filename)
    if format == "apple_health":
        return parse_apple_health(stream, progress)
    if format in ("alipay", "wechat_pay"):
        return parse_bill(stream, format, progress)
    return parse_records(stream, filename, progress)


def split_by_consent(
    parsed: ParsedImport, allowed: set[DataType], hint: str = ""
) -> tuple[list[NewRecord], list[tuple[int, list[str]]]]:
    """The records whose type the user allows, and every refused row (in row order).

    A record of a type without consent is refused with the reason (and `hint`, e.g. how to turn
    consent on); nothing of that type is written.
    """
    accepted: list[NewRecord] = []
    rejected = list(parsed.rejected)
    for number, record in parsed.records:
        if record.data_type in allowed:
            accepted.append(record)
        else:
            rejected.append((number, [f"data_type: no consent for {record.data_type}{hint}"]))
    rejected.sort(key=lambda item: item[0])
    return accepted, rejected

"""What every importer returns and shares: the parsed records, the per-row report, progress.

An importer reads a binary stream once, front to back (large files are never held in memory),
validates every row with the schemas of `memory.records.datatypes`, and reports each refused row
with its reasons. Columns or entry types it does not know are reported in `notes`, never fatal.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from pydantic import ValidationError

from memory.records.datatypes import (
    DataType,
    NewRecord,
    check_recorded_at,
    error_messages,
    validate_record,
)

Progress = Callable[[int, int | None], None]
"""Called now and then with (bytes read so far, total bytes or None when unknown)."""

MAX_REPORTED_ROWS = 1000
"""Refused rows listed one by one; beyond that only counted (`rejected_total`)."""


class ImportFormatError(ValueError):
    """The file as a whole cannot be read (wrong format, no header, broken XML, too large)."""


@dataclass
class ParsedImport:
    """The valid records (with their row numbers), the refused rows with reasons, and notes."""

    format: str
    records: list[tuple[int, NewRecord]] = field(default_factory=list)
    rejected: list[tuple[int, list[str]]] = field(default_factory=list)
    rejected_total: int = 0
    notes: list[str] = field(default_factory=list)
    """What was read but not imported (unknown columns or types, skipped rows), one line each."""

    def reject(self, row: int, errors: list[str]) -> None:
        """Report a refused row (listed while fewer than MAX_REPORTED_ROWS are)."""
        self.rejected_total += 1
        if len(self.rejected) < MAX_REPORTED_ROWS:
            self.rejected.append((row, errors))

    def add(
        self,
        row: int,
        data_type: DataType,
        data: dict[str, Any],
        *,
        from_text: bool = False,
        recorded_at: datetime | None = None,
    ) -> bool:
        """Validate one record and keep it, or report the row; True if kept."""
        try:
            recorded_at = check_recorded_at(recorded_at)
        except ValueError as exc:
            self.reject(row, [f"recorded_at: {exc}"])
            return False
        try:
            clean = validate_record(data_type, data, from_text=from_text)
        except ValidationError as exc:
            self.reject(row, error_messages(exc))
            return False
        self.records.append((row, NewRecord(data_type, clean, recorded_at)))
        return True


class CountingReader(io.RawIOBase):
    """A binary stream that tells `progress` how far it has been read."""

    def __init__(self, raw: IO[bytes], total: int | None, progress: Progress | None) -> None:
        self._raw = raw
        self._total = total
        self._progress = progress
        self._done = 0
        self._reported = 0

    def readable(self) -> bool:
        """Always: it is a reader."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Read into `buffer`, counting."""
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self._done += n
        # Report every 256 KB (and at the end), not on every small read.
        if self._progress is not None and (self._done - self._reported >= 1 << 18 or n == 0):
            self._reported = self._done
            self._progress(self._done, self._total)
        return n


def stream_size(stream: IO[bytes]) -> int | None:
    """The size of a seekable stream from its current position, or None."""
    try:
        here = stream.tell()
        end = stream.seek(0, io.SEEK_END)
        stream.seek(here)
        return end - here
    except (OSError, ValueError):
        return None

"""What every importer returns and shares: the parsed records, the per-row report, progress.

An importer reads a binary stream once, front to back (large files are never held in memory),
validates every row with the schemas of `memory.records.datatypes`, and reports each refused row
with its reasons. Columns or entry types it does not know are reported in `notes`, never fatal.
Notes and format errors are written in Chinese and English (`Message`): the API answers in the
user's language, and neither ever quotes the file's personal lines (names, accounts, e-mails).
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any, Literal

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

App = Literal["records", "apple_health", "alipay", "wechat_pay", "csv"]
"""What a file was found to be (the importer that reads it)."""

APP_NAMES: dict[str, tuple[str, str]] = {
    "records": ("MemAdvisor records file", "MemAdvisor 记录文件"),
    "apple_health": ("Apple Health export", "Apple 健康导出文件"),
    "alipay": ("Alipay bill", "支付宝账单"),
    "wechat_pay": ("WeChat Pay bill", "微信支付账单"),
    "csv": ("CSV file", "CSV 文件"),
}
"""How messages name each kind of file, in English and Chinese."""


@dataclass(frozen=True, slots=True)
class Message:
    """One sentence in English and Chinese; `in_` picks the user's language."""

    en: str
    zh: str

    def in_(self, language: str) -> str:
        """The sentence in `language` (`zh` or `en`)."""
        return self.zh if language == "zh" else self.en

    def __str__(self) -> str:
        return self.en


class ImportFormatError(ValueError):
    """The file as a whole cannot be read (wrong format, no header, broken XML, too large).

    `app` is what the file was found to be (None when nothing was recognised), so the answer names
    it; `message` says what is wrong and what to do, in both languages.
    """

    def __init__(self, message: Message | str, *, app: str | None = None) -> None:
        self.message = message if isinstance(message, Message) else Message(message, message)
        self.app = app
        super().__init__(self.message.en)

    def in_(self, language: str) -> str:
        """The whole sentence, naming the app when it is known."""
        text = self.message.in_(language).rstrip(".。")
        if self.app is None or self.app not in APP_NAMES:
            return (
                f"无法导入这个文件：{text}。"
                if language == "zh"
                else f"Cannot import this file: {text}."
            )
        en, zh = APP_NAMES[self.app]
        if language == "zh":
            return f"这个{' ' if zh[0].isascii() else ''}{zh}无法导入：{text}。"
        return f"This {en} cannot be imported: {text}."


class PasswordRequiredError(ImportFormatError):
    """The archive is encrypted and no password, or a wrong one, came with it."""

    def __init__(self, message: Message, *, app: str | None, wrong: bool) -> None:
        super().__init__(message, app=app)
        self.wrong = wrong


def listed(counts: Counter[str], limit: int) -> tuple[list[tuple[str, int]], int, int]:
    """The `limit` most common names with their counts, and how many names and items are left."""
    shown = counts.most_common(limit)
    rest = counts.total() - sum(n for _, n in shown)
    return shown, len(counts) - len(shown), rest


@dataclass
class ParsedImport:
    """The valid records (with their row numbers), the refused rows with reasons, and notes."""

    format: str
    records: list[tuple[int, NewRecord]] = field(default_factory=list)
    rejected: list[tuple[int, list[str]]] = field(default_factory=list)
    rejected_total: int = 0
    notes: list[Message] = field(default_factory=list)
    """What was read but not imported (unknown columns or types, skipped rows), one line each."""

    def note(self, en: str, zh: str) -> None:
        """Add a note in both languages."""
        self.notes.append(Message(en, zh))

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
        except (ValueError, OverflowError) as exc:
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
    """A binary stream that tells `progress` how far it has been read, and stops at `limit`.

    `limit` (bytes) bounds what a decompressed member may give, whatever its header claims.
    """

    def __init__(
        self,
        raw: IO[bytes],
        total: int | None,
        progress: Progress | None,
        *,
        limit: int | None = None,
        app: str | None = None,
    ) -> None:
        self._raw = raw
        self._total = total
        self._progress = progress
        self._limit = limit
        self._app = app
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
        if self._limit is not None and self._done > self._limit:
            raise too_large(self._limit, self._app)
        # Report every 256 KB (and at the end), not on every small read.
        if self._progress is not None and (self._done - self._reported >= 1 << 18 or n == 0):
            self._reported = self._done
            self._progress(self._done, self._total)
        return n


def too_large(limit: int, app: str | None) -> ImportFormatError:
    """The error for a file that unpacks to more than `limit` bytes."""
    size = f"{limit / 1_073_741_824:g} GiB" if limit >= 1 << 30 else f"{limit / 1_048_576:g} MiB"
    return ImportFormatError(
        Message(
            f"it unpacks to more than {size}, the most this server reads "
            "(MEMADVISOR_IMPORT_MAX_UNPACKED_BYTES); nothing was imported",
            f"解压后超过 {size}，超出本服务器读取的上限"
            "（MEMADVISOR_IMPORT_MAX_UNPACKED_BYTES），未导入任何内容",
        ),
        app=app,
    )


def stream_size(stream: IO[bytes]) -> int | None:
    """The size of a seekable stream from its current position, or None."""
    try:
        here = stream.tell()
        end = stream.seek(0, io.SEEK_END)
        stream.seek(here)
        return end - here
    except (OSError, ValueError):
        return None

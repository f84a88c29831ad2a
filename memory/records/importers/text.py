"""Text files as people have them: UTF-8 (with or without BOM) or GBK/GB18030, read as a stream."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from typing import IO

from memory.records.importers.base import (
    CountingReader,
    ImportFormatError,
    Message,
    Progress,
    stream_size,
)

SNIFF_BYTES = 64 * 1024


def sniff_encoding(head: bytes) -> str:
    """UTF-8 when the head decodes as UTF-8 (a character cut at the end is fine), else GB18030.

    GB18030 is the superset of GBK and GB2312, the encodings Chinese Windows tools and Alipay's
    bill export write.
    """
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


def open_text(stream: IO[bytes], progress: Progress | None = None) -> IO[str]:
    """The stream as text in its sniffed encoding, reporting progress as it is read.

    The stream must be seekable (an uploaded file or a file on disk): its head is read twice.
    """
    total = stream_size(stream)
    start = stream.tell()
    encoding = sniff_encoding(stream.read(SNIFF_BYTES))
    stream.seek(start)
    buffered = io.BufferedReader(CountingReader(stream, total, progress))
    return io.TextIOWrapper(buffered, encoding=encoding, errors="strict", newline="")


def csv_rows(text: IO[str], app: str | None = None) -> Iterator[list[str]]:
    """CSV rows as lists of cells; a file that is not text or not CSV is an ImportFormatError.

    Python's csv module refuses cells longer than 131,072 characters, no record is that long.
    """
    reader = csv.reader(text)
    try:
        yield from reader
    except csv.Error as exc:
        raise ImportFormatError(
            Message(
                f"line {reader.line_num} is not valid CSV ({exc})",
                f"第 {reader.line_num} 行不是有效的 CSV（{exc}）",
            ),
            app=app,
        ) from exc
    except UnicodeDecodeError as exc:
        raise ImportFormatError(
            Message(
                "the file is not text in UTF-8 or GBK (is it a spreadsheet? save it as CSV)",
                "文件不是 UTF-8 或 GBK 编码的文本（是电子表格吗？请另存为 CSV）",
            ),
            app=app,
        ) from exc

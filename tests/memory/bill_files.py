"""Bills in the binary forms the apps send, made at test time from the CSV fixtures.

WeChat Pay's `.xlsx` (since mid-2025): the same preamble and columns as its CSV, the header on row
17 or 18, amounts as numbers and times as dates; mailed inside a ZIP locked with AES, its password
sent in a WeChat message. openpyxl writes the workbook here (the app reads it with calamine).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import pyzipper
from openpyxl import Workbook

FIXTURES = Path(__file__).parent.parent / "fixtures"


def wechat_rows() -> list[list[str]]:
    """The rows of the WeChat Pay CSV fixture, preamble included."""
    text = (FIXTURES / "wechat_pay_2025.csv").read_text(encoding="utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def wechat_xlsx(*, extra_blank_rows: int = 1) -> bytes:
    """The WeChat Pay bill as the app's `.xlsx`: numbers for amounts, dates for times."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    in_table = False
    for cells in wechat_rows():
        if cells[0] == "交易时间":
            for _ in range(extra_blank_rows):
                sheet.append([])
            in_table = True
            sheet.append(cells)
            continue
        if in_table:
            values: list[object] = list(cells)
            values[0] = datetime.strptime(cells[0], "%Y-%m-%d %H:%M:%S")
            values[5] = float(cells[5].lstrip("¥"))
            values[8] = cells[8].strip()
            sheet.append(values)
        else:
            sheet.append([cells[0]] if cells and cells[0] else [])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def locked_zip(name: str, content: bytes, password: str) -> bytes:
    """A ZIP locked with AES, as WeChat Pay mails its bills."""
    buffer = io.BytesIO()
    with pyzipper.AESZipFile(
        buffer, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as archive:
        archive.setpassword(password.encode())
        archive.writestr(name, content)
    return buffer.getvalue()

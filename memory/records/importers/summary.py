"""What an import brings, in a few figures: shown before anything is written (the preview)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from memory.records.datatypes import NewRecord


@dataclass
class ImportSummary:
    """The span of dates, the records by kind, and the money in and out by currency."""

    first: date | None = None
    last: date | None = None
    records: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    """`days`, `blood_pressure`, `glucose`, `workouts`, `finance` or the data type, counted."""
    money: dict[str, dict[str, float]] = field(default_factory=dict)
    """Currency → `income` and `expenses` summed (to the cent)."""


def _kind(record: NewRecord) -> str:
    data = record.data
    if record.data_type == "health":
        if "systolic_bp" in data:
            return "blood_pressure"
        if "glucose_mmol_l" in data and len(data) <= 3:
            return "glucose"
        return "days"
    if record.data_type == "behavior" and data.get("category") == "exercise":
        return "workouts"
    return record.data_type


def summarize(records: Iterable[NewRecord]) -> ImportSummary:
    """The summary of the records an import would write."""
    summary = ImportSummary()
    kinds: Counter[str] = Counter()
    money: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for record in records:
        summary.records += 1
        kinds[_kind(record)] += 1
        if record.recorded_at is not None:
            day = record.recorded_at.date()
            summary.first = day if summary.first is None else min(summary.first, day)
            summary.last = day if summary.last is None else max(summary.last, day)
        if record.data_type == "finance":
            currency = str(record.data.get("currency", "CNY"))
            for direction in ("income", "expenses"):
                if isinstance(record.data.get(direction), int | float):
                    money[currency][direction] += Decimal(str(record.data[direction]))
    summary.kinds = dict(kinds)
    summary.money = {
        currency: {name: float(total.quantize(Decimal("0.01"))) for name, total in sums.items()}
        for currency, sums in money.items()
    }
    return summary

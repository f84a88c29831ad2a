"""Finance: savings rate and expense growth, per month, in the user's main currency.

Saving at least 20% of income is the common rule of thumb (the 50/30/20 budget); spending more than
one earns is flagged whatever the amounts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime

from agent.analysis.base import Finding, Severity, within
from memory.models import UserData

MONTHLY = {"day": 30.0, "week": 52 / 12, "month": 1.0, "year": 1 / 12}
"""Factor that turns an amount per period into an amount per month."""
GOOD_SAVINGS_RATE = 0.2
LOW_SAVINGS_RATE = 0.1
EXPENSE_GROWTH = 0.1


def analyse_finance(records: Sequence[UserData], now: datetime) -> list[Finding]:
    """Findings on the savings rate (last 30 days) and expense growth (month over month)."""
    if not records:
        return []
    currency = Counter(r.data.get("currency", "CNY") for r in records).most_common(1)[0][0]
    mine = [r for r in records if r.data.get("currency", "CNY") == currency]
    findings = []
    recent = within(mine, now, 30)
    income = _monthly(recent, "income")
    expenses = _monthly(recent, "expenses")
    if income[0] is not None and expenses[0] is not None:
        inc, exp = income[0], expenses[0]
        rate = round((inc - exp) / inc, 3) if inc > 0 else None
        severity: Severity
        if exp > inc:
            severity = "alert"
        elif rate is not None and rate < LOW_SAVINGS_RATE:
            severity = "warning"
        elif rate is not None and rate < GOOD_SAVINGS_RATE:
            severity = "info"
        else:
            severity = "good"
        findings.append(
            Finding(
                "finance.savings_rate",
                severity,
                {
                    "income": round(inc, 2),
                    "expenses": round(exp, 2),
                    "rate": rate,
                    "target": GOOD_SAVINGS_RATE,
                    "currency": currency,
                },
                sorted(set(income[1] + expenses[1])),
            )
        )
    by_month: dict[str, list[UserData]] = defaultdict(list)
    for record in mine:
        if "expenses" in record.data:
            by_month[f"{record.recorded_at:%Y-%m}"].append(record)
    months = sorted(by_month)
    if len(months) >= 2:
        last, previous = months[-1], months[-2]
        now_total, now_ids = _monthly(by_month[last], "expenses")
        before_total, before_ids = _monthly(by_month[previous], "expenses")
        if now_total is not None and before_total:
            growth = round((now_total - before_total) / before_total, 3)
            findings.append(
                Finding(
                    "finance.expense_growth",
                    "warning" if growth > EXPENSE_GROWTH else "good",
                    {
                        "month": last,
                        "previous_month": previous,
                        "expenses": round(now_total, 2),
                        "previous_expenses": round(before_total, 2),
                        "growth": growth,
                        "currency": currency,
                    },
                    sorted(now_ids + before_ids),
                )
            )
    return findings


def _monthly(records: Sequence[UserData], name: str) -> tuple[float | None, list[int]]:
    """The monthly amount over these records: monthly records summed per month, then averaged."""
    per_month: dict[str, float] = defaultdict(float)
    ids = []
    for record in records:
        value = record.data.get(name)
        if isinstance(value, int | float):
            factor = MONTHLY.get(record.data.get("period", "month"), 1.0)
            per_month[f"{record.recorded_at:%Y-%m}"] += float(value) * factor
            ids.append(record.id)
    if not per_month:
        return None, []
    return sum(per_month.values()) / len(per_month), ids

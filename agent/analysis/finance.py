"""Finance: savings rate and expense growth, per month, in the user's main currency.

Saving at least 20% of income is the common rule of thumb (the 50/30/20 budget); spending more than
one earns is flagged whatever the amounts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from agent.analysis.base import Context, Finding, Severity, within
from memory.storage.models import UserData

MONTHLY = {"day": 30.0, "week": 52 / 12, "month": 1.0, "year": 1 / 12}
"""Factor that turns an amount per period into an amount per month."""
GOOD_SAVINGS_RATE = 0.2
LOW_SAVINGS_RATE = 0.1
EXPENSE_GROWTH = 0.1
CATEGORY_SHARE = 0.05
"""A category's change is worth a warning when it moves at least this share of the month's total."""


def analyse_finance(records: Sequence[UserData], context: Context) -> list[Finding]:
    """Findings on the savings rate (last 30 days), expense growth and the categories behind it."""
    now = context.now
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
        findings += _categories(by_month[last], by_month[previous], last, previous, currency)
    elif months:
        findings += _categories(by_month[months[-1]], [], months[-1], None, currency)
    return findings


def _by_category(records: Sequence[UserData]) -> dict[str, tuple[float, list[int]]]:
    """Monthly expenses per category (records without one are left out)."""
    totals: dict[str, tuple[float, list[int]]] = {}
    for record in records:
        category = record.data.get("category")
        if category:
            amount, ids = _monthly([record], "expenses")
            if amount is not None:
                before, before_ids = totals.get(category, (0.0, []))
                totals[category] = (before + amount, before_ids + ids)
    return totals


def _categories(
    month: Sequence[UserData],
    previous: Sequence[UserData],
    month_name: str,
    previous_name: str | None,
    currency: str,
) -> list[Finding]:
    """The month's top categories, and the category that moved most since the month before."""
    now_totals, before_totals = _by_category(month), _by_category(previous)
    if not now_totals:
        return []
    total = sum(amount for amount, _ in now_totals.values())
    top = sorted(now_totals.items(), key=lambda item: -item[1][0])[:3]
    findings = [
        Finding(
            "finance.top_categories",
            "info",
            {
                "month": month_name,
                "total": round(total, 2),
                "currency": currency,
                "top": [
                    {
                        "category": name,
                        "amount": round(amount, 2),
                        "share": round(amount / total, 3),
                    }
                    for name, (amount, _) in top
                ]
                if total
                else [],
            },
            sorted(i for _, (_, ids) in top for i in ids),
        )
    ]
    if previous_name is None or not before_totals:
        return findings
    names = set(now_totals) | set(before_totals)
    moves = {
        name: now_totals.get(name, (0.0, []))[0] - before_totals.get(name, (0.0, []))[0]
        for name in names
    }
    name = max(moves, key=lambda n: abs(moves[n]))
    amount, ids = now_totals.get(name, (0.0, []))
    before, before_ids = before_totals.get(name, (0.0, []))
    growth = round((amount - before) / before, 3) if before else None
    big = total and abs(moves[name]) >= CATEGORY_SHARE * total
    severity: Severity = (
        "warning"
        if big and moves[name] > 0 and (growth is None or growth > EXPENSE_GROWTH)
        else "info"
    )
    findings.append(
        Finding(
            "finance.category_change",
            severity,
            {
                "category": name,
                "month": month_name,
                "previous_month": previous_name,
                "amount": round(amount, 2),
                "previous_amount": round(before, 2),
                "change": round(moves[name], 2),
                "growth": growth,
                "currency": currency,
            },
            sorted(ids + before_ids),
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

"""Money in a clause: income, spending (with its category), savings, debt, and budget limits.

"My rent is 4500 yuan a month and I earn 12000", 房租四千五，月薪一万二, "spent 300 on groceries
this week", "50k in savings", 房贷还欠一百二十万. A clause is cut at "and" / 和 first, so each amount
meets its own cue. Without a currency the amount is CNY (the records' default).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from agent.understanding.health import NUM, number

MoneyKind = Literal["income", "expenses", "savings", "debt", "budget"]
Period = Literal["day", "week", "month", "year"]

_AMOUNT = re.compile(
    rf"(?P<pre>[¥$€£]|rmb\s?|usd\s?|cny\s?)?(?P<n>{NUM})\s*(?P<post>yuan|rmb|cny|dollars?|bucks|usd|"
    rf"euros?|eur|pounds? sterling|gbp|块钱|块|元|刀|美元|欧元|英镑)?",
    re.IGNORECASE,
)
_CURRENCY = {
    "¥": "CNY", "rmb": "CNY", "cny": "CNY", "yuan": "CNY", "块钱": "CNY", "块": "CNY", "元": "CNY",
    "$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD", "bucks": "USD", "刀": "USD",
    "美元": "USD", "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR", "欧元": "EUR",
    "£": "GBP", "gbp": "GBP", "pound sterling": "GBP", "pounds sterling": "GBP", "英镑": "GBP",
}  # fmt: skip

_KINDS: tuple[tuple[MoneyKind, re.Pattern[str]], ...] = (
    (
        "budget",
        re.compile(
            r"\bbudget\b|\bunder\b|no more than|not more than|at most|\bmax(?:imum)?\b|not exceed|"
            r"\blimit\b|预算|不超过|不想超过|别超过|以内|之内|最多|控制在",
            re.IGNORECASE,
        ),
    ),
    (
        "income",
        re.compile(
            r"\bearn(?:s|ed|ing)?\b|\bmake\b|\bsalary\b|\bincome\b|\bpaid\b|\bwages?\b|"
            r"月薪|年薪|周薪|工资|收入|挣|赚|薪水|到手",
            re.IGNORECASE,
        ),
    ),
    (
        "debt",
        re.compile(
            r"\bdebts?\b|\bowe\b|\bloans?\b|\bmortgage\b|credit card|欠|房贷|车贷|贷款|负债|花呗|信用卡",
            re.IGNORECASE,
        ),
    ),
    (
        "savings",
        re.compile(r"\bsavings\b|\bsaved\b|in the bank|存款|存了|积蓄|攒了", re.IGNORECASE),
    ),
    (
        "expenses",
        re.compile(
            r"\brent\b|\bspen[dt]\b|\bspending\b|\bpaid\b|\bcost\b|\bbought\b|\bbills?\b|"
            r"房租|租金|花了|花费|消费|开销|买|付了|交了",
            re.IGNORECASE,
        ),
    ),
)
CATEGORIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("housing", re.compile(r"\brent\b|房租|租金|物业", re.IGNORECASE)),
    ("groceries", re.compile(r"grocer|supermarket|买菜|超市|菜市场", re.IGNORECASE)),
    (
        "food",
        re.compile(
            r"\bfood\b|eating out|restaurants?|takeout|takeaway|lunch|dinner|breakfast|"
            r"吃饭|餐饮|外卖|饭钱|伙食|下馆子",
            re.IGNORECASE,
        ),
    ),
    (
        "shopping",
        re.compile(r"clothes|jacket|shoes|shirt|dress|coat|衣服|外套|鞋|裤子|裙子|包包|网购", re.I),
    ),
    ("transport", re.compile(r"taxi|uber|didi|gas|petrol|subway|metro|打车|地铁|油费|公交", re.I)),
    ("entertainment", re.compile(r"movies?|games?|concert|电影|游戏|演唱会|ktv", re.I)),
    ("travel", re.compile(r"travel|trip|flight|hotel|旅游|旅行|机票|酒店", re.I)),
    ("health", re.compile(r"doctor|medicine|hospital|gym|看病|医院|药|健身", re.I)),
    ("education", re.compile(r"tuition|course|class|books?|学费|课程|培训|书", re.I)),
    ("utilities", re.compile(r"electricity|water bill|utilities|电费|水费|燃气|网费", re.I)),
)
_PERIODS: tuple[tuple[Period, re.Pattern[str]], ...] = (
    (
        "year",
        re.compile(r"\b(?:a|per|each|every|this) year\b|annual|yearly|年薪|每年|一年|今年", re.I),
    ),
    (
        "month",
        re.compile(
            r"\b(?:a|per|each|every|this|last) month\b|monthly|/mo\b|月薪|每月|每个月|一个月|这个月|本月|上个月|月",
            re.I,
        ),
    ),
    (
        "week",
        re.compile(
            r"\b(?:a|per|each|every|this|last) week\b|weekly|周薪|每周|一周|这周|本周|这个星期|上周",
            re.I,
        ),
    ),
    (
        "day",
        re.compile(r"\b(?:a|per|each|every) day\b|daily|today|yesterday|每天|一天|今天|昨天", re.I),
    ),
)
_SPLIT = re.compile(r"\s+(?:and|but|while|plus)\s+|和|而且|并且|但是", re.IGNORECASE)
_NOT_MONEY_AFTER = re.compile(
    r"^\s*(?:%|percent|kg|kgs|kilos?|lbs?|pounds?(?! sterling)|st\b|km|miles?|steps?|hours?|hrs?|"
    r"min|minutes?|days?|weeks?|months?|years?|yrs?|岁|斤|公斤|步|小时|分钟|天|周|个月|年|次|点|号|日|km|公里|米)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Money:
    """An amount of money and what it is."""

    kind: MoneyKind
    amount: float
    currency: str | None
    period: Period | None
    category: str | None
    topic: str | None
    start: int
    end: int

    def record(self) -> dict[str, Any]:
        """The finance record's fields (budgets are no record)."""
        data: dict[str, Any] = {self.kind: self.amount}
        if self.currency:
            data["currency"] = self.currency
        if self.period:
            data["period"] = self.period
        if self.category and self.kind == "expenses":
            data["category"] = self.category
        return data


def money(clause: str) -> list[Money]:
    """Every amount of money in the clause that a cue says what it is."""
    out: list[Money] = []
    offset = 0
    for part in _SPLIT.split(clause):
        start = clause.find(part, offset)
        offset = start + len(part)
        found = _one(part)
        if found is not None:
            out.append(_shift(found, start))
    return out


def _shift(found: Money, by: int) -> Money:
    return Money(
        found.kind,
        found.amount,
        found.currency,
        found.period,
        found.category,
        found.topic,
        found.start + by,
        found.end + by,
    )


def _one(part: str) -> Money | None:
    kind = next((kind for kind, cue in _KINDS if cue.search(part)), None)
    if kind is None:
        return None
    for match in _AMOUNT.finditer(part):
        if _NOT_MONEY_AFTER.match(part[match.end("n") :]) and not match.group("post"):
            continue
        amount = number(match.group("n"))
        if amount is None or amount < 10:
            continue
        unit = (match.group("pre") or match.group("post") or "").strip().lower()
        category = next((name for name, cue in CATEGORIES if cue.search(part)), None)
        period = next((name for name, cue in _PERIODS if cue.search(part)), None)
        if kind == "income" and period is None:
            period = "month"
        if kind == "expenses" and period is None:
            period = "month" if category == "housing" else "day"
        if kind in ("savings", "debt"):
            period = None
        topic = category if kind == "budget" else None
        return Money(
            kind,
            amount,
            _CURRENCY.get(unit),
            period,
            category,
            topic,
            match.start(),
            match.end(),
        )
    return None

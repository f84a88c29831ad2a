"""The day a clause speaks of ("next Friday", "April 3", 下周五, 上个月, 昨晚), resolved against now.

English phrases are found by a small grammar of date expressions and resolved by `dateparser`
(future dates preferred for plans, its own reading of "next Friday": the first Friday after
today). dateparser reads few Chinese relative dates (not 下周五 nor 3月5日), so Chinese ones are
resolved here with calendar arithmetic on what the phrase names: a day offset (昨天, 后天), a
weekday of this, last or next week (下周五), a month and day (3月5号, 1月10日).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from agent.understanding.text import ZH_DIGITS, parse_number

_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_WEEKDAYS = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_ORDINAL = r"\d{1,2}(?:st|nd|rd|th)?"
ENGLISH_DATE = re.compile(
    rf"\b(?:today|tonight|this (?:morning|afternoon|evening)|yesterday|last night|tomorrow|"
    rf"(?:the )?day (?:before yesterday|after tomorrow)|"
    rf"(?:(?:next|this|last|coming) )?{_WEEKDAYS}|"
    rf"(?:next|this|last) (?:week|weekend|month|year)|"
    rf"in (?:\d+|a|one|two|three|four|five|six|ten) (?:days?|weeks?|months?)|"
    rf"(?:\d+|a|one|two|three) (?:days?|weeks?) ago|"
    rf"{_MONTHS}\.? {_ORDINAL}(?:,? \d{{4}})?|{_ORDINAL} (?:of )?{_MONTHS}(?:,? \d{{4}})?)\b",
    re.IGNORECASE,
)
"""Date expressions the rules take (bare month names are not: "I may", "in March" is vague)."""

_DAY_OFFSETS = {
    "大前天": -3,
    "前天": -2,
    "昨天": -1,
    "昨晚": -1,
    "昨日": -1,
    "今天": 0,
    "今晚": 0,
    "今早": 0,
    "今日": 0,
    "明天": 1,
    "明早": 1,
    "明晚": 1,
    "后天": 2,
    "大后天": 3,
}
_ZH_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5}
_ZH_NUM = rf"(?:\d{{1,2}}|[{ZH_DIGITS[:-3]}]{{1,3}})"
CHINESE_DATE = re.compile(
    rf"(?P<day>大前天|前天|昨天|昨晚|昨日|今天|今晚|今早|今日|明天|明早|明晚|大后天|后天)|"
    rf"(?P<week>上上|上|下下|下|这|本)?(?:个)?(?:周|星期|礼拜)(?P<weekday>[一二三四五六日天末])|"
    rf"(?:(?P<year>明年|今年|去年))?(?P<month>{_ZH_NUM})月(?:(?P<dom>{_ZH_NUM})[日号])?|"
    rf"(?P<rel>上|下|这|本)(?:个)?(?P<unit>月|周|星期|礼拜)(?![一二三四五六日天末])"
)


@dataclass(frozen=True, slots=True)
class FoundDate:
    """A date expression and the day it names."""

    day: date
    start: int
    end: int
    text: str


@cache
def _dateparser() -> Any:
    import dateparser

    return dateparser


def find_date(text: str, now: datetime, language: str) -> FoundDate | None:
    """The first date expression in `text` and its day (None when there is none)."""
    found = _chinese(text, now) if language == "zh" else None
    return found or _english(text, now)


def _english(text: str, now: datetime) -> FoundDate | None:
    for match in ENGLISH_DATE.finditer(text):
        phrase = match.group(0)
        lowered = phrase.lower()
        if lowered in ("today", "tonight") or lowered.startswith("this m"):
            return FoundDate(now.date(), match.start(), match.end(), phrase)
        if lowered in ("this afternoon", "this evening"):
            return FoundDate(now.date(), match.start(), match.end(), phrase)
        if lowered == "last night":
            return FoundDate(now.date() - timedelta(days=1), match.start(), match.end(), phrase)
        past = any(w in lowered for w in ("last", "ago", "yesterday", "before"))
        settings = {
            "RELATIVE_BASE": now.replace(tzinfo=None),
            "PREFER_DATES_FROM": "past" if past else "future",
            "RETURN_AS_TIMEZONE_AWARE": False,
        }
        cleaned = re.sub(r"\b(?:coming|this)\b\s*", "", phrase, flags=re.IGNORECASE)
        parsed = _dateparser().parse(
            re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", cleaned), languages=["en"], settings=settings
        )
        if parsed is not None:
            return FoundDate(parsed.date(), match.start(), match.end(), phrase)
    return None


def _chinese(text: str, now: datetime) -> FoundDate | None:
    today = now.date()
    for match in CHINESE_DATE.finditer(text):
        day = _chinese_day(match, today)
        if day is not None:
            return FoundDate(day, match.start(), match.end(), match.group(0))
    return None


def _chinese_day(match: re.Match[str], today: date) -> date | None:
    if match.group("day"):
        return today + timedelta(days=_DAY_OFFSETS[match.group("day")])
    if match.group("weekday"):
        weeks = {"上上": -2, "上": -1, "下下": 2, "下": 1}.get(match.group("week") or "", 0)
        monday = today - timedelta(days=today.weekday()) + timedelta(weeks=weeks)
        return monday + timedelta(days=_ZH_WEEKDAY[match.group("weekday")])
    if match.group("month"):
        month = parse_number(match.group("month"))
        dom = parse_number(match.group("dom")) if match.group("dom") else 1.0
        if month is None or dom is None or not 1 <= month <= 12 or not 1 <= dom <= 31:
            return None
        year = today.year + {"明年": 1, "去年": -1}.get(match.group("year") or "", 0)
        try:
            day = date(year, int(month), int(dom))
        except ValueError:
            return None
        if not match.group("year") and day < today - timedelta(days=60):
            day = day.replace(year=year + 1)  # "1月10号" said in December: next January
        return day
    if match.group("unit"):
        step = {"上": -1, "下": 1}.get(match.group("rel"), 0)
        if match.group("unit") == "月":
            month = today.month - 1 + step
            return date(today.year + month // 12, month % 12 + 1, 1)
        return today - timedelta(days=today.weekday()) + timedelta(weeks=step)
    return None

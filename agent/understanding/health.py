"""Health and study measurements in a clause, in the record schemas' units.

Blood pressure, heart rate, weight (kg, lb, st, 斤), sleep, steps, glucose (mmol/L, mg/dL), body
fat and study time.

Each pattern needs its cue (血压, "blood sugar", 步, "slept" ...) in the clause or, for a bare
reading like "140/95", earlier in the sentence. What the readings become (a record, a habit
fact, nothing) is decided by `agent.understanding.rules`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from agent.understanding.text import ZH_DIGITS, parse_number

NUM = rf"(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?(?:\s?[kK]\b|万)?|[{ZH_DIGITS}]+(?:点[{ZH_DIGITS[:-5]}]+)?"
WORD_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "half an": 0.5,
}  # fmt: skip
_WORD_NUM = "|".join(sorted(map(re.escape, WORD_NUMBERS), key=len, reverse=True))
KG_PER_LB = 0.45359237
KG_PER_STONE = 6.35029318
KG_PER_JIN = 0.5
"""斤 (市斤): half a kilogram."""


@dataclass(frozen=True, slots=True)
class Reading:
    """A measurement found in a clause: record fields and where they were said."""

    data_type: str
    data: dict[str, Any]
    start: int
    end: int
    habit_ok: bool = True
    """Whether a habit word ("usually", 每天) makes it a habit rather than a reading."""
    extra: dict[str, Any] = field(default_factory=dict)


def number(raw: str | None) -> float | None:
    """A number in digits, Chinese numerals or English words ("seven", "an")."""
    if raw is None:
        return None
    word = WORD_NUMBERS.get(raw.strip().lower())
    return float(word) if word is not None else parse_number(raw)


_DURATION = re.compile(
    rf"(?P<h>{NUM}|{_WORD_NUM})\s*(?:个)?(?P<half>\s*and a half\s*|半)?\s*(?:hours?|hrs?|h\b|小时|钟头)"
    rf"(?:\s*(?:and\s*)?(?P<m>\d+|[{ZH_DIGITS}]+)\s*(?:minutes?|mins?|分钟?))?"
    rf"(?P<half2>\s*and a half)?|(?P<only>{NUM})\s*(?:minutes?|mins?|分钟)|(?P<halfhour>半)(?:个)?小时",
    re.IGNORECASE,
)


def duration_hours(text: str) -> tuple[float, int, int] | None:
    """The first duration in `text` in hours ("6 and a half hours", 六个半小时, "90 minutes")."""
    for match in _DURATION.finditer(text):
        if match.group("halfhour"):
            return 0.5, match.start(), match.end()
        if match.group("only"):
            minutes = number(match.group("only"))
            if minutes is not None:
                return minutes / 60, match.start(), match.end()
            continue
        hours = number(match.group("h"))
        if hours is None:
            continue
        if match.group("half") or match.group("half2"):
            hours += 0.5
        if match.group("m"):
            hours += (number(match.group("m")) or 0) / 60
        return hours, match.start(), match.end()
    return None


BP_CUE = re.compile(r"\b(?:bp|blood pressure)\b|血压|高压|低压|收缩压|舒张压|mmhg", re.IGNORECASE)
_BP = re.compile(r"(?<![\d.])(\d{2,3})\s*(?:/|over|比)\s*(\d{2,3})(?!\d|\.\d)", re.IGNORECASE)
_BP_ZH = re.compile(
    rf"(?:高压|收缩压)\s*(?:是|为)?\s*({NUM})[\s,，、]*(?:低压|舒张压)\s*(?:是|为)?\s*({NUM})"
)
_PULSE = re.compile(
    rf"(?:pulse|heart rate|hr|脉搏|心率|心跳)\D{{0,12}}?({NUM})(?:\s*bpm)?", re.IGNORECASE
)
_RESTING = re.compile(
    r"resting|at rest|woke up|waking|when i got up|静息|晨起|起床|醒来|安静", re.IGNORECASE
)


class _Span:
    """A match's span and groups, moved to the clause's offsets."""

    def __init__(self, start: int, end: int, *groups: str) -> None:
        self._start, self._end, self._groups = start, end, groups

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end

    def group(self, index: int) -> str:
        return self._groups[index - 1]


def _plausible(match: re.Match[str]) -> bool:
    """A reading said without a cue ("128 over 84", "130/85") that can only be a blood pressure."""
    high, low = int(match.group(1)), int(match.group(2))
    spoken = "over" in match.group(0).lower()
    return 80 <= high <= 250 and 40 <= low <= 150 and high - low >= 15 and (spoken or high >= 90)


def blood_pressure(clause: str, before: str) -> list[Reading]:
    """Blood pressure (with a pulse said beside it), or a heart rate alone."""
    out: list[Reading] = []
    match: Any = _BP_ZH.search(before + clause)  # a Match, or a _Span moved to the clause
    if match is not None and match.end() > len(before):  # 高压138，低压90 spans two clauses
        start = max(0, match.start() - len(before))
        match = _Span(start, match.end() - len(before), match.group(1), match.group(2))
    else:
        match = None
    pair = (match.group(1), match.group(2)) if match else None
    if match is None:
        found = _BP.search(clause)
        if found is not None and (BP_CUE.search(before + clause) or _plausible(found)):
            match = found
            pair = (found.group(1), found.group(2))
    pulse = _PULSE.search(clause)
    if match is not None and pair is not None:
        high, low = number(pair[0]), number(pair[1])
        if high is not None and low is not None:
            data: dict[str, Any] = {"systolic_bp": int(high), "diastolic_bp": int(low)}
            if pulse and (value := number(pulse.group(1))) and pulse.start() > match.end():
                data["pulse"] = int(value)
            out.append(Reading("health", data, match.start(), match.end()))
        return out
    if pulse and (value := number(pulse.group(1))) is not None and value.is_integer():
        if BP_CUE.search(before):
            return [
                Reading(
                    "health",
                    {"pulse": int(value)},
                    pulse.start(),
                    pulse.end(),
                    extra={"pulse_only": True},
                )
            ]
        field_name = "resting_heart_rate" if _RESTING.search(before + clause) else "heart_rate"
        out.append(Reading("health", {field_name: int(value)}, pulse.start(), pulse.end()))
    return out


WEIGHT_CUE = re.compile(
    r"\bweigh(?:s|ed|ing)?\b|\bweight\b|\bscales?\b|\bi'?m\s+(?:now\s+|at\s+)?(?=\d)|\bi am\s+(?=\d)|"
    r"体重|称|秤|多重|我现在\s*(?=\d|[一二三四五六七八九])|我\s*(?=\d+(?:\.\d+)?\s*(?:斤|公斤|kg))",
    re.IGNORECASE,
)
WEIGHT_CHANGE = re.compile(
    r"\b(?:lose|lost|losing|gain(?:ed)?|drop(?:ped)?|put on|down from|up from|goal|target|want|"
    r"aim|get down|reach|less than|more than|by)\b|减|瘦|胖|涨|增|掉|降|目标|想|要|到|少了|多了|长了",
    re.IGNORECASE,
)
_WEIGHT = re.compile(
    rf"(?P<st>\d+(?:\.\d+)?)\s*(?:st|stone)\b(?:\s*(?:and\s*)?(?P<stlb>\d+(?:\.\d+)?)\s*(?:lbs?|pounds?)\b)?|"
    rf"(?P<n>{NUM})\s*(?P<unit>kgs?|kilos?|kilograms?|lbs?|pounds?|公斤|千克|斤)(?![a-z])",
    re.IGNORECASE,
)


def weight_in_kg(match: re.Match[str]) -> float | None:
    """The weight a `_WEIGHT` match names, in kilograms."""
    if match.group("st"):
        stones = float(match.group("st"))
        pounds = float(match.group("stlb") or 0)
        return round(stones * KG_PER_STONE + pounds * KG_PER_LB, 1)
    value = number(match.group("n"))
    if value is None:
        return None
    unit = match.group("unit").lower()
    if unit.startswith(("lb", "pound")):
        return round(value * KG_PER_LB, 1)
    if unit == "斤":
        return round(value * KG_PER_JIN, 1)
    return round(value, 1)


def find_weights(clause: str) -> list[tuple[float, re.Match[str]]]:
    """Every weight in the clause, in kilograms."""
    out = []
    for match in _WEIGHT.finditer(clause):
        kg = weight_in_kg(match)
        if kg is not None:
            out.append((kg, match))
    return out


def body_weight(clause: str, before: str) -> list[Reading]:
    """The user's weight, where the clause says it is theirs now (not a change nor a goal)."""
    weights = find_weights(clause)
    if not weights or not WEIGHT_CUE.search(before + clause):
        return []
    kg, match = weights[0]
    if WEIGHT_CHANGE.search(before + clause[: match.start()]):
        return []
    return [Reading("health", {"weight_kg": kg}, match.start(), match.end())]


SLEEP_CUE = re.compile(r"\b(?:slept|sleep|sleeping|asleep)\b|睡", re.IGNORECASE)
_SLEEP_NOT = re.compile(r"\b(?:need|should|enough|ideal|recommend)\b|应该|需要|够", re.IGNORECASE)


def sleep(clause: str) -> list[Reading]:
    """Hours slept ("slept 6.5 hours", "got 7 hours of sleep", 睡了六个半小时)."""
    cue = SLEEP_CUE.search(clause)
    if cue is None or _SLEEP_NOT.search(clause):
        return []
    found = duration_hours(clause)
    if found is None:
        return []
    hours, start, end = found
    if not 0 < hours <= 24:
        return []
    return [Reading("health", {"sleep_hours": round(hours, 2)}, start, end)]


_BEDTIME = re.compile(
    rf"(?:(?P<zhpart>晚上|凌晨|夜里|半夜)?(?P<zh>{NUM})点(?P<zhhalf>半)?(?:多|左右)?(?:才|就)?(?:睡|上床))|"
    rf"(?:go(?:es)? to bed|bedtime|fall asleep|get to sleep|hit the sack|sleep)\D{{0,15}}?"
    rf"(?P<en>\d{{1,2}})(?::(?P<min>\d\d))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)?",
    re.IGNORECASE,
)


def bedtime(clause: str) -> tuple[str, int, int] | None:
    """When the user goes to bed, as HH:MM ("12点才睡觉" → 00:00, "around 1am" → 01:00)."""
    match = _BEDTIME.search(clause)
    if match is None:
        return None
    if match.group("zh"):
        hour = number(match.group("zh"))
        minute = 30 if match.group("zhhalf") else 0
        if hour is None:
            return None
        hour = int(hour)
        night = match.group("zhpart") in ("晚上", "夜里", "半夜")
        if night and 6 <= hour < 12:
            hour += 12
        elif night and hour == 12:
            hour = 0
    else:
        unclear = match.group("ampm") is None and not re.search(r"\b(?:am|pm)\b", clause, re.I)
        if unclear and "bed" not in match.group(0).lower():
            return None
        hour = int(match.group("en"))
        minute = int(match.group("min") or 0)
        ampm = (match.group("ampm") or "").lower()
        if ampm.startswith("p") and hour < 12:
            hour += 12
        elif ampm.startswith("a") and hour == 12:
            hour = 0
    if not 0 <= hour <= 24:
        return None
    return f"{hour % 24:02d}:{minute:02d}", match.start(), match.end()


_STEPS = re.compile(
    rf"(?P<n>{NUM})\s*(?:steps\b|步(?!行))|(?:steps|步数)\D{{0,16}}?(?P<m>{NUM})", re.IGNORECASE
)


def steps(clause: str) -> list[Reading]:
    """Steps walked ("11,200 steps", 走了一万二千步, 步数8500)."""
    match = _STEPS.search(clause)
    if match is None:
        return []
    value = number(match.group("n") or match.group("m"))
    if value is None or not value.is_integer() or value < 10:
        return []
    return [Reading("health", {"steps": int(value)}, match.start(), match.end())]


_GLUCOSE = re.compile(
    rf"(?:glucose|blood sugar|sugar level|bg|血糖)\D{{0,25}}?(?P<n>\d+(?:\.\d+)?|{NUM})\s*"
    rf"(?P<unit>mmol/?l|mg/?dl)?",
    re.IGNORECASE,
)
_FASTING = re.compile(r"fasting|空腹", re.IGNORECASE)
_NOT_FASTING = re.compile(
    r"after (?:lunch|dinner|breakfast|a meal|eating)|post-?meal|餐后|饭后", re.IGNORECASE
)


def glucose(clause: str) -> list[Reading]:
    """Blood glucose in mmol/L or mg/dL (unitless: mmol/L up to 35, else mg/dL)."""
    match = _GLUCOSE.search(clause)
    if match is None or re.search(r"hba1c|a1c|糖化", clause, re.IGNORECASE):
        return []
    value = number(match.group("n"))
    if value is None:
        return []
    unit = (match.group("unit") or "").lower().replace("/", "")
    mg = unit == "mgdl" or (not unit and value > 35)
    data: dict[str, Any] = {"glucose_mg_dl" if mg else "glucose_mmol_l": value}
    if _FASTING.search(clause):
        data["fasting"] = True
    elif _NOT_FASTING.search(clause):
        data["fasting"] = False
    return [Reading("health", data, match.start(), match.end())]


_BODY_FAT = re.compile(
    rf"(?:body fat|体脂率?)\D{{0,12}}?(?P<n>{NUM})\s*(?:%|percent|％)", re.IGNORECASE
)


def body_fat(clause: str) -> list[Reading]:
    """Body fat in percent."""
    match = _BODY_FAT.search(clause)
    value = number(match.group("n")) if match else None
    if match is None or value is None:
        return []
    return [Reading("health", {"body_fat_pct": value}, match.start(), match.end())]


STUDY_CUE = re.compile(
    r"\b(?:stud(?:y|ied|ying)|revis(?:e|ed|ing)|review(?:ed|ing)?|practi[cs](?:e|ed|ing)|"
    r"homework|learn(?:ed|t|ing)?)\b|学习|学了|复习|自习|背了|刷题|做题|练了|上课|看书",
    re.IGNORECASE,
)
SUBJECTS_EN = (
    "math", "maths", "calculus", "algebra", "statistics", "physics", "chemistry", "biology",
    "history", "geography", "economics", "english", "chinese", "spanish", "french", "german",
    "japanese", "korean", "italian", "programming", "coding", "python", "vocabulary", "grammar",
    "ielts", "toefl", "gre", "gmat", "piano", "guitar", "literature", "accounting", "law",
)  # fmt: skip
SUBJECTS_ZH = (
    "高数", "数学", "英语", "语文", "物理", "化学", "生物", "历史", "地理", "政治", "日语", "韩语",
    "法语", "德语", "西语", "编程", "单词", "雅思", "托福", "考研", "专业课", "钢琴", "吉他", "会计",
)  # fmt: skip
_SUBJECT = re.compile(
    r"\b(" + "|".join(SUBJECTS_EN) + r")\b|(" + "|".join(SUBJECTS_ZH) + ")", re.IGNORECASE
)


def study(clause: str) -> list[Reading]:
    """Time studied, with the subject when the clause names a known one."""
    subject = _SUBJECT.search(clause)
    if STUDY_CUE.search(clause) is None and subject is None:
        return []
    found = duration_hours(clause)
    if found is None:
        return []
    hours, start, end = found
    if not 0 < hours <= 24:
        return []
    data: dict[str, Any] = {"study_minutes": round(hours * 60, 2)}
    if subject is not None:
        data["subject"] = subject.group(0)
    return [Reading("education", data, start, end, extra={"cued": bool(STUDY_CUE.search(clause))})]

"""Numbers, durations, weights and dates, in both languages."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from agent.understanding.dates import find_date
from agent.understanding.health import duration_hours, find_weights
from agent.understanding.text import clauses, parse_number

NOW = datetime(2026, 12, 8, 10, tzinfo=UTC)  # a Tuesday


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("11,200", 11200),
        ("50k", 50000),
        ("1.2万", 12000),
        ("一万二", 12000),
        ("八千五", 8500),
        ("三千二", 3200),
        ("七十二点五", 72.5),
        ("一百二十万", 1_200_000),
        ("两", 2),
        ("abc", None),
    ],
)
def test_numbers(raw: str, value: float | None) -> None:
    assert parse_number(raw) == value


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("睡了六个半小时", 6.5),
        ("slept 6 and a half hours", 6.5),
        ("an hour and a half", 1.5),
        ("90 minutes", 1.5),
        ("两个半小时", 2.5),
        ("got seven hours", 7),
    ],
)
def test_durations(text: str, hours: float) -> None:
    found = duration_hours(text)
    assert found is not None and found[0] == hours


@pytest.mark.parametrize(
    ("text", "kg"),
    [
        ("72.5 kg", 72.5),
        ("11 st 4 lb", 71.7),
        ("160 lbs", 72.6),
        ("150斤", 75.0),
        ("七十公斤", 70.0),
    ],
)
def test_weights_in_kg(text: str, kg: float) -> None:
    assert find_weights(text)[0][0] == kg


@pytest.mark.parametrize(
    ("text", "language", "day"),
    [
        ("next Friday", "en", date(2026, 12, 11)),
        ("on April 3", "en", date(2027, 4, 3)),
        ("yesterday", "en", date(2026, 12, 7)),
        ("我下周五要去体检", "zh", date(2026, 12, 18)),
        ("上个月", "zh", date(2026, 11, 1)),
        ("1月10号考试", "zh", date(2027, 1, 10)),
        ("昨天", "zh", date(2026, 12, 7)),
    ],
)
def test_dates(text: str, language: str, day: date) -> None:
    found = find_date(text, NOW, language)
    assert found is not None and found.day == day


def test_no_date_in_may_as_a_verb() -> None:
    assert find_date("I may go running", NOW, "en") is None


def test_clauses_keep_offsets_and_quotes() -> None:
    text = "医生说：“血压超过１４０就要注意”，我今天１３５／８８"
    found = clauses(text)
    assert [c.quoted for c in found] == [False, True, False]
    for clause in found:
        assert (
            text[clause.start : clause.start + len(clause.text)].translate(
                {0xFF11 + i: 0x31 + i for i in range(9)} | {0xFF10: 0x30, 0xFF0F: 0x2F}
            )
            == clause.text
        )

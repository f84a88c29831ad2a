"""The model-free tier: every clause of a message read by rules and parsers, in Chinese and English.

For each clause, in order: quoted words and small talk are set aside; a request to forget is
taken as one; from an "if" / 如果 on, the rest of the sentence is hypothetical; a question is
noted. What remains is read for measurements, money, preferences and constraints, slot facts,
goals, events and habits. Who the clause is about decides what a measurement becomes: a record
for the user, a fact for anyone else.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, time
from typing import Literal

from pydantic import ValidationError

from agent.constraints import lexicon
from agent.understanding import acts, facts, health, money, preferences
from agent.understanding.dates import find_date
from agent.understanding.people import lead_subject, relation_in
from agent.understanding.shapes import (
    SELF,
    Act,
    Constraint,
    RecordDraft,
    Sentence,
    Statement,
    Understanding,
)
from agent.understanding.text import Clause, clauses, normalize
from memory.records.datatypes import DataType, validate_record

Language = Literal["zh", "en"]


def understand_rules(text: str, *, now: datetime, language: Language) -> Understanding:
    """What the rules find in one message."""
    normal = normalize(text)
    found: list[Statement] = []
    reports: list[Sentence] = []
    hypothetical: set[int] = set()
    subject_of: dict[int, str] = {}
    person: str | None = None
    for clause in clauses(text):
        words = text[clause.start : clause.start + len(clause.text)]
        act, statements, person = _clause(
            clause, words, normal, now, language, hypothetical, subject_of, person
        )
        reports.append(
            Sentence(
                words,
                clause.start,
                act,
                hypothetical=clause.sentence in hypothetical,
                quoted=clause.quoted,
            )
        )
        found.extend(statements)
    return Understanding(language, tuple(_tidy(found)), tuple(reports))


def _clause(
    clause: Clause,
    words: str,
    normal: str,
    now: datetime,
    language: Language,
    hypothetical: set[int],
    subject_of: dict[int, str],
    person: str | None,
) -> tuple[Act, list[Statement], str | None]:
    text = clause.text
    if clause.quoted or (acts.REPORTED.search(text) and any(q in text for q in "\"“「'")):
        return "other", [], person
    if acts.is_small_talk(text):
        return "small_talk", [], person
    target = acts.forget_target(text)
    if target is not None:
        return "statement", [Statement("forget", words, forget=target)], person
    question = acts.is_question(text, clause.end_mark, clause.last, clause.first)
    if acts.HYPOTHETICAL.search(text):
        hypothetical.add(clause.sentence)
    if clause.sentence in hypothetical:
        return ("question" if question else "other"), [], person
    if question:
        return "question", [], person
    subject = lead_subject(text, language, person)
    if subject is None:
        subject = subject_of.get(clause.sentence, SELF)
    subject_of[clause.sentence] = subject
    named = relation_in(text, language)
    if named is not None:
        person = named
    before = normal[: clause.start]
    sentence_start = max((c for c in (before.rfind(m) for m in "。！？!?\n") if c >= 0), default=-1)
    context = normal[sentence_start + 1 : clause.start]
    statements = _read(text, words, context, now, language, subject, person)
    return ("statement" if statements else "other"), statements, person


def _read(
    text: str,
    words: str,
    context: str,
    now: datetime,
    language: Language,
    subject: str,
    person: str | None,
) -> list[Statement]:
    negated = bool(acts.NEGATION.search(text))
    out: list[Statement] = []
    for slot in facts.slots(text, language):
        owner = slot.subject or subject
        if slot.attribute == "job" and owner == SELF and person and _about(text, person):
            owner = person
        if not negated or slot.attribute in ("partner", "name"):
            out.append(Statement("fact", words, owner, slot.attribute, slot.value))
    if (name := facts.called(text)) is not None and person is not None:
        attribute, owner = (
            ("partner", SELF) if person in ("wife", "husband", "partner") else ("name", person)
        )
        out.append(Statement("fact", words, owner, attribute, name))
    if subject != SELF:
        if not out:
            out.append(Statement("fact", words, subject))
        return out
    when = find_date(text, now, language)
    out.extend(_preferences(text, words, negated))
    records = [] if negated else _records(text, words, context, now, language, when)
    habit = bool(facts.HABIT.search(text))
    bedtime = health.bedtime(text)
    if bedtime is not None and not negated:
        out.append(Statement("fact", words, SELF, "bedtime", bedtime[0]))
    elif habit and records and records[0].record and records[0].record.data_type != "finance":
        out.append(Statement("fact", words))
        records = []
    out.extend(records)
    if (goal := facts.weight_goal(text)) is not None and not negated:
        out.append(Statement("goal", words, SELF, "weight_goal", goal.value))
    if out:
        return out
    day = when.day if when else None
    if facts.GOAL.search(text) and not negated:
        return [Statement("goal", words, when=day)]
    if facts.PAST_EVENT.search(text) or (facts.EVENT_NOUNS.search(text) and day is not None):
        return [Statement("event", words, when=day)]
    if not negated and (facts.STATE.search(text) or (habit and _says_self(text))):
        return [Statement("fact", words)]
    return []


def _says_self(text: str) -> bool:
    return bool(re.match(r"^(?:and\s+|but\s+|so\s+)?(?:i\b|i'|we\b|我|咱)", text.strip(), re.I))


def _about(text: str, person: str) -> bool:
    return bool(re.match(r"^(?:他|她|he|she)", text.strip(), re.IGNORECASE))


def _preferences(text: str, words: str, negated: bool) -> list[Statement]:
    out: list[Statement] = []
    for item in preferences.constraints(text):
        assert item.constraint is not None
        constraint = Constraint(item.constraint, item.concepts, words)
        out.append(
            Statement("preference", words, SELF, item.attribute, item.value, constraint=constraint)
        )
    for amount in money.money(text):
        if amount.kind == "budget" and not negated:
            constraint = Constraint(
                "budget",
                (),
                words,
                amount=amount.amount,
                currency=amount.currency,
                period=amount.period,
                topic=amount.topic,
            )
            out.append(Statement("preference", words, constraint=constraint))
    if not out:
        for item in preferences.likes(text):
            out.append(Statement("preference", words, value=item.value, polarity=item.polarity))
    return out


def _records(
    text: str,
    words: str,
    context: str,
    now: datetime,
    language: Language,
    when: object,
) -> list[Statement]:
    readings: list[health.Reading] = []
    readings += health.blood_pressure(text, context)
    readings += health.body_weight(text, context)
    readings += health.glucose(text)
    readings += health.body_fat(text)
    taken = {name for r in readings for name in r.data}
    for reading in (*health.sleep(text), *health.steps(text), *health.study(text)):
        if not taken & set(reading.data):
            readings.append(reading)
    readings = [r for r in readings if not (r.data_type == "education" and _overlaps(r, readings))]
    for amount in money.money(text):
        if amount.kind != "budget":
            readings.append(health.Reading("finance", amount.record(), amount.start, amount.end))
    day = getattr(when, "day", None)
    out = []
    for reading in readings:
        recorded = _recorded_at(reading, day, getattr(when, "text", ""), now)
        record = _valid(reading.data_type, reading.data, recorded)
        if record is not None:
            out.append(Statement("measurement", words, record=record))
    return out


def _overlaps(reading: health.Reading, others: Sequence[health.Reading]) -> bool:
    """A study duration that is really the sleep said in the same clause."""
    return any(o is not reading and "sleep_hours" in o.data for o in others)


def _recorded_at(
    reading: health.Reading, day: date | None, phrase: str, now: datetime
) -> datetime | None:
    if day is None or day >= now.date() or phrase.lower().startswith(("this", "这", "本")):
        return None  # "this month": the current period, recorded now
    if "sleep_hours" in reading.data and phrase.lower() in ("last night", "昨晚"):
        return None  # last night's sleep is today's record (hours asleep the night before)
    return datetime.combine(day, time(12), tzinfo=now.tzinfo)


def _valid(
    data_type: str, data: dict[str, object], recorded: datetime | None
) -> RecordDraft | None:
    kind: DataType = data_type  # type: ignore[assignment]
    try:
        return RecordDraft(kind, validate_record(kind, dict(data)), recorded)
    except ValidationError:
        return None


def _tidy(statements: list[Statement]) -> list[Statement]:
    """One statement for one thing said across clauses.

    Facts about one other person in consecutive clauses are one fact; a pulse said after a blood
    pressure belongs to that reading; an "avoid" that an allergy, diet or condition of the same
    message forbids already is that constraint said twice ("I can't eat gluten, I have celiac").
    """
    covered = lexicon().expand(
        c
        for s in statements
        if s.constraint is not None and s.constraint.kind != "avoid"
        for c in s.constraint.concepts
    )
    out: list[Statement] = []
    for statement in statements:
        last = out[-1] if out else None
        constraint = statement.constraint
        if (
            constraint is not None
            and constraint.kind == "avoid"
            and set(constraint.concepts) <= covered
        ):
            continue
        if (
            last is not None
            and statement.kind == last.kind == "fact"
            and statement.subject == last.subject != SELF
            and statement.attribute is None
        ):
            out[-1] = replace(last, text=f"{last.text}，{statement.text}")
            continue
        pulse = _pulse_of(statement)
        reading = next(
            (s for s in reversed(out) if s.record and "systolic_bp" in s.record.data), None
        )
        if pulse is not None and reading is not None and reading.record is not None:
            record = _valid(
                "health", {**reading.record.data, "pulse": pulse}, reading.record.recorded_at
            )
            if record is not None:
                out[out.index(reading)] = replace(reading, record=record)
                continue
        out.append(statement)
    return out


def _pulse_of(statement: Statement) -> int | None:
    record = statement.record
    if record is None or set(record.data) != {"pulse"}:
        return None
    return int(record.data["pulse"])

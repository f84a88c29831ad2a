"""What the understanding engine finds in one user message: the shapes the wiring stores.

One definition of each shape. The engine is pure (no storage): the wiring turns each `Statement`
into a memory (and a record, a profile entry, a replacement or a forget), so everything it needs
to do so is here, typed, in the user's own words and language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from memory.records.datatypes import DataType

StatementKind = Literal["fact", "preference", "goal", "event", "measurement", "forget"]
"""What a statement says: a fact about the user or their people; a preference or constraint
(likes, dislikes, allergies, diets, conditions, budgets, abstaining); a goal or plan; an event;
a measurement of the user (with a record); a request to forget."""

STATEMENT_KINDS: tuple[StatementKind, ...] = (
    "fact",
    "preference",
    "goal",
    "event",
    "measurement",
    "forget",
)

Act = Literal["statement", "question", "small_talk", "other"]
"""What a sentence does: says something worth remembering, asks, chats, or none of these (a
hypothetical, a quote, a passing remark): only `statement` sentences yield statements."""

ConstraintKind = Literal["allergy", "diet", "condition", "budget", "abstain", "avoid"]
Polarity = Literal["like", "dislike"]
Tier = Literal["rules", "model"]
Period = Literal["day", "week", "month", "year"]

SELF = "self"
"""The subject of a statement about the user themself."""


@dataclass(frozen=True, slots=True)
class Constraint:
    """Something the advice must respect, with the lexicon concepts it forbids."""

    kind: ConstraintKind
    concepts: tuple[str, ...]
    """Concept ids of `agent.constraints` it forbids, e.g. ("peanut",); empty for a budget or a
    condition the lexicon does not know (the text still says what it is)."""
    text: str
    """The clause as the user said it."""
    amount: float | None = None
    """Budgets: the most the user wants to spend, in `currency` per `period`."""
    currency: str | None = None
    """ISO 4217 code, e.g. CNY; None when the user did not say (the records' default is CNY)."""
    period: Period | None = None
    """Budgets: the period `amount` covers."""
    topic: str | None = None
    """Budgets: the category the money is for ("food"); None for all spending."""


@dataclass(frozen=True, slots=True)
class RecordDraft:
    """A measurement of the user, ready for `memory.records.datatypes.validate_record`."""

    data_type: DataType
    data: dict[str, Any]
    """Valid for `validate_record(data_type, data)`: the same validation as the forms."""
    recorded_at: datetime | None = None
    """When it was measured, when the user said so ("yesterday"); None: the turn's time."""


@dataclass(frozen=True, slots=True)
class Statement:
    """One thing a message says about the user or their people."""

    kind: StatementKind
    text: str
    """The clause in the user's own words and language: the memory's text."""
    subject: str = SELF
    """`self`, or who it is about: a relation ("father", "dog") or a name."""
    attribute: str | None = None
    """The slot a newer statement with the same `subject` replaces: home_city, job, employer,
    school, partner, name (of a relation or pet), weight_goal, diet, age, ... (None: nothing to
    replace)."""
    value: str | None = None
    """The slot's value in the user's words ("Hangzhou", "杭州"), or what a preference is about."""
    polarity: Polarity | None = None
    """Preferences: whether the user likes or dislikes `value`."""
    constraint: Constraint | None = None
    """Preferences that bind advice: allergies, diets, conditions, budgets, abstaining."""
    when: date | None = None
    """Goals and events: the day it is due or happened, resolved against the turn's time."""
    record: RecordDraft | None = None
    """Measurements (of the user themself only): the record to store, with consent."""
    forget: str | None = None
    """Forget requests: what to forget, in the user's words ("my daughter", "我女儿")."""
    tier: Tier = "rules"
    """Which tier found it: the model-free rules or the model."""

    @property
    def slot(self) -> tuple[str, str] | None:
        """(subject, attribute): a newer statement with the same slot replaces this one."""
        return None if self.attribute is None else (self.subject, self.attribute)


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence (or clause) of the message and what it does."""

    text: str
    start: int
    """Offset of `text` in the message."""
    act: Act
    hypothetical: bool = False
    """Under "if", 如果, "suppose" ...: nothing is taken from it."""
    quoted: bool = False
    """Inside quotation marks (someone else's words): nothing is taken from it."""


@dataclass(frozen=True, slots=True)
class Understanding:
    """The statements of one message, and what each of its sentences does."""

    language: Literal["zh", "en"]
    statements: tuple[Statement, ...] = ()
    sentences: tuple[Sentence, ...] = ()
    tiers: tuple[Tier, ...] = ("rules",)
    """The tiers that ran (the model tier only where the model can do it)."""
    notes: tuple[str, ...] = field(default=())
    """Why something was not kept (e.g. "model tier failed: ..."), for logs and the benchmark."""

    @property
    def records(self) -> tuple[RecordDraft, ...]:
        """The measurements' records."""
        return tuple(s.record for s in self.statements if s.record is not None)

    @property
    def remembered(self) -> bool:
        """Whether anything is worth a memory (questions and small talk alone are not)."""
        return bool(self.statements)

"""The model tier: statements a capable model finds, merged with the rules' (the rules win).

The model answers in a fixed schema (`Extraction`, schema-constrained where the runtime can) and
is asked for facts, preferences, goals and events only: numbers and records stay the rules' (a
small model misreads digits, and a record is data). The merge keeps every rules statement and
adds a model statement only when it says something the rules did not, in a sentence the rules
did not set aside (a question, small talk, a hypothetical, a quote). Forget requests, which
delete, are the rules' alone.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime
from typing import Annotated, Literal

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from agent.constraints import lexicon
from agent.model.capabilities import Capabilities
from agent.model.structured import generate
from agent.understanding.preferences import foods
from agent.understanding.shapes import SELF, Constraint, Sentence, Statement, Understanding
from memadvisor.settings import StructuredOutput
from prompts.language import Language
from prompts.understanding import render_understanding_messages

Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
ATTRIBUTES = (
    "home_city", "hometown", "job", "employer", "school", "partner", "name", "age", "diet",
    "weight_goal",
)  # fmt: skip
MAX_TOKENS = 600
"""Room for a message's statements (a handful of short objects)."""


class ExtractedStatement(BaseModel):
    """One statement as the model writes it."""

    model_config = ConfigDict(extra="ignore")

    kind: Literal["fact", "preference", "goal", "event"]
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    subject: Short = SELF
    attribute: Short | None = None
    value: Short | None = None
    polarity: Literal["like", "dislike"] | None = None
    constraint: Literal["allergy", "diet", "condition", "budget", "abstain", "avoid"] | None = None
    foods: Annotated[list[Short], Field(max_length=8)] = []
    when: Short | None = None


class Extraction(BaseModel):
    """What the model must return."""

    model_config = ConfigDict(extra="ignore")

    statements: Annotated[list[ExtractedStatement], Field(max_length=8)] = []


def uses_model(caps: Capabilities, language: Language, *, weak_ok: bool = False) -> bool:
    """Whether the configured model's extraction is worth running for a message in `language`.

    It must write the language and its extracted facts be declared usable (`advice`); `weak_ok`
    runs it on a demo model too (the benchmark measures what it would add).
    """
    return caps.writes(language) and (caps.advice or weak_ok)


def extract(
    model: BaseChatModel,
    text: str,
    *,
    now: datetime,
    language: Language,
    mode: StructuredOutput = "json_schema",
) -> list[Statement]:
    """The model's statements for one message (StructuredOutputError if it gives none valid)."""
    messages = render_understanding_messages(language, text, now.date())
    answer = generate(
        model, messages, Extraction, language=language, mode=mode, max_tokens=MAX_TOKENS
    )
    return [s for item in answer.statements if (s := _statement(item)) is not None]


def _statement(item: ExtractedStatement) -> Statement | None:
    subject = _subject(item.subject)
    attribute = item.attribute if item.attribute in ATTRIBUTES else None
    constraint = None
    polarity = item.polarity if item.kind == "preference" else None
    if item.kind == "preference" and item.constraint is not None:
        concepts = tuple(dict.fromkeys(c for f in item.foods for c in foods(f))) or foods(item.text)
        if item.constraint != "budget" and not concepts:
            return None  # a constraint on nothing the lexicon knows cannot bind the advice
        constraint = Constraint(item.constraint, concepts, item.text)
    if item.kind == "preference" and constraint is None and polarity is None:
        return None
    when = None
    if item.when and re.fullmatch(r"\d{4}-\d{2}-\d{2}", item.when):
        try:
            when = date.fromisoformat(item.when)
        except ValueError:
            when = None
    value = item.value if (attribute or polarity) else None
    return Statement(
        item.kind,
        item.text,
        subject,
        attribute if value else None,
        value,
        polarity=polarity,
        constraint=constraint,
        when=when if item.kind in ("goal", "event") else None,
        tier="model",
    )


def _subject(subject: str) -> str:
    cleaned = subject.strip().lower()
    return SELF if cleaned in ("", "self", "user", "i", "me", "the user", "我", "用户") else cleaned


def merge(rules: Understanding, extracted: list[Statement]) -> Understanding:
    """The rules' statements and the model's that add something, deduplicated."""
    kept = list(rules.statements)
    for statement in extracted:
        sentence = _sentence_of(statement.text, rules.sentences)
        if sentence is None or sentence.act in ("question", "small_talk"):
            continue
        if sentence.hypothetical or sentence.quoted:
            continue
        if statement.subject == SELF and any(s.subject != SELF for s in _in(sentence, kept)):
            statement = replace(statement, subject=_in(sentence, kept)[0].subject)
        if any(_same(statement, other) for other in kept):
            continue
        kept.append(statement)
    return Understanding(
        rules.language, tuple(kept), rules.sentences, (*rules.tiers, "model"), rules.notes
    )


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9']+|[\u4e00-\u9fff]", text.lower()))


def _sentence_of(text: str, sentences: tuple[Sentence, ...]) -> Sentence | None:
    """The sentence the model quoted (at least half its words), or None if it made text up."""
    words = _words(text)
    if not words:
        return None
    best = max(sentences, key=lambda s: len(words & _words(s.text)), default=None)
    if best is None or len(words & _words(best.text)) * 2 < len(words):
        return None
    return best


def _in(sentence: Sentence, statements: list[Statement]) -> list[Statement]:
    return [
        s for s in statements if _words(s.text) & _words(sentence.text) == _words(sentence.text)
    ]


def _same(new: Statement, old: Statement) -> bool:
    """Whether the model's statement says what a kept one says already."""
    if new.slot is not None and new.slot == old.slot:
        return True
    if new.constraint is not None and old.constraint is not None:
        return bool(
            lexicon().expand(new.constraint.concepts) & lexicon().expand(old.constraint.concepts)
        ) or (new.constraint.kind == old.constraint.kind == "budget")
    if new.kind != old.kind and not (old.kind == "measurement" and new.kind in ("fact", "event")):
        return False
    overlap = _words(new.text) & _words(old.text)
    return len(overlap) * 2 >= min(len(_words(new.text)), len(_words(old.text)))

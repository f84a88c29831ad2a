"""Remember what the user said: understand one message, then store what it says (issue 28).

The one place where a user's words become memories, records and profile entries: chat calls it
from a background job after each turn (never on the answer path), and other ways of telling
MemAdvisor something (e.g. an MCP `add_memory`) call it too. Questions and small talk are not
remembered (the turn stays in the conversation history); each statement becomes a `fact` memory
whose metadata says what it is; a measurement becomes a record (`source: chat`, linked to the
turn) of a type the user consented to, and the fact says why when it did not. A message in which
nothing was understood and that is not only questions or small talk is kept verbatim, so nothing
the user told is lost. Forget requests are acted on in the chat graph, before the answer.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from agent.understanding import Statement, Understanding, understand
from agent.understanding.model import uses_model
from memadvisor import understanding_metrics as metrics
from memory.accounts.users import PreferenceEntry
from memory.records.datatypes import DataType, NewRecord, validate_record
from memory.records.userdata import ConsentRequiredError
from memory.retrieval.memories import NewMemory
from prompts.language import detect_language

if TYPE_CHECKING:
    from agent.services import Services

logger = logging.getLogger(__name__)

NOT_REMEMBERED = ("question", "small_talk")
"""Sentence acts that leave nothing to remember."""


@dataclass(frozen=True, slots=True)
class Remembered:
    """What one message left behind."""

    memory_ids: list[str] = field(default_factory=list)
    record_ids: list[int] = field(default_factory=list)
    understanding: Understanding | None = None


def remember(
    services: Services,
    user_id: int,
    text: str,
    *,
    now: datetime,
    source_id: str | None = None,
    thread: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> Remembered:
    """Understand `text` (told by the user at `now`) and store what it says about them.

    `source_id` is where it was told (a chat turn's id: records link to it, and LoCoMo-style
    evidence maps memories back to turns through it); `thread` orders memories of a conversation.
    Running it again for the same source stores nothing twice (jobs may be delivered twice).
    The new memories are indexed by the indexing job.
    """
    if source_id is not None:
        done = services.memory.from_source(user_id, source_id)
        if any(m.kind in ("fact", "turn") for m in done):
            return Remembered(memory_ids=[m.id for m in done])
    language = detect_language(text)
    caps = services.capabilities
    model = services.llm if uses_model(caps, language) else None
    understood = understand(
        text, now=now, language=language, model=model, structured_output=caps.structured_output
    )
    for note in understood.notes:
        logger.info("understanding: %s", note)
    base = {**(metadata or {})}
    kept = [s for s in understood.statements if s.kind != "forget"]
    for statement in understood.statements:
        metrics.statement_found(statement.kind, statement.tier)
    record_ids: list[int] = []
    items: list[NewMemory] = []
    if kept:
        metrics.message_understood("remembered")
        allowed = services.user_data.consents.granted(user_id)
        for statement in kept:
            meta = {**base, **describe(statement)}
            if statement.record is not None:
                record_id, why = _record(services, user_id, statement, now, source_id, allowed)
                if record_id is not None:
                    record_ids.append(record_id)
                    meta["record_id"] = record_id
                else:
                    meta["record_skipped"] = why
            items.append(
                NewMemory(
                    statement.text,
                    kind="fact",
                    created_at=now,
                    source_id=source_id,
                    metadata=meta,
                    thread=thread,
                )
            )
        # What the rules did not understand is still what the user said: a sentence no statement
        # came from is kept in their words, so nothing told is lost.
        items += [
            NewMemory(
                said, kind="turn", created_at=now, source_id=source_id, metadata=base, thread=thread
            )
            for said in _unexplained(understood)
        ]
    elif understood.statements or _only_chatter(understood):
        metrics.message_understood("not_remembered")
    else:
        metrics.message_understood("verbatim")
        items.append(
            NewMemory(
                text, kind="turn", created_at=now, source_id=source_id, metadata=base, thread=thread
            )
        )
    ids = services.memory.add_many(user_id, items, index=False) if items else []
    if ids:
        services.jobs.enqueue("index_memories", ids=ids)
    if kept:
        for statement, memory_id in zip(kept, ids[: len(kept)], strict=True):
            if statement.slot is not None:
                subject, attribute = statement.slot
                replaced = services.memory.supersede(user_id, memory_id, subject, attribute, at=now)
                metrics.fact_replaced(len(replaced))
        entries = [
            entry
            for statement, memory_id in zip(kept, ids[: len(kept)], strict=True)
            if (entry := profile_entry(statement, memory_id)) is not None
        ]
        services.accounts.add_preferences(user_id, entries)
    return Remembered(memory_ids=ids, record_ids=record_ids, understanding=understood)


def _unexplained(understood: Understanding) -> list[str]:
    """Sentences no statement was taken from that still state something.

    Questions, chatter, hypotheticals and quotes are left out.
    """
    taken = [s.text for s in understood.statements]
    return [
        sentence.text
        for sentence in understood.sentences
        if sentence.act == "statement"
        and not sentence.hypothetical
        and not sentence.quoted
        and not any(sentence.text in t for t in taken)
        and _left_over(sentence.text, taken)
    ]


_JOINERS = re.compile(
    r"\b(?:and|but|also|so|then|too)\b|[和且还也并而但又，,。.!！?？;；:：、\s]", re.I
)


def _left_over(sentence: str, taken: list[str]) -> bool:
    """Whether the sentence says more than the statements taken from it ("... and I live in X")."""
    rest = sentence
    for text in taken:
        rest = rest.replace(text, " ")
    return len(_JOINERS.sub("", rest)) >= 4


def describe(statement: Statement) -> dict[str, Any]:
    """The metadata of a statement's memory: what it says, in fields (JSON-able)."""
    meta: dict[str, Any] = {"statement": statement.kind, "subject": statement.subject}
    meta["tier"] = statement.tier
    if statement.attribute is not None:
        meta["attribute"] = statement.attribute
    if statement.value is not None:
        meta["value"] = statement.value
    if statement.polarity is not None:
        meta["polarity"] = statement.polarity
    if statement.when is not None:
        meta["when"] = statement.when.isoformat()
    if (c := statement.constraint) is not None:
        constraint: dict[str, Any] = {"kind": c.kind, "concepts": list(c.concepts), "text": c.text}
        for name in ("amount", "currency", "period", "topic"):
            if (value := getattr(c, name)) is not None:
                constraint[name] = value
        meta["constraint"] = constraint
    return meta


def profile_entry(statement: Statement, memory_id: str) -> tuple[str, PreferenceEntry] | None:
    """Where a statement goes in the profile's preferences (None: nowhere), with its memory."""
    if (c := statement.constraint) is not None:
        entry = PreferenceEntry(
            text=statement.text[:200], memory_id=memory_id, kind=c.kind, concepts=list(c.concepts)
        )
        return "constraints", entry
    field_name = {"like": "likes", "dislike": "dislikes"}.get(statement.polarity or "")
    if statement.kind == "goal":
        field_name = "goals"
    if field_name is None:
        return None
    return field_name, PreferenceEntry(text=statement.text[:200], memory_id=memory_id)


def _only_chatter(understood: Understanding) -> bool:
    """Whether every sentence was a question or small talk (or there was no sentence)."""
    return all(s.act in NOT_REMEMBERED for s in understood.sentences)


def _record(
    services: Services,
    user_id: int,
    statement: Statement,
    now: datetime,
    source_id: str | None,
    allowed: set[DataType],
) -> tuple[int | None, str]:
    """Store the statement's record if the user consented to its type: (its id, or None and why)."""
    draft = statement.record
    assert draft is not None
    if draft.data_type not in allowed:
        metrics.chat_record("skipped_no_consent")
        return None, f"no consent for {draft.data_type}"
    data: dict[str, Any] = {**draft.data, "source": "chat"}
    if source_id is not None and source_id.isdigit():
        data["turn_id"] = int(source_id)
    try:
        data = validate_record(draft.data_type, data)
    except ValidationError as exc:  # the same validation as the forms: an implausible value
        metrics.chat_record("invalid")
        logger.info("a record told in chat was not valid: %s", exc.errors()[:1])
        return None, "not a valid record"
    try:
        [row] = services.user_data.add_many(
            user_id, [NewRecord(draft.data_type, data, draft.recorded_at or now)]
        )
    except ConsentRequiredError:  # withdrawn meanwhile
        metrics.chat_record("skipped_no_consent")
        return None, f"no consent for {draft.data_type}"
    metrics.chat_record("created")
    return row.id, ""

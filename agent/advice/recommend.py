"""Personalised, explainable recommendations per dimension, each citing what it rests on.

Two sources of advice. The rules (`prompts/advice.py`) turn each insight that calls for action
into an item whose rationale is the insight and whose sources are its records: reliable, and the
default when the model's own advice is declared unusable (the bundled demo model) or it cannot
write the user's language. The model writes advice from numbered notes: the user's own insights,
latest records and relevant memories, of consented data types only, as many as fit its context
window (memories are left out first, then older records, then insights). The model cites them
by label; the JSON schema it is constrained to lists exactly those labels, and the result is
validated again before it is cached. A cached set is served until its basis (data, insights,
memories, profile, consents, language, variant, adapter) changes. With the user's
`model_training` consent, the prompt and the stored set are kept as a training example
(`memory.training.registry`), whichever writer wrote it.

When the model was to write but cannot (its answer stayed invalid after the retry, or it is
unreachable or busy), the rules write the set instead, and the row says so (`written_by`,
`written_by_reason`): the user gets advice, never an error, while the rules can give it. A set
the rules wrote because the model was unreachable is not served from the cache, so the model is
asked again next time; one written because the model's answer was invalid is (a refresh asks
again).
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from agent.model.llm import model_unavailable
from agent.model.messages import chat_dicts
from agent.model.structured import StructuredOutputError, generate, schema_tokens
from memadvisor import metrics
from memadvisor.settings import StructuredOutput
from memory.accounts.users import Accounts
from memory.records.datatypes import DataType
from memory.records.describe import describe
from memory.records.insights import InsightStore
from memory.records.userdata import UserDataStore
from memory.retrieval.store import MemoryStore
from memory.retrieval.vectors import VectorStoreUnavailableError
from memory.storage.models import (
    MemoryRow,
    Recommendation,
    UserData,
    UserInsight,
    UserProfile,
    new_id,
)
from memory.storage.owners import owned_write
from memory.training.registry import MODEL_TRAINING, TrainingRegistry
from prompts.advice import RULES_PROMPT_VERSION, render_advice
from prompts.budget import PromptBudget
from prompts.insights import render_insight
from prompts.language import Language
from prompts.recommend import RECOMMEND_PROMPT_VERSION, render_recommend_messages
from prompts.variants import assign_variant, variant_line

logger = logging.getLogger(__name__)

DIMENSIONS = ("health", "finance", "education")
RECORDS_PER_TYPE = 5
MEMORIES = 6
MEMORY_QUERY = {
    "en": "my health, money, study, goals and plans",
    "zh": "我的健康、财务、学习、目标和计划",
}

WrittenBy = Literal["model", "rules"]
RulesReason = Literal["configured", "language", "model_invalid", "model_unavailable"]
"""Why the rules wrote a set: the settings say so (or the model's advice is declared unusable),
the model cannot write the user's language, its answer stayed invalid, or it could not be asked."""

Advice = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=300)]
Rationale = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=400)]


@dataclass(frozen=True, slots=True)
class Note:
    """A labelled piece of context and the row it stands for."""

    label: str
    text: str
    kind: Literal["memories", "user_data", "user_insights"]
    id: int | str
    pressing: str | None = None
    """The dimension of a finding that calls for action (the rules have advice for it)."""


@dataclass(frozen=True, slots=True)
class Advised:
    """A stored set of recommendations and whether it came from the cache."""

    row: Recommendation
    cached: bool


class Advisor:
    """Computes, validates and caches a user's recommendations."""

    def __init__(
        self,
        *,
        llm: BaseChatModel,
        sessions: sessionmaker[Session],
        accounts: Accounts,
        user_data: UserDataStore,
        insights: InsightStore,
        memory: MemoryStore,
        items: int,
        variants: list[str],
        model_name: str,
        embedding_model: str,
        budget: PromptBudget,
        use_model: bool = True,
        languages: tuple[Language, ...] = ("zh", "en"),
        structured_output: StructuredOutput = "json_schema",
        adapter_id: str | None = None,
        training: TrainingRegistry | None = None,
        grammar: bool = True,
    ) -> None:
        self._llm = llm
        self._sessions = sessions
        self._accounts = accounts
        self._data = user_data
        self._insights = insights
        self._memory = memory
        self._items = items
        self._variants = variants
        self._model_name = model_name
        self._embedding_model = embedding_model
        self._adapter_id = adapter_id
        self._training = training
        self.use_model = use_model
        """False: advice comes from the rules per insight (`prompts/advice.py`), no model call."""
        self.grammar = grammar
        """False: the model is asked for the schema but not constrained to it (an adapter)."""
        self._languages = languages
        self._budget = budget
        self._mode = structured_output

    def writes_with_model(self, language: Language) -> bool:
        """Whether the model writes this user's advice (else the rules): usable, and fluent."""
        return self.use_model and language in self._languages

    def rules_reason(self, language: Language) -> RulesReason:
        """Why the rules, not the model, write this user's advice (when they do)."""
        return "configured" if not self.use_model else "language"

    def recommend(self, user_id: int, language: Language, *, refresh: bool = False) -> Advised:
        """The user's recommendations: cached when nothing changed, else computed and stored.

        With the user's `model_training` consent, the prompt and the stored answer are kept as a
        training example (whoever wrote it: the model, or the rules as a teacher).
        """
        start = time.perf_counter()
        variant = assign_variant(user_id, self._variants)
        basis = self.basis(user_id, language, variant)
        if not refresh and (cached := self._cached(user_id, basis)) is not None:
            seconds = time.perf_counter() - start
            metrics.observe_recommendation(seconds, writer=cached.written_by, cached=True)
            return Advised(cached, cached=True)
        allowed = self._data.consents.granted(user_id)
        dimensions = self.dimensions(user_id, allowed)
        keep = self._training is not None and self._data.consents.get(user_id)[MODEL_TRAINING]
        with_model = self.writes_with_model(language)
        notes = (
            self.notes(user_id, language, allowed)
            if with_model
            else self._notes_for_rules(user_id, language, allowed, keep)
        )
        messages: list[BaseMessage] = []
        if notes:
            messages, notes = self.messages(user_id, language, variant, dimensions, notes)
        payload: dict[str, list[dict[str, Any]]] = {}
        reason = None if with_model else self.rules_reason(language)
        if with_model and notes:
            payload, reason = self._ask_or_why_not(user_id, language, dimensions, notes, messages)
        if reason is not None:  # the rules write it
            with_model, payload = False, self.rules(user_id, language, allowed)
            metrics.recommendation_by_rules(reason)
        version = RECOMMEND_PROMPT_VERSION if with_model else RULES_PROMPT_VERSION
        writer: WrittenBy = "model" if with_model else "rules"
        row = Recommendation(
            id=new_id(),
            user_id=user_id,
            payload={d: payload.get(d, []) for d in dimensions},
            basis=basis,
            language=language,
            prompt_version=version,
            variant=variant,
            model_name=self._model_name,
            adapter_id=self._adapter_id if with_model else None,
            written_by=writer,
            written_by_reason=reason,
        )
        for dimension, items in row.payload.items():
            for n, item in enumerate(items, start=1):
                item["id"] = f"{row.id}-{dimension}-{n}"
        with owned_write(self._sessions, user_id) as session:
            session.add(row)
            session.flush()
            session.expunge(row)
        metrics.observe_recommendation(time.perf_counter() - start, writer=writer, cached=False)
        if keep and notes and any(row.payload.values()) and self._training is not None:
            self._training.record(
                user_id,
                task="recommend",
                language=language,
                messages=chat_dicts(messages),
                answer=row.payload,
                labels={note.label: (note.kind, note.id) for note in notes},
                source_id=row.id,
            )
        return Advised(row, cached=False)

    def _notes_for_rules(
        self, user_id: int, language: Language, allowed: set[DataType], keep: bool
    ) -> list[Note]:
        """The notes a training example of the rules' advice needs: none unless kept.

        The rules do not need the vector store; with it down, no example is kept this time.
        """
        if not keep:
            return []
        try:
            return self.notes(user_id, language, allowed)
        except VectorStoreUnavailableError:
            logger.warning("vector store down: no training example kept for this advice")
            return []

    def dimensions(self, user_id: int, allowed: set[DataType]) -> list[str]:
        """The dimensions to advise on: the seed's three always, behaviour when recorded."""
        dimensions = list(DIMENSIONS)  # conversations can inform these too
        if "behavior" in allowed and self._data.counts(user_id).get("behavior"):
            dimensions.append("behavior")
        return dimensions

    def messages(
        self,
        user_id: int,
        language: Language,
        variant: str,
        dimensions: list[str],
        notes: list[Note],
    ) -> tuple[list[BaseMessage], list[Note]]:
        """The prompt that asks the model for advice, and the notes it holds.

        As many notes as fit the context window, in their order (memories are last, so they are
        left out first).
        """
        profile = self._accounts.profile(user_id).summary
        everything = draft_model(dimensions, [note.label for note in notes], self._items)
        messages, kept = self._budget.fit(
            notes,
            lambda shown: render_recommend_messages(
                language=language,
                dimensions=dimensions,
                items=self._items,
                profile=profile,
                notes=[(note.label, note.text) for note in shown],
                style=variant_line(variant, language),
            ),
            answer_tokens=self._budget.json_tokens,
            extra_tokens=schema_tokens(everything, self._mode, self._budget.counter),
        )
        if kept < len(notes):
            logger.info(
                "advice for user %s from %d of %d notes (context window)", user_id, kept, len(notes)
            )
        return messages, notes[:kept]

    def rules(
        self, user_id: int, language: Language, allowed: set[DataType]
    ) -> dict[str, list[dict[str, Any]]]:
        """Advice from the rules: an item per insight that calls for action, most pressing first."""
        payload: dict[str, list[dict[str, Any]]] = {}
        for insight in self._insights.list(user_id, set(allowed)):
            rendered = render_advice(insight.key, insight.severity, insight.figures, language)
            items = payload.setdefault(insight.category, [])
            if rendered is None or len(items) >= self._items:
                continue
            advice, rationale = rendered
            sources = [{"kind": "user_insights", "id": insight.id}, *insight.sources]
            items.append({"advice": advice, "rationale": rationale, "sources": sources})
        return payload

    def notes(self, user_id: int, language: Language, allowed: set[DataType]) -> list[Note]:
        """The labelled context: insights, latest records per type, relevant memories."""
        notes: list[Note] = []
        for n, insight in enumerate(self._insights.list(user_id, set(allowed)), start=1):
            text = f"({insight.category}) {render_insight(insight.key, insight.figures, language)}"
            acts = render_advice(insight.key, insight.severity, insight.figures, language)
            pressing = insight.category if acts is not None else None
            notes.append(Note(f"I{n}", text, "user_insights", insight.id, pressing))
        latest = [
            self._data.list(user_id, data_type=data_type, limit=RECORDS_PER_TYPE)
            for data_type in sorted(allowed)
        ]
        # Newest of each type first, then the next of each: trimming drops the oldest records.
        rounds = (row for batch in itertools.zip_longest(*latest) for row in batch if row)
        for n, record in enumerate(rounds, start=1):
            text = describe(record.data_type, record.data, record.recorded_at)  # type: ignore[arg-type]
            notes.append(Note(f"D{n}", text, "user_data", record.id))
        with metrics.search_memory_timer(self._embedding_model):
            found = self._memory.search(user_id, MEMORY_QUERY[language], 3 * MEMORIES)
        quoted = {str(note.id) for note in notes if note.kind == "user_data"}
        usable = [  # a record's own memory repeats a note already given: left out
            m
            for m in found
            if m.kind in ("turn", "fact")
            or (m.metadata.get("data_type") in allowed and m.source_id not in quoted)
        ]
        for n, memory in enumerate(usable[:MEMORIES], start=1):
            notes.append(Note(f"M{n}", memory.text, "memories", memory.id))
        return notes

    def _ask_or_why_not(
        self,
        user_id: int,
        language: Language,
        dimensions: list[str],
        notes: list[Note],
        messages: list[BaseMessage],
    ) -> tuple[dict[str, list[dict[str, Any]]], RulesReason | None]:
        """The model's advice, or why it cannot give it (the rules then write it)."""
        try:
            return self._ask(language, dimensions, notes, messages), None
        except StructuredOutputError as exc:
            logger.warning("advice for user %s: %s; the rules write it", user_id, exc)
            return {}, "model_invalid"
        except Exception as exc:
            if not model_unavailable(exc):
                raise
            logger.warning("advice for user %s: %s; the rules write it", user_id, exc)
            return {}, "model_unavailable"

    def _ask(
        self,
        language: Language,
        dimensions: list[str],
        notes: list[Note],
        messages: list[BaseMessage],
    ) -> dict[str, list[dict[str, Any]]]:
        by_label = {note.label: note for note in notes}
        schema = draft_model(dimensions, list(by_label), self._items, pressing(notes))
        draft = generate(
            self._llm,
            messages,
            schema,
            language=language,
            mode=self._mode,
            max_tokens=self._budget.json_tokens,
            counter=self._budget.counter,
            grammar=self.grammar,
        )
        payload: dict[str, list[dict[str, Any]]] = {}
        for dimension in dimensions:
            payload[dimension] = [
                {
                    "advice": item.advice,
                    "rationale": item.rationale,
                    "sources": [
                        {"kind": by_label[label].kind, "id": by_label[label].id}
                        for label in dict.fromkeys(item.sources)
                    ],
                }
                for item in getattr(draft, dimension)
            ]
        return payload

    def basis(self, user_id: int, language: Language, variant: str) -> str:
        """A fingerprint of everything a recommendation rests on."""
        with self._sessions() as session:
            parts: list[Any] = [language, variant, RECOMMEND_PROMPT_VERSION, self._items]
            parts += [self.writes_with_model(language), RULES_PROMPT_VERSION]
            parts += [self._adapter_id, self.grammar]
            for model, stamp in (
                (UserData, UserData.id),
                (UserInsight, UserInsight.id),
                (MemoryRow, MemoryRow.updated_at),
            ):
                parts += session.execute(
                    select(func.count(), func.max(stamp)).where(model.user_id == user_id)
                ).one()
            parts.append(
                session.scalar(select(UserProfile.updated_at).where(UserProfile.user_id == user_id))
            )
        parts.append(sorted(self._data.consents.granted(user_id)))
        return hashlib.sha256(repr(parts).encode()).hexdigest()

    def _cached(self, user_id: int, basis: str) -> Recommendation | None:
        with self._sessions() as session:
            return session.scalar(
                select(Recommendation)
                .where(
                    Recommendation.user_id == user_id,
                    Recommendation.basis == basis,
                    or_(
                        Recommendation.written_by_reason.is_(None),
                        Recommendation.written_by_reason != "model_unavailable",
                    ),
                )
                .order_by(Recommendation.created_at.desc())
                .limit(1)
            )

    def get(self, user_id: int, recommendation_id: str) -> Recommendation | None:
        """One of the user's recommendation sets (someone else's is None)."""
        with self._sessions() as session:
            row = session.get(Recommendation, recommendation_id)
            return row if row is not None and row.user_id == user_id else None


def draft_model(
    dimensions: list[str], labels: list[str], items: int, pressing: Collection[str] = ()
) -> type[BaseModel]:
    """The schema the model must follow: sources can only be the labels it was given.

    A dimension with a pressing finding gets at least one item: an empty answer was valid JSON
    that left the user's problems unaddressed.
    """
    label_type: Any = Literal[tuple(labels)]
    sources: Any = Annotated[list[label_type], Field(min_length=1, max_length=5)]
    item_model: Any = create_model(
        "AdviceItem",
        __config__=ConfigDict(extra="ignore"),
        advice=(Advice, ...),
        rationale=(Rationale, ...),
        sources=(sources, ...),
    )
    fields: dict[str, Any] = {
        d: (
            Annotated[
                list[item_model], Field(min_length=1 if d in pressing else None, max_length=items)
            ],
            ...,
        )
        for d in dimensions
    }
    return create_model("Recommendations", __config__=ConfigDict(extra="ignore"), **fields)


def pressing(notes: list[Note]) -> set[str]:
    """The dimensions whose findings call for action, among the notes."""
    return {note.pressing for note in notes if note.pressing}


def cite_labels(
    payload: dict[str, list[dict[str, Any]]], labels: Mapping[str, tuple[str, int | str]]
) -> dict[str, list[dict[str, Any]]]:
    """Stored items as the model should have written them: sources as the notes' labels.

    Sources that were not among the notes are dropped, and so is an item left with none.
    """
    by_row = {(kind, str(row_id)): label for label, (kind, row_id) in labels.items()}
    answer: dict[str, list[dict[str, Any]]] = {}
    for dimension, items in payload.items():
        answer[dimension] = []
        for item in items:
            cited = [by_row.get((s["kind"], str(s["id"]))) for s in item["sources"]]
            found = list(dict.fromkeys(label for label in cited if label))
            if found:
                answer[dimension].append(
                    {"advice": item["advice"], "rationale": item["rationale"], "sources": found[:5]}
                )
    return answer

"""Personalised, explainable recommendations per dimension, each citing what it rests on.

Two sources of advice. The rules (`prompts/advice.py`) turn each insight that calls for action
into an item whose rationale is the insight and whose sources are its records: reliable, and the
default with the tiny bundled model. The model (the default with Ollama) writes advice from
numbered notes: the user's own insights, latest records and relevant memories, of consented
data types only. The model cites them by label; the JSON schema it is constrained
to lists exactly those labels, and the result is validated again before it is cached. A cached
set is served until its basis (data, insights, memories, profile, consents, language, variant,
adapter) changes. With the user's `model_training` consent, the prompt and the stored set are kept
as a training example (`memory.training`), whichever writer wrote it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from agent.finetune.chat import chat_dicts
from agent.structured import generate
from memory.accounts import Accounts
from memory.datatypes import DataType, describe
from memory.insights import InsightStore
from memory.models import MemoryRow, Recommendation, UserData, UserInsight, UserProfile, new_id
from memory.store import MemoryStore
from memory.training import MODEL_TRAINING, TrainingRegistry
from memory.userdata import UserDataStore
from memory.vectors import VectorStoreUnavailableError
from prompts.advice import RULES_PROMPT_VERSION, render_advice
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

Advice = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=300)]
Rationale = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=400)]


@dataclass(frozen=True, slots=True)
class Note:
    """A labelled piece of context and the row it stands for."""

    label: str
    text: str
    kind: Literal["memories", "user_data", "user_insights"]
    id: int | str


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
        use_model: bool = True,
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
        self._adapter_id = adapter_id
        self._training = training
        self.use_model = use_model
        """False: advice comes from the rules per insight (`prompts/advice.py`), no model call."""
        self.grammar = grammar
        """False: the model is asked for the schema but not constrained to it (an adapter)."""

    def recommend(self, user_id: int, language: Language, *, refresh: bool = False) -> Advised:
        """The user's recommendations: cached when nothing changed, else computed and stored.

        With the user's `model_training` consent, the prompt and the stored answer are kept as a
        training example (whoever wrote it: the model, or the rules as a teacher).
        Raises StructuredOutputError (storing nothing) when the model's answer stays invalid.
        """
        variant = assign_variant(user_id, self._variants)
        basis = self.basis(user_id, language, variant)
        if not refresh and (cached := self._cached(user_id, basis)) is not None:
            return Advised(cached, cached=True)
        allowed = self._data.consents.granted(user_id)
        dimensions = self.dimensions(user_id, allowed)
        keep = self._training is not None and self._data.consents.get(user_id)[MODEL_TRAINING]
        notes = self._notes_for_rules(user_id, language, allowed, keep)
        if self.use_model:
            notes = self.notes(user_id, language, allowed)
        messages = self.messages(user_id, language, variant, dimensions, notes)
        if self.use_model:
            payload = self._ask(language, dimensions, notes, messages) if notes else {}
            version = RECOMMEND_PROMPT_VERSION
        else:
            payload = self.rules(user_id, language, allowed)
            version = RULES_PROMPT_VERSION
        row = Recommendation(
            id=new_id(),
            user_id=user_id,
            payload={d: payload.get(d, []) for d in dimensions},
            basis=basis,
            language=language,
            prompt_version=version,
            variant=variant,
            model_name=self._model_name,
            adapter_id=self._adapter_id if self.use_model else None,
        )
        for dimension, items in row.payload.items():
            for n, item in enumerate(items, start=1):
                item["id"] = f"{row.id}-{dimension}-{n}"
        with self._sessions.begin() as session:
            session.add(row)
            session.flush()
            session.expunge(row)
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
        if not keep or self.use_model:
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
    ) -> list[BaseMessage]:
        """The prompt that asks the model for advice on these notes."""
        return render_recommend_messages(
            language=language,
            dimensions=dimensions,
            items=self._items,
            profile=self._accounts.profile(user_id).summary,
            notes=[(note.label, note.text) for note in notes],
            style=variant_line(variant, language),
        )

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
            notes.append(Note(f"I{n}", text, "user_insights", insight.id))
        n = 0
        for data_type in sorted(allowed):
            for record in self._data.list(user_id, data_type=data_type, limit=RECORDS_PER_TYPE):
                n += 1
                text = describe(record.data_type, record.data, record.recorded_at)  # type: ignore[arg-type]
                notes.append(Note(f"D{n}", text, "user_data", record.id))
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

    def _ask(
        self,
        language: Language,
        dimensions: list[str],
        notes: list[Note],
        messages: list[BaseMessage],
    ) -> dict[str, list[dict[str, Any]]]:
        by_label = {note.label: note for note in notes}
        schema = draft_model(dimensions, list(by_label), self._items)
        draft = generate(self._llm, messages, schema, language=language, grammar=self.grammar)
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

    def basis(self, user_id: int, language: str, variant: str) -> str:
        """A fingerprint of everything a recommendation rests on."""
        with self._sessions() as session:
            parts: list[Any] = [language, variant, RECOMMEND_PROMPT_VERSION, self._items]
            parts += [self.use_model, RULES_PROMPT_VERSION, self._adapter_id, self.grammar]
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
                .where(Recommendation.user_id == user_id, Recommendation.basis == basis)
                .order_by(Recommendation.created_at.desc())
                .limit(1)
            )

    def get(self, user_id: int, recommendation_id: str) -> Recommendation | None:
        """One of the user's recommendation sets (someone else's is None)."""
        with self._sessions() as session:
            row = session.get(Recommendation, recommendation_id)
            return row if row is not None and row.user_id == user_id else None


def draft_model(dimensions: list[str], labels: list[str], items: int) -> type[BaseModel]:
    """The schema the model must follow: sources can only be the labels it was given."""
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
        d: (Annotated[list[item_model], Field(max_length=items)], ...) for d in dimensions
    }
    return create_model("Recommendations", __config__=ConfigDict(extra="ignore"), **fields)


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

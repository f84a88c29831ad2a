"""Memory consolidation: a new fact updates the stored one it repeats or contradicts.

After a turn, the model extracts lasting facts from the user's message; each is compared with the
closest stored facts and becomes an `add`, `update`, `delete` or nothing (mem0's events). Updates
and deletions keep the old text in `memory_history`, so "I live in Beijing" followed by "I moved
to Shanghai" leaves one current fact and the record of the move.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Literal, TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from pydantic import BaseModel, Field, StringConstraints

from agent.model.messages import chat_dicts
from agent.model.structured import StructuredOutputError, generate, schema_tokens
from memadvisor.settings import StructuredOutput
from memory.retrieval.store import CONSOLIDATED, MemoryStore
from memory.training.registry import TrainingRegistry
from prompts.budget import PromptBudget
from prompts.facts import render_decide_messages, render_extract_messages
from prompts.language import Language

logger = logging.getLogger(__name__)

FactText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=300)]
CANDIDATES = 5
Answer = TypeVar("Answer", bound=BaseModel)


class Facts(BaseModel):
    """The facts in one message."""

    facts: Annotated[list[FactText], Field(max_length=5)] = []


class Decision(BaseModel):
    """How one new fact meets the stored ones."""

    event: Literal["add", "update", "delete", "none"]
    target: str | None = None
    text: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = ""


class Consolidator:
    """Turns chat messages into a current, de-duplicated set of `fact` memories."""

    def __init__(
        self,
        *,
        llm: BaseChatModel,
        memory: MemoryStore,
        budget: PromptBudget,
        structured_output: StructuredOutput = "json_schema",
        training: TrainingRegistry | None = None,
    ) -> None:
        self._llm = llm
        self._memory = memory
        self._budget = budget
        self._mode = structured_output
        self._training = training

    def consolidate(self, user_id: int, memory_id: str, language: Language) -> list[str]:
        """Consolidate the facts of one `turn` memory; returns the events applied.

        A turn is consolidated once: it is marked when done, and a second run (a retried or
        redelivered job) returns at once. It is marked too when the model's answer stays invalid
        (StructuredOutputError, raised), so the same turn is not put to the model again and again.
        """
        source = self._memory.get(user_id, memory_id)
        if source is None or source.kind != "turn" or source.metadata.get(CONSOLIDATED):
            return []
        try:
            messages, _ = self._budget.fit(
                [],
                lambda _: render_extract_messages(language, source.text),
                answer_tokens=self._budget.json_tokens,
                extra_tokens=schema_tokens(Facts, self._mode, self._budget.counter),
            )
            extracted = self._generate(messages, Facts, language)
            if self._training is not None and extracted.facts:  # only with the user's consent
                self._training.record(
                    user_id,
                    task="facts",
                    language=language,
                    messages=chat_dicts(messages),
                    answer=extracted.model_dump(mode="json"),
                    source_id=memory_id,
                )
            events = []
            for fact in dict.fromkeys(extracted.facts):
                events.append(self._merge(user_id, fact, memory_id, language))
        except StructuredOutputError:
            self._memory.mark_consolidated(user_id, memory_id)
            raise
        self._memory.mark_consolidated(user_id, memory_id)
        return events

    def _merge(self, user_id: int, fact: str, source_id: str, language: Language) -> str:
        stored = [m for m in self._memory.search(user_id, fact, 4 * CANDIDATES) if m.kind == "fact"]
        stored = stored[:CANDIDATES]
        if not stored:
            self._memory.add_fact(user_id, fact, source_id=source_id)
            return "add"
        labels = {f"F{n}": m for n, m in enumerate(stored, start=1)}

        def check(decision: Decision) -> None:
            if decision.event in ("update", "delete") and decision.target not in labels:
                raise ValueError(f"target must be one of {', '.join(labels)}")
            if decision.event in ("add", "update") and not decision.text:
                raise ValueError("text is required for add and update")

        messages, kept = self._budget.fit(
            list(labels.items()),
            lambda shown: render_decide_messages(language, fact, [(k, m.text) for k, m in shown]),
            answer_tokens=self._budget.json_tokens,
            extra_tokens=schema_tokens(Decision, self._mode, self._budget.counter),
        )
        labels = dict(list(labels.items())[:kept])
        decision = self._generate(messages, Decision, language, check=check)
        if decision.event == "add":
            self._memory.add_fact(user_id, decision.text, source_id=source_id)
        elif decision.event == "update":
            target = labels[decision.target or ""]
            self._memory.update(user_id, target.id, decision.text, source_id=source_id)
        elif decision.event == "delete":
            self._memory.forget_fact(user_id, labels[decision.target or ""].id, source_id=source_id)
        logger.info("consolidated a fact of user %s: %s", user_id, decision.event)
        return decision.event

    def _generate(
        self,
        messages: list[BaseMessage],
        model: type[Answer],
        language: Language,
        *,
        check: Callable[[Answer], None] | None = None,
    ) -> Answer:
        return generate(
            self._llm,
            messages,
            model,
            check=check,
            language=language,
            mode=self._mode,
            max_tokens=self._budget.json_tokens,
            counter=self._budget.counter,
        )

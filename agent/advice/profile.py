"""The LLM half of the analysis: a profile summary and structured preferences from conversations.

Runs every `summary_every_turns` answered turns (a background job after chat) and on demand. The
output is schema-constrained and validated; an invalid answer changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from agent.model.messages import chat_dicts
from agent.model.structured import StructuredOutputError, generate, schema_tokens
from memadvisor.settings import StructuredOutput
from memory.accounts.users import (
    MAX_ENTRIES,
    PREFERENCE_FIELDS,
    Accounts,
    PreferenceItem,
    Preferences,
    Profile,
)
from memory.conversations.history import ChatHistory
from memory.training.registry import TrainingRegistry
from prompts.budget import PromptBudget
from prompts.language import Language
from prompts.profile import render_profile_messages

logger = logging.getLogger(__name__)

SUMMARY_CHARS = 2000


class DraftPreferences(BaseModel):
    """The preferences as the model writes them: texts (the profile adds where each came from)."""

    model_config = ConfigDict(extra="forbid")

    goals: Annotated[list[PreferenceItem], Field(max_length=MAX_ENTRIES)] = []
    likes: Annotated[list[PreferenceItem], Field(max_length=MAX_ENTRIES)] = []
    dislikes: Annotated[list[PreferenceItem], Field(max_length=MAX_ENTRIES)] = []
    constraints: Annotated[list[PreferenceItem], Field(max_length=MAX_ENTRIES)] = []


class ProfileDraft(BaseModel):
    """What the model must return."""

    model_config = ConfigDict(extra="ignore")

    summary: Annotated[str, StringConstraints(strip_whitespace=True, max_length=SUMMARY_CHARS)]
    preferences: DraftPreferences = Field(default_factory=DraftPreferences)

    @field_validator("summary", mode="before")
    @classmethod
    def _cut_long_summary(cls, value: object) -> object:
        """A rambling summary is cut at the last sentence that fits (a repair, not a refusal)."""
        if isinstance(value, str) and len(value) > SUMMARY_CHARS:
            cut = value[:SUMMARY_CHARS]
            end = max(cut.rfind(mark) for mark in ".。!！?？")
            return cut[: end + 1] if end > 0 else cut
        return value


class Profiler:
    """Keeps each user's profile up to date from their conversations."""

    def __init__(
        self,
        *,
        llm: BaseChatModel,
        accounts: Accounts,
        history: ChatHistory,
        every_turns: int,
        window_turns: int,
        budget: PromptBudget,
        structured_output: StructuredOutput = "json_schema",
        training: TrainingRegistry | None = None,
        writes_summary: bool = True,
        facts: Callable[[int], list[str]] | None = None,
    ) -> None:
        """`writes_summary`: whether the model can write a summary (else it is extractive).

        `facts`: the user's current facts in their words, newest first (the extractive summary).
        """
        self._writes_summary = writes_summary
        self._facts = facts
        self._llm = llm
        self._budget = budget
        self._mode = structured_output
        self._training = training
        self._accounts = accounts
        self._history = history
        self.every_turns = every_turns
        self.window_turns = window_turns

    def due(self, user_id: int) -> bool:
        """Whether enough new turns arrived since the last summary."""
        answered = self._history.answered_count(user_id)
        return self._is_due(answered, self._accounts.profile(user_id), None)

    def _is_due(self, answered: int, profile: Profile, at_least: int | None) -> bool:
        """Whether `at_least` (default `every_turns`) answered turns are not summarised yet."""
        wanted = self.every_turns if at_least is None else at_least
        return answered - profile.summarized_turns >= wanted

    def refresh(
        self,
        user_id: int,
        language: Language,
        *,
        force: bool = False,
        at_least: int | None = None,
    ) -> Profile:
        """Rewrite summary and preferences from the latest turns (when due, or `force`).

        Due means `at_least` (default `every_turns`) answered turns the summary has not read; a
        refresh reads them all, so running it again changes nothing until new turns arrive.
        Never fails for want of a model: when the model cannot write a summary, or its answer stays
        invalid, the summary is extractive (the user's own statements) and the preferences stay.
        """
        profile = self._accounts.profile(user_id)
        count = self._history.answered_count(user_id)
        if not force and not self._is_due(count, profile, at_least):
            return profile
        turns = self._history.latest_turns(user_id, self.window_turns)
        if not turns:
            return profile
        if not self._writes_summary:
            return self._extractive(user_id, count)
        newest_first = [turn.input_text for turn in reversed(turns)]
        messages, kept = self._budget.fit(
            newest_first,
            lambda recent: render_profile_messages(
                language=language,
                summary=profile.summary,
                preferences=texts(profile.preferences),
                user_messages=list(reversed(recent)),
            ),
            answer_tokens=self._budget.json_tokens,
            extra_tokens=schema_tokens(ProfileDraft, self._mode, self._budget.counter),
        )
        if kept < len(turns):
            logger.info("the summariser reads the latest %d of %d turns (window)", kept, len(turns))
        try:
            draft = generate(
                self._llm,
                messages,
                ProfileDraft,
                language=language,
                mode=self._mode,
                max_tokens=self._budget.json_tokens,
                counter=self._budget.counter,
            )
        except StructuredOutputError as exc:
            logger.info("profile of user %s: extractive summary (%s)", user_id, exc)
            return self._extractive(user_id, count)
        logger.info("profile of user %s summarised from %d turns", user_id, len(turns))
        if self._training is not None:  # kept only with the user's `model_training` consent
            self._training.record(
                user_id,
                task="profile",
                language=language,
                messages=chat_dicts(messages),
                answer=draft.model_dump(mode="json"),
            )
        return self._accounts.update_profile(
            user_id,
            summary=draft.summary,
            preferences=Preferences.model_validate(draft.preferences.model_dump()),
            summarized_turns=count,
        )

    def _extractive(self, user_id: int, count: int) -> Profile:
        """A summary made of the user's own statements (newest first, as many as fit)."""
        facts = self._facts(user_id) if self._facts is not None else []
        kept: list[str] = []
        size = 0
        for fact in facts:
            line = fact.strip().rstrip(".。") + ("。" if is_chinese(fact) else ".")
            if size + len(line) + 1 > SUMMARY_CHARS:
                break
            kept.append(line)
            size += len(line) + 1
        return self._accounts.update_profile(
            user_id, summary=" ".join(kept), summarized_turns=count
        )


def texts(preferences: dict[str, Any]) -> dict[str, list[str]]:
    """The preferences' texts by field (what the summariser reads)."""
    parsed = Preferences.model_validate(preferences or {})
    return {name: [e.text for e in getattr(parsed, name)] for name in PREFERENCE_FIELDS}


def is_chinese(text: str) -> bool:
    """Whether `text` has Chinese characters (its sentence ends with 。)."""
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)

"""The LLM half of the analysis: a profile summary and structured preferences from conversations.

Runs every `summary_every_turns` answered turns (a background job after chat) and on demand. The
output is schema-constrained and validated; an invalid answer changes nothing.
"""

from __future__ import annotations

import logging
from typing import Annotated

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from agent.model.messages import chat_dicts
from agent.model.structured import generate, schema_tokens
from memadvisor.settings import StructuredOutput
from memory.accounts.users import Accounts, Preferences, Profile
from memory.conversations.history import ChatHistory
from memory.training.registry import TrainingRegistry
from prompts.budget import PromptBudget
from prompts.language import Language
from prompts.profile import render_profile_messages

logger = logging.getLogger(__name__)

SUMMARY_CHARS = 2000


class ProfileDraft(BaseModel):
    """What the model must return."""

    model_config = ConfigDict(extra="ignore")

    summary: Annotated[str, StringConstraints(strip_whitespace=True, max_length=SUMMARY_CHARS)]
    preferences: Preferences = Field(default_factory=Preferences)

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
    ) -> None:
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
        Raises StructuredOutputError (and stores nothing) when the model's answer stays invalid.
        """
        profile = self._accounts.profile(user_id)
        count = self._history.answered_count(user_id)
        if not force and not self._is_due(count, profile, at_least):
            return profile
        turns = self._history.latest_turns(user_id, self.window_turns)
        if not turns:
            return profile
        newest_first = [turn.input_text for turn in reversed(turns)]
        messages, kept = self._budget.fit(
            newest_first,
            lambda recent: render_profile_messages(
                language=language,
                summary=profile.summary,
                preferences=profile.preferences,
                user_messages=list(reversed(recent)),
            ),
            answer_tokens=self._budget.json_tokens,
            extra_tokens=schema_tokens(ProfileDraft, self._mode, self._budget.counter),
        )
        if kept < len(turns):
            logger.info("the summariser reads the latest %d of %d turns (window)", kept, len(turns))
        draft = generate(
            self._llm,
            messages,
            ProfileDraft,
            language=language,
            mode=self._mode,
            max_tokens=self._budget.json_tokens,
            counter=self._budget.counter,
        )
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
            preferences=draft.preferences,
            summarized_turns=count,
        )

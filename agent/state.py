"""The chat graph's state, field by field.

`typing_extensions.TypedDict` (not `typing`) so pydantic, and therefore LangServe, can build schemas
on Python 3.11.
"""

from __future__ import annotations

from typing import Any, Literal

from typing_extensions import TypedDict

from memory.conversations.history import Turn
from memory.retrieval.store import Memory
from prompts.language import Language

MemoryStatus = Literal["ok", "unavailable"]
AnsweredBy = Literal["model", "fallback"]


class InputState(TypedDict):
    """What a caller sends: only the message. The user comes from the run's context."""

    message: str
    """The user's message, in any language."""


class OutputState(TypedDict, total=False):
    """What a run returns."""

    answer: str
    """The model's full answer."""
    memories: list[Memory]
    """The memories the answer was given with, best first, with scores."""
    memory_status: MemoryStatus
    """`unavailable` when the vector store was down and the answer was given without memories."""
    answered_by: AnsweredBy
    """`model`, or `fallback`: the model cannot write the message's language, so the answer was
    put together without it (what was remembered, insights, how to switch models)."""
    conversation_id: str
    """The conversation the turn was saved in."""
    turn_id: int
    """The saved turn."""


class State(InputState, OutputState, total=False):
    """Everything the nodes pass along."""

    language: Language
    """The language of the message; the prompt and answer follow it."""
    recent: list[Turn]
    """The last answered turns of this conversation, oldest first."""
    profile_summary: str
    """The user's profile summary (empty until the summariser has run)."""
    insights: list[str]
    """The most pressing insights from the user's consented data, as sentences."""
    variant: str
    """The user's prompt variant (A/B arm)."""
    prompt_version: str
    """Which prompt and variant produced the answer (recorded with the turn)."""


class RecommendInput(TypedDict, total=False):
    """What a caller of the recommend graph sends (the user comes from the run's context)."""

    language: Language
    """The language of the advice; default English."""
    refresh: bool
    """Compute anew even if nothing changed since the cached set."""


class RecommendState(RecommendInput, total=False):
    """The recommend graph's state."""

    insights: int
    """How many insights the analysers produced for this run."""
    recommendation_id: str
    """The stored (or cached) recommendation set."""
    recommendations: dict[str, Any]
    """Advice per dimension: `{"health": [{"id", "advice", "rationale", "sources"}], ...}`."""
    cached: bool
    """Whether the set came from the cache."""

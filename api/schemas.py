"""Request and response shapes of the HTTP API (validated at the edge)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator

from memory.accounts import Preferences
from memory.datatypes import (
    BehaviorRecord,
    DataType,
    EducationRecord,
    FinanceRecord,
    HealthRecord,
    check_recorded_at,
)

MAX_MESSAGE_CHARS = 8000
MAX_ROW_ID = 2**63 - 1
"""Largest id a SQL integer column holds; larger ones are refused at the edge, not by the driver."""

Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Rows to skip.")]
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]

Username = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=2, max_length=64, pattern=r"^[\w.\-]+$"),
]
Password = Annotated[str, Field(min_length=8, max_length=128)]
Message = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_MESSAGE_CHARS)
]


class UserRegister(BaseModel):
    """A new account. Usernames: 2-64 letters (any script), digits, `_`, `.` or `-`."""

    model_config = ConfigDict(extra="forbid")

    username: Username
    password: Password
    email: EmailStr | None = None


class UserLogin(BaseModel):
    """Credentials for a token."""

    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=128)]


class TokenOut(BaseModel):
    """A short-lived bearer token, and the refresh token that renews it (`/api/auth/refresh`)."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int
    """Seconds until the access token expires."""
    refresh_token: str
    """Single use: each refresh returns a new one; presenting a used one ends the session."""
    refresh_expires_in: int
    """Seconds until the sign-in ends and a password is needed again."""


class RefreshRequest(BaseModel):
    """A refresh token to exchange for new tokens, or to end its session with."""

    model_config = ConfigDict(extra="forbid")

    refresh_token: Annotated[str, Field(min_length=1, max_length=256)]


class UserOut(BaseModel):
    """The public shape of an account."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    email: str | None
    created_at: datetime


class ChatIn(BaseModel):
    """One chat message; without a conversation id a new conversation starts."""

    model_config = ConfigDict(extra="forbid")

    message: Message
    conversation_id: Annotated[str, Field(min_length=1, max_length=32)] | None = None


class MemoryOut(BaseModel):
    """A memory; `score` (cosine similarity, 0-1) is set when it was found by a search."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    text: str
    created_at: datetime
    score: float | None = None


class ChatStart(BaseModel):
    """The first event of a streamed chat turn: where the message was saved."""

    conversation_id: str
    turn_id: int


class ChatToken(BaseModel):
    """A piece of the answer, as the model writes it."""

    text: str


class ChatError(BaseModel):
    """The turn failed midway; the message itself was saved."""

    message: str


class ChatFinal(BaseModel):
    """The last event of a streamed chat turn."""

    conversation_id: str
    turn_id: int
    answer: str
    memories: list[MemoryOut]
    memory: Literal["ok", "unavailable"] = "ok"
    """`unavailable`: the memory store was down, so the answer was given without memories (the
    turn is saved and will be remembered once it is back)."""


class TurnOut(BaseModel):
    """A turn of a conversation."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    input_text: str
    output_text: str | None
    status: str
    created_at: datetime
    prompt_version: str | None
    model_name: str | None
    memories: list[MemoryOut] = []
    """The memories the answer was given, best first, with their scores then (forgotten ones are
    left out)."""


class ConversationOut(BaseModel):
    """A conversation in a list."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    title: str
    created_at: datetime
    updated_at: datetime
    turns: int


class ConversationDetail(ConversationOut):
    """A conversation with its turns, oldest first."""

    messages: list[TurnOut]


class AuditEntryOut(BaseModel):
    """One entry of the user's audit log."""

    model_config = ConfigDict(from_attributes=True)

    action: str
    """`read`, `write`, `delete`, `export`, `login` or `logout`."""
    resource: str
    """`account`, `memories`, `conversation`, `profile`, `user_data`, `insights` or `session`."""
    resource_id: str | None
    client: str | None
    """The address the request came from."""
    at: datetime


class ErrorOut(BaseModel):
    """Every 4xx/5xx answer carries a sentence a person can read in `detail`."""

    detail: str


# --- user data, consent, insights, profile, recommendations, feedback ---------------------------


class _DataIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recorded_at: datetime | None = None
    """When it was measured; default now. Not in the future, not before 1900."""

    _plausible_time = field_validator("recorded_at")(check_recorded_at)


class HealthDataIn(_DataIn):
    """A health record: steps, resting heart rate (bpm), sleep (hours), weight (kg)."""

    data_type: Literal["health"]
    data: HealthRecord


class FinanceDataIn(_DataIn):
    """A finance record: income, expenses, savings, debt over a period, in one currency."""

    data_type: Literal["finance"]
    data: FinanceRecord


class EducationDataIn(_DataIn):
    """An education record: courses, goals, study hours."""

    data_type: Literal["education"]
    data: EducationRecord


class BehaviorDataIn(_DataIn):
    """A behaviour event with a category."""

    data_type: Literal["behavior"]
    data: BehaviorRecord


UserDataIn = Annotated[
    HealthDataIn | FinanceDataIn | EducationDataIn | BehaviorDataIn,
    Field(discriminator="data_type"),
]
"""One record; `data_type` picks the schema its `data` must follow."""


class UserDataOut(BaseModel):
    """A stored record."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    data_type: DataType
    data: dict[str, Any]
    recorded_at: datetime
    created_at: datetime


class RejectedRow(BaseModel):
    """A row of an import that was not accepted, and why (row 1 is the first data row)."""

    row: int
    errors: list[str]


class ImportReport(BaseModel):
    """What an import did. Accepted rows are written together or not at all."""

    accepted: int
    rejected: list[RejectedRow]
    written: bool
    """False when nothing was written (strict mode with rejected rows, or nothing valid)."""
    ids: list[int]
    """The ids of the records written."""


class ConsentOut(BaseModel):
    """Which types of data you allow to be collected and used (all off until you turn them on)."""

    health: bool = False
    finance: bool = False
    education: bool = False
    behavior: bool = False
    model_training: bool = False
    """Whether advice you approved (thumbs up, "I did this") and the assistant's valid summaries
    of you may be used, with names and e-mails replaced, to fine-tune the assistant's model.
    Turning it off deletes what was kept and marks models trained on it for retraining."""


class ConsentUpdate(BaseModel):
    """Turn collection and use of data types on or off; omitted types stay as they are."""

    model_config = ConfigDict(extra="forbid")

    health: bool | None = None
    finance: bool | None = None
    education: bool | None = None
    behavior: bool | None = None
    model_training: bool | None = None


class ConsentChange(ConsentOut):
    """The consents after a change, and what is still stored of the types now turned off."""

    records_kept: dict[str, int] = {}
    """Per type turned off: how many records are still stored (delete them with
    `DELETE /api/user-data?type=...`); they are no longer used."""


class SourceRef(BaseModel):
    """Something a conclusion rests on, as it appears in `GET /api/me/export`.

    `kind` is the table (`memories`, `user_data`, `user_insights`), `id` the row's id there.
    """

    kind: Literal["memories", "user_data", "user_insights"]
    id: int | str


class InsightOut(BaseModel):
    """A conclusion drawn from your data, with the figures and records it rests on."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    category: str
    key: str
    text: str
    severity: Literal["info", "good", "warning", "alert"]
    figures: dict[str, Any]
    sources: list[SourceRef]
    created_at: datetime


class ProfileOut(BaseModel):
    """The profile: summary and preferences, and the current insights.

    The summariser writes summary and preferences; you can correct them.
    """

    summary: str
    preferences: Preferences
    insights: list[InsightOut]
    edited_by_user: bool
    summarized_turns: int
    """How many of your turns the last summary had read."""
    updated_at: datetime | None


class ProfileUpdate(BaseModel):
    """Your corrections; omitted fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    summary: Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)] | None = None
    preferences: Preferences | None = None


class RecommendationItem(BaseModel):
    """One piece of advice, why, and what it rests on."""

    id: str
    """Use it as `target_id` for feedback."""
    advice: str
    rationale: str
    sources: list[SourceRef]


class RecommendationsOut(BaseModel):
    """Advice per dimension (`behavior` only when there is behaviour data)."""

    id: str
    health: list[RecommendationItem]
    finance: list[RecommendationItem]
    education: list[RecommendationItem]
    behavior: list[RecommendationItem] | None = None
    language: str
    prompt_version: str
    variant: str | None
    model_name: str | None
    created_at: datetime
    cached: bool
    """True when served from the cache (nothing changed since it was computed)."""


class FeedbackIn(BaseModel):
    """Thumbs up or down on a chat answer (`turn`, id of the turn) or a recommendation item."""

    model_config = ConfigDict(extra="forbid")

    target_type: Literal["turn", "recommendation"]
    target_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    rating: Literal[1, -1]
    """1 for thumbs up, -1 for thumbs down."""
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None
    adopted: bool = False
    """"I did this"."""


class FeedbackOut(BaseModel):
    """Stored feedback."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    target_type: str
    target_id: str
    rating: int
    comment: str | None
    adopted: bool
    prompt_version: str | None
    variant: str | None
    created_at: datetime


class FeedbackStatsRow(BaseModel):
    """Approval and adoption of one prompt version, variant and model, over all feedback."""

    target_type: str
    prompt_version: str | None
    variant: str | None
    model_name: str | None
    """The model that wrote the targets (recorded since fine-tuning; older feedback has none)."""
    adapter_id: str | None
    """The fine-tuned adapter loaded on it, if any."""
    count: int
    approval_rate: float
    """Share of thumbs up."""
    adoption_rate: float
    """Share marked "I did this"."""


class MemoryUpdate(BaseModel):
    """New text for a memory you correct."""

    model_config = ConfigDict(extra="forbid")

    text: Message


class MemoryChangeOut(BaseModel):
    """One step in the history of a memory."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    event: str
    old_text: str | None
    new_text: str | None
    created_at: datetime

"""Request and response shapes of the HTTP API (validated at the edge)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import Path, Query
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
)

from agent.analysis.charts import Chart
from memory.accounts.usernames import display_username
from memory.accounts.users import Preferences
from memory.records.datatypes import (
    BehaviorRecord,
    CustomRecord,
    DataType,
    EducationRecord,
    FinanceRecord,
    HealthRecord,
    NewRecord,
    NotBool,
    as_utc,
    check_recorded_at,
)

MAX_MESSAGE_CHARS = 8000
MAX_ROW_ID = 2**63 - 1
"""Largest id a SQL integer column holds; larger ones are refused at the edge, not by the driver."""

Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Rows to skip.")]
ClientTime = Annotated[datetime, AfterValidator(as_utc)]
"""A time a client sends, as aware UTC; one UTC cannot hold is a 422, never a 500."""
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]

Username = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=2, max_length=64, pattern=r"^[\w.\-]+$"),
    AfterValidator(display_username),
]
"""Stored as `display_username` makes it; `memory.accounts.usernames` says what counts as taken."""
Password = Annotated[str, Field(min_length=8, max_length=128)]
Message = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_MESSAGE_CHARS)
]


class UserRegister(BaseModel):
    """A new account.

    Usernames: 2-64 letters (any script), digits, `_`, `.` or `-`, not mixing scripts that look
    alike; full-width forms are stored as ASCII. Passwords: 8-128 characters, not easy to guess
    (zxcvbn; a 422 of type `password_too_weak` says why).
    """

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
    current: bool = True
    """False once a newer statement about the same thing replaced it (it stays findable)."""
    superseded_by: str | None = None
    """The memory that replaced it."""


class ChatStart(BaseModel):
    """The first event of a streamed chat turn: where the message was saved."""

    conversation_id: str
    turn_id: int


class ChatToken(BaseModel):
    """A piece of the answer, as the model writes it."""

    text: str


class ChatQueued(BaseModel):
    """The answer waits for the model (sent while waiting; `position` 0 once the model starts)."""

    position: int
    """1: next to start; 0: the model has started on this answer."""
    estimated_wait_s: float | None = None
    """Seconds until the model starts on it, estimated from recent answers (None: no estimate)."""


class ChatError(BaseModel):
    """The turn failed midway; the message itself was saved."""

    message: str
    retry_after: int | None = None
    """Set when the model was too busy: seconds after which trying again is worthwhile."""


class ChatFinal(BaseModel):
    """The last event of a streamed chat turn."""

    conversation_id: str
    turn_id: int
    answer: str
    memories: list[MemoryOut]
    memory: Literal["ok", "unavailable"] = "ok"
    """`unavailable`: the memory store was down, so the answer was given without memories (the
    turn is saved and will be remembered once it is back)."""
    answered_by: Literal["model", "fallback"] = "model"
    """`fallback`: the model cannot write the message's language, so it was not asked; the answer
    (what was remembered, the most pressing insights, how to switch to a real model) was put
    together without it. Show it as a notice, not as the model's words."""


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
    answered_by: Literal["model", "fallback"] = "model"
    """`fallback`: put together without the model (see `ChatFinal.answered_by`)."""
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
    """A day's health measurements, or one reading; each field names its unit.

    Units: steps, h, bpm, kg, %, mmHg, mmol/L (glucose in mg/dL is accepted and converted).
    """

    data_type: Literal["health"]
    data: HealthRecord


class FinanceDataIn(_DataIn):
    """A finance record: income, expenses, savings, debt over a period, in one currency.

    A `category` says what the money went to (or came from).
    """

    data_type: Literal["finance"]
    data: FinanceRecord


class EducationDataIn(_DataIn):
    """An education record: a study session, an exam, a weekly goal, courses, goals.

    A session is minutes studied on the day of `recorded_at`; weekly totals are derived.
    """

    data_type: Literal["education"]
    data: EducationRecord


class BehaviorDataIn(_DataIn):
    """A behaviour event with a category."""

    data_type: Literal["behavior"]
    data: BehaviorRecord


class CustomDataIn(_DataIn):
    """A custom metric: a name, a unit and a value at a time."""

    data_type: Literal["custom"]
    data: CustomRecord


UserDataIn = Annotated[
    HealthDataIn | FinanceDataIn | EducationDataIn | BehaviorDataIn | CustomDataIn,
    Field(discriminator="data_type"),
]
"""One record; `data_type` picks the schema its `data` must follow."""


def new_record(body: UserDataIn) -> NewRecord:
    """The record to store from what a client sent (fields left empty are not stored)."""
    data = body.data.model_dump(mode="json", exclude_none=True)
    return NewRecord(body.data_type, data, body.recorded_at)


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


class ImportSummaryOut(BaseModel):
    """What an import brings: the app, the span of dates, the records by kind, money in and out."""

    first: date | None
    """The earliest record's day (a bill's month starts on the 1st)."""
    last: date | None
    records: int
    kinds: dict[str, int]
    """Records by kind: `days`, `blood_pressure`, `glucose`, `workouts`, `finance`, or a data
    type."""
    money: dict[str, dict[str, float]]
    """Currency → `income` and `expenses`, summed to the cent (refunds already netted)."""


class ImportReport(BaseModel):
    """What an import did (or, with `dry_run`, would do).

    Accepted rows are written together or not at all.
    """

    accepted: int
    rejected: list[RejectedRow]
    """Refused rows with their reasons (the first 1,000; `rejected_total` counts them all)."""
    written: bool
    """False when nothing was written (a dry run, strict mode with rejected rows, nothing valid)."""
    ids: list[int]
    """The ids of the records written."""
    format: str = "records"
    """The importer used: `records`, `apple_health`, `alipay`, `wechat_pay` or `csv`."""
    rejected_total: int = 0
    notes: list[str] = []
    """What was read but not imported, and why (unknown columns or types, neutral rows, refunds
    netted, units refused), in the language asked for."""
    replaced: int = 0
    """Records of a former import of the same app (same day, month or reading) replaced."""
    dry_run: bool = False
    """The file was read and checked, and nothing was written (a preview)."""
    summary: ImportSummaryOut | None = None
    """The records accepted, in figures (a preview shows it before anything is written)."""


class ImportProgress(BaseModel):
    """An import's progress: `reading` the file (bytes), then `writing` the records."""

    phase: Literal["reading", "writing"]
    done: int
    total: int | None
    """None while the total is unknown."""


class ImportFailure(BaseModel):
    """The import stopped: the status an ordinary answer would have had, and why."""

    status: int
    detail: str
    """What is wrong and what to do, naming the app the file was found to be."""
    app: str | None = None
    """What the file was found to be (`apple_health`, `alipay`, `wechat_pay`, ...), if known."""
    code: Literal["password_required", "password_wrong"] | None = None
    """Set when a locked ZIP needs its password (sent with the file, never kept)."""


class CsvPreviewOut(BaseModel):
    """A CSV's columns, its first rows and a guessed mapping, for the column-mapping step."""

    columns: list[str]
    rows: list[list[str]]
    guess: dict[str, str]
    """Column → field of the chosen data type (`recorded_at` for the time)."""
    fields: list[str]
    """The fields of the chosen data type, and `recorded_at`."""
    units: dict[str, str]
    """The unit of each measured field."""


class ConsentOut(BaseModel):
    """Which types of data you allow to be collected and used (all off until you turn them on)."""

    health: bool = False
    finance: bool = False
    education: bool = False
    behavior: bool = False
    custom: bool = False
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
    custom: bool | None = None
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
    height_cm: float | None = None
    """Your height (cm), which the BMI needs; you enter it."""


class ProfileUpdate(BaseModel):
    """Your corrections; omitted fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    summary: Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)] | None = None
    preferences: Preferences | None = None
    height_cm: float | None = Field(
        default=None,
        ge=50,
        le=272,
        strict=True,
        allow_inf_nan=False,
        description="Your height, for the BMI (null clears it). Unit: cm.",
        json_schema_extra={"x-unit": "cm"},
    )


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
    written_by: Literal["model", "rules"]
    """Who wrote the advice: the model, or the rules (one item per finding in your data)."""
    written_by_reason: (
        Literal["configured", "language", "model_invalid", "model_unavailable"] | None
    ) = None
    """Why the rules wrote it: the server is set up so (`configured`), the model cannot write
    this language (`language`), its answer stayed invalid after a retry (`model_invalid`: ask
    again with `refresh`), or it could not be asked (`model_unavailable`: down or busy)."""
    created_at: datetime
    cached: bool
    """True when served from the cache (nothing changed since it was computed)."""


class FeedbackIn(BaseModel):
    """Thumbs up or down on a chat answer (`turn`, id of the turn) or a recommendation item."""

    model_config = ConfigDict(extra="forbid")

    target_type: Literal["turn", "recommendation"]
    target_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    rating: Annotated[Literal[1, -1], NotBool]
    """1 for thumbs up, -1 for thumbs down (`true` is neither)."""
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


class MemoryUpdate(BaseModel):
    """New text for a memory you correct."""

    model_config = ConfigDict(extra="forbid")

    text: Message


class MemorySearch(BaseModel):
    """A search of your memories by meaning; sent in the body, so the text stays out of logs."""

    model_config = ConfigDict(extra="forbid")

    query: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
    limit: Annotated[int, Field(ge=1, le=200)] = 50


class MemoryChangeOut(BaseModel):
    """One step in the history of a memory."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    event: str
    old_text: str | None
    new_text: str | None
    created_at: datetime


# --- charts -----------------------------------------------------------------------------------


class ChartsOut(BaseModel):
    """The charts of your records over a period."""

    days: int
    guidelines: Literal["international", "china"]
    charts: list[Chart]


class SystemOut(BaseModel):
    """What is running (no secrets, no server addresses)."""

    provider: Literal["llamacpp", "ollama", "openai"]
    model: str
    """The model's label, as recorded with every answer, e.g. `ollama:qwen2.5:3b`."""
    languages: list[Literal["zh", "en"]]
    """Languages the model writes; messages in others are answered without it (`fallback`)."""
    structured_output: Literal["json_schema", "json_object", "prompt"]
    """How JSON is asked of the model: constrained to a schema, JSON mode, or only asked."""
    demo: bool
    """The bundled demo model: runs anywhere, not an advisor."""
    advice: bool
    """Whether the model writes recommendations and extracts facts (else the rules do)."""
    context_window: int
    """Tokens a prompt and its answer share."""
    embedding_model: str
    vector_store: Literal["chroma-embedded", "chroma-server"]
    job_runner: Literal["inprocess", "celery"]
    switch_command: str | None
    """In demo mode: the one command that switches to a real model."""

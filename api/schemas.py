"""Request and response shapes of the HTTP API (validated at the edge)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

MAX_MESSAGE_CHARS = 8000

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

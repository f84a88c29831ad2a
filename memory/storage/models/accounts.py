"""Accounts: users and their profiles, sign-in sessions and refresh tokens, the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from memory.storage.crypto import EncryptedJSON, EncryptedText
from memory.storage.models.base import NEVER_REUSED, Base, UTCDateTime, new_id, utcnow


class User(Base):
    """An account. Every other row belongs to exactly one user and is deleted with it."""

    __tablename__ = "users"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    """As the person typed it (NFKC, width-mapped); unique through `username_key`."""
    username_key: Mapped[str] = mapped_column(
        String(255).with_variant(mysql.VARCHAR(255, collation="utf8mb4_bin"), "mysql"), unique=True
    )
    """The form every variant of the name shares (`memory/accounts/usernames.py`): case-folded,
    look-alikes replaced. Compared byte for byte, also on MySQL, whose default collation would
    fold more (accents) than the rule says."""
    email: Mapped[str | None] = mapped_column(String(255))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    """None for local users of the CLI or the development convenience (they cannot log in)."""
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UserProfile(Base):
    """What the assistant has concluded about a user: a summary and structured preferences."""

    __tablename__ = "user_profiles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    summary: Mapped[str] = mapped_column(EncryptedText, default="")
    preferences: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)
    """`{"goals": [...], "likes": [...], "dislikes": [...], "constraints": [...]}`."""
    summarized_turns: Mapped[int] = mapped_column(Integer, default=0)
    """How many answered turns the user had when the summariser last ran (it runs every N more)."""
    edited_by_user: Mapped[bool] = mapped_column(Boolean, default=False)
    """The user corrected the profile by hand; the summariser builds on their words."""
    height_cm: Mapped[float | None] = mapped_column(Float)
    """The user's height, entered by them; with the latest weight it gives the BMI."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuthSession(Base):
    """One sign-in: the family of refresh tokens issued from one login, revocable as a whole.

    Access tokens name their session (`sid`), so logging out or revoking it ends them at once.
    """

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    """After this no refresh token of the session is accepted; the user signs in again."""
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Set by logout, or when a rotated refresh token is presented again (likely stolen)."""


class RefreshToken(Base):
    """A refresh token, stored only as a SHA-256 hash; each is used once and then rotated."""

    __tablename__ = "refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When it was exchanged for a new one; a second use revokes the whole session."""


class AuditEntry(Base):
    """Who read, wrote, deleted or exported which sensitive data, and when (the user can see it)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_user_at", "user_id", "at"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(16))
    """`read`, `write`, `delete`, `export` or `login`."""
    resource: Mapped[str] = mapped_column(String(32))
    """`memories`, `conversation`, `profile`, `user_data`, `account` or `session`."""
    resource_id: Mapped[str | None] = mapped_column(String(64))
    client: Mapped[str | None] = mapped_column(String(64))
    """The client address the request came from, when known."""
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PersonalAccessToken(Base):
    """A token the user made for another program (an MCP client), stored only as a SHA-256 hash.

    It names its user and what it may do (`scope`); revoking sets `revoked_at`, erasure deletes it.
    """

    __tablename__ = "access_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    """What the user called it, e.g. the program it is for."""
    scope: Mapped[str] = mapped_column(String(16))
    """`read`, or `read_write`."""
    hint: Mapped[str] = mapped_column(String(8))
    """The token's last characters, so the user can tell which one a program holds."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """None: valid until revoked."""
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When it last let a request in (updated at most once a minute)."""
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

"""Sign-in sessions and their rotating refresh tokens, in SQL so logout and revocation are real.

A login opens a session and hands out a refresh token. Each refresh marks the presented token used
and issues a new one in the same session. A used token presented again means two parties hold the
same token (one of them stole it), so the whole session is revoked: both must sign in again
(OAuth 2.0 Security BCP, refresh token rotation). Only SHA-256 hashes of refresh tokens are
stored; the tokens are 256 random bits, so a fast hash is enough.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from memory.storage.models import AuthSession, RefreshToken, User, utcnow


class RefreshRejectedError(ValueError):
    """The refresh token is unknown, expired, revoked or already used (then the session ends)."""


@dataclass(frozen=True, slots=True)
class Grant:
    """What a login or a refresh hands out: the session and a new refresh token (shown once)."""

    user_id: int
    session_id: str
    refresh_token: str
    refresh_expires_in: int
    """Seconds until the session ends and the user must sign in again."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AuthSessions:
    """Open, refresh, check and revoke sign-in sessions."""

    def __init__(self, sessions: sessionmaker[Session], *, lifetime: timedelta) -> None:
        self._sessions = sessions
        self._lifetime = lifetime

    def open(self, user_id: int) -> Grant:
        """Start a session for a user who just proved who they are."""
        with self._sessions.begin() as session:
            row = AuthSession(user_id=user_id, expires_at=utcnow() + self._lifetime)
            session.add(row)
            session.flush()
            return self._issue(session, row)

    def refresh(self, token: str) -> Grant:
        """Exchange a refresh token for a new one in the same session (RefreshRejectedError)."""
        refused: str | None = None
        with self._sessions.begin() as session:
            stored = session.get(RefreshToken, _hash(token), with_for_update=True)
            if stored is None:
                raise RefreshRejectedError("unknown refresh token")
            row = session.get_one(AuthSession, stored.session_id)
            user = session.get(User, row.user_id)
            now = utcnow()
            if stored.used_at is not None:
                # Reuse of a rotated token: revoke the family (committed, then refused below).
                row.revoked_at = row.revoked_at or now
                refused = "refresh token reused; session revoked"
            elif row.revoked_at is not None or row.expires_at <= now:
                refused = "session ended"
            elif user is None or not user.is_active:
                refused = "account disabled"
            else:
                stored.used_at = now
                return self._issue(session, row)
        raise RefreshRejectedError(refused)

    def is_active(self, user_id: int, session_id: str) -> bool:
        """Whether the session exists, belongs to the user, and was neither revoked nor ended.

        One primary-key read per request: the cheap check that makes logout take effect at once.
        """
        with self._sessions() as session:
            row = session.get(AuthSession, session_id)
            return (
                row is not None
                and row.user_id == user_id
                and row.revoked_at is None
                and row.expires_at > utcnow()
            )

    def revoke(self, user_id: int, session_id: str | None = None) -> int:
        """End one session of the user, or all of them; returns how many were ended."""
        stmt = update(AuthSession).where(
            AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
        )
        if session_id is not None:
            stmt = stmt.where(AuthSession.id == session_id)
        with self._sessions.begin() as session:
            result = session.execute(stmt.values(revoked_at=utcnow()))
            return int(getattr(result, "rowcount", 0))

    def active(self, user_id: int) -> list[AuthSession]:
        """The user's sessions that still work, newest first."""
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(AuthSession)
                    .where(
                        AuthSession.user_id == user_id,
                        AuthSession.revoked_at.is_(None),
                        AuthSession.expires_at > utcnow(),
                    )
                    .order_by(AuthSession.created_at.desc())
                )
            )

    def _issue(self, session: Session, row: AuthSession) -> Grant:
        token = secrets.token_urlsafe(32)
        session.add(RefreshToken(token_hash=_hash(token), session_id=row.id, user_id=row.user_id))
        remaining = int((row.expires_at - utcnow()).total_seconds())
        return Grant(row.user_id, row.id, token, max(remaining, 0))

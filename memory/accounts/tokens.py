"""Personal access tokens: how another program (an MCP client) acts for one user, and only them.

A token is 256 random bits behind a recognisable prefix (so secret scanners and people can tell
what it is). Only its SHA-256 hash is stored, as for refresh tokens (`memory.auth_sessions`): the
token is random, so a fast hash is enough, and a lookup by hash reveals nothing an attacker could
use. The plain token is handed out once, at creation. Each token names its user and its scope;
the user always comes from the token, never from what the program asks for.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, get_args

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from memory.storage.models import PersonalAccessToken, User, utcnow

TokenScope = Literal["read", "read_write"]
"""`read`: search and read; `read_write`: also add and delete memories and records."""
SCOPES: tuple[TokenScope, ...] = get_args(TokenScope)

PREFIX = "memadvisor_pat_"
MAX_ACTIVE = 50
"""Most tokens a user may hold at once (revoked and expired ones do not count)."""
TOUCH_EVERY = timedelta(minutes=1)
"""`last_used_at` is written at most this often per token (not one write per request)."""

RefusalReason = Literal["unknown", "revoked", "expired", "account"]


class TokenRefusedError(ValueError):
    """The token is not one of ours, was revoked, has expired, or its account is gone."""

    def __init__(self, reason: RefusalReason) -> None:
        super().__init__(_REFUSALS[reason])
        self.reason = reason


_REFUSALS: dict[RefusalReason, str] = {
    "unknown": "This access token is not valid.",
    "revoked": "This access token was revoked.",
    "expired": "This access token has expired.",
    "account": "The account of this access token no longer exists or is disabled.",
}


class TooManyTokensError(ValueError):
    """The user already holds `MAX_ACTIVE` tokens."""


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """What a valid token allows: whose it is and what it may do."""

    token_id: str
    user_id: int
    scope: TokenScope
    expires_at: datetime | None

    def allows(self, needed: TokenScope) -> bool:
        """Whether this token's scope covers `needed` (`read_write` covers `read`)."""
        return needed == "read" or self.scope == "read_write"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new token: the plain text (shown once, never stored) and its stored row."""

    token: str
    row: PersonalAccessToken


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AccessTokens:
    """Create, list, check and revoke users' personal access tokens."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def create(
        self,
        user_id: int,
        *,
        name: str,
        scope: TokenScope,
        expires_in_days: int | None = None,
    ) -> IssuedToken:
        """A new token for the user, valid until revoked or for so many days.

        TooManyTokensError when the user already holds `MAX_ACTIVE` working tokens.
        """
        if scope not in SCOPES:
            raise ValueError(f"unknown scope {scope!r}; expected one of {SCOPES}")
        expires_at = None if expires_in_days is None else utcnow() + timedelta(days=expires_in_days)
        token = PREFIX + secrets.token_urlsafe(32)
        with self._sessions.begin() as session:
            # The user's row is locked so two concurrent creations cannot both pass the count.
            session.scalars(select(User.id).where(User.id == user_id).with_for_update()).one()
            held = session.scalar(
                select(func.count()).select_from(PersonalAccessToken).where(_usable(user_id))
            )
            if (held or 0) >= MAX_ACTIVE:
                raise TooManyTokensError(
                    f"You already have {MAX_ACTIVE} access tokens; revoke one you no longer use."
                )
            row = PersonalAccessToken(
                user_id=user_id,
                token_hash=_hash(token),
                name=name,
                scope=scope,
                hint=token[-4:],
                expires_at=expires_at,
            )
            session.add(row)
            session.flush()
            session.expunge(row)
        return IssuedToken(token, row)

    def list(self, user_id: int) -> list[PersonalAccessToken]:
        """The user's tokens that were not revoked (expired ones included), newest first."""
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(PersonalAccessToken)
                    .where(
                        PersonalAccessToken.user_id == user_id,
                        PersonalAccessToken.revoked_at.is_(None),
                    )
                    .order_by(PersonalAccessToken.created_at.desc())
                )
            )

    def revoke(self, user_id: int, token_id: str) -> bool:
        """Revoke one of the user's tokens; False if they hold no such (unrevoked) token."""
        stmt = (
            update(PersonalAccessToken)
            .where(
                PersonalAccessToken.id == token_id,
                PersonalAccessToken.user_id == user_id,
                PersonalAccessToken.revoked_at.is_(None),
            )
            .values(revoked_at=utcnow())
        )
        with self._sessions.begin() as session:
            return int(getattr(session.execute(stmt), "rowcount", 0)) > 0

    def verify(self, token: str) -> TokenGrant:
        """What the token allows, or TokenRefusedError; notes when it was last used.

        Called on every request that carries one: one lookup by the hash's unique index, and a
        write of `last_used_at` at most once a minute.
        """
        now = utcnow()
        with self._sessions.begin() as session:
            row = session.scalars(
                select(PersonalAccessToken).where(PersonalAccessToken.token_hash == _hash(token))
            ).one_or_none()
            if row is None:
                raise TokenRefusedError("unknown")
            if row.revoked_at is not None:
                raise TokenRefusedError("revoked")
            if row.expires_at is not None and row.expires_at <= now:
                raise TokenRefusedError("expired")
            user = session.get(User, row.user_id)
            if user is None or not user.is_active:
                raise TokenRefusedError("account")
            if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
                row.last_used_at = now
            scope: TokenScope = "read_write" if row.scope == "read_write" else "read"
            return TokenGrant(row.id, row.user_id, scope, row.expires_at)


def _usable(user_id: int) -> ColumnElement[bool]:
    """The user's tokens that still work: not revoked, not expired."""
    now = utcnow()
    return and_(
        PersonalAccessToken.user_id == user_id,
        PersonalAccessToken.revoked_at.is_(None),
        or_(PersonalAccessToken.expires_at.is_(None), PersonalAccessToken.expires_at > now),
    )

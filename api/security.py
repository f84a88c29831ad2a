"""Password hashing (Argon2 through pwdlib) and signed access tokens (JWT through PyJWT)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
from pwdlib import PasswordHash

ALGORITHM = "HS256"
_hasher = PasswordHash.recommended()
# Verified against when the username does not exist, so a login takes as long either way and its
# timing does not reveal which accounts exist.
_DUMMY_HASH = _hasher.hash("memadvisor-dummy-password")


class InvalidTokenError(ValueError):
    """The token is missing, malformed, forged or expired."""


def hash_password(password: str) -> str:
    """An Argon2id hash of the password."""
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Constant-time check; also spends the hashing time when there is no hash to check."""
    if password_hash is None:
        _hasher.verify(password, _DUMMY_HASH)
        return False
    return _hasher.verify(password, password_hash)


def create_access_token(user_id: int, *, secret: str, minutes: int) -> str:
    """A signed token naming the user, valid for `minutes`."""
    now = datetime.now(UTC)
    claims = {"sub": str(user_id), "iat": now, "exp": now + timedelta(minutes=minutes)}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_access_token(token: str, *, secret: str) -> int:
    """The user id in a valid token, or InvalidTokenError."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
        )
        return int(claims["sub"])
    except (jwt.PyJWTError, ValueError) as exc:
        raise InvalidTokenError(str(exc)) from exc

"""Password hashing (Argon2 through pwdlib) and short-lived signed access tokens (JWT, PyJWT)."""

from __future__ import annotations

import functools
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import jwt
from pwdlib import PasswordHash

T = TypeVar("T")

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


async def off_the_loop(check: Callable[..., T], *args: Any) -> T:
    """Run a password hash or check in a worker thread, a few at a time.

    Argon2 spends a lot of CPU by design. On the event loop it stalls every other request (a few
    failed logins slow even `/api/health`); in unbounded threads it still takes every core. So at
    most one fewer than the cores hash at once (at least one).
    """
    return await anyio.to_thread.run_sync(functools.partial(check, *args), limiter=_hashing())


@functools.cache
def _hashing() -> anyio.CapacityLimiter:
    return anyio.CapacityLimiter(max(1, (os.cpu_count() or 2) - 1))


def verify_password(password: str, password_hash: str | None) -> bool:
    """Constant-time check; also spends the hashing time when there is no hash to check."""
    if password_hash is None:
        _hasher.verify(password, _DUMMY_HASH)
        return False
    return _hasher.verify(password, password_hash)


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """What a valid access token says: whose it is and which sign-in session issued it."""

    user_id: int
    session_id: str


def create_access_token(user_id: int, *, session_id: str, secret: str, minutes: int) -> str:
    """A signed token naming the user and their session (`sid`), valid for `minutes`.

    `jti` makes every token unique; `sid` is checked against revocation on every request.
    """
    now = datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "sid": session_id,
        "jti": secrets.token_hex(8),
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


DEVICE_TOKEN_DAYS = 365


def create_device_token(user_id: int, *, secret: str) -> str:
    """A signed device cookie: this browser signed in to the account before (OWASP device cookie).

    It grants nothing by itself; it only keeps the browser out of the account-wide sign-in
    backoff that guessing from unknown clients triggers.
    """
    now = datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "typ": "device",
        "jti": secrets.token_hex(8),
        "iat": now,
        "exp": now + timedelta(days=DEVICE_TOKEN_DAYS),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_device_token(token: str | None, *, secret: str) -> tuple[int, str] | None:
    """The account id and device id of a valid device cookie, else None."""
    if not token:
        return None
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "jti"]}
        )
        if claims.get("typ") != "device" or not isinstance(claims["jti"], str):
            return None
        return int(claims["sub"]), claims["jti"]
    except (jwt.PyJWTError, ValueError):
        return None


def decode_access_token(token: str, *, secret: str) -> AccessClaims:
    """The claims of a valid token, or InvalidTokenError (tokens without a session included)."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "sid"]}
        )
        session_id = claims["sid"]
        if not isinstance(session_id, str):
            raise InvalidTokenError("sid is not a string")
        return AccessClaims(int(claims["sub"]), session_id)
    except (jwt.PyJWTError, ValueError) as exc:
        raise InvalidTokenError(str(exc)) from exc
